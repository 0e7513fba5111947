"""Two API processes share one store: a stale cached case is caught and decided again."""

from __future__ import annotations

from fastapi.testclient import TestClient

from hall.http.app import create_app
from hall.runtime import Hall
from hall.settings import Settings
from tests.support import Desk, event


def test_a_writer_with_a_stale_copy_of_a_case_retries_on_fresh_state(settings: Settings) -> None:
    first, second = Hall.start(settings), Hall.start(settings)
    try:
        with TestClient(create_app(hall=first)) as a, TestClient(create_app(hall=second)) as b:
            desk_a = Desk(a).with_catalogue()
            desk_b = Desk(b)
            desk_b.tokens = desk_a.tokens
            desk_a.record(event("case.accepted", "2026-000900"))  # first now caches version 1

            desk_b.record(event("case.signed", "2026-000900", step="undertake"))  # version 2
            late = desk_a.record(event("case.signed", "2026-000900", step="review"))

            history = desk_a.history("2026-000900")["events"]
    finally:
        first.close()
        second.close()

    assert late[0]["status"] == "recorded"
    assert [e.get("step") for e in history] == [None, "undertake", "review"]
