"""The other subjects supervision keeps: receipts, departments' cohorts, bank reconciliations."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from services.supervision.casefacts import CaseFacts
from services.supervision.facts import ZERO, Mark

KEEP_DAYS = 400  # a department's cases older than this leave every rolling period


@dataclass
class ReceiptFacts:
    """One receipt: the payment, what was refunded, the remittance."""

    receipt_no: str
    case_no: str | None = None
    department: str | None = None
    window_no: str | None = None
    paid: tuple[Mark, Decimal] | None = None
    refunded: Decimal = ZERO
    remitted: Mark | None = None

    def absorb(self, fact: Mapping[str, Any]) -> None:
        mark = Mark.of(fact)
        if fact["type"] == "fee.paid":
            self.paid = (mark, Decimal(fact["amount"]))
            self.case_no = fact.get("case_no")
            self.department, self.window_no = fact.get("department"), fact.get("window_no")
        elif fact["type"] == "fee.refunded":
            self.refunded += Decimal(fact["amount"])
        elif fact["type"] == "remittance.made" and self.remitted is None:
            self.remitted = mark

    @property
    def net(self) -> Decimal:
        return (self.paid[1] if self.paid else ZERO) - self.refunded


@dataclass
class Enrolment:
    """A department's case of a window-decided item, and whether it left the window."""

    on: date
    accepted: str
    left: bool | None = None
    evidence: str | None = None


@dataclass
class DepartmentFacts:
    """A department's cases of items decided at the window, by acceptance date."""

    department: str
    cases: dict[str, Enrolment] = field(default_factory=dict)

    def absorb(self, fact: Mapping[str, Any]) -> None:
        if fact["type"] == "enrolled":
            on = date.fromisoformat(fact["on"])
            self.cases[fact["case_no"]] = Enrolment(on, fact["id"])
            if len(self.cases) % 100 == 0:  # no rolling period is longer than a year
                kept = on - timedelta(days=KEEP_DAYS)
                self.cases = {no: e for no, e in self.cases.items() if e.on >= kept}
        elif fact["type"] == "classified" and fact["case_no"] in self.cases:
            enrolment = self.cases[fact["case_no"]]
            enrolment.left, enrolment.evidence = fact["left"], fact["id"]


@dataclass
class StatementFacts:
    """One day's reconciliation with the bank: the gaps of the one in force."""

    key: str
    day: str | None = None
    gaps: dict[str, dict[str, str]] = field(default_factory=dict)
    evidence: str | None = None

    def absorb(self, fact: Mapping[str, Any]) -> None:
        if fact["type"] == "billing.statement.opened":
            self.day = fact.get("day")
            return
        result = fact.get("result") or {}
        self.gaps, self.evidence = {}, fact["id"]
        for category in ("differences", "missing_at_bank", "missing_in_hall"):
            for row in result.get(category) or []:
                key = f"{row['receipt_no']}:{row['kind']}:{category}"
                self.gaps[key] = {"receipt_no": str(row["receipt_no"]), "kind": str(row["kind"])}
                self.gaps[key]["category"] = category


Facts = CaseFacts | ReceiptFacts | DepartmentFacts | StatementFacts
KINDS: dict[str, type[Facts]] = {
    "case": CaseFacts,
    "receipt": ReceiptFacts,
    "department": DepartmentFacts,
    "statement": StatementFacts,
}


def new_facts(kind: str, key: str) -> Facts:
    """The empty state of a subject."""
    return KINDS[kind](key)
