"""The other subjects supervision keeps: receipts, departments' cohorts, bank reconciliations."""

from __future__ import annotations

from bisect import insort
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

    @property
    def proof(self) -> str:
        """The event id that shows it left (or, failing that, that it was accepted)."""
        return self.evidence or self.accepted


@dataclass
class Tally:
    """A department's window-decided cases accepted on one day."""

    enrolled: int = 0
    left: list[str] = field(default_factory=list)  # evidence of those that left, in order


@dataclass
class DepartmentFacts:
    """A department's cases of items decided at the window, by acceptance date.

    ``days`` counts the same cases per acceptance day, so that judging a rolling period reads
    a year of days, not a year of cases (it is judged once per case accepted: reading every
    case each time grew with the square of the cases).
    """

    department: str
    cases: dict[str, Enrolment] = field(default_factory=dict)
    days: dict[date, Tally] = field(default_factory=dict)
    newest: date | None = None  # the latest acceptance day enrolled

    def absorb(self, fact: Mapping[str, Any]) -> None:
        if fact["type"] == "enrolled":
            self._forget(fact["case_no"])
            on = date.fromisoformat(fact["on"])
            self.cases[fact["case_no"]] = Enrolment(on, fact["id"])
            self.days.setdefault(on, Tally()).enrolled += 1
            if self.newest is None or on > self.newest:
                # No rolling period is longer than a year.  Forgetting on each new day, not
                # every hundred cases: a year of a busy department's cases is walked once a
                # day enrolled, not once per hundred (that walk was a sixth of supervision's
                # py-spy samples while it caught up on 1,000,000 events).
                self.newest = on
                kept = on - timedelta(days=KEEP_DAYS)
                self.cases = {no: e for no, e in self.cases.items() if e.on >= kept}
                self.days = {day: t for day, t in self.days.items() if day >= kept}
        elif fact["type"] == "classified" and fact["case_no"] in self.cases:
            enrolment = self.cases[fact["case_no"]]
            tally = self.days[enrolment.on]
            if enrolment.left:
                tally.left.remove(enrolment.proof)
            enrolment.left, enrolment.evidence = fact["left"], fact["id"]
            if enrolment.left:
                insort(tally.left, enrolment.proof)

    def _forget(self, case_no: str) -> None:
        enrolment = self.cases.pop(case_no, None)
        if enrolment is not None:
            tally = self.days[enrolment.on]
            tally.enrolled -= 1
            if enrolment.left:
                tally.left.remove(enrolment.proof)


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
