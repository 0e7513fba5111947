"""The services whose logs go on the bus, opened from the settings (the bus's composition root).

Intake publishes cases and the catalogue; billing its money events and its own bookkeeping
(``billing.<aggregate>.<event>``); supervision its findings and the files behind them
(``supervision.<aggregate>.<event>``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from typing import Any

from eventsourcing.application import Application

from hall.bus.settings import BusSettings
from hall.followers import billing_log, intake_log, supervision_log
from hall.stores import store_env
from projections.sources import StoreLog
from projections.viewstore import PostgresViews, SQLiteViews, ViewStore


def _intake(settings: BusSettings) -> tuple[Application[Any], StoreLog]:
    from services.intake.application import Cases

    app = Cases(store_env(settings, "intake"))
    return app, intake_log(app)


def _billing(settings: BusSettings) -> tuple[Application[Any], StoreLog]:
    from services.billing.application import FeeLedger

    app = FeeLedger(store_env(settings, "billing"), cases=_NoDecisions())
    return app, billing_log(app)


def _supervision(settings: BusSettings) -> tuple[Application[Any], StoreLog]:
    from services.supervision.application import Supervision

    app = Supervision(store_env(settings, "supervision"))
    return app, supervision_log(app)


class _NoDecisions:
    """Billing's case directory, never asked: a relay only reads the log."""

    def department_of(self, case_no: str) -> str | None:
        raise RuntimeError("a relay decides nothing")

    def departments_of(self, case_nos: Collection[str]) -> dict[str, str | None]:
        raise RuntimeError("a relay decides nothing")


OPENERS: dict[str, Callable[[BusSettings], tuple[Application[Any], StoreLog]]] = {
    "intake": _intake,
    "billing": _billing,
    "supervision": _supervision,
}
CONSUMED = ("intake", "billing")  # the logs hall's own consumers read (supervision's is not)


@contextmanager
def opened(settings: BusSettings, names: list[str]) -> Iterator[dict[str, StoreLog]]:
    """The named services' logs, read straight from their stores; closed afterwards."""
    unknown = sorted(set(names) - set(OPENERS))
    if unknown:
        known = ", ".join(OPENERS)
        raise ValueError(f"no such service on the bus: {', '.join(unknown)}; known: {known}")
    apps: list[Application[Any]] = []
    try:
        logs = {}
        for name in names:
            app, log = OPENERS[name](settings)
            apps.append(app)
            logs[name] = log
        yield logs
    finally:
        for app in apps:
            app.close()


def tracking_store(settings: BusSettings, service: str) -> ViewStore:
    """The service's own database: its SQLite file, or hall's PostgreSQL schema."""
    if settings.database_url is None:
        return SQLiteViews(settings.data_dir / f"{service}.sqlite")
    return PostgresViews(settings.database_url, settings.database_schema, pool_size=1)


class InProcessRelays:
    """The relays as threads of a serving process: one machine with a bus
    (``hall serve`` with ``HALL_KAFKA_BOOTSTRAP`` set).  Requests still never wait on Kafka."""

    def __init__(self, logs: dict[str, StoreLog], settings: BusSettings) -> None:
        from hall.bus.relay import Relay, RelayTracking

        self.relays = {
            name: Relay(
                name,
                log,
                RelayTracking(tracking_store(settings, name), settings.topic(name)),
                settings,
            )
            for name, log in logs.items()
        }
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=r.run, args=(self._stop,), name=r.topic, daemon=True)
            for r in self.relays.values()
        ]

    def start(self) -> InProcessRelays:
        for thread in self._threads:
            thread.start()
        return self

    def wake(self) -> None:
        """Ring after a commit: the relays look at once instead of at their next poll."""
        for relay in self.relays.values():
            relay.wake.set()

    def stop(self) -> None:
        """Hand what is in flight to the broker, store the positions, end the threads."""
        self._stop.set()
        self.wake()
        for thread in self._threads:
            thread.join(timeout=30)
        for relay in self.relays.values():
            relay.tracking.close()
