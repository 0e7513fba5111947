"""Every event type of the protocol table parses from a valid example, and round-trips."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from events import (
    TYPES,
    Applicant,
    CaseAccepted,
    FeeAssessed,
    RemittanceMade,
    canonical_json,
    owner_of,
    parse_event,
)

from .examples import EXAMPLES, example, without

PROTOCOL_TABLE = [
    "case.received",
    "case.accepted",
    "case.refused",
    "case.supplement_requested",
    "case.supplement_received",
    "case.transferred",
    "case.signed",
    "case.procedure_started",
    "case.procedure_ended",
    "case.suspended",
    "case.resumed",
    "case.extended",
    "case.completed",
    "case.delivered",
    "case.withdrawn",
    "fee.assessed",
    "fee.paid",
    "fee.refunded",
    "remittance.made",
    "evaluation.submitted",
    "evaluation.followed_up",
    "evaluation.rectified",
]


def test_the_contract_knows_exactly_the_types_of_the_protocol_table() -> None:
    assert sorted(TYPES) == sorted(PROTOCOL_TABLE)
    assert sorted(EXAMPLES) == sorted(PROTOCOL_TABLE)


@pytest.mark.parametrize("type_", PROTOCOL_TABLE)
def test_each_example_parses_into_its_own_model(type_: str, now: datetime) -> None:
    event = parse_event(EXAMPLES[type_], now=now)
    assert type(event) is TYPES[type_]
    assert event.type == type_


@pytest.mark.parametrize("type_", PROTOCOL_TABLE)
def test_an_event_dumped_as_json_parses_back_to_an_equal_event(type_: str, now: datetime) -> None:
    event = parse_event(EXAMPLES[type_], now=now)
    again = parse_event(event.model_dump(mode="json"), now=now)
    assert again == event
    assert canonical_json(again) == canonical_json(event)


def test_case_events_belong_to_intake_and_money_events_to_billing(now: datetime) -> None:
    owners = {t: owner_of(parse_event(EXAMPLES[t], now=now)) for t in PROTOCOL_TABLE}
    billing = {"fee.assessed", "fee.paid", "fee.refunded", "remittance.made"}
    assert {t for t, o in owners.items() if o == "billing"} == billing
    assert {t for t, o in owners.items() if o == "intake"} == set(PROTOCOL_TABLE) - billing


def test_a_remittance_has_no_case_number(now: datetime) -> None:
    event = parse_event(EXAMPLES["remittance.made"], now=now)
    assert isinstance(event, RemittanceMade)
    assert "case_no" not in event.model_dump()


def test_chinese_text_round_trips_unchanged(now: datetime) -> None:
    event = parse_event(EXAMPLES["case.accepted"], now=now)
    assert isinstance(event, CaseAccepted)
    assert event.applicant.name == "张三"
    assert "身份证复印件" in canonical_json(event)


def test_an_acceptance_without_special_care_is_not_a_priority_case(now: datetime) -> None:
    event = parse_event(without("case.accepted", "special_care"), now=now)
    assert isinstance(event, CaseAccepted)
    assert event.special_care is False


def test_optional_fields_may_be_left_out(now: datetime) -> None:
    parse_event(without("case.transferred", "to_staff", "reason"), now=now)
    parse_event(without("case.completed", "certificate_no"), now=now)
    parse_event(without("case.procedure_started", "limit_days"), now=now)
    parse_event(without("case.extended", "applicant_notified_at"), now=now)
    parse_event(without("case.signed", "opinion"), now=now)
    parse_event(without("evaluation.submitted", "comment"), now=now)
    parse_event(without("case.accepted", "staff_id"), now=now)


def test_a_refusal_without_legal_basis_still_passes_the_contract(now: datetime) -> None:
    parse_event(example("case.refused", legal_basis=""), now=now)


def test_amounts_inside_fee_lines_become_exact_decimals(now: datetime) -> None:
    event = parse_event(example("fee.assessed", lines=[{"fee_code": "F1", "amount": "5"}]), now=now)
    assert isinstance(event, FeeAssessed)
    assert event.lines[0].amount == Decimal("5.00")
    assert event.model_dump(mode="json")["lines"][0]["amount"] == "5.00"


def test_services_can_build_events_in_python_without_repeating_the_type(now: datetime) -> None:
    parsed = parse_event(EXAMPLES["case.accepted"], now=now)
    assert isinstance(parsed, CaseAccepted)
    built = CaseAccepted(
        event_id=parsed.event_id,
        case_no=parsed.case_no,
        occurred_at=parsed.occurred_at,
        staff_id=parsed.staff_id,
        item_code=parsed.item_code,
        window_no=parsed.window_no,
        applicant=Applicant.model_validate(EXAMPLES["case.accepted"]["applicant"]),
        materials=parsed.materials,
    )
    assert built == parsed
