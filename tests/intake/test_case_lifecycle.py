"""A case walks through the hall: accepted, transferred, signed, paused, completed, delivered."""

from __future__ import annotations

from tests.support import Desk, event

ACCEPTED_MON = "2026-09-28T09:00:00+08:00"


def walk_to_completion(desk: Desk, case_no: str, *, expert_review: bool) -> list[dict]:
    """Given a promised case accepted on Mon 2026-09-28 and processed at the hall."""
    steps = [
        event("case.accepted", case_no, occurred_at=ACCEPTED_MON),
        event(
            "case.transferred",
            case_no,
            to_unit="LAND",
            location="hall",
            occurred_at="2026-09-28T10:00:00+08:00",
        ),
        event(
            "case.signed",
            case_no,
            step="undertake",
            location="hall",
            occurred_at="2026-09-29T10:00:00+08:00",
        ),
        event(
            "case.signed",
            case_no,
            step="review",
            location="hall",
            occurred_at="2026-09-30T10:00:00+08:00",
        ),
    ]
    if expert_review:
        steps += [
            event(
                "case.procedure_started",
                case_no,
                procedure="expert_review",
                occurred_at="2026-10-08T09:00:00+08:00",
            ),
            event(
                "case.procedure_ended",
                case_no,
                outcome="通过",
                occurred_at="2026-10-09T17:00:00+08:00",
            ),
        ]
    steps += [
        event(
            "case.signed",
            case_no,
            step="approve",
            location="hall",
            occurred_at="2026-10-12T10:00:00+08:00",
        ),
        event(
            "case.completed",
            case_no,
            result="granted",
            certificate_no="C-1",
            location="hall",
            occurred_at="2026-10-12T11:00:00+08:00",
        ),
        event(
            "case.delivered",
            case_no,
            method="pickup",
            recipient="张三",
            occurred_at="2026-10-13T09:00:00+08:00",
        ),
    ]
    return steps


def test_a_promised_case_is_accepted_processed_paused_completed_and_delivered(desk: Desk) -> None:
    steps = walk_to_completion(desk, "2026-000001", expert_review=True)

    results = [desk.record(step)[0] for step in steps]

    assert [r["status"] for r in results] == ["recorded"] * len(steps)
    positions = [r["position"] for r in results]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    case = desk.case("2026-000001")
    assert case["status"] == "delivered"
    assert case["due_date"] == "2026-10-13"  # domain.md: expert review 10-08..10-09 moves it 2 days
    assert case["overdue"] is False
    assert [s["step"] for s in case["steps"] if s["type"] == "case.signed"] == [
        "undertake",
        "review",
        "approve",
    ]
    assert case["result"] == "granted" and case["version"] == len(steps)


def test_five_working_days_from_the_monday_before_national_day_fall_due_on_saturday_oct_10(
    desk: Desk,
) -> None:
    desk.record(event("case.accepted", "2026-000002", occurred_at=ACCEPTED_MON))

    case = desk.case("2026-000002")

    assert case["due_date"] == "2026-10-10"
    assert case["due_date_provisional"] is False


def test_the_history_lists_every_event_in_order_with_positions_actor_and_masked_applicant(
    desk: Desk,
) -> None:
    steps = walk_to_completion(desk, "2026-000003", expert_review=False)
    desk.record(*steps)

    history = desk.history("2026-000003")

    assert [e["event_id"] for e in history["events"]] == [s["event_id"] for s in steps]
    assert [e["type"] for e in history["events"]] == [s["type"] for s in steps]
    positions = [e["position"] for e in history["events"]]
    assert positions == sorted(positions)
    first = history["events"][0]
    assert first["terminal_id"] == "W-12" and first["recorded_at"]
    assert first["applicant"]["id_number"] == "330106********1233"


def test_history_as_of_a_moment_shows_the_case_as_it_stood_then(desk: Desk) -> None:
    desk.record(event("case.accepted", "2026-000004", occurred_at=ACCEPTED_MON))
    between = desk.history("2026-000004")["events"][0]["recorded_at"]
    desk.record(event("case.withdrawn", "2026-000004", reason="申请人撤回"))

    then = desk.history("2026-000004", as_of=between)
    now = desk.history("2026-000004")

    assert [e["type"] for e in then["events"]] == ["case.accepted"]
    assert then["case"]["status"] == "accepted"
    assert [e["type"] for e in now["events"]] == ["case.accepted", "case.withdrawn"]


def test_a_case_received_first_is_accepted_after_its_supplement_arrives(desk: Desk) -> None:
    desk.record(
        event("case.received", "2026-000005", occurred_at="2026-09-21T09:00:00+08:00"),
        event(
            "case.supplement_requested",
            "2026-000005",
            missing_materials=["户口本"],
            occurred_at="2026-09-21T09:10:00+08:00",
        ),
    )
    refused = desk.post(event("case.accepted", "2026-000005", occurred_at=ACCEPTED_MON))
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "supplement_pending"

    desk.record(
        event("case.supplement_received", "2026-000005", occurred_at="2026-09-25T09:00:00+08:00"),
        event("case.accepted", "2026-000005", occurred_at=ACCEPTED_MON),
    )

    case = desk.case("2026-000005")
    assert case["status"] == "accepted" and case["supplements"] == 1
    assert case["due_date"] == "2026-10-10"  # a timely notice: the clock starts at acceptance


def test_a_supplement_after_acceptance_restarts_the_full_limit_by_default(desk: Desk) -> None:
    desk.record(
        event("case.accepted", "2026-000006", occurred_at=ACCEPTED_MON),
        event(
            "case.supplement_requested",
            "2026-000006",
            missing_materials=["测绘报告"],
            occurred_at="2026-09-29T09:00:00+08:00",
        ),
        event("case.supplement_received", "2026-000006", occurred_at="2026-10-09T09:00:00+08:00"),
    )

    # restarts: 5 working days after Fri 10-09 are 10-10 (调休 Sat), 12, 13, 14, 15
    assert desk.case("2026-000006")["due_date"] == "2026-10-15"


def test_an_item_set_to_pause_stops_the_clock_while_materials_are_awaited(desk: Desk) -> None:
    desk.record(
        event("case.accepted", "2026-000007", item_code="LAND-PAUSE", occurred_at=ACCEPTED_MON),
        event(
            "case.supplement_requested",
            "2026-000007",
            missing_materials=["测绘报告"],
            occurred_at="2026-10-08T09:00:00+08:00",
        ),
        event("case.supplement_received", "2026-000007", occurred_at="2026-10-09T09:00:00+08:00"),
    )

    # paused 10-08 and 10-09 (2 working days): 10-10 + 2 → 10-13
    assert desk.case("2026-000007")["due_date"] == "2026-10-13"


def test_an_approved_extension_and_a_suspension_move_the_due_date(desk: Desk) -> None:
    desk.record(
        event("case.accepted", "2026-000008", occurred_at=ACCEPTED_MON),
        event(
            "case.extended", "2026-000008", extra_days=3, occurred_at="2026-09-29T09:00:00+08:00"
        ),
        event(
            "case.suspended",
            "2026-000008",
            reason="领导外出",
            occurred_at="2026-10-12T09:00:00+08:00",
        ),
        event("case.resumed", "2026-000008", occurred_at="2026-10-12T15:00:00+08:00"),
    )

    # 10-10 + 3 extension days (12, 13, 14) + 1 suspended day → 10-15
    case = desk.case("2026-000008")
    assert case["due_date"] == "2026-10-15" and case["paused"] is False


def test_an_immediate_case_is_due_the_day_it_is_accepted(desk: Desk) -> None:
    desk.record(
        event(
            "case.accepted",
            "2026-000009",
            item_code="CIVIL-MARRY",
            window_no="3",
            occurred_at=ACCEPTED_MON,
        ),
        event(
            "case.completed",
            "2026-000009",
            result="granted",
            location="hall",
            occurred_at="2026-09-28T09:20:00+08:00",
        ),
        by="W-3",
    )

    case = desk.case("2026-000009", by="W-3")
    assert case["kind"] == "immediate" and case["due_date"] == "2026-09-28"
    assert case["overdue"] is False and case["status"] == "completed"
