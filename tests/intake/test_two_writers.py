"""Two API processes share one store: a stale cached case is caught and decided again."""

from __future__ import annotations

from hall.settings import Settings
from tests.support import event, two_writers


def test_a_writer_with_a_stale_copy_of_a_case_retries_on_fresh_state(settings: Settings) -> None:
    with two_writers(settings) as (desk_a, desk_b):
        desk_a.record(event("case.accepted", "2026-000900"))  # first now caches version 1

        desk_b.record(event("case.signed", "2026-000900", step="undertake"))  # version 2
        late = desk_a.record(event("case.signed", "2026-000900", step="review"))

        history = desk_a.history("2026-000900")["events"]

    assert late[0]["status"] == "recorded"
    assert [e.get("step") for e in history] == [None, "undertake", "review"]


def test_a_writer_with_a_stale_copy_of_a_case_does_not_refuse_what_fresh_state_allows(
    settings: Settings,
) -> None:
    # Acceptance on a stale copy fails at save (the version is taken) and is decided again;
    # a refusal never reaches the save, so the copy must be checked before deciding.
    with two_writers(settings) as (desk_a, desk_b):
        desk_a.record(event("case.accepted", "2026-000901"))  # first caches: in progress

        desk_b.record(event("case.completed", "2026-000901"))  # the case is now completed
        late = desk_a.post(event("case.delivered", "2026-000901"))

        history = desk_a.history("2026-000901")["events"]

    assert late.status_code == 200, late.text
    assert [e["type"] for e in history] == ["case.accepted", "case.completed", "case.delivered"]
