"""Every 4xx of the contract: its status, its code, a message, and which event it was about.

422: the event (or the body) is malformed; 409: the case's state forbids it; 404: a read names
nothing. A refused batch records nothing at all.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from tests.api.answers import error_of
from tests.contract.examples import CREDIT_CODE, ORGANISATION, PERSON, RESIDENT_ID
from tests.support import ADMIN, ITEMS, Desk, event

CASE = "2026-000123"
CHINA = timezone(timedelta(hours=8))


def another_check_character(number: str) -> str:
    """The same number with a different last (check) character: its checksum no longer holds."""
    return number[:-1] + ("1" if number[-1] != "1" else "2")


def audit_position(desk: Desk) -> int:
    """The last position of the log, as an auditor sees it."""
    after = 0
    while True:
        page = desk.client.get(
            "/v1/audit/events", params={"after": after, "limit": 1000}, headers=desk.as_("AUDITOR")
        ).json()
        if not page["events"]:
            return after
        after = page["next_after"]


def recorded_after(desk: Desk, position: int) -> list[dict[str, Any]]:
    response = desk.client.get(
        "/v1/audit/events", params={"after": position}, headers=desk.as_("AUDITOR")
    )
    assert response.status_code == 200, response.text
    return list(response.json()["events"])


@pytest.fixture
def accepted(desk: Desk) -> Desk:
    """A LAND case accepted at window 12."""
    desk.record(event("case.accepted", CASE))
    return desk


@pytest.fixture
def completed(accepted: Desk) -> Desk:
    """The LAND case, decided."""
    accepted.record(event("case.completed", CASE))
    return accepted


# -- 422: malformed events ---------------------------------------------------------------------


def test_an_unknown_type_is_refused(desk: Desk) -> None:
    teleported = event("case.withdrawn", CASE, type="case.teleported")

    error = error_of(
        desk.post(teleported), 422, "unknown_type", event_index=0, event_id=teleported["event_id"]
    )

    assert "case.teleported" in error["message"]


def test_an_event_without_a_type_is_of_an_unknown_type(desk: Desk) -> None:
    untyped = event("case.withdrawn", CASE)
    del untyped["type"]

    error_of(desk.post(untyped), 422, "unknown_type", event_index=0, event_id=untyped["event_id"])


def test_a_missing_field_is_named(desk: Desk) -> None:
    accepted = event("case.accepted", CASE)
    del accepted["item_code"]

    error = error_of(
        desk.post(accepted), 422, "missing_field", event_index=0, event_id=accepted["event_id"]
    )

    assert "item_code" in error["message"]


def test_an_extra_field_is_named(desk: Desk) -> None:
    withdrawn = event("case.withdrawn", CASE, mood="angry")

    error = error_of(
        desk.post(withdrawn), 422, "extra_field", event_index=0, event_id=withdrawn["event_id"]
    )

    assert "mood" in error["message"]


def test_a_resident_id_with_a_wrong_check_digit_is_refused(desk: Desk) -> None:
    applicant = PERSON | {"id_number": another_check_character(RESIDENT_ID)}
    accepted = event("case.accepted", CASE, applicant=applicant)

    error = error_of(
        desk.post(accepted), 422, "bad_checksum", event_index=0, event_id=accepted["event_id"]
    )

    assert "GB 11643" in error["message"]
    assert RESIDENT_ID[6:14] not in error["message"]  # the number itself is never echoed


def test_a_credit_code_with_a_wrong_check_character_is_refused(desk: Desk) -> None:
    applicant = ORGANISATION | {"id_number": another_check_character(CREDIT_CODE)}
    received = event("case.received", CASE, applicant=applicant)

    error = error_of(
        desk.post(received), 422, "bad_checksum", event_index=0, event_id=received["event_id"]
    )

    assert "GB 32100" in error["message"]


@pytest.mark.parametrize("amount", ["12.345", "-1", "1e3", "abc", 80])
def test_an_items_fee_line_with_a_bad_amount_is_refused(desk: Desk, amount: Any) -> None:
    # Given the LAND-REG item; When its fee is set to `amount`
    item = copy.deepcopy(ITEMS["LAND-REG"])
    item["fees"][0]["amount"] = amount
    response = desk.client.put("/v1/catalog/items/LAND-REG", json=item, headers=ADMIN)

    # Then it is refused, naming the line, and the item keeps its fee
    error = error_of(response, 422, "invalid_request")
    assert "fees.0.amount" in error["message"]
    kept = desk.client.get("/v1/catalog/items/LAND-REG", headers=ADMIN).json()
    assert kept["fees"][0]["amount"] == "80.00"
    assert kept["version"] == 1


def test_a_fee_amount_with_three_decimals_is_a_bad_amount(desk: Desk) -> None:
    assessed = event("fee.assessed", CASE, lines=[{"fee_code": "F1", "amount": "12.345"}])

    error = error_of(
        desk.post(assessed), 422, "bad_amount", event_index=0, event_id=assessed["event_id"]
    )

    assert "lines[0].amount" in error["message"]


def test_a_time_without_an_offset_is_refused(desk: Desk) -> None:
    accepted = event("case.accepted", CASE, occurred_at="2026-03-02T09:15:00")

    error_of(
        desk.post(accepted), 422, "missing_offset", event_index=0, event_id=accepted["event_id"]
    )


def test_an_event_six_minutes_in_the_future_is_refused(desk: Desk) -> None:
    later = (datetime.now(UTC) + timedelta(minutes=6)).astimezone(CHINA).isoformat()
    accepted = event("case.accepted", CASE, occurred_at=later)

    error_of(desk.post(accepted), 422, "future_event", event_index=0, event_id=accepted["event_id"])


def test_an_event_four_minutes_in_the_future_is_taken(desk: Desk) -> None:
    soon = (datetime.now(UTC) + timedelta(minutes=4)).astimezone(CHINA).isoformat()

    (result,) = desk.record(event("case.accepted", CASE, occurred_at=soon))

    assert result["status"] == "recorded"


# -- 422: malformed bodies and batches -------------------------------------------------------


def test_a_batch_of_501_events_is_refused_whole(desk: Desk) -> None:
    before = audit_position(desk)
    events = [event("case.accepted", f"2026-{n:06d}") for n in range(501)]

    error_of(desk.post(*events), 422, "invalid_batch")

    assert recorded_after(desk, before) == []


def test_a_batch_of_500_events_is_taken(desk: Desk) -> None:
    events = [event("case.accepted", f"2026-{n:06d}") for n in range(500)]

    results = desk.record(*events)

    assert [r["status"] for r in results] == ["recorded"] * 500


def test_an_empty_batch_is_refused(desk: Desk) -> None:
    response = desk.client.post("/v1/events", json={"events": []}, headers=desk.as_("W-12"))

    error_of(response, 422, "invalid_batch")


def test_a_batch_with_anything_beside_its_events_is_refused(desk: Desk) -> None:
    body = {"events": [event("case.accepted", CASE)], "note": "from W-12"}

    response = desk.client.post("/v1/events", json=body, headers=desk.as_("W-12"))

    error_of(response, 422, "invalid_batch")


@pytest.mark.parametrize(
    "body", [b'{"type": "case.', b"", b"\xff\xfe{}"], ids=["cut", "empty", "not-utf8"]
)
def test_a_body_that_is_not_json_is_refused(desk: Desk, body: bytes) -> None:
    headers = desk.as_("W-12") | {"Content-Type": "application/json"}

    response = desk.client.post("/v1/events", content=body, headers=headers)

    error_of(response, 422, "invalid_json")


@pytest.mark.parametrize(
    "body", [b'[{"type": "case.accepted"}]', b"42", b'"case.accepted"', b"null"]
)
def test_a_body_that_is_json_but_not_an_object_is_refused(desk: Desk, body: bytes) -> None:
    headers = desk.as_("W-12") | {"Content-Type": "application/json"}

    response = desk.client.post("/v1/events", content=body, headers=headers)

    error_of(response, 422, "not_an_object", event_index=0)


def test_a_batch_mixing_case_and_money_events_is_refused(desk: Desk) -> None:
    events = [event("case.accepted", CASE), event("fee.paid", CASE)]

    response = desk.post(*events, by="admin")

    error_of(response, 422, "mixed_batch")
    error_of(desk.client.get(f"/v1/cases/{CASE}", headers=ADMIN), 404, "not_found")


def test_a_window_batch_mixing_a_case_event_and_an_assessment_is_refused(desk: Desk) -> None:
    events = [event("case.accepted", CASE), event("fee.assessed", CASE)]

    response = desk.post(*events, by="W-12")

    error_of(response, 422, "mixed_batch")


# -- 409: what the case's state forbids ----------------------------------------------------


def test_completing_a_refused_case_is_a_conflict(desk: Desk) -> None:
    # Given a received case that was refused
    desk.record(event("case.received", CASE), event("case.refused", CASE))

    # When it is completed
    completion = event("case.completed", CASE)
    response = desk.post(completion)

    # Then the state forbids it
    error_of(response, 409, "case_closed", event_index=0, event_id=completion["event_id"])


def test_completing_a_withdrawn_case_is_a_conflict(accepted: Desk) -> None:
    accepted.record(event("case.withdrawn", CASE))

    completion = event("case.completed", CASE)
    response = accepted.post(completion)

    error_of(response, 409, "case_closed", event_index=0, event_id=completion["event_id"])


def test_signing_after_completion_is_a_conflict(completed: Desk) -> None:
    signature = event("case.signed", CASE)

    response = completed.post(signature)

    error_of(response, 409, "case_closed", event_index=0, event_id=signature["event_id"])


def test_ending_a_procedure_that_never_started_is_a_conflict(accepted: Desk) -> None:
    ended = event("case.procedure_ended", CASE)

    response = accepted.post(ended)

    error_of(response, 409, "no_procedure_running", event_index=0, event_id=ended["event_id"])


def test_receiving_materials_nobody_asked_for_is_a_conflict(accepted: Desk) -> None:
    received = event("case.supplement_received", CASE)

    response = accepted.post(received)

    error_of(response, 409, "no_supplement_requested", event_index=0, event_id=received["event_id"])


def test_rating_a_case_before_completion_is_a_conflict(accepted: Desk) -> None:
    rating = event("evaluation.submitted", CASE)

    response = accepted.post(rating)

    error_of(response, 409, "case_not_completed", event_index=0, event_id=rating["event_id"])


def test_rating_a_case_twice_is_a_conflict(completed: Desk) -> None:
    completed.record(event("evaluation.submitted", CASE))

    second = event("evaluation.submitted", CASE, rating=1)
    response = completed.post(second)

    error_of(response, 409, "already_rated", event_index=0, event_id=second["event_id"])


def test_receiving_the_same_case_number_twice_is_a_conflict(desk: Desk) -> None:
    desk.record(event("case.received", CASE))

    again = event("case.received", CASE)
    response = desk.post(again)

    error_of(response, 409, "case_exists", event_index=0, event_id=again["event_id"])


def test_accepting_the_same_case_twice_is_a_conflict(accepted: Desk) -> None:
    again = event("case.accepted", CASE)

    response = accepted.post(again)

    error_of(response, 409, "already_accepted", event_index=0, event_id=again["event_id"])


def test_an_event_for_an_unknown_case_is_a_conflict(desk: Desk) -> None:
    withdrawal = event("case.withdrawn", "2026-999999")

    response = desk.post(withdrawal)

    error_of(response, 409, "case_not_found", event_index=0, event_id=withdrawal["event_id"])


@pytest.mark.parametrize(
    ("field", "value"), [("item_code", "LAND-NOPE"), ("window_no", "99")], ids=["item", "window"]
)
def test_accepting_under_an_unknown_catalogue_entry_is_a_conflict(
    desk: Desk, field: str, value: str
) -> None:
    accepted = event("case.accepted", CASE, **{field: value})

    error = error_of(
        desk.post(accepted),
        409,
        "unknown_catalogue_entry",
        event_index=0,
        event_id=accepted["event_id"],
    )

    assert value in error["message"]


# -- idempotency ---------------------------------------------------------------------------


def test_the_same_event_again_is_a_duplicate_at_the_same_position(desk: Desk) -> None:
    # Given an accepted case
    accepted = event("case.accepted", CASE)
    (first,) = desk.record(accepted)

    # When the terminal posts the very same event again (a retry)
    (again,) = desk.record(copy.deepcopy(accepted))

    # Then it is a duplicate at the same position, and the case has one event
    assert again == {
        "event_id": accepted["event_id"],
        "status": "duplicate",
        "position": first["position"],
    }
    assert len(desk.history(CASE)["events"]) == 1


def test_the_same_event_id_with_other_content_is_a_conflict(accepted: Desk) -> None:
    signed = event("case.signed", CASE)
    accepted.record(signed)

    altered = signed | {"opinion": "不同意", "decision": "reject"}
    response = accepted.post(altered)

    error_of(response, 409, "event_id_reused", event_index=0, event_id=signed["event_id"])
    assert [e["type"] for e in accepted.history(CASE)["events"]] == ["case.accepted", "case.signed"]


# -- atomic batches --------------------------------------------------------------------------


def test_a_batch_whose_third_event_is_malformed_records_nothing(desk: Desk) -> None:
    # Given a hall; When a batch's first two events are fine and the third is malformed
    before = audit_position(desk)
    third = event("case.completed", CASE, result="maybe")
    batch = [event("case.accepted", CASE), event("case.signed", CASE), third]
    response = desk.post(*batch)

    # Then the third is named, and nothing of the batch was recorded
    error_of(response, 422, "invalid_field", event_index=2, event_id=third["event_id"])
    error_of(desk.client.get(f"/v1/cases/{CASE}", headers=ADMIN), 404, "not_found")
    assert recorded_after(desk, before) == []


def test_a_batch_whose_third_event_the_state_forbids_records_nothing(desk: Desk) -> None:
    # Given a hall; When a batch receives a case, asks for materials, then completes it unaccepted
    before = audit_position(desk)
    third = event("case.completed", CASE)
    batch = [event("case.received", CASE), event("case.supplement_requested", CASE), third]
    response = desk.post(*batch)

    # Then the third is named, and nothing of the batch was recorded
    error_of(response, 409, "case_not_accepted", event_index=2, event_id=third["event_id"])
    error_of(desk.client.get(f"/v1/cases/{CASE}", headers=ADMIN), 404, "not_found")
    assert recorded_after(desk, before) == []


def test_a_refused_batch_leaves_an_existing_case_as_it_was(accepted: Desk) -> None:
    # Given an accepted case; When a batch signs it, completes it, then ends a procedure
    ended = event("case.procedure_ended", CASE)
    batch = [event("case.signed", CASE), event("case.completed", CASE), ended]
    response = accepted.post(*batch)

    # Then the third event is the one refused, and the case is neither signed nor completed
    error_of(response, 409, "case_closed", event_index=2, event_id=ended["event_id"])
    case = accepted.case(CASE)
    assert case["status"] != "completed"
    assert [e["type"] for e in accepted.history(CASE)["events"]] == ["case.accepted"]


# -- reads and the catalogue ---------------------------------------------------------------


def test_reading_an_unknown_case_is_404(desk: Desk) -> None:
    response = desk.client.get("/v1/cases/2026-999999", headers=desk.as_("AUDITOR"))

    error_of(response, 404, "not_found")


def test_reading_the_history_of_an_unknown_case_is_404(desk: Desk) -> None:
    response = desk.client.get("/v1/cases/2026-999999/history", headers=desk.as_("AUDITOR"))

    error_of(response, 404, "not_found")


def test_reading_an_unknown_catalogue_entry_is_404(desk: Desk) -> None:
    response = desk.client.get("/v1/catalog/items/NOPE", headers=ADMIN)

    error_of(response, 404, "not_found")


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/catalog/windows/9", {"department": "NOPE", "name": "无名窗口"}),
        ("/v1/catalog/items/NOPE-1", ITEMS["LAND-REG"] | {"department": "NOPE"}),
        ("/v1/catalog/items/LAND-CO", ITEMS["LAND-REG"] | {"co_departments": ["NOPE"]}),
    ],
    ids=["window", "item", "co-department"],
)
def test_naming_an_unknown_department_in_the_catalogue_is_a_conflict(
    desk: Desk, path: str, body: dict[str, Any]
) -> None:
    response = desk.client.put(path, json=body, headers=ADMIN)

    error = error_of(response, 409, "unknown_catalogue_entry")
    assert "NOPE" in error["message"]


def test_registering_a_window_terminal_for_an_unknown_window_is_a_conflict(desk: Desk) -> None:
    body = {"terminal_id": "W-99", "role": "window", "window_no": "99"}

    response = desk.client.post("/v1/admin/terminals", json=body, headers=ADMIN)

    error_of(response, 409, "unknown_catalogue_entry")


def test_registering_a_terminal_that_exists_is_a_conflict(desk: Desk) -> None:
    body = {"terminal_id": "W-12", "role": "window", "window_no": "12"}

    response = desk.client.post("/v1/admin/terminals", json=body, headers=ADMIN)

    error_of(response, 409, "terminal_exists")
