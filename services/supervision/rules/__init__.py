"""The rules, by the kind of subject they judge.

Each rule reads one subject's facts at an instant and says which flags hold then and when it
should look again (``rules.base``).  Thresholds are in ``Thresholds``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from services.supervision.rules.base import Context, Flag, Judgement, Thresholds
from services.supervision.rules.cases import (
    back_filled,
    bad_rating_unhandled,
    bounced,
    deemed_accepted,
    front_shop_back_factory,
    immediate_not_same_day,
    refusal_without_basis,
    repeated_supplement,
    step_stalled,
)
from services.supervision.rules.departments import front_shop_department
from services.supervision.rules.money import (
    fee_bypass,
    fee_on_refused,
    non_standard_fee,
    reconciliation_gap,
    unremitted_fee,
)
from services.supervision.rules.overdue import overdue
from services.supervision.subjects import Facts

Rule = Callable[[Any, Context, Judgement], None]

RULES: dict[str, tuple[Rule, ...]] = {
    "case": (
        front_shop_back_factory,
        fee_bypass,
        non_standard_fee,
        fee_on_refused,
        overdue,
        step_stalled,
        bounced,
        immediate_not_same_day,
        repeated_supplement,
        refusal_without_basis,
        deemed_accepted,
        back_filled,
        bad_rating_unhandled,
    ),
    "receipt": (unremitted_fee,),
    "department": (front_shop_department,),
    "statement": (reconciliation_gap,),
}
NAMES = (
    "front_shop_back_factory",
    "fee_bypass",
    "non_standard_fee",
    "fee_on_refused",
    "unremitted_fee",
    "reconciliation_gap",
    "overdue",
    "step_stalled",
    "bounced",
    "immediate_not_same_day",
    "repeated_supplement",
    "refusal_without_basis",
    "deemed_accepted",
    "back_filled",
    "bad_rating_unhandled",
)


def judge(kind: str, facts: Facts, at: datetime, ctx: Context) -> Judgement:
    """Every rule of the subject's kind, at one instant."""
    out = Judgement(at)
    for rule in RULES[kind]:
        rule(facts, ctx, out)
    return out


__all__ = ["NAMES", "RULES", "Context", "Flag", "Judgement", "Thresholds", "judge"]
