"""One case as the rules see it, folded from its facts (``facts.extract``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from services.intake.deadline import CaseClock
from services.supervision.facts import STEPS, ZERO, Mark


@dataclass
class CaseFacts:
    """One case as the rules see it: its item's terms, its milestones, steps and money."""

    case_no: str
    terms: dict[str, Any] = field(default_factory=dict)
    window_no: str | None = None
    clock: CaseClock = field(default_factory=CaseClock)
    marks: list[Mark] = field(default_factory=list)
    milestones: dict[str, Mark] = field(default_factory=dict)  # first of each type
    legal_basis: str = ""
    completion: dict[str, str] = field(default_factory=dict)  # location, result
    last_step: Mark | None = None
    transfers: list[str] = field(default_factory=list)
    back_office: list[str] = field(default_factory=list)
    supplements: list[str] = field(default_factory=list)
    leaves_window: bool | None = None  # left for a back office before any signature at the hall
    leaves_evidence: str | None = None
    rating: int | None = None
    assessments: list[tuple[Mark, list[tuple[str, Decimal]]]] = field(default_factory=list)
    payments: dict[str, tuple[Mark, Decimal]] = field(default_factory=dict)
    refunds: dict[str, Decimal] = field(default_factory=dict)

    def absorb(self, fact: Mapping[str, Any]) -> None:
        kind, mark = fact["type"], Mark.of(fact)
        self.marks.append(mark)
        self.milestones.setdefault(kind, mark)
        if kind.startswith("case."):
            self.clock.apply(kind, {"occurred_at": mark.at, **fact})
        if kind in {"case.received", "case.accepted"}:
            self.terms = dict(fact["item"])
            self.window_no = fact["window_no"]
        stepped = kind == "case.accepted" or (kind in STEPS and "case.accepted" in self.milestones)
        if stepped and (self.last_step is None or mark.at >= self.last_step.at):
            self.last_step = mark
        getattr(self, "_" + kind.replace(".", "_"), _ignore)(fact, mark)

    def _case_refused(self, fact: Mapping[str, Any], mark: Mark) -> None:
        self.legal_basis = fact.get("legal_basis") or ""

    def _case_supplement_requested(self, fact: Mapping[str, Any], mark: Mark) -> None:
        self.supplements.append(mark.id)

    def _case_transferred(self, fact: Mapping[str, Any], mark: Mark) -> None:
        self.transfers.append(mark.id)
        if fact.get("location") == "back_office":
            self.back_office.append(mark.id)
            self._classify(True, mark)

    def _case_signed(self, fact: Mapping[str, Any], mark: Mark) -> None:
        at_hall = fact.get("location") != "back_office"
        if not at_hall:
            self.back_office.append(mark.id)
        self._classify(not at_hall, mark)

    def _case_completed(self, fact: Mapping[str, Any], mark: Mark) -> None:
        self.completion = {"location": fact["location"], "result": fact["result"]}
        if fact["location"] == "back_office":
            self.back_office.append(mark.id)
        self._classify(fact["location"] == "back_office", mark)

    def _evaluation_submitted(self, fact: Mapping[str, Any], mark: Mark) -> None:
        self.rating = int(fact["rating"])

    def _fee_assessed(self, fact: Mapping[str, Any], mark: Mark) -> None:
        lines = [(str(x["fee_code"]), Decimal(str(x["amount"]))) for x in fact["lines"]]
        self.assessments.append((mark, lines))

    def _fee_paid(self, fact: Mapping[str, Any], mark: Mark) -> None:
        self.payments[fact["receipt_no"]] = (mark, Decimal(fact["amount"]))

    def _fee_refunded(self, fact: Mapping[str, Any], mark: Mark) -> None:
        receipt = fact["receipt_no"]
        self.refunds[receipt] = self.refunds.get(receipt, ZERO) + Decimal(fact["amount"])

    def _classify(self, leaves: bool, mark: Mark) -> None:
        if self.leaves_window is None:
            self.leaves_window, self.leaves_evidence = leaves, mark.id

    def first(self, kind: str) -> Mark | None:
        return self.milestones.get(kind)

    @property
    def department(self) -> str | None:
        return self.terms.get("department")

    @property
    def kind(self) -> str | None:
        return self.terms.get("kind")

    @property
    def fee_list(self) -> dict[str, Decimal]:
        return {str(f["code"]): Decimal(str(f["amount"])) for f in self.terms.get("fees") or []}

    @property
    def net_paid(self) -> Decimal:
        paid = sum((amount for _, amount in self.payments.values()), ZERO)
        return paid - sum(self.refunds.values(), ZERO)

    @property
    def ended(self) -> Mark | None:
        """The completion or withdrawal, whichever came first."""
        ends = [m for m in (self.first("case.completed"), self.first("case.withdrawn")) if m]
        return min(ends, key=lambda m: m.at) if ends else None


def _ignore(fact: Mapping[str, Any], mark: Mark) -> None:
    pass
