"""前店后厂 per department: the window is only a mail room for too many of its cases."""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from services.intake.clock import china_date
from services.supervision.rules.base import HIGH, Context, Flag, Judgement, midnight
from services.supervision.subjects import DepartmentFacts

MAX_EVIDENCE = 200  # the counts are in the detail; this many transfers prove the share


def front_shop_department(facts: DepartmentFacts, ctx: Context, out: Judgement) -> None:
    """Of the department's cases of window-decided items accepted in the rolling period, the
    share that left the window unprocessed (to a back office before any signature at the hall)
    reaches the threshold, over enough cases."""
    t = ctx.thresholds
    today = china_date(out.at)
    first = today - timedelta(days=t.front_shop_period_days - 1)
    days = {day: tally for day, tally in facts.days.items() if tally.enrolled}
    cohort = [tally for day, tally in days.items() if first <= day <= today]
    period = timedelta(days=t.front_shop_period_days)
    changes = [day + period for day in days if first <= day <= today]  # look again when a
    changes += [day for day in days if day > today]  # case leaves, or enters, the period
    if changes:
        out.wake(midnight(min(changes)))
    cases = sum(tally.enrolled for tally in cohort)
    if cases < t.front_shop_min_cases:
        return
    left = [proof for tally in cohort for proof in tally.left]
    share = Decimal(len(left)) / Decimal(cases)
    if share < Decimal(str(t.front_shop_share)):
        return
    out.flag(
        Flag(
            "front_shop_back_factory",
            "department",
            facts.department,
            HIGH,
            tuple(sorted(left)[:MAX_EVIDENCE]),
            department=facts.department,
            detail=(
                ("cases", str(cases)),
                ("from", first.isoformat()),
                ("left_window", str(len(left))),
                ("share", str((share * 100).quantize(Decimal("0.01"), ROUND_HALF_UP))),
                ("to", today.isoformat()),
            ),
        )
    )
