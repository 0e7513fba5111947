"""Story helpers for billing: a hall's money, built through the public HTTP API."""

from __future__ import annotations

import itertools
from typing import Any

from httpx import Response

from tests.support import Desk, event

MONDAY = "2026-03-02"  # a working day; the next one is Tue 03-03
AT_NINE = f"{MONDAY}T09:15:00+08:00"
_numbers = itertools.count(1)


def fresh(prefix: str) -> str:
    """A case, receipt or batch number nobody has used yet in this run."""
    return f"{prefix}-{next(_numbers):06d}"


def at(day: str, clock: str = "09:15:00") -> str:
    return f"{day}T{clock}+08:00"


def accepted_case(desk: Desk, case_no: str | None = None, *, civil: bool = False) -> str:
    """Given a case accepted at window 12 (LAND), or at window 3 (CIVIL)."""
    case_no = case_no or fresh("2026")
    if civil:
        body = event("case.accepted", case_no, item_code="CIVIL-MARRY", window_no="3")
        desk.record(body, by="W-3")
    else:
        desk.record(event("case.accepted", case_no))
    return case_no


def assessed(case_no: str, *amounts: str, when: str = AT_NINE) -> dict[str, Any]:
    lines = [{"fee_code": f"F{n}", "amount": a} for n, a in enumerate(amounts, start=1)]
    return event("fee.assessed", case_no, lines=lines, occurred_at=when)


def paid(
    case_no: str, amount: str, receipt_no: str | None = None, *, when: str = AT_NINE
) -> dict[str, Any]:
    return event(
        "fee.paid",
        case_no,
        receipt_no=receipt_no or fresh("R"),
        amount=amount,
        occurred_at=when,
    )


def refunded(case_no: str, receipt_no: str, amount: str, *, when: str = AT_NINE) -> dict[str, Any]:
    return event("fee.refunded", case_no, receipt_no=receipt_no, amount=amount, occurred_at=when)


def remitted(
    receipts: list[str], amount: str, batch_no: str | None = None, *, when: str = AT_NINE
) -> dict[str, Any]:
    return event(
        "remittance.made",
        batch_no=batch_no or fresh("RB"),
        receipts=receipts,
        amount=amount,
        occurred_at=when,
    )


def get(desk: Desk, path: str, by: str = "CASHIER", **params: str) -> dict[str, Any]:
    response = desk.client.get(path, params=params, headers=desk.as_(by))
    assert response.status_code == 200, response.text
    return dict(response.json())


def receipt(desk: Desk, receipt_no: str, by: str = "CASHIER") -> dict[str, Any]:
    return get(desk, f"/v1/billing/receipts/{receipt_no}", by)


def ledger(desk: Desk, day: str = MONDAY, by: str = "CASHIER") -> dict[str, Any]:
    return get(desk, "/v1/billing/ledger", by, date=day)


def reconciliation(desk: Desk, day: str = MONDAY, by: str = "CASHIER") -> dict[str, Any]:
    return get(desk, "/v1/billing/reconciliation", by, date=day)


def unremitted(desk: Desk, as_of: str, by: str = "SUPERVISOR") -> dict[str, Any]:
    return get(desk, "/v1/billing/unremitted", by, as_of=as_of)


def import_statement(desk: Desk, *lines: str, by: str = "CASHIER") -> Response:
    text = "date,bank_ref,receipt_no,amount,kind\n" + "".join(f"{line}\n" for line in lines)
    return desk.client.post("/v1/billing/statements", json={"csv": text}, headers=desk.as_(by))
