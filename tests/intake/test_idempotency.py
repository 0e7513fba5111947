"""Terminals retry: an event id is a permanent idempotency key, stored with the case."""

from __future__ import annotations

from tests.support import Desk, event


def test_posting_the_same_event_twice_records_it_once_and_answers_duplicate(desk: Desk) -> None:
    accepted = event("case.accepted", "2026-000200")

    first = desk.record(accepted)[0]
    again = desk.record(accepted)[0]

    assert first["status"] == "recorded" and again["status"] == "duplicate"
    assert again["position"] == first["position"]
    assert len(desk.history("2026-000200")["events"]) == 1


def test_the_same_id_with_other_content_is_a_conflict(desk: Desk) -> None:
    accepted = event("case.accepted", "2026-000201")
    desk.record(accepted)

    response = desk.post(accepted | {"materials": ["别的材料"]})

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "event_id_reused"


def test_a_retried_batch_after_a_partial_outage_reports_each_event_duplicate(desk: Desk) -> None:
    batch = [
        event("case.accepted", "2026-000202"),
        event("case.transferred", "2026-000202", to_unit="LAND", location="hall"),
    ]
    desk.record(*batch)

    retried = desk.record(*batch, event("case.signed", "2026-000202", step="undertake"))

    assert [r["status"] for r in retried] == ["duplicate", "duplicate", "recorded"]


def test_the_same_amount_or_instant_written_differently_is_still_the_same_event(
    desk: Desk,
) -> None:
    accepted = event("case.accepted", "2026-000203", occurred_at="2026-09-28T09:00:00+08:00")
    desk.record(accepted)

    retry = accepted | {"occurred_at": "2026-09-28T01:00:00Z"}

    assert desk.record(retry)[0]["status"] == "duplicate"


def test_a_rejected_batch_leaves_its_event_ids_free_for_a_corrected_retry(desk: Desk) -> None:
    bad = [event("case.accepted", "2026-000204"), event("case.completed", "2026-000299")]
    assert desk.post(*bad).status_code == 409

    fixed = desk.record(bad[0], event("case.completed", "2026-000204", location="hall"))

    assert [r["status"] for r in fixed] == ["recorded", "recorded"]
