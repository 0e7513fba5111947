"""截留: what is paid and not remitted by the deadline (next working day, 16:00) shows up."""

from __future__ import annotations

from datetime import date, datetime, time

from services.billing.clock import CHINA, DeadlineRule
from services.billing.ports import WeekdaysOnly
from services.intake.clock import WorkCalendar
from tests.billing.money import (
    accepted_case,
    assessed,
    at,
    paid,
    receipt,
    refunded,
    remitted,
    unremitted,
)
from tests.support import Desk


def pay(desk: Desk, amount: str, when: str, *, civil: bool = False) -> str:
    """Given a case assessed and paid in full at ``when``: its receipt number."""
    case_no = accepted_case(desk, civil=civil)
    body = paid(case_no, amount, when=when)
    desk.record(assessed(case_no, amount), by="CASHIER")
    desk.record(body, by="CASHIER")
    return str(body["receipt_no"])


def test_a_payment_is_due_for_remittance_the_next_working_day_at_four(desk: Desk) -> None:
    # Given a payment on Monday 2026-03-02
    number = pay(desk, "80.00", at("2026-03-02"))

    # Then it is not overdue on Tuesday at 15:59, and is at 16:01
    before = unremitted(desk, "2026-03-03T15:59:00+08:00")
    after = unremitted(desk, "2026-03-03T16:01:00+08:00")

    assert before["receipts"] == [] and before["total"]["amount"] == "0.00"
    assert [r["receipt_no"] for r in after["receipts"]] == [number]
    assert after["receipts"][0]["deadline"] == "2026-03-03T16:00:00+08:00"
    assert receipt(desk, number)["deadline"] == "2026-03-03T16:00:00+08:00"


def test_the_deadline_skips_the_national_day_holiday(desk: Desk) -> None:
    # Given a payment on Wed 2026-09-30, the eve of the National Day holiday (10-01..10-07)
    number = pay(desk, "80.00", at("2026-09-30", "17:30:00"))

    # Then it falls due on Thu 10-08 at 16:00
    assert receipt(desk, number)["deadline"] == "2026-10-08T16:00:00+08:00"
    assert unremitted(desk, "2026-10-07T23:00:00+08:00")["receipts"] == []


def test_overdue_receipts_are_summed_per_department(desk: Desk) -> None:
    pay(desk, "80.00", at("2026-03-02"))
    pay(desk, "20.50", at("2026-03-02", "11:00:00"))
    pay(desk, "9.00", at("2026-03-02"), civil=True)

    report = unremitted(desk, "2026-03-04T09:00:00+08:00", by="AUDITOR")

    assert report["departments"] == [
        {"department": "CIVIL", "receipts": 1, "amount": "9.00"},
        {"department": "LAND", "receipts": 2, "amount": "100.50"},
    ]
    assert report["total"] == {"receipts": 3, "amount": "109.50"}


def test_a_remitted_or_fully_refunded_receipt_is_no_longer_unremitted(desk: Desk) -> None:
    # Given three payments on Monday
    kept = pay(desk, "80.00", at("2026-03-02"))
    sent = pay(desk, "20.00", at("2026-03-02"))
    back = pay(desk, "5.00", at("2026-03-02"))

    # When one is remitted and one refunded in full
    desk.record(remitted([sent], "20.00", when=at("2026-03-03")), by="CASHIER")
    case_of_back = receipt(desk, back)["case_no"]
    desk.record(refunded(case_of_back, back, "5.00", when=at("2026-03-03")), by="CASHIER")

    # Then only the third is overdue on Wednesday
    report = unremitted(desk, "2026-03-04T09:00:00+08:00")
    assert [r["receipt_no"] for r in report["receipts"]] == [kept]
    assert receipt(desk, kept)["overdue"] is True and receipt(desk, sent)["overdue"] is False


def test_a_late_remittance_is_marked_late_on_the_receipt(desk: Desk) -> None:
    number = pay(desk, "80.00", at("2026-03-02"))

    desk.record(remitted([number], "80.00", when=at("2026-03-04")), by="CASHIER")

    shown = receipt(desk, number)
    assert shown["remitted_late"] is True and shown["overdue"] is False


def test_a_payment_after_as_of_is_not_listed(desk: Desk) -> None:
    pay(desk, "80.00", at("2026-03-09"))

    assert unremitted(desk, "2026-03-05T09:00:00+08:00")["receipts"] == []


def test_the_deadline_rule_is_configurable() -> None:
    rule = DeadlineRule(working_days=2, at=time(12, 0))
    friday_evening = datetime(2026, 3, 6, 22, 0, tzinfo=CHINA)

    assert rule.due(friday_evening, WeekdaysOnly()) == datetime(2026, 3, 10, 12, 0, tzinfo=CHINA)
    same_day = DeadlineRule(working_days=0)
    assert same_day.due(friday_evening, WorkCalendar()).date() == date(2026, 3, 6)


def test_a_payment_on_a_saturday_workday_counts_from_that_day() -> None:
    # 2026-10-10 is a 调休 Saturday workday; the next working day is Mon 10-12
    saturday = datetime(2026, 10, 10, 10, 0, tzinfo=CHINA)

    assert DeadlineRule().due(saturday, WorkCalendar()) == datetime(2026, 10, 12, 16, tzinfo=CHINA)


def test_an_as_of_at_the_edge_of_time_is_refused_not_a_server_error(desk: Desk) -> None:
    response = desk.client.get(
        "/v1/billing/unremitted",
        params={"as_of": "9999-12-31T23:00:00-10:00"},
        headers=desk.as_("SUPERVISOR"),
    )

    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_request"
