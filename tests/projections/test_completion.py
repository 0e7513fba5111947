"""Completion statistics, one definition at a time, each with a hand-computed example.

The promised item LAND-REG has 5 promised and 20 legal working days.  Every promised case below
is accepted Mon 2026-09-28, due Sat 2026-10-10 (9/29, 9/30, [National Day], 10/8, 10/9, 10/10).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from hall.followers import Followers
from hall.runtime import Hall
from projections.completion import Completion
from projections.fee_ledger import FeeLedger
from tests.billing.money import accepted_case, assessed, paid, refunded, remitted
from tests.billing.money import at as on
from tests.projections.harness import completion, followers
from tests.support import Desk, event

ACCEPTED = "2026-09-28T09:00:00+08:00"


def at(day: str, time: str = "10:00") -> str:
    return f"2026-{day}T{time}:00+08:00"


def civil(kind: str, case_no: str, occurred_at: str, **fields: Any) -> dict[str, Any]:
    """An event of an immediate case (婚姻登记 at window 3)."""
    if kind == "case.accepted":
        fields |= {"item_code": "CIVIL-MARRY", "window_no": "3"}
    return event(kind, case_no, occurred_at=occurred_at, **fields)


@pytest.fixture
def stats(hall: Hall) -> Iterator[Followers]:
    f = followers(hall, Completion)
    yield f
    f.stop()


def test_a_case_belongs_to_the_year_of_its_china_date_of_acceptance(
    desk: Desk, stats: Followers
) -> None:
    # 2026-12-31T16:30Z is 2027-01-01 in China, but events more than 5 minutes in the future are
    # refused (now is late 2026), so the same boundary is shown one year earlier.
    desk.record(civil("case.accepted", "2025-Y1", "2025-12-31T23:30:00+08:00"), by="W-3")
    desk.record(civil("case.accepted", "2025-Y2", "2025-12-31T16:30:00Z"), by="W-3")
    stats.catch_up()

    in_2025 = completion(stats, "2025-01-01", "2025-12-31")
    in_2026 = completion(stats, "2026-01-01", "2026-12-31")
    at_half_past = completion(stats, "2026-01-01", "2026-01-01", as_of="2025-12-31T16:30:00Z")
    a_second_early = completion(
        stats, "2026-01-01", "2026-01-01", as_of="2026-01-01T00:29:59+08:00"
    )

    assert in_2025["total"]["accepted"] == 1
    assert in_2026["total"]["accepted"] == 1
    assert at_half_past["total"]["accepted"] == 1
    assert a_second_early["total"]["accepted"] == 0


def test_an_immediate_case_is_on_the_spot_only_if_completed_the_same_china_day_at_the_hall(
    desk: Desk, stats: Followers
) -> None:
    cases = {  # case: (accepted at, completed at, where)
        "2026-I1": (at("03-02"), at("03-02", "10:30"), "hall"),  # on the spot
        "2026-I2": (at("03-02", "23:00"), at("03-03", "00:30"), "hall"),  # the next day
        "2026-I3": (at("03-02"), at("03-02", "15:00"), "back_office"),  # not at the hall
        # the same UTC day, but 23:30 and 00:10 in China: two days
        "2026-I4": ("2026-03-02T15:30:00Z", "2026-03-02T16:10:00Z", "hall"),
        "2026-I5": (at("03-02"), None, ""),  # still open
    }
    for case_no, (accepted, completed, where) in cases.items():
        walk = [civil("case.accepted", case_no, accepted)]
        if completed:
            walk.append(civil("case.completed", case_no, completed, location=where))
        desk.record(*walk, by="W-3")
    stats.catch_up()

    report = completion(stats, "2026-03-01", "2026-03-31")

    assert report["immediate"] == {
        "accepted": 5, "completed_on_spot": 1, "rate": "20.00", "completed": 4,
    }  # fmt: skip
    assert report["total"] == {"accepted": 5, "completed": 4, "rate": "80.00"}
    assert report["promised"]["accepted"] == 0
    assert report["promised"]["rate"] is None


@pytest.fixture
def promised(desk: Desk, stats: Followers) -> Followers:
    """Ten promised cases accepted Mon 2026-09-28 (due Sat 10-10) and what became of them."""
    walks: dict[str, list[tuple[str, str, dict[str, Any]]]] = {
        "P1": [("case.completed", at("10-10"), {"location": "hall"}),  # on the due day
               ("evaluation.submitted", at("10-13"), {"rating": 5})],
        "P2": [("case.completed", at("10-09"), {"location": "hall"}),  # 1 working day early
               ("evaluation.submitted", at("10-13"), {"rating": 4})],
        "P3": [("case.completed", at("10-12"), {"location": "hall"}),  # late
               ("evaluation.submitted", at("10-13"), {"rating": 1})],
        "P4": [("case.procedure_started", at("10-08"), {}),  # review 10/8-10/9: due Tue 10-13
               ("case.procedure_ended", at("10-09"), {}),
               ("case.completed", at("10-13"), {"location": "hall"})],
        "P5": [("case.extended", at("10-09"), {"extra_days": 2}),  # due 10-13
               ("case.completed", at("10-12"), {"location": "hall"})],
        "P6": [],  # open, due 10-10
        "P7": [("case.suspended", at("10-09", "09:00"), {})],  # still suspended
        "P8": [("case.suspended", at("10-09", "09:00"), {}),  # paused 10/9-10/12: due 10-14
               ("case.resumed", at("10-12", "09:00"), {})],
        "P9": [("case.extended", at("10-12", "09:00"), {"extra_days": 2})],  # late extension
        "P10": [("case.withdrawn", at("10-09"), {})],
    }  # fmt: skip
    for name, walk in walks.items():
        case_no = f"2026-{name}"
        events = [event("case.accepted", case_no, occurred_at=ACCEPTED)]
        events += [event(kind, case_no, occurred_at=when, **more) for kind, when, more in walk]
        desk.record(*events)
    stats.catch_up()
    return stats


def test_promised_cases_now_on_time_early_late_overdue_time_used_and_speed(
    promised: Followers,
) -> None:
    # completed: P1-P5; on time: P1 P2 P4 P5; early: P2 (10/10 left) and P5 (10/13 left);
    # used: 5 + 4 + 6 + 5 (7 less the review's 2) + 6 = 26 of 5 x 20 legal days;
    # open past due today: P6 (10-10), P8 (10-14), P9 (10-13); P7 is still suspended.
    report = completion(promised, "2026-09-01", "2026-09-30")

    assert report["promised"] == {
        "accepted": 10, "completed": 5, "rate": "50.00", "on_time": 4, "on_time_rate": "80.00",
        "overdue_open": 3, "completed_late": 1, "early": 2, "avg_working_days": "5.20",
        "speedup_rate": "74.00",
    }  # fmt: skip


def test_promised_cases_as_of_a_past_instant_count_only_what_had_occurred(
    promised: Followers,
) -> None:
    # Mon 10-12 noon: completed P1 P2 P3 P5 (used 5+4+6+6 = 21 of 80); open past due: only P6
    # (P8 resumed that morning: due 10-14; P9's extension that morning: due 10-13).
    monday = completion(promised, "2026-09-28", "2026-09-28", as_of=at("10-12", "12:00"))
    # Sun 10-11 noon: completed P1 P2; past due: P3, P6 and P9 (not yet extended).
    sunday = completion(promised, "2026-09-28", "2026-09-28", as_of=at("10-11", "12:00"))

    assert monday["as_of"] == "2026-10-12T12:00:00+08:00"
    assert monday["promised"] == {
        "accepted": 10, "completed": 4, "rate": "40.00", "on_time": 3, "on_time_rate": "75.00",
        "overdue_open": 1, "completed_late": 1, "early": 2, "avg_working_days": "5.25",
        "speedup_rate": "73.75",
    }  # fmt: skip
    assert sunday["promised"] == {
        "accepted": 10, "completed": 2, "rate": "20.00", "on_time": 2, "on_time_rate": "100.00",
        "overdue_open": 3, "completed_late": 0, "early": 1, "avg_working_days": "4.50",
        "speedup_rate": "77.50",
    }  # fmt: skip


def test_nothing_accepted_before_the_as_of_instant_counts(promised: Followers) -> None:
    before = completion(promised, "2026-09-28", "2026-09-28", as_of="2026-09-28T08:59:59+08:00")

    assert before["total"] == {"accepted": 0, "completed": 0, "rate": None}
    assert before["promised"]["overdue_open"] == 0


def test_ratings_give_the_satisfied_and_poor_rates(promised: Followers) -> None:
    # ratings 5, 4 and 1: 满意率 2/3, 差评率 1/3; none had been given on 10-12.
    now = completion(promised, "2026-09-01", "2026-09-30")
    earlier = completion(promised, "2026-09-01", "2026-09-30", as_of=at("10-12", "12:00"))

    assert now["ratings"] == {
        "count": 3, "satisfied": 2, "unsatisfied": 1,
        "satisfied_rate": "66.67", "unsatisfied_rate": "33.33",
    }  # fmt: skip
    assert earlier["ratings"]["count"] == 0
    assert earlier["ratings"]["satisfied_rate"] is None


def test_the_report_as_of_now_equals_the_counters(promised: Followers) -> None:
    counters = completion(promised, "2026-09-01", "2026-09-30", group_by="item")
    facts = completion(
        promised, "2026-09-01", "2026-09-30", group_by="item", as_of="2026-11-27T12:00:00+08:00"
    )

    assert {**counters, "as_of": None} == {**facts, "as_of": None}


def test_rows_per_department_window_and_item_carry_catalogue_names(
    desk: Desk, stats: Followers
) -> None:
    desk.record(civil("case.accepted", "2026-G1", at("03-02")), by="W-3")
    desk.record(event("case.accepted", "2026-G2", occurred_at=at("03-02")))
    stats.catch_up()

    rows = {
        group: [(r["key"], r["name"], r["total"]["accepted"]) for r in completion(
            stats, "2026-03-01", "2026-03-31", group_by=group)["rows"]]
        for group in ("department", "window", "item")
    }  # fmt: skip

    assert rows == {
        "department": [("CIVIL", "民政局", 1), ("LAND", "国土资源局", 1)],
        "window": [("12", "国土窗口", 1), ("3", "民政窗口", 1)],
        "item": [("CIVIL-MARRY", "婚姻登记", 1), ("LAND-REG", "土地登记", 1)],
    }


def test_a_renamed_department_shows_its_new_name(desk: Desk, stats: Followers) -> None:
    desk.record(civil("case.accepted", "2026-G1", at("03-02")), by="W-3")
    desk.put("/v1/catalog/departments/CIVIL", {"name": "民政局（婚姻登记处）"})
    stats.catch_up()

    (row,) = completion(stats, "2026-03-01", "2026-03-31", group_by="department")["rows"]

    assert row["name"] == "民政局（婚姻登记处）"


def test_fees_come_from_the_fee_ledger_per_department_and_day(desk: Desk, hall: Hall) -> None:
    # Given payments in March for LAND (one partly refunded and remitted) and CIVIL, and one
    # in April; all posted through the API as the bank's cashier would.
    land, civil_case = accepted_case(desk), accepted_case(desk, civil=True)
    desk.record(assessed(land, "0.10", "0.20"), by="CASHIER")
    desk.record(assessed(civil_case, "100.00"), by="CASHIER")
    desk.record(paid(land, "0.10", "R-M1", when=on("2026-03-02")), by="CASHIER")
    desk.record(paid(land, "0.20", "R-M2", when=on("2026-03-31")), by="CASHIER")
    desk.record(refunded(land, "R-M2", "0.05", when=on("2026-03-31", "10:00:00")), by="CASHIER")
    desk.record(paid(civil_case, "100.00", "R-M3", when=on("2026-03-15")), by="CASHIER")
    desk.record(
        remitted(["R-M2", "R-M3"], "100.15", when=on("2026-03-31", "11:00:00")), by="CASHIER"
    )
    april = accepted_case(desk)
    desk.record(
        assessed(april, "999.99"), paid(april, "999.99", when=on("2026-04-01")), by="CASHIER"
    )
    f = followers(hall, Completion, FeeLedger)
    f.catch_up()

    report = completion(f, "2026-03-01", "2026-03-31", group_by="department")
    f.stop()

    assert report["fees"] == {
        "collected": "100.30", "refunded": "0.05", "remitted": "100.15", "unremitted": "0.10",
    }  # fmt: skip
    assert {r["key"]: r["fees"]["unremitted"] for r in report["rows"]} == {
        "CIVIL": "0.00", "LAND": "0.10",
    }  # fmt: skip


def test_each_movement_read_in_a_batch_of_its_own_counts_as_in_one(desk: Desk, hall: Hall) -> None:
    # Given a case accepted, and the fee ledger following
    land = accepted_case(desk)
    f = followers(hall, Completion, FeeLedger)
    # When its assessment, a payment, a partial refund and the remittance of its net are each
    # read in a batch of their own (each batch reads the rows the one before wrote back)
    for movement in (
        assessed(land, "0.20"),
        paid(land, "0.20", "R-S1", when=on("2026-03-31")),
        refunded(land, "R-S1", "0.05", when=on("2026-03-31", "10:00:00")),
        remitted(["R-S1"], "0.15", when=on("2026-03-31", "11:00:00")),
    ):
        desk.record(movement, by="CASHIER")
        f.catch_up()
    report = completion(f, "2026-03-01", "2026-03-31", group_by="department")
    f.stop()

    # Then the department's money adds up as if read at once
    assert report["fees"] == {
        "collected": "0.20", "refunded": "0.05", "remitted": "0.15", "unremitted": "0.00",
    }  # fmt: skip
    assert [r["key"] for r in report["rows"]] == ["LAND"]
