"""How cases are handled: each rule fires on the abuse it names and stays quiet otherwise.

The stories run in November 2026 (no holidays): Mon 11-02 … Fri 11-06, Mon 11-09 … Mon 11-16.
LAND-REG is a promised item (5 working days) decided at the window; LAND-PAUSE is decided in
the back office; CIVIL-MARRY is an immediate item of another department.
"""

from __future__ import annotations

from tests.supervision.harness import Teller, Watch


def at(day: str, clock: str = "09:00:00") -> str:
    return f"2026-11-{day}T{clock}+08:00"


def test_a_window_item_sent_to_a_back_office_is_front_shop_back_factory(
    teller: Teller, watch: Watch
) -> None:
    # Given a window-decided case transferred to the back office, one signed at the window,
    # and a back-office item transferred there as it should be
    teller.at(at("02")).accept("FS-1")
    teller.tell("case.transferred", "FS-1", to_unit="LAND", location="back_office")
    teller.accept("FS-2")
    teller.tell("case.signed", "FS-2", location="hall")
    teller.accept("FS-3", item="LAND-PAUSE")
    teller.tell("case.transferred", "FS-3", to_unit="LAND", location="back_office")
    # and a window-decided case completed in the back office
    teller.accept("FS-4")
    teller.tell("case.completed", "FS-4", location="back_office")

    watch.run()

    assert watch.subjects("front_shop_back_factory") == ["FS-1", "FS-4"]
    (flag,) = [f for f in watch.open("front_shop_back_factory") if f["subject"]["id"] == "FS-1"]
    assert flag["department"] == "LAND" and flag["window_no"] == "12"
    assert len(flag["evidence"]) == 1


def test_a_case_transferred_three_times_is_bounced_and_twice_is_not(
    teller: Teller, watch: Watch
) -> None:
    teller.at(at("02"))
    for case_no, transfers in (("B-3", 3), ("B-2", 2)):
        teller.accept(case_no)
        for unit in ("LAND", "CIVIL", "LAND")[:transfers]:
            teller.tell("case.transferred", case_no, to_unit=unit, location="hall")

    watch.run()

    (flag,) = watch.open("bounced")
    assert flag["subject"] == {"kind": "case", "id": "B-3"}
    assert len(flag["evidence"]) == 3


def test_a_second_supplement_round_is_flagged_and_one_round_is_not(
    teller: Teller, watch: Watch
) -> None:
    teller.at(at("02"))
    for case_no, rounds in (("SUP-2", 2), ("SUP-1", 1)):
        teller.accept(case_no)
        for _ in range(rounds):
            teller.tell("case.supplement_requested", case_no)
            teller.tell("case.supplement_received", case_no)

    watch.run()

    assert watch.subjects("repeated_supplement") == ["SUP-2"]


def test_a_refusal_without_legal_basis_is_flagged_and_one_with_a_basis_is_not(
    teller: Teller, watch: Watch
) -> None:
    teller.at(at("02"))
    for case_no, basis in (("REF-0", " "), ("REF-1", "《行政许可法》第三十二条")):
        teller.tell("case.received", case_no)
        teller.tell("case.refused", case_no, legal_basis=basis)

    watch.run()

    assert watch.subjects("refusal_without_basis") == ["REF-0"]


def test_an_immediate_case_not_completed_at_the_hall_that_day_is_flagged_the_next_day(
    teller: Teller, watch: Watch
) -> None:
    # Given three immediate cases accepted on Monday: one completed that afternoon at the hall,
    # one completed on Tuesday, one still open
    teller.at(at("02")).accept("IM-OK", item="CIVIL-MARRY")
    teller.accept("IM-LATE", item="CIVIL-MARRY")
    teller.accept("IM-OPEN", item="CIVIL-MARRY")
    teller.at(at("02", "15:00:00")).tell("case.completed", "IM-OK", by="W-3", location="hall")

    assert watch.run(at("02", "23:59:00")).subjects("immediate_not_same_day") == []
    teller.at(at("03")).tell("case.completed", "IM-LATE", by="W-3", location="hall")
    watch.run()

    assert watch.subjects("immediate_not_same_day") == ["IM-LATE", "IM-OPEN"]
    assert {f["raised_at"] for f in watch.open("immediate_not_same_day")} == {
        "2026-11-03T00:00:00+08:00"
    }


def test_a_received_case_left_unanswered_for_five_working_days_is_deemed_accepted(
    teller: Teller, watch: Watch
) -> None:
    # Given cases received on Monday 11-02: the notice period ends with Monday 11-09
    teller.at(at("02"))
    for case_no in ("DA-SILENT", "DA-ASKED", "DA-ACCEPTED"):
        teller.tell("case.received", case_no)
    teller.at(at("05")).tell("case.supplement_requested", "DA-ASKED")
    teller.at(at("09", "17:00:00")).accept("DA-ACCEPTED")

    assert watch.run(at("09", "23:59:00")).subjects("deemed_accepted") == []
    watch.run(at("10", "00:01:00"))
    # and accepting it later does not undo the lateness
    teller.at(at("11")).accept("DA-SILENT")
    watch.run()

    (flag,) = watch.open("deemed_accepted")
    assert flag["subject"]["id"] == "DA-SILENT"
    assert flag["raised_at"] == "2026-11-10T00:00:00+08:00"
    assert flag["detail"]["notice_by"] == "2026-11-09"


def test_a_case_with_no_step_for_more_than_three_working_days_is_stalled_until_a_signature(
    teller: Teller, watch: Watch
) -> None:
    # Given a case accepted on Monday, and one whose clock stops for an expert review
    teller.at(at("02")).accept("ST-1")
    teller.accept("ST-PAUSED")
    teller.at(at("03")).tell("case.procedure_started", "ST-PAUSED")

    # Then Tue, Wed, Thu pass without a step: stalled from Friday
    assert watch.run(at("05", "23:59:00")).subjects("step_stalled") == []
    assert watch.run(at("06", "00:01:00")).subjects("step_stalled") == ["ST-1"]
    teller.at(at("06", "10:00:00")).tell("case.signed", "ST-1", step="approve", location="hall")
    watch.run(at("06", "11:00:00"))

    assert watch.subjects("step_stalled") == []
    (closed,) = watch.flags("step_stalled")
    assert closed["closed"]["automatic"] is True
    # and signed on Friday, it stalls again from Thursday 11-12
    assert watch.run(at("11", "23:00:00")).subjects("step_stalled") == []
    assert watch.run(at("12", "01:00:00")).subjects("step_stalled") == ["ST-1"]
    assert [f["status"] for f in watch.flags("step_stalled")] == ["closed", "open"]


def test_an_open_promised_case_gets_a_warning_then_a_yellow_then_a_red_card(
    teller: Teller, watch: Watch
) -> None:
    # Given a 5-working-day case accepted Mon 11-02 (due Mon 11-09) and one completed in time
    teller.at(at("02")).accept("OD-1")
    teller.accept("OD-DONE")
    teller.at(at("04")).tell("case.completed", "OD-DONE", location="hall")

    assert watch.run(at("05", "23:00:00")).subjects("overdue") == []
    assert watch.run(at("06", "01:00:00")).subjects("overdue") == ["OD-1/warning"]
    assert watch.run(at("10", "01:00:00")).subjects("overdue") == ["OD-1/yellow"]
    assert watch.run(at("16", "01:00:00")).subjects("overdue") == ["OD-1/red"]

    warning, yellow, red = watch.flags("overdue")
    assert warning["closed"]["reason"] == "superseded by yellow"
    assert (yellow["raised_at"], red["raised_at"]) == (
        "2026-11-10T00:00:00+08:00",
        "2026-11-16T00:00:00+08:00",
    )
    assert red["severity"] == "high" and red["detail"]["due_date"] == "2026-11-09"


def test_completing_an_overdue_case_closes_its_card(teller: Teller, watch: Watch) -> None:
    teller.at(at("02")).accept("OD-2")
    watch.run(at("10", "08:00:00"))
    teller.at(at("10", "09:00:00")).tell("case.completed", "OD-2", location="hall")

    watch.run()

    assert watch.subjects("overdue") == []
    assert [f["detail"]["level"] for f in watch.flags("overdue")] == ["warning", "yellow"]


def test_events_recorded_long_after_they_occurred_are_back_filled(
    teller: Teller, watch: Watch
) -> None:
    # Given a case accepted on Monday but entered on Wednesday, and one entered the same day
    teller.at(at("04"))
    teller.accept("BF-LATE", occurred_at=at("02"))
    teller.accept("BF-FRESH", occurred_at=at("04", "08:00:00"))

    watch.run()

    assert watch.subjects("back_filled") == ["BF-LATE/recorded_late"]


def test_a_promised_case_accepted_and_completed_minutes_apart_with_no_step_is_back_filled(
    teller: Teller, watch: Watch
) -> None:
    teller.at(at("02"))
    for case_no in ("BF-FAST", "BF-SIGNED", "BF-SLOW"):
        teller.accept(case_no)
    teller.at(at("02", "09:03:00")).tell("case.signed", "BF-SIGNED", location="hall")
    teller.at(at("02", "09:05:00"))
    teller.tell("case.completed", "BF-FAST", location="hall")
    teller.tell("case.completed", "BF-SIGNED", location="hall")
    teller.at(at("02", "11:00:00")).tell("case.completed", "BF-SLOW", location="hall")

    watch.run()

    assert watch.subjects("back_filled") == ["BF-FAST/instant"]


def test_a_bad_rating_with_no_call_back_is_flagged_after_one_working_day_and_fifteen(
    teller: Teller, watch: Watch
) -> None:
    # Given two completed cases rated on Monday 11-02: one 1 star (差评), one 4 stars
    teller.at(at("02"))
    for case_no, rating in (("EV-1", 1), ("EV-4", 4)):
        teller.accept(case_no)
        teller.tell("case.completed", case_no, location="hall")
        teller.tell("evaluation.submitted", case_no, rating=rating)

    # Then the call-back was due by Tue 11-03 and the fix by Mon 11-23 (15 working days)
    assert watch.run(at("03", "23:00:00")).subjects("bad_rating_unhandled") == []
    assert watch.run(at("04", "01:00:00")).subjects("bad_rating_unhandled") == ["EV-1/follow_up"]
    watch.run("2026-11-24T01:00:00+08:00")

    assert watch.subjects("bad_rating_unhandled") == ["EV-1/follow_up", "EV-1/rectify"]
