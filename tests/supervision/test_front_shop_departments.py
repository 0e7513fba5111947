"""前店后厂 per department: a window that only forwards cases to the back office is flagged; a
department that decides at its window is not.

Both LAND-REG (LAND) and CIVIL-MARRY (CIVIL) are items whose decision belongs at the window.
"""

from __future__ import annotations

from typing import Any

from tests.supervision.harness import Teller, Watch

MONDAY = "2026-11-02T09:00:00+08:00"


def cases(teller: Teller, prefix: str, count: int, *, forwarded: int, civil: bool = False) -> None:
    """Given ``count`` cases accepted at the window, the first ``forwarded`` of them sent to the
    back office unsigned, the rest signed at the hall."""
    item, window, by = ("CIVIL-MARRY", "3", "W-3") if civil else ("LAND-REG", "12", "W-12")
    batch: list[dict[str, Any]] = []
    for n in range(count):
        case_no = f"{prefix}-{n:02d}"
        batch.append(teller.event("case.accepted", case_no, item_code=item, window_no=window))
        if n < forwarded:
            move = {"to_unit": "LAND" if not civil else "CIVIL", "location": "back_office"}
            batch.append(teller.event("case.transferred", case_no, **move))
        else:
            batch.append(teller.event("case.signed", case_no, location="hall"))
    teller.post(*batch, by=by)


def test_a_department_whose_window_only_forwards_is_flagged_and_one_deciding_there_is_not(
    teller: Teller, watch: Watch
) -> None:
    teller.at(MONDAY)
    cases(teller, "LAND", 12, forwarded=12)
    cases(teller, "CIVIL", 12, forwarded=0, civil=True)

    watch.run()

    (flag,) = [
        f for f in watch.open("front_shop_back_factory") if f["subject"]["kind"] == "department"
    ]
    assert flag["subject"] == {"kind": "department", "id": "LAND"}
    assert (flag["detail"]["cases"], flag["detail"]["share"]) == ("12", "100.00")
    assert len(flag["evidence"]) == 12


def test_thirty_percent_of_ten_cases_is_enough_and_twenty_percent_is_not(
    teller: Teller, watch: Watch
) -> None:
    teller.at(MONDAY)
    cases(teller, "LAND", 10, forwarded=3)
    cases(teller, "CIVIL", 10, forwarded=2, civil=True)

    watch.run()

    departments = [
        f for f in watch.open("front_shop_back_factory") if f["subject"]["kind"] == "department"
    ]
    assert [f["subject"]["id"] for f in departments] == ["LAND"]


def test_fewer_than_ten_cases_are_not_enough_to_judge_a_department(
    teller: Teller, watch: Watch
) -> None:
    teller.at(MONDAY)
    cases(teller, "LAND", 9, forwarded=9)

    watch.run()

    assert all(f["subject"]["kind"] == "case" for f in watch.open("front_shop_back_factory"))


def test_the_finding_closes_once_the_forwarded_cases_leave_the_rolling_period(
    teller: Teller, watch: Watch
) -> None:
    # Given a month-long rolling period starting with Monday's forwarded cases
    teller.at(MONDAY)
    cases(teller, "LAND", 10, forwarded=10)
    watch.run("2026-12-01T23:00:00+08:00")
    assert "LAND" in [f["subject"]["id"] for f in watch.open("front_shop_back_factory")]

    # When 30 days have passed with no new case
    watch.run("2026-12-02T00:01:00+08:00")

    (flag,) = [f for f in watch.flags("front_shop_back_factory") if f["subject"]["id"] == "LAND"]
    assert flag["status"] == "closed"
    assert flag["closed"]["at"] == "2026-12-02T00:00:00+08:00"
