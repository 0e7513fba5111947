"""The day's cash book (日记账) as an Excel workbook, for the bank window and the finance office."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

HEADERS = (
    ("日期", "date"),
    ("时间", "time"),
    ("类别", "kind"),
    ("收据号", "receipt_no"),
    ("办件编号", "case_no"),
    ("部门", "department"),
    ("收费项目", "fee_codes"),
    ("金额", "amount"),
    ("方式", "method"),
    ("收款窗口", "cashier_window"),
    ("划拨批次", "batch_no"),
    ("应退回", "owed_back"),
)
KIND_NAMES = {"paid": "缴费", "refunded": "退付", "remitted": "划拨"}
METHOD_NAMES = {"cash": "现金", "card": "刷卡", "qr": "扫码", "transfer": "转账"}
TOTAL_NAMES = {
    "paid": "缴费合计",
    "refunded": "退付合计",
    "remitted": "划拨合计",
    "owed_back": "应退回合计",
    "net": "净收款",
}
MONEY = "#,##0.00"
MONEY_COLUMNS = {"amount", "owed_back"}


def cash_book(ledger: dict[str, Any]) -> bytes:
    """The ledger JSON of one day as an .xlsx file; amounts stay exact (written from Decimal)."""
    book = Workbook()
    sheet: Any = book.active
    sheet.title = f"日记账 {ledger['date']}"
    sheet.append([title for title, _ in HEADERS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in ledger["rows"]:
        sheet.append([_cell(key, row[key]) for _, key in HEADERS])
    sheet.append([])
    for key, title in TOTAL_NAMES.items():
        sheet.append([title, *[None] * 6, Decimal(ledger["totals"][key])])
    amount_column = [key for _, key in HEADERS].index("amount") + 1
    owed_column = [key for _, key in HEADERS].index("owed_back") + 1
    for line in sheet.iter_rows(min_row=2):
        for column in (amount_column, owed_column):
            line[column - 1].number_format = MONEY
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(key: str, value: Any) -> Any:
    if key in MONEY_COLUMNS:
        return Decimal(value)
    if key == "fee_codes":
        return "、".join(value)
    if key == "kind":
        return KIND_NAMES.get(value, value)
    if key == "method" and value is not None:
        return METHOD_NAMES.get(value, value)
    return value
