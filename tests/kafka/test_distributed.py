"""The distributed layout — ``hall serve``, ``hall relay`` and two ``hall project`` workers as
separate processes on PostgreSQL and Kafka — gives the case list the embedded hall gives."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from hall.followers import Followers, intake_log, view_store
from hall.http.app import create_app
from hall.runtime import Hall
from hall.settings import Settings
from projections.base import Context
from projections.case_list import CaseList
from projections.sources import Sources
from projections.viewstore import PostgresViews
from tests.conftest import PG_URL
from tests.kafka.conftest import Tansu, bus_settings
from tests.kafka.support import Role, bus_env, rows, wait_for, walks
from tests.operations.server import Server
from tests.support import ADMIN_TOKEN, Desk


def embedded_case_list(tmp_path: Path, batches: list[list[dict]]) -> list[tuple]:
    """The case list of one embedded process (SQLite, followers reading the stores)."""
    settings = Settings(
        data_dir=tmp_path / "embedded",
        admin_token=ADMIN_TOKEN,
        database_url=None,
        cipher_key=None,
        holidays_file=None,
    )
    hall = Hall.start(settings)
    try:
        with TestClient(create_app(hall=hall)) as client:
            desk = Desk(client).with_catalogue()
            for batch in batches:
                desk.record(*batch)
        context = Context(calendar=hall.intake.calendar)
        followers = Followers(
            view_store(settings), Sources(intake_log(hall.intake)), context, (CaseList,)
        )
        followers.catch_up()
        found = rows(followers.store, CaseList, "cases", "case_no")
        followers.stop()
        return found
    finally:
        hall.close()


def test_the_distributed_layout_gives_the_same_case_list_as_the_embedded_one(
    settings: Settings, broker: Tansu, tmp_path: Path
) -> None:
    batches = walks(cases=80, seed=21)
    expected = embedded_case_list(tmp_path, batches)
    bus = bus_settings(settings, broker.bootstrap)
    env = bus_env(bus, create_tables="false")  # the server created them (``hall migrate``)
    log = tmp_path / "roles.log"

    server = ApiOnly(settings).start()
    relay = Role("relay", env, log).start()
    workers = [Role("project", env, log, "--projection", "case_list").start() for _ in range(2)]
    supervision = Role("supervise", env, log).start()
    views = PostgresViews(PG_URL, settings.database_schema, pool_size=1)
    try:
        with server.client() as http:
            desk = Desk(http)  # type: ignore[arg-type]  # httpx.Client speaks the same API
            desk.with_catalogue()
            half = len(batches) // 2
            for batch in batches[:half]:
                desk.record(*batch)
            for batch in batches[half:]:  # one after the other, while the workers run
                desk.record(*batch)
        wait_for(lambda: _case_list(views) == expected, 90, "the distributed case list")
        maintained_by = _tracked_streams(views)
        worker_metrics = httpx.get(f"{workers[0].url}/metrics").text
        relay_metrics = httpx.get(f"{relay.url}/metrics").text
    finally:
        exits = [role.stop() for role in (*workers, relay, supervision)]
        server.kill()
        views.close()

    assert len(expected) == 80
    assert exits == [0, 0, 0, 0]
    assert "hall_consumer_lag_records" in worker_metrics
    assert 'hall_relay_events_total{service="intake"}' in relay_metrics
    assert any(stream.startswith(f"{bus.kafka_topic_prefix}.intake/") for stream in maintained_by)
    assert "intake" not in maintained_by  # the API left the case list to the workers


class ApiOnly(Server):
    """``hall serve`` as the distributed layout runs it: no projections in the API process."""

    def env(self) -> dict[str, str]:
        return super().env() | {"HALL_FOLLOWERS": "false"}


def _tracked_streams(views: PostgresViews) -> set[str]:
    """The streams the live case list's tracking holds positions of."""
    with views.read() as cur:
        cur.execute("SELECT generation FROM projection_registry WHERE projection = 'case_list'")
        (generation,) = cur.fetchone() or ("",)
        cur.execute(
            "SELECT stream FROM projection_tracking WHERE tracker = ?",
            (f"case_list:{generation}",),
        )
        return {stream for (stream,) in cur.fetchall()}


def _case_list(views: PostgresViews) -> list[tuple] | None:
    try:
        return rows(views, CaseList, "cases", "case_no")
    except Exception:  # the workers have not built it yet
        return None
