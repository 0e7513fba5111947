"""Rules about how one case was handled (the seed's 前店后厂, 推诿扯皮, 体外循环 and the rest)."""

from __future__ import annotations

from datetime import timedelta

from services.supervision.casefacts import CaseFacts
from services.supervision.facts import Mark
from services.supervision.rules.base import (
    LOW,
    MEDIUM,
    Context,
    Flag,
    Judgement,
    after_day,
    working_day_after,
)

STEP_TYPES = frozenset({"case.transferred", "case.signed"})


def _flag(facts: CaseFacts, rule: str, severity: str, evidence: list[str], **extra: str) -> Flag:
    slot = extra.pop("slot", "")
    return Flag(
        rule,
        "case",
        facts.case_no,
        severity,
        tuple(evidence),
        slot=slot,
        department=facts.department,
        window_no=facts.window_no,
        detail=tuple(sorted(extra.items())),
    )


def front_shop_back_factory(facts: CaseFacts, ctx: Context, out: Judgement) -> None:
    """An item decided at the window went to a back office, or was signed or completed there."""
    if facts.terms.get("decision_at") == "window" and facts.back_office:
        out.flag(_flag(facts, "front_shop_back_factory", MEDIUM, facts.back_office))


def bounced(facts: CaseFacts, ctx: Context, out: Judgement) -> None:
    """推诿扯皮: the case went from unit to unit too often."""
    if len(facts.transfers) >= ctx.thresholds.bounced_transfers:
        out.flag(
            _flag(facts, "bounced", MEDIUM, facts.transfers, transfers=str(len(facts.transfers)))
        )


def repeated_supplement(facts: CaseFacts, ctx: Context, out: Judgement) -> None:
    """The law asks for one complete 补正 notice; more rounds are flagged."""
    if len(facts.supplements) > ctx.thresholds.supplement_rounds:
        out.flag(
            _flag(
                facts,
                "repeated_supplement",
                LOW,
                facts.supplements,
                rounds=str(len(facts.supplements)),
            )
        )


def refusal_without_basis(facts: CaseFacts, ctx: Context, out: Judgement) -> None:
    """不予受理 without the legal basis the applicant is owed."""
    refused = facts.first("case.refused")
    if refused is not None and not facts.legal_basis.strip():
        out.flag(_flag(facts, "refusal_without_basis", MEDIUM, [refused.id]))


def immediate_not_same_day(facts: CaseFacts, ctx: Context, out: Judgement) -> None:
    """即办件 not completed at the hall on the day it was accepted (当场办结)."""
    accepted = facts.first("case.accepted")
    if accepted is None or facts.kind != "immediate":
        return
    completed, withdrawn = facts.first("case.completed"), facts.first("case.withdrawn")
    if withdrawn is not None and withdrawn.day <= accepted.day:
        return
    on_spot = completed is not None and completed.day == accepted.day
    if on_spot and facts.completion.get("location") == "hall":
        return
    if out.at < after_day(accepted.day):
        out.wake(after_day(accepted.day))
        return
    evidence = [accepted.id] + ([completed.id] if completed else [])
    out.flag(_flag(facts, "immediate_not_same_day", LOW, evidence))


def deemed_accepted(facts: CaseFacts, ctx: Context, out: Judgement) -> None:
    """Received, and neither accepted, refused nor sent a 补正 notice within the notice days."""
    received = facts.first("case.received")
    if received is None:
        return
    notice_by = working_day_after(ctx.calendar, received.day, ctx.thresholds.notice_days)
    answers = [
        m
        for m in (facts.first(k) for k in ("case.accepted", "case.refused", "case.withdrawn"))
        if m is not None
    ]
    if facts.supplements:
        answers += [m for m in facts.marks if m.type == "case.supplement_requested"]
    if any(m.day <= notice_by for m in answers):
        return
    if out.at < after_day(notice_by):
        out.wake(after_day(notice_by))
        return
    out.flag(
        _flag(facts, "deemed_accepted", MEDIUM, [received.id], notice_by=notice_by.isoformat())
    )


def step_stalled(facts: CaseFacts, ctx: Context, out: Judgement) -> None:
    """No step on an accepted case for more than N working days while its clock runs."""
    last = facts.last_step
    if last is None or facts.ended is not None or facts.clock.paused:
        return
    if facts.first("case.accepted") is None:
        return
    limit = working_day_after(ctx.calendar, last.day, ctx.thresholds.stalled_after_days)
    if out.at < after_day(limit):
        out.wake(after_day(limit))
        return
    out.flag(_flag(facts, "step_stalled", MEDIUM, [last.id], since=last.day.isoformat()))


def back_filled(facts: CaseFacts, ctx: Context, out: Judgement) -> None:
    """Entered after the fact: recorded long after it occurred, or accepted and completed
    minutes apart with no step between (体外循环)."""
    late = timedelta(hours=ctx.thresholds.back_filled_hours)
    delayed = [m.id for m in facts.marks if m.rec - m.at > late]
    if delayed:
        out.flag(_flag(facts, "back_filled", MEDIUM, delayed, slot="recorded_late"))
    accepted, completed = facts.first("case.accepted"), facts.first("case.completed")
    if accepted is None or completed is None or facts.kind != "promised":
        return
    if completed.at - accepted.at > timedelta(minutes=ctx.thresholds.instant_minutes):
        return
    if not any(_between(m, accepted, completed) for m in facts.marks):
        out.flag(_flag(facts, "back_filled", MEDIUM, [accepted.id, completed.id], slot="instant"))


def _between(m: Mark, first: Mark, last: Mark) -> bool:
    return m.type in STEP_TYPES and first.at <= m.at <= last.at


def bad_rating_unhandled(facts: CaseFacts, ctx: Context, out: Judgement) -> None:
    """差评 (rating 1–2) with no call-back within 1 working day or no fix within 15."""
    rated = facts.first("evaluation.submitted")
    if rated is None or facts.rating is None or facts.rating > ctx.thresholds.poor_rating:
        return
    t = ctx.thresholds
    for slot, kind, days in (
        ("follow_up", "evaluation.followed_up", t.follow_up_days),
        ("rectify", "evaluation.rectified", t.rectify_days),
    ):
        limit = working_day_after(ctx.calendar, rated.day, days)
        done = facts.first(kind)
        if done is not None and done.day <= limit:
            continue
        if out.at < after_day(limit):
            out.wake(after_day(limit))
            continue
        out.flag(
            _flag(
                facts, "bad_rating_unhandled", MEDIUM, [rated.id], slot=slot, due=limit.isoformat()
            )
        )
