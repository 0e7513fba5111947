"""Stopping the service, gently or not, loses nothing it acknowledged and keeps the tokens."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from hall.http.app import create_app
from hall.runtime import Hall
from hall.settings import Settings
from tests.operations.server import Server
from tests.support import ADMIN, Desk, event


@pytest.fixture
def server(settings: Settings) -> Iterator[Server]:
    running = Server(settings).start()
    yield running
    if running.process is not None and running.process.poll() is None:
        running.kill()


def set_up(client: httpx.Client) -> dict[str, str]:
    """Given the catalogue and a window terminal, set up over HTTP."""
    desk = Desk(client)  # type: ignore[arg-type]  # httpx.Client speaks the same API
    desk.with_catalogue()
    return desk.as_("W-12")


def test_a_restarted_hall_has_every_case_and_every_token(settings: Settings) -> None:
    hall = Hall.start(settings)
    with TestClient(create_app(hall=hall)) as client:
        desk = Desk(client).with_catalogue()
        desk.record(event("case.accepted", "2026-000500"))
        window = desk.as_("W-12")
    hall.close()

    again = Hall.start(settings)
    with TestClient(create_app(hall=again)) as client:
        response = client.get("/v1/cases/2026-000500", headers=window)
        retry = client.post("/v1/events", json=event("case.signed", "2026-000500"), headers=window)
    again.close()

    assert response.status_code == 200 and response.json()["status"] == "accepted"
    assert retry.status_code == 200


def test_kill_9_after_acknowledgement_loses_nothing(settings: Settings, server: Server) -> None:
    with server.client() as client:
        window = set_up(client)
        acknowledged = []
        for n in range(30):
            body = event("case.accepted", f"2026-K{n:04d}")
            assert client.post("/v1/events", json=body, headers=window).status_code == 200
            acknowledged.append(body)

    server.kill(signal.SIGKILL)
    restarted = Server(settings).start()
    try:
        with restarted.client() as client:
            answers = [
                client.post("/v1/events", json=body, headers=window).json() for body in acknowledged
            ]
            log = client.get("/v1/audit/events", params={"limit": 1000}, headers=ADMIN).json()
    finally:
        restarted.kill(signal.SIGTERM)

    assert all(a["results"][0]["status"] == "duplicate" for a in answers)
    logged = {e.get("event_id") for e in log["events"]}
    assert {b["event_id"] for b in acknowledged} <= logged


def test_sigterm_under_load_finishes_in_flight_requests_and_loses_nothing_acknowledged(
    settings: Settings, server: Server
) -> None:
    with server.client() as client:
        window = set_up(client)
    acknowledged: list[dict] = []
    lock = threading.Lock()
    enough = threading.Event()

    def terminal(n: int) -> None:
        with server.client() as client:
            for i in range(10_000):
                body = event("case.accepted", f"2026-T{n}-{i:05d}")
                try:
                    response = client.post("/v1/events", json=body, headers=window)
                except httpx.TransportError:
                    return  # the server has stopped listening
                if response.status_code != 200:
                    return  # 503 while shutting down is fine: not acknowledged
                with lock:
                    acknowledged.append(body)
                    if len(acknowledged) >= 100:
                        enough.set()

    terminals = [threading.Thread(target=terminal, args=(n,)) for n in range(8)]
    for t in terminals:
        t.start()
    assert enough.wait(60), "the terminals never got 100 events acknowledged"
    logged = server.kill(signal.SIGTERM)
    for t in terminals:
        t.join(60)

    assert "hall stopped: writers drained, stores closed" in logged
    restarted = Server(settings).start()
    try:
        with restarted.client() as client:
            statuses = [
                client.post("/v1/events", json=body, headers=window).json()["results"][0]["status"]
                for body in acknowledged
            ]
    finally:
        restarted.kill(signal.SIGTERM)
    assert len(statuses) >= 100
    assert set(statuses) == {"duplicate"}
