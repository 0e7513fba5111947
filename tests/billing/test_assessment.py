"""收费核定: a window assesses its own department's cases; a cashier may assess any case."""

from __future__ import annotations

from tests.api.answers import error_of
from tests.billing.money import accepted_case, assessed, fresh
from tests.support import Desk


def test_a_window_assesses_a_case_of_its_department_and_the_case_shows_the_fee(
    desk: Desk,
) -> None:
    # Given a LAND case accepted at window 12
    case_no = accepted_case(desk)

    # When window 12 assesses two fee lines
    result = desk.record(assessed(case_no, "80.00", "20.5"), by="W-12")[0]

    # Then it is recorded and the case view shows the exact total
    assert result["status"] == "recorded"
    fees = desk.case(case_no)["fees"]
    assert fees == {"assessed": "100.50", "paid": "0.00", "refunded": "0.00"}


def test_a_later_assessment_adds_to_the_earlier_one(desk: Desk) -> None:
    case_no = accepted_case(desk)
    desk.record(assessed(case_no, "80.00"))

    desk.record(assessed(case_no, "0.01"), by="CASHIER")

    assert desk.case(case_no)["fees"]["assessed"] == "80.01"


def test_a_window_of_another_department_may_not_assess(desk: Desk) -> None:
    # Given a LAND case; When the CIVIL window assesses it
    case_no = accepted_case(desk)
    body = assessed(case_no, "80.00")
    response = desk.post(body, by="W-3")

    # Then it is forbidden, the event named, and nothing is assessed
    error_of(response, 403, "forbidden", event_index=0, event_id=body["event_id"])
    assert desk.case(case_no)["fees"]["assessed"] == "0.00"


def test_a_window_assesses_its_own_departments_case_of_another_window(desk: Desk) -> None:
    # Given a CIVIL case accepted at window 3; When window 3 assesses it
    case_no = accepted_case(desk, civil=True)

    desk.record(assessed(case_no, "9.00"), by="W-3")

    # Then the CIVIL window sees it, and the LAND window is refused on that case
    assert desk.case(case_no, by="W-3")["fees"]["assessed"] == "9.00"
    error_of(desk.post(assessed(case_no, "1.00"), by="W-12"), 403, "forbidden")


def test_a_cashier_may_assess_a_case_of_any_department(desk: Desk) -> None:
    case_no = accepted_case(desk, civil=True)

    desk.record(assessed(case_no, "9.00"), by="CASHIER")

    assert desk.case(case_no, by="W-3")["fees"]["assessed"] == "9.00"


def test_a_fee_for_a_case_that_does_not_exist_is_refused(desk: Desk) -> None:
    body = assessed(fresh("2026"), "80.00")

    response = desk.post(body, by="CASHIER")

    error_of(response, 409, "case_not_found", event_index=0, event_id=body["event_id"])
