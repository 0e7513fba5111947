"""Rules about fees: bypassing the hall's bank window, non-standard or undue fees, money held
back (截留/坐支), and days that don't reconcile with the bank."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.intake.clock import CHINA
from services.supervision.casefacts import CaseFacts
from services.supervision.facts import ZERO
from services.supervision.rules.base import HIGH, Context, Flag, Judgement, working_day_after
from services.supervision.subjects import ReceiptFacts, StatementFacts


def _flag(facts: CaseFacts, rule: str, evidence: list[str], slot: str = "", **extra: str) -> Flag:
    return Flag(
        rule,
        "case",
        facts.case_no,
        HIGH,
        tuple(evidence),
        slot=slot,
        department=facts.department,
        window_no=facts.window_no,
        detail=tuple(sorted(extra.items())),
    )


def fee_bypass(facts: CaseFacts, ctx: Context, out: Judgement) -> None:
    """A case of an item with fees completed with no payment at the hall before completion.

    Billing's events may arrive after intake's: the rule waits a while after the completion
    was recorded, and a payment that occurred before the completion clears it whenever it
    arrives.
    """
    completed = facts.first("case.completed")
    if completed is None or not facts.fee_list:
        return
    if facts.completion.get("result") not in ctx.thresholds.fee_bypass_results:
        return
    if any(mark.at <= completed.at for mark, _ in facts.payments.values()):
        return
    judged_from = completed.rec + timedelta(minutes=ctx.thresholds.fee_bypass_wait_minutes)
    if out.at < judged_from:
        out.wake(judged_from)
        return
    out.flag(_flag(facts, "fee_bypass", [completed.id]))


def non_standard_fee(facts: CaseFacts, ctx: Context, out: Judgement) -> None:
    """Assessed lines not in the item's fee list, or with another amount."""
    if not facts.terms:
        return  # the case's item is not known yet: judge when it is
    listed = facts.fee_list
    for mark, lines in facts.assessments:
        wrong = [code for code, amount in lines if listed.get(code) != amount]
        if wrong:
            out.flag(
                _flag(facts, "non_standard_fee", [mark.id], slot=mark.id, fees=",".join(wrong))
            )


def fee_on_refused(facts: CaseFacts, ctx: Context, out: Judgement) -> None:
    """Money assessed or held on a refused or withdrawn case."""
    refused = facts.first("case.refused")
    closed = refused or facts.first("case.withdrawn")
    if closed is None:
        return
    payments = [m for m, _ in facts.payments.values() if refused or m.at >= closed.at]
    if payments and facts.net_paid > ZERO:
        evidence = [closed.id, *(m.id for m in payments)]
        out.flag(_flag(facts, "fee_on_refused", evidence, slot="paid", held=str(facts.net_paid)))
    assessed = [m.id for m, _ in facts.assessments if m.at >= closed.at]
    if assessed:
        out.flag(_flag(facts, "fee_on_refused", [closed.id, *assessed], slot="assessed"))


def unremitted_fee(facts: ReceiptFacts, ctx: Context, out: Judgement) -> None:
    """Paid and not remitted by the deadline (by default the next working day, 16:00)."""
    if facts.paid is None or facts.remitted is not None or facts.net <= ZERO:
        return
    paid = facts.paid[0]
    t = ctx.thresholds
    due = datetime.combine(
        working_day_after(ctx.calendar, paid.day, t.remit_working_days), t.remit_by, CHINA
    )
    if out.at < due:
        out.wake(due)
        return
    out.flag(
        Flag(
            "unremitted_fee",
            "receipt",
            facts.receipt_no,
            HIGH,
            (paid.id,),
            department=facts.department,
            window_no=facts.window_no,
            detail=(("case_no", facts.case_no or ""), ("deadline", due.isoformat())),
        )
    )


def reconciliation_gap(facts: StatementFacts, ctx: Context, out: Judgement) -> None:
    """A receipt whose movements of a day don't match the bank's statement."""
    for slot, gap in sorted(facts.gaps.items()):
        out.flag(
            Flag(
                "reconciliation_gap",
                "receipt",
                gap["receipt_no"],
                HIGH,
                (facts.evidence or "",),
                slot=f"{facts.day}:{slot}",
                detail=(
                    ("category", gap["category"]),
                    ("day", facts.day or ""),
                    ("kind", gap["kind"]),
                ),
            )
        )
