"""The fee ledger: money collected, refunded and remitted per China day and department.

Fed by billing's log.  A payment counts on the China date it occurred (``fees.collected`` of the
completion report); a remittance counts each receipt's net on the day it was remitted.
The completion report sums these rows (``projections.reports.fee_totals``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from projections.base import Projection
from projections.sources import Message
from projections.viewstore import Cursor, upsert
from services.intake.clock import china_date

ZERO = Decimal("0.00")
MONEY = ("collected", "refunded", "remitted")
# What opens a case's account, with its department: its first assessment (billing's log says
# the department beside it), or, as stored until December 2026, an event of its own.
OPENING = frozenset({"fee.assessed", "billing.feeaccount.opened"})
COLUMNS = {
    "accounts": ("case_no", "department"),
    "receipts": ("receipt_no", "department", "paid", "refunded"),
}


class FeeLedger(Projection):
    """Daily totals, and what it takes to attribute money to departments."""

    name = "fee_ledger"
    streams = ("billing",)
    tables = {  # noqa: RUF012 (class-level schema)
        "days": "day TEXT NOT NULL, department TEXT NOT NULL, collected TEXT NOT NULL, "
        "refunded TEXT NOT NULL, remitted TEXT NOT NULL, PRIMARY KEY (day, department)",
        "receipts": "receipt_no TEXT PRIMARY KEY, department TEXT NOT NULL, "
        "paid TEXT NOT NULL, refunded TEXT NOT NULL",
        "accounts": "case_no TEXT PRIMARY KEY, department TEXT NOT NULL",
    }

    def apply(self, cur: Cursor, messages: Sequence[Message]) -> None:
        # Not the accounts this batch opens: a fee is usually paid in the request that
        # assessed it, and asking for 250 accounts that do not exist yet was a query a batch.
        opening = {m.body["case_no"] for m in messages if _opens(m)}
        paying = {m.body["case_no"] for m in messages if m.type in {"fee.paid", "fee.refunded"}}
        accounts = self._load(cur, "accounts", "case_no", paying - opening)
        receipts = self._load(
            cur, "receipts", "receipt_no", {r for m in messages for r in _receipts_named(m)}
        )
        days: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(
            lambda: dict.fromkeys(MONEY, ZERO)
        )
        # Only the rows the batch changed are written back: a payment reads its account and a
        # remittance its receipts, and rewriting them unchanged was an update per movement.
        opened: set[str] = set()
        moved: set[str] = set()
        for m in messages:
            body = m.body
            if _opens(m):
                accounts[body["case_no"]] = {"department": body["department"]}
                opened.add(body["case_no"])
                continue
            if m.type not in {"fee.paid", "fee.refunded", "remittance.made"}:
                continue
            day = china_date(body["occurred_at"]).isoformat()
            if m.type == "fee.paid":
                department = accounts[body["case_no"]]["department"]
                receipts[body["receipt_no"]] = {
                    "department": department,
                    "paid": body["amount"],
                    "refunded": ZERO,
                }
                moved.add(body["receipt_no"])
                days[day, department]["collected"] += body["amount"]
            elif m.type == "fee.refunded":
                receipt = receipts[body["receipt_no"]]
                receipt["refunded"] = Decimal(receipt["refunded"]) + body["amount"]
                moved.add(body["receipt_no"])
                days[day, receipt["department"]]["refunded"] += body["amount"]
            else:
                for number in body["receipts"]:
                    receipt = receipts[number]
                    net = Decimal(receipt["paid"]) - Decimal(receipt["refunded"])
                    days[day, receipt["department"]]["remitted"] += net
        self._save(cur, {n: accounts[n] for n in opened}, {n: receipts[n] for n in moved}, days)

    def _load(self, cur: Cursor, table: str, key: str, wanted: set[str]) -> dict[str, Any]:
        columns = COLUMNS[table]
        return {row.pop(key): row for row in self.select_rows(cur, table, columns, key, wanted)}

    def _save(
        self,
        cur: Cursor,
        accounts: dict[str, Any],
        receipts: dict[str, Any],
        days: dict[tuple[str, str], dict[str, Decimal]],
    ) -> None:
        upsert(
            cur,
            self.t("accounts"),
            ("case_no", "department"),
            1,
            [(case_no, a["department"]) for case_no, a in accounts.items()],
        )
        upsert(
            cur,
            self.t("receipts"),
            ("receipt_no", "department", "paid", "refunded"),
            1,
            [(n, r["department"], str(r["paid"]), str(r["refunded"])) for n, r in receipts.items()],
        )
        if not days:
            return
        existing = {}
        for day, department in days:
            cur.execute(
                f"SELECT collected, refunded, remitted FROM {self.t('days')} "  # noqa: S608
                "WHERE day = ? AND department = ?",
                (day, department),
            )
            row = cur.fetchone()
            existing[day, department] = row
        upsert(
            cur,
            self.t("days"),
            ("day", "department", *MONEY),
            2,
            [
                (
                    day,
                    department,
                    *(
                        str(Decimal(old[i] if old else ZERO) + amounts[name])
                        for i, name in enumerate(MONEY)
                    ),
                )
                for (day, department), amounts in days.items()
                for old in [existing[day, department]]
            ],
        )


def _opens(m: Message) -> bool:
    return m.type in OPENING and "department" in m.body


def _receipts_named(m: Message) -> list[str]:
    if m.type in {"fee.refunded"}:
        return [m.body["receipt_no"]]
    if m.type == "remittance.made":
        return list(m.body["receipts"])
    return []
