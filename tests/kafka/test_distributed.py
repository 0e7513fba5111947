"""The distributed layout gives the reports and findings the embedded hall gives.

Distributed: ``hall serve --role intake`` and ``hall serve --role billing`` (billing's view of
cases kept from Kafka; the intake API forwards money events to it), ``hall relay``, two
``hall project`` workers in one group and ``hall supervise``: separate processes on PostgreSQL
and Kafka.  Embedded: one process on SQLite, followers reading the stores.  Both take the same
posts; every answer compared must be equal.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from hall.bus.services import opened
from hall.bus.settings import BusSettings
from hall.http.app import create_app
from hall.runtime import Hall
from hall.settings import Settings
from projections.viewstore import PostgresViews
from services.supervision.follower import Follower
from tests.conftest import PG_URL
from tests.kafka.conftest import Tansu, bus_settings
from tests.kafka.support import Role, bus_env, relayed, wait_for, walks
from tests.operations.server import Server
from tests.support import ADMIN_TOKEN, Desk, event

Batch = tuple[list[dict[str, Any]], str]  # events and the terminal posting them
LINE = [{"fee_code": "F1", "amount": "35.50"}]
YEAR = {"from": "2026-01-01", "to": "2026-12-31"}
REPORT = YEAR | {"as_of": "2026-11-20T12:00:00+08:00"}  # after every event of the workload
READS: dict[str, tuple[str, str, dict[str, str]]] = {  # name: (path, reader, query)
    "completion by department": (
        "/v1/reports/completion",
        "AUDITOR",
        REPORT | {"group_by": "department"},
    ),
    "completion by item": ("/v1/reports/completion", "AUDITOR", REPORT | {"group_by": "item"}),
    "alerts": ("/v1/alerts", "SUPERVISOR", {"as_of": "2026-10-20T12:00:00+08:00"}),
    "case list": ("/v1/cases", "AUDITOR", {"limit": "200"}),
    "findings": ("/v1/supervision/flags", "SUPERVISOR", YEAR),
}


def workload(cases: int, seed: int) -> list[Batch]:
    """Cases walked at random; a third of them assessed, most of those paid (some after the
    case was completed), one refund and one remittance."""
    rng = random.Random(seed)
    batches: list[Batch] = []
    paid: list[str] = []
    for walk in walks(cases, seed, prefix="2026-D"):
        case_no = walk[0]["case_no"]
        batches.append((walk, "W-12"))
        if rng.random() < 1 / 3:
            at = "2026-09-28T10:00:00+08:00"
            batches.append(([event("fee.assessed", case_no, lines=LINE, occurred_at=at)], "W-12"))
            if rng.random() < 0.8:
                receipt = f"R-{case_no}"
                late = "2026-10-14T10:00:00+08:00"
                pay = event(
                    "fee.paid",
                    case_no,
                    receipt_no=receipt,
                    amount="35.50",
                    method="cash",
                    occurred_at=late if rng.random() < 0.3 else at,
                )
                batches.append(([pay], "CASHIER"))
                paid.append(receipt)
    first, second = paid[0], paid[1]
    refund = event(
        "fee.refunded",
        first.removeprefix("R-"),
        receipt_no=first,
        amount="35.50",
        reason="撤件退费",
        occurred_at="2026-10-15T10:00:00+08:00",
    )
    remit = event(
        "remittance.made",
        "",
        batch_no="RB-D-1",
        receipts=[second],
        amount="35.50",
        occurred_at="2026-10-16T10:00:00+08:00",
    )
    return [*batches, ([refund], "CASHIER"), ([remit], "CASHIER")]


def post_all(desk: Desk, batches: list[Batch]) -> None:
    for events, by in batches:
        desk.record(*events, by=by)


def answers(get: Callable[..., Any], desk: Desk) -> dict[str, Any]:
    found = {}
    for name, (path, reader, query) in READS.items():
        response = get(path, params=query, headers=desk.as_(reader))
        assert response.status_code == 200, f"{name}: {response.text}"
        found[name] = response.json()
    for flag in found["findings"]["flags"]:
        # A finding is raised (or closed) when supervision judges the event recorded at that
        # moment: the two halls recorded the same posts at different instants.
        flag.pop("raised_at")
        if flag["closed"]:
            flag["closed"].pop("at")
    return found


def embedded(tmp_path: Path, batches: list[Batch]) -> dict[str, Any]:
    """What one embedded process answers once its followers and supervision caught up."""
    settings = Settings(
        data_dir=tmp_path / "embedded",
        admin_token=ADMIN_TOKEN,
        database_url=None,
        cipher_key=None,
        holidays_file=None,
    )
    hall = Hall.start(settings, follow=False)  # caught up by hand below, after every post
    try:
        with TestClient(create_app(hall=hall)) as client:
            desk = Desk(client).with_catalogue()
            post_all(desk, batches)
            assert hall.followers is not None
            hall.followers.catch_up()
            # Judge everything now: the live follower leaves the last seconds for later.
            Follower(hall.supervision, hall.followers.sources, settle=timedelta(0)).catch_up()
            return answers(client.get, desk)
    finally:
        hall.close()


def test_the_distributed_layout_gives_the_reports_and_findings_of_the_embedded_one(
    settings: Settings, broker: Tansu, tmp_path: Path
) -> None:
    batches = workload(cases=60, seed=21)
    expected = embedded(tmp_path, batches)
    bus = bus_settings(settings, broker.bootstrap)
    log = tmp_path / "roles.log"

    billing_api = RoleApi(settings, bus, "billing", case_directory_wait="10").start()
    intake_api = RoleApi(settings, bus, "intake", billing_url=billing_api.url).start()
    env = bus_env(bus, create_tables="false")  # the APIs created them (``hall migrate``)
    relay = Role("relay", env, log).start()
    workers = [Role("project", env, log).start() for _ in range(2)]
    supervision: Role | None = None
    views = PostgresViews(PG_URL, settings.database_schema, pool_size=1)
    try:
        with intake_api.client() as http:
            desk = Desk(http)  # type: ignore[arg-type]  # httpx.Client speaks the same API
            desk.with_catalogue()
            post_all(desk, batches)  # money events go through the intake API to billing's
            # Supervision judges the whole backlog before letting time pass, as the embedded
            # hall did: started once everything is on the bus.
            heads = _heads(bus)
            wait_for(
                lambda: all(relayed(bus, name) >= head for name, head in heads.items()),
                60,
                "the relay to publish every event",
            )
            supervision = Role("supervise", env, log).start()

            last: dict[str, Any] = {}

            def same() -> bool:
                try:
                    last.update(answers(http.get, desk))
                except AssertionError:  # a read model not built yet
                    return False
                return last == expected

            try:
                wait_for(same, 120, "the distributed answers to equal the embedded ones")
            except TimeoutError:
                for name in READS:  # say which answer differs, and how
                    assert last.get(name) == expected[name], name
                raise
            worker_metrics = httpx.get(f"{workers[0].url}/metrics").text
            relay_metrics = httpx.get(f"{relay.url}/metrics").text
            supervise_metrics = httpx.get(f"{supervision.url}/metrics").text
            intake_metrics = http.get("/metrics", headers=desk.as_("AUDITOR")).text
            billing_metrics = httpx.get(
                f"{billing_api.url}/metrics", headers=desk.as_("AUDITOR")
            ).text
    finally:
        exits = [role.stop() for role in (*workers, relay, *([supervision] if supervision else []))]
        intake_api.kill()
        billing_api.kill()
        views.close()

    rules = {flag["rule"] for flag in expected["findings"]["flags"]}
    assert {"overdue", "unremitted_fee", "non_standard_fee"} <= rules
    assert expected["completion by department"]["fees"]["collected"] != "0.00"
    assert exits == [0, 0, 0, 0]
    assert "hall_consumer_lag_records" in worker_metrics
    assert 'hall_relay_events_total{service="billing"}' in relay_metrics
    assert 'hall_findings_raised_total{rule="overdue"}' in supervise_metrics
    assert 'hall_events_posted_total{service="intake",status="recorded"}' in intake_metrics
    assert 'hall_events_posted_total{service="billing",status="recorded"}' in billing_metrics
    assert 'service="billing"' not in intake_metrics  # forwarded, not recorded, by intake


class RoleApi(Server):
    """``hall serve --role …`` as the distributed layout runs it: no read models, no relays
    in the API process."""

    def __init__(self, settings: Settings, bus: BusSettings, role: str, **extra: str) -> None:
        super().__init__(settings)
        self.bus, self.role, self.extra = bus, role, extra

    def env(self) -> dict[str, str]:
        extra = {f"HALL_{k.upper()}": v for k, v in self.extra.items()}
        return bus_env(self.bus) | {
            "HALL_FOLLOWERS": "false",
            "HALL_RELAYS": "false",
            "HALL_ROLE": self.role,
            **extra,
        }


def _heads(bus: BusSettings) -> dict[str, int]:
    """The newest positions of intake's and billing's logs."""
    with opened(bus, ["intake", "billing"]) as logs:
        return {name: log.head(name) for name, log in logs.items()}
