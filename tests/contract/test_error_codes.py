"""Each error code of the contract comes from a minimal bad input, with the field path named."""

from __future__ import annotations

import pytest

from events import ERROR_CODES, ContractError, parse_batch

from .conftest import NOW, rejection
from .examples import EXAMPLES, PERSON, example, without


def test_a_json_array_is_not_an_event() -> None:
    error = rejection(["case.accepted"])
    assert (error.code, error.field) == ("not_an_object", None)


def test_an_event_without_a_type_has_an_unknown_type() -> None:
    assert rejection(without("case.accepted", "type")).code == "unknown_type"


def test_an_event_of_a_type_nobody_defined_has_an_unknown_type() -> None:
    error = rejection(example("case.accepted", type="case.teleported"))
    assert (error.code, error.field) == ("unknown_type", "type")
    assert "case.teleported" in error.message


def test_a_missing_field_is_named() -> None:
    error = rejection(without("case.accepted", "item_code"))
    assert (error.code, error.field) == ("missing_field", "item_code")
    assert error.message.startswith("item_code: ")


def test_a_missing_nested_field_is_named_with_its_path() -> None:
    applicant = {k: v for k, v in PERSON.items() if k != "name"}
    error = rejection(example("case.accepted", applicant=applicant))
    assert (error.code, error.field) == ("missing_field", "applicant.name")


def test_an_unknown_key_is_an_extra_field() -> None:
    error = rejection(example("case.withdrawn", mood="angry"))
    assert (error.code, error.field) == ("extra_field", "mood")


def test_an_unknown_key_inside_the_applicant_is_an_extra_field() -> None:
    error = rejection(example("case.accepted", applicant={**PERSON, "age": 40}))
    assert (error.code, error.field) == ("extra_field", "applicant.age")


def test_a_value_outside_a_closed_vocabulary_is_an_invalid_field() -> None:
    error = rejection(example("case.transferred", location="home"))
    assert (error.code, error.field) == ("invalid_field", "location")


def test_a_mistyped_resident_id_has_a_bad_checksum() -> None:
    wrong = PERSON["id_number"][:-2] + "0" + PERSON["id_number"][-1]
    error = rejection(example("case.accepted", applicant={**PERSON, "id_number": wrong}))
    assert (error.code, error.field) == ("bad_checksum", "applicant.id_number")
    assert "GB 11643" in error.message


def test_a_mistyped_credit_code_has_a_bad_checksum() -> None:
    applicant = {**PERSON, "kind": "organisation", "id_type": "credit_code"}
    applicant["id_number"] = "91350100M000100Y44"
    error = rejection(example("case.received", applicant=applicant))
    assert (error.code, error.field) == ("bad_checksum", "applicant.id_number")
    assert "GB 32100" in error.message


def test_an_amount_with_three_decimals_is_a_bad_amount() -> None:
    error = rejection(example("fee.paid", amount="12.345"))
    assert (error.code, error.field) == ("bad_amount", "amount")


def test_a_bad_amount_in_a_fee_line_names_the_line() -> None:
    error = rejection(example("fee.assessed", lines=[{"fee_code": "F1", "amount": "1e3"}]))
    assert (error.code, error.field) == ("bad_amount", "lines[0].amount")


def test_an_event_from_the_future_is_a_future_event() -> None:
    error = rejection(example("case.accepted", occurred_at="2026-03-02T09:40:00+08:00"))
    assert (error.code, error.field) == ("future_event", "occurred_at")


def test_a_time_without_offset_is_a_missing_offset() -> None:
    error = rejection(example("case.accepted", occurred_at="2026-03-02T09:15:00"))
    assert (error.code, error.field) == ("missing_offset", "occurred_at")


ONE_MINIMAL_BAD_INPUT_PER_CODE: dict[str, object] = {
    "not_an_object": "case.accepted",
    "unknown_type": example("case.accepted", type="case.accpeted"),
    "missing_field": without("case.accepted", "case_no"),
    "invalid_field": example("case.accepted", case_no="/2026"),
    "bad_checksum": example(
        "case.accepted", applicant={**PERSON, "id_number": "11010519491231002Y"}
    ),
    "bad_amount": example("fee.paid", amount=80),
    "future_event": example("fee.paid", occurred_at="2026-03-02T01:26:00Z"),
    "missing_offset": example("fee.paid", occurred_at="2026-03-02 09:15:00"),
    "extra_field": example("fee.paid", currency="CNY"),
    "invalid_batch": {"events": []},
    "mixed_batch": {"events": [EXAMPLES["case.accepted"], EXAMPLES["fee.paid"]]},
}


def test_the_table_below_covers_every_documented_code() -> None:
    assert set(ONE_MINIMAL_BAD_INPUT_PER_CODE) == set(ERROR_CODES)


@pytest.mark.parametrize(("code", "raw"), ONE_MINIMAL_BAD_INPUT_PER_CODE.items())
def test_each_code_comes_from_its_minimal_bad_input(code: str, raw: object) -> None:
    with pytest.raises(ContractError) as caught:
        parse_batch(raw, now=NOW)
    assert caught.value.code == code


def test_several_problems_are_counted_in_the_message() -> None:
    error = rejection(without("case.accepted", "item_code", "window_no"))
    assert error.message.endswith("(and 1 more)")


def test_every_example_type_names_its_missing_envelope_field() -> None:
    for type_ in EXAMPLES:
        assert rejection(without(type_, "event_id")).code == "missing_field"
