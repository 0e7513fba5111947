"""Reading billing: receipts, the day's cash book as JSON and as Excel, the case's fees."""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import load_workbook

from tests.api.answers import error_of
from tests.billing.money import (
    MONDAY,
    accepted_case,
    assessed,
    at,
    fresh,
    ledger,
    paid,
    receipt,
    refunded,
    remitted,
)
from tests.support import Desk

CHINESE_HEADERS = ("日期", "收据号", "办件编号", "部门", "收费项目", "金额", "方式", "收款窗口")


def a_day_of_payments(desk: Desk) -> list[str]:
    """Given three payments on Monday, one partly refunded, two remitted: their receipts."""
    land, civil = accepted_case(desk), accepted_case(desk, civil=True)
    desk.record(assessed(land, "80.00", "0.10"), assessed(civil, "2129238.45"), by="CASHIER")
    bodies = [
        paid(land, "80.10", when=at(MONDAY, "09:00:00")),
        paid(civil, "2129238.40", when=at(MONDAY, "10:00:00")),
        paid(civil, "0.05", when=at(MONDAY, "11:00:00")),
    ]
    desk.record(*bodies, by="CASHIER")
    numbers = [b["receipt_no"] for b in bodies]
    desk.record(refunded(land, numbers[0], "0.10", when=at(MONDAY, "12:00:00")), by="CASHIER")
    desk.record(remitted(numbers[:2], "2129318.40", when=at(MONDAY, "15:00:00")), by="CASHIER")
    return numbers


def test_the_cash_book_lists_every_movement_of_the_day_with_exact_totals(desk: Desk) -> None:
    numbers = a_day_of_payments(desk)

    book = ledger(desk, by="AUDITOR")

    assert [(r["kind"], r["receipt_no"]) for r in book["rows"]] == [
        ("paid", numbers[0]),
        ("paid", numbers[1]),
        ("paid", numbers[2]),
        ("refunded", numbers[0]),
        ("remitted", numbers[0]),
        ("remitted", numbers[1]),
    ]
    assert book["totals"] == {
        "paid": "2129318.55",
        "refunded": "0.10",
        "remitted": "2129318.40",
        "owed_back": "0.00",
        "net": "2129318.45",
    }
    first = book["rows"][0]
    assert first["department"] == "LAND" and first["fee_codes"] == ["F1", "F2"]
    assert (first["date"], first["time"], first["method"]) == (MONDAY, "09:00:00", "qr")


def test_the_cash_book_as_excel_holds_the_same_numbers_under_chinese_headers(desk: Desk) -> None:
    a_day_of_payments(desk)
    book = ledger(desk)

    response = desk.client.get(
        "/v1/billing/ledger",
        params={"date": MONDAY, "format": "xlsx"},
        headers=desk.as_("SUPERVISOR"),
    )

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    headers = rows[0]
    assert set(CHINESE_HEADERS) <= set(headers)
    body = rows[1 : 1 + len(book["rows"])]
    amount = headers.index("金额")
    assert [_fen(r[amount]) for r in body] == [Decimal(r["amount"]) for r in book["rows"]]
    assert [r[headers.index("收据号")] for r in body] == [r["receipt_no"] for r in book["rows"]]
    assert [r[2] for r in body][:4] == ["缴费", "缴费", "缴费", "退付"]
    totals = {r[0]: _fen(r[amount]) for r in rows[2 + len(book["rows"]) :]}
    assert totals["缴费合计"] == Decimal(book["totals"]["paid"])
    assert totals["净收款"] == Decimal("2129318.45")


def test_a_day_without_money_has_an_empty_cash_book(desk: Desk) -> None:
    book = ledger(desk, "2026-03-01")

    assert book["rows"] == [] and book["totals"]["paid"] == "0.00"


def test_an_unknown_receipt_is_not_found(desk: Desk) -> None:
    response = desk.client.get(f"/v1/billing/receipts/{fresh('R')}", headers=desk.as_("CASHIER"))

    error_of(response, 404, "not_found")


def test_the_case_view_shows_assessed_paid_and_refunded(desk: Desk) -> None:
    a_day_of_payments(desk)
    land = receipt(desk, ledger(desk)["rows"][0]["receipt_no"])["case_no"]

    fees = desk.case(land, by="W-12")["fees"]

    assert fees == {"assessed": "80.10", "paid": "80.10", "refunded": "0.10"}


def test_a_case_without_fees_shows_zeros(desk: Desk) -> None:
    case_no = accepted_case(desk)

    assert desk.case(case_no)["fees"] == {"assessed": "0.00", "paid": "0.00", "refunded": "0.00"}


def _fen(value: object) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))
