"""HTTP routes of the billing service: receipts, the cash book, unremitted fees, reconciliation.

Money events themselves are posted to ``POST /v1/events`` like every event.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from hall.http.auth import HallDep, requires
from hall.http.errors import ApiError
from hall.http.forward import misdirected
from services.billing.cashbook import cash_book
from services.billing.statement import BadStatement
from services.ingest import Actor

router = APIRouter(tags=["billing"])
Cashier = Annotated[Actor, Depends(requires("cashier"))]
Reader = Annotated[Actor, Depends(requires("cashier", "supervisor", "auditor"))]
Day = Annotated[date, Query(alias="date", description="A China date, YYYY-MM-DD.")]
ReceiptNo = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^\S+$")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_STATEMENT = 20_000_000  # characters: far beyond a busy hall's day
# Instants near datetime's limits overflow when moved to China time or to a deadline.
EARLIEST, LATEST = datetime(1900, 1, 1, tzinfo=UTC), datetime(9990, 1, 1, tzinfo=UTC)


class StatementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    csv: Annotated[
        str,
        Field(
            min_length=1,
            max_length=MAX_STATEMENT,
            description="The bank's statement as CSV text: date,bank_ref,receipt_no,amount,kind.",
            examples=["date,bank_ref,receipt_no,amount,kind\n2026-03-02,B-1,R-1,80.00,paid\n"],
        ),
    ]


class Format(StrEnum):
    json = "json"
    xlsx = "xlsx"


@router.post("/v1/billing/statements")
def import_statement(body: StatementIn, hall: HallDep, actor: Cashier) -> dict[str, Any]:
    """Reconcile the bank's daily statement, sent as JSON ``{"csv": "<the CSV text>"}``.

    CSV columns, in order: ``date`` (China date, YYYY-MM-DD), ``bank_ref``, ``receipt_no``,
    ``amount`` (yuan, at most two decimals), ``kind`` (``paid``, ``refunded`` or ``remitted``);
    a header line is optional.  Each day of the file is reconciled on its own and recorded as
    an event; a day whose statement is already in force answers ``unchanged``.
    """
    if "billing" not in hall.settings.served:  # another process is billing's writer
        raise misdirected(hall.settings, "billing")
    try:
        days = hall.billing.import_statement(body.csv, actor.terminal_id)
    except BadStatement as error:
        raise ApiError(422, "bad_statement", str(error)) from None
    return {"days": days}


@router.get("/v1/billing/reconciliation")
def get_reconciliation(day: Day, hall: HallDep, _: Reader) -> dict[str, Any]:
    """The day's reconciliation in force: matched, missing, amount differences, owed back."""
    return hall.billing.reconciliation(day)


@router.get("/v1/billing/receipts/{receipt_no}")
def get_receipt(receipt_no: ReceiptNo, hall: HallDep, _: Reader) -> dict[str, Any]:
    """One receipt: payment, refunds, remittance, its remittance deadline and whether overdue."""
    return hall.billing.receipt(receipt_no)


@router.get(
    "/v1/billing/ledger",
    responses={200: {"content": {XLSX: {}}, "description": "JSON, or the workbook"}},
)
def get_ledger(
    day: Day,
    hall: HallDep,
    _: Reader,
    format: Annotated[Format, Query(description="json, or xlsx for Excel")] = Format.json,
) -> Any:
    """The day's cash book (日记账): payments, refunds and remittances, with totals."""
    ledger = hall.billing.ledger(day)
    if format is Format.json:
        return ledger
    filename = f"ledger-{day.isoformat()}.xlsx"
    return Response(
        cash_book(ledger),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/v1/billing/unremitted")
def get_unremitted(
    hall: HallDep,
    _: Reader,
    as_of: Annotated[AwareDatetime | None, Query(description="Default: now.")] = None,
) -> dict[str, Any]:
    """Receipts paid and not remitted past their deadline, one by one and per department."""
    if as_of is not None and not EARLIEST <= as_of < LATEST:
        raise ApiError(422, "invalid_request", "as_of: must lie between the years 1900 and 9989")
    return hall.billing.unremitted(as_of or datetime.now(UTC))
