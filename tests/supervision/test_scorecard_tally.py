"""A scorecard's tally (one event a supervision run) counts as the single counts it adds up
(the events stored before tallies existed)."""

from __future__ import annotations

from services.supervision.scorecard import Scorecard


def test_a_tally_counts_as_the_single_counts_it_adds_up() -> None:
    counts = [
        ("accepted", "LAND", "12"),
        ("accepted", "LAND", "12"),
        ("completed", "LAND", "12"),
        ("finding:fee_bypass", "LAND", None),
        ("rating:4", None, "3"),
    ]
    one_by_one, tallied = Scorecard("2026Q4"), Scorecard("2026Q4")
    for measure, department, window in counts:
        one_by_one.count(measure, department, window)
    tallied.tally(
        [
            ["accepted", "LAND", "12", 2],
            ["completed", "LAND", "12", 1],
            ["finding:fee_bypass", "LAND", None, 1],
            ["rating:4", None, "3", 1],
        ]
    )

    assert tallied.rows == one_by_one.rows
    assert tallied.window_departments == one_by_one.window_departments == {"12": "LAND"}
    assert tallied.rows["department|LAND"] == {
        "accepted": 2,
        "completed": 1,
        "finding:fee_bypass": 1,
    }
