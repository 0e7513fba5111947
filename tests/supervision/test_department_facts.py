"""A department's facts keep its cases of the last 400 days (no rolling period is longer than
a year), whatever order they arrive in."""

from __future__ import annotations

from datetime import date, timedelta

from services.supervision.subjects import KEEP_DAYS, DepartmentFacts

FIRST = date(2025, 1, 1)


def enrol(facts: DepartmentFacts, case_no: str, on: date) -> None:
    facts.absorb({"type": "enrolled", "case_no": case_no, "on": on.isoformat(), "id": case_no})


def test_cases_older_than_the_kept_days_are_forgotten_when_a_later_day_is_enrolled() -> None:
    facts = DepartmentFacts("LAND")
    for n in range(KEEP_DAYS + 10):
        enrol(facts, f"C-{n}", FIRST + timedelta(days=n))

    newest = FIRST + timedelta(days=KEEP_DAYS + 9)
    assert min(e.on for e in facts.cases.values()) == newest - timedelta(days=KEEP_DAYS)
    assert min(facts.days) == newest - timedelta(days=KEEP_DAYS)
    assert len(facts.cases) == KEEP_DAYS + 1


def test_a_late_enrolment_of_an_earlier_day_forgets_nothing_recent() -> None:
    facts = DepartmentFacts("LAND")
    enrol(facts, "NEW", FIRST + timedelta(days=KEEP_DAYS))
    enrol(facts, "OLD", FIRST)  # posted late: kept until a later day is enrolled
    enrol(facts, "SAME-DAY", FIRST + timedelta(days=KEEP_DAYS))

    assert set(facts.cases) == {"NEW", "OLD", "SAME-DAY"}
    assert facts.days[FIRST + timedelta(days=KEEP_DAYS)].enrolled == 2

    enrol(facts, "NEXT", FIRST + timedelta(days=KEEP_DAYS + 1))

    assert set(facts.cases) == {"NEW", "SAME-DAY", "NEXT"}
    assert FIRST not in facts.days


def test_a_classification_of_a_forgotten_case_changes_nothing() -> None:
    facts = DepartmentFacts("LAND")
    enrol(facts, "OLD", FIRST)
    enrol(facts, "NEW", FIRST + timedelta(days=KEEP_DAYS + 1))

    facts.absorb({"type": "classified", "case_no": "OLD", "left": True, "id": "E-1"})

    assert list(facts.cases) == ["NEW"]
    assert all(not tally.left for tally in facts.days.values())
