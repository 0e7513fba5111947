"""The followers of one process: projections fed from the services' logs (or, later, Kafka)."""

from __future__ import annotations

import copy
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import datetime
from typing import Any

from eventsourcing.application import Application
from eventsourcing.persistence import Notification

from hall.settings import Settings
from projections.alert_board import AlertBoard
from projections.base import Context, Projection
from projections.case_list import CaseList
from projections.completion import Completion
from projections.fee_ledger import FeeLedger
from projections.runner import Projector, install
from projections.sources import Doorbell, Sources, StoreLog
from projections.viewstore import PostgresViews, SQLiteViews, ViewStore
from services.billing import translate as billing_translate
from services.intake.translate import actor_of, to_contract, unread_topics

PROJECTIONS: tuple[type[Projection], ...] = (CaseList, AlertBoard, Completion, FeeLedger)
LIBRARY_FIELDS = {"originator_id", "originator_version", "timestamp", "originator_topic"}
# stream -> the stored topics a reader of only the given contract types may pass over
UNREAD: dict[str, Callable[[Collection[str]], frozenset[str]]] = {"intake": unread_topics}


def view_store(settings: Settings) -> ViewStore:
    """Read models beside the events: a SQLite file, or hall's PostgreSQL schema."""
    if settings.database_url is None:
        return SQLiteViews(settings.data_dir / "views.sqlite")
    return PostgresViews(settings.database_url, settings.database_schema, settings.pool_size)


def store_log(
    stream: str,
    app: Application[Any],
    translate: Callable[[Any], Mapping[str, Any]],
    stamp: Callable[[Any], Mapping[str, Any]],
    skip: frozenset[str] = frozenset(),
) -> StoreLog:
    """A service's notification log as messages in the contract's shape (without the events
    of the topics in ``skip``)."""

    def decode(notification: Notification) -> tuple[str, Mapping[str, Any], datetime]:
        domain_event = app.mapper.to_domain_event(notification)
        body = dict(translate(domain_event))
        actor = stamp(domain_event)
        body["terminal_id"] = actor["terminal_id"]
        return str(body["type"]), body, actor["recorded_at"]

    return StoreLog(stream, app.recorder, decode, skip)


def narrowed(sources: Sources, classes: Iterable[type[Projection]]) -> Sources:
    """``sources`` for followers of ``classes`` alone (a rebuild, a process keeping only the
    read models): each store log passes over the events of types none of them reads, unread
    and undecoded (a case's transfers and signatures, two in five of a typical case's events,
    are read by supervision only)."""
    chosen = copy.copy(sources)
    chosen.by_stream = dict(sources.by_stream)
    for stream, log in sources.by_stream.items():
        readers = [cls.reads for cls in classes if stream in cls.streams]
        if not (isinstance(log, StoreLog) and stream in UNREAD and readers):
            continue
        if any(reads is None for reads in readers):
            continue  # one of them looks at everything
        read = set().union(*[reads for reads in readers if reads is not None])
        skip = log.skip | UNREAD[stream](read)
        chosen.by_stream[stream] = StoreLog(stream, log.recorder, log.decode, skip)
    return chosen


class Followers:
    """Every projection of this process, each in its own thread."""

    def __init__(
        self,
        store: ViewStore,
        sources: Sources,
        context: Context,
        projections: Iterable[type[Projection]] = PROJECTIONS,
        poll: float = 0.5,
    ) -> None:
        self.store, self.sources, self.context = store, sources, context
        self.doorbell = Doorbell()
        install(store)
        self.projectors = {
            cls.name: Projector(
                cls,
                store,
                sources,
                poll=poll,
                wake=self.doorbell.listener(cls.streams),
                context=context,
            )
            for cls in projections
        }
        for projector in self.projectors.values():
            projector.ensure()

    def start(self) -> None:
        for projector in self.projectors.values():
            projector.start()

    def catch_up(self) -> None:
        """Bring every projection up to date now (tests, and before answering a rebuild)."""
        for projector in self.projectors.values():
            projector.catch_up()

    def stop(self) -> None:
        for projector in self.projectors.values():
            projector.stop()
        self.store.close()


def intake_log(app: Application[Any]) -> StoreLog:
    return store_log("intake", app, to_contract, actor_of)


def billing_log(app: Application[Any], *, internal: bool = True) -> StoreLog:
    """Billing's log: posted money events in the contract's shape, its own bookkeeping events
    (receipts issued, reconciliations) as ``billing.<aggregate>.<event>``.

    ``internal=False`` leaves out the events only billing reads (receipts and indexes: each
    payment's receipt, and a day-index event per request; ``translate.INTERNAL``), unread and
    undecoded: the followers' log.
    Relays publish everything.
    """

    def body_of(domain_event: Any) -> Mapping[str, Any]:
        if billing_translate.is_contract_event(domain_event):
            return billing_translate.to_logged(domain_event)
        return own_event(domain_event, "billing")  # e.g. which day was reconciled

    skip = frozenset() if internal else billing_translate.internal_topics()
    return store_log("billing", app, body_of, actor_of, skip)


def supervision_log(app: Application[Any]) -> StoreLog:
    """Supervision's log: its findings (raised, acknowledged, closed) and the files, agenda and
    horizon behind them, as ``supervision.<aggregate>.<event>`` (published for a province's
    supervision centre; no read model of hall's consumes it)."""
    return store_log("supervision", app, lambda e: own_event(e, "supervision"), actor_of)


def own_event(domain_event: Any, service: str) -> Mapping[str, Any]:
    """A service's own bookkeeping event in the bus's shape: ``<service>.<aggregate>.<event>``
    with its fields and the id of the aggregate it belongs to."""
    owner, name = type(domain_event).__qualname__.split(".")[-2:]
    fields = {k: v for k, v in vars(domain_event).items() if k not in LIBRARY_FIELDS}
    fields.pop("stamp", None)
    return {
        "type": f"{service}.{owner.lower()}.{name.lower()}",
        **fields,
        "originator_id": domain_event.originator_id,
    }
