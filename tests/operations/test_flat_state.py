"""Aggregates copied one level deep (``FlatState``) really hold flat state.

The group commit decides each batch on copies, so that a rejected batch changes nothing; a
``FlatState`` aggregate is copied one level deep, which is only safe while none of its state
keeps a mutable value inside a list or dict.  Every such aggregate a busy day creates is
checked here, so a new attribute that breaks the rule fails a test instead of a rollback.
"""

from __future__ import annotations

import copy
import dataclasses
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

from hall.runtime import Hall
from services.flatstate import FlatState
from tests.billing.money import (
    AT_NINE,
    MONDAY,
    accepted_case,
    assessed,
    import_statement,
    paid,
    refunded,
    remitted,
)
from tests.support import Desk, event

IMMUTABLE = (type(None), str, int, float, bool, Decimal, UUID, datetime, date, time)


def immutable(value: Any) -> bool:
    if isinstance(value, tuple | frozenset):
        return all(immutable(v) for v in value)
    if dataclasses.is_dataclass(value) and type(value).__dataclass_params__.frozen:  # type: ignore[attr-defined]
        # e.g. the stamps of an account's payments: frozen, as their fields' values must be
        return all(immutable(getattr(value, f.name)) for f in dataclasses.fields(value))
    return isinstance(value, IMMUTABLE)


def flat(value: Any) -> bool:
    if isinstance(value, list):
        return all(immutable(v) for v in value)
    if isinstance(value, dict):
        return all(immutable(k) and immutable(v) for k, v in value.items())
    return immutable(value)


def a_busy_day(desk: Desk) -> None:
    """Given cases through their whole lifecycle, their fees, a remittance and a statement."""
    case = accepted_case(desk)
    for kind, fields in [
        ("case.supplement_requested", {}),
        ("case.supplement_received", {}),
        ("case.procedure_started", {"occurred_at": AT_NINE}),
        ("case.procedure_ended", {"occurred_at": AT_NINE}),
        ("case.suspended", {}),
        ("case.resumed", {}),
        ("case.extended", {}),
        ("case.signed", {}),
        ("case.completed", {}),
        ("case.delivered", {}),
        ("evaluation.submitted", {}),
    ]:
        desk.record(event(kind, case, **fields))
    desk.record(assessed(case, "80.00", "20.00"))
    first, second = paid(case, "80.00"), paid(case, "20.00")
    desk.record(first, second, by="CASHIER")
    desk.record(refunded(case, second["receipt_no"], "5.00"), by="CASHIER")
    desk.record(remitted([first["receipt_no"]], "80.00"), by="CASHIER")
    line = f"{MONDAY},B-1,{first['receipt_no']},80.00,paid"
    assert import_statement(desk, line).status_code == 200


def every_aggregate(hall: Hall) -> list[Any]:
    found = []
    for app in (hall.intake, hall.billing):
        notifications = app.recorder.select_notifications(start=None, limit=10_000)
        for originator_id in dict.fromkeys(n.originator_id for n in notifications):
            found.append(app.repository.get(originator_id))
    return found


def test_every_flat_aggregate_holds_only_immutable_values_one_level_deep(
    desk: Desk, hall: Hall
) -> None:
    a_busy_day(desk)
    aggregates = [a for a in every_aggregate(hall) if isinstance(a, FlatState)]
    kinds = {type(a).__name__ for a in aggregates}
    assert {"Case", "FeeAccount", "Receipt", "Remittance", "Statement"} <= kinds
    for aggregate in aggregates:
        for name, value in vars(aggregate).items():
            assert flat(value), f"{type(aggregate).__name__}.{name} holds {value!r}"


def test_a_copy_shares_no_list_or_dict_with_its_original(desk: Desk, hall: Hall) -> None:
    a_busy_day(desk)
    for aggregate in every_aggregate(hall):
        if not isinstance(aggregate, FlatState):
            continue
        twin = copy.deepcopy(aggregate)
        assert vars(twin) == vars(aggregate)
        for name, value in vars(aggregate).items():
            if isinstance(value, list | dict):
                assert getattr(twin, name) is not value, f"{type(aggregate).__name__}.{name}"
