"""Who may touch money: windows assess (own department), the cashier does the rest, readers read."""

from __future__ import annotations

import pytest

from tests.api.answers import error_of
from tests.billing.money import MONDAY, accepted_case, assessed, import_statement, paid
from tests.support import Desk

READS = [
    "/v1/billing/ledger?date=2026-03-02",
    "/v1/billing/unremitted",
    "/v1/billing/receipts/R-1",
    "/v1/billing/reconciliation?date=2026-03-02",
]


def test_the_cashier_assesses_and_takes_payment(desk: Desk) -> None:
    case_no = accepted_case(desk)

    results = desk.record(assessed(case_no, "80.00"), paid(case_no, "80.00"), by="CASHIER")

    assert [r["status"] for r in results] == ["recorded", "recorded"]


def test_a_window_may_assess_but_not_be_paid_even_in_one_batch(desk: Desk) -> None:
    case_no = accepted_case(desk)
    batch = [assessed(case_no, "80.00"), paid(case_no, "80.00")]

    response = desk.post(*batch, by="W-12")

    error_of(response, 403, "forbidden", event_index=1, event_id=batch[1]["event_id"])
    assert desk.case(case_no)["fees"]["assessed"] == "0.00"


def test_a_window_of_another_department_may_not_assess(desk: Desk) -> None:
    case_no = accepted_case(desk)

    error_of(desk.post(assessed(case_no, "80.00"), by="W-3"), 403, "forbidden")


@pytest.mark.parametrize("who", ["SUPERVISOR", "AUDITOR"])
def test_readers_may_not_post_money_events_nor_import_statements(desk: Desk, who: str) -> None:
    case_no = accepted_case(desk)

    error_of(desk.post(assessed(case_no, "80.00"), by=who), 403, "forbidden")
    error_of(import_statement(desk, f"{MONDAY},B,R,1,paid", by=who), 403, "forbidden")


@pytest.mark.parametrize("path", READS)
def test_a_window_may_not_read_the_banks_books(desk: Desk, path: str) -> None:
    error_of(desk.client.get(path, headers=desk.as_("W-12")), 403, "forbidden")


@pytest.mark.parametrize("who", ["CASHIER", "SUPERVISOR", "AUDITOR", "admin"])
@pytest.mark.parametrize("path", READS)
def test_the_cashier_supervisors_auditors_and_admin_read_the_books(
    desk: Desk, who: str, path: str
) -> None:
    response = desk.client.get(path, headers=desk.as_(who))

    assert response.status_code in {200, 404}, response.text  # 404: no such receipt or statement


def test_the_admin_may_import_a_statement(desk: Desk) -> None:
    response = import_statement(desk, f"{MONDAY},B-1,R-1,1.00,paid", by="admin")

    assert response.status_code == 200, response.text
