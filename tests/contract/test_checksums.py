"""GB 11643-1999 resident ids and GB 32100-2015 credit codes: published examples and generators."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from events import (
    CaseAccepted,
    is_valid_credit_code,
    is_valid_resident_id,
    make_credit_code,
    make_resident_id,
    parse_event,
)
from events.checksums import CREDIT_ALPHABET

from .examples import PERSON, example

PUBLISHED_RESIDENT_ID = "11010519491231002X"
PUBLISHED_CREDIT_CODE = "91350100M000100Y43"
RESIDENT_CHECKS = "0123456789X"


def test_the_standard_example_resident_id_is_valid() -> None:
    assert is_valid_resident_id(PUBLISHED_RESIDENT_ID)


def test_a_lowercase_x_is_the_same_check_character() -> None:
    assert is_valid_resident_id(PUBLISHED_RESIDENT_ID.lower())


def test_the_published_credit_code_is_valid() -> None:
    assert is_valid_credit_code(PUBLISHED_CREDIT_CODE)


@pytest.mark.parametrize("position", range(17))
def test_changing_any_one_digit_of_a_resident_id_breaks_it(position: int) -> None:
    digit = PUBLISHED_RESIDENT_ID[position]
    changed = str((int(digit) + 1) % 10)
    wrong = PUBLISHED_RESIDENT_ID[:position] + changed + PUBLISHED_RESIDENT_ID[position + 1 :]
    assert not is_valid_resident_id(wrong)


@pytest.mark.parametrize("position", range(18))
def test_changing_any_one_character_of_a_credit_code_breaks_it(position: int) -> None:
    old = PUBLISHED_CREDIT_CODE[position]
    new = CREDIT_ALPHABET[(CREDIT_ALPHABET.index(old) + 1) % len(CREDIT_ALPHABET)]
    wrong = PUBLISHED_CREDIT_CODE[:position] + new + PUBLISHED_CREDIT_CODE[position + 1 :]
    assert not is_valid_credit_code(wrong)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "11010519491231002",  # 17 characters
        "110105194912310021X",  # 19 characters
        "110105194913310028",  # month 13, otherwise well formed
        "110105194902300026",  # 30 February
        "11010519491231002Ｘ",  # full-width X
        "１10105194912310020",  # full-width digit
    ],
)
def test_malformed_resident_ids_are_invalid(bad: str) -> None:
    assert not is_valid_resident_id(bad)


def test_a_credit_code_with_letters_outside_the_alphabet_is_invalid() -> None:
    assert not is_valid_credit_code("91350100M000100I43")
    assert not is_valid_credit_code("91350100M000100Y4")


def test_the_generators_make_valid_numbers() -> None:
    assert make_resident_id("110105", date(1949, 12, 31), "002") == PUBLISHED_RESIDENT_ID
    assert make_credit_code("91350100M000100Y4") == PUBLISHED_CREDIT_CODE
    assert is_valid_resident_id(make_resident_id())


def test_the_generators_refuse_bodies_they_cannot_complete() -> None:
    with pytest.raises(ValueError, match="region"):
        make_resident_id(region="3301")
    with pytest.raises(ValueError, match="credit code body"):
        make_credit_code("91350100M000100I4")


resident_bodies = st.builds(
    lambda region, birth, seq: f"{region}{birth:%Y%m%d}{seq}",
    st.from_regex(r"\A[0-9]{6}\Z"),
    st.dates(date(1900, 1, 1), date(2026, 12, 31)),
    st.from_regex(r"\A[0-9]{3}\Z"),
)


@given(resident_bodies)
def test_a_generated_resident_check_character_validates_and_no_other_does(body: str) -> None:
    made = make_resident_id(
        body[:6], date(int(body[6:10]), int(body[10:12]), int(body[12:14])), body[14:]
    )
    assert made[:17] == body
    assert is_valid_resident_id(made)
    for other in RESIDENT_CHECKS.replace(made[17], ""):
        assert not is_valid_resident_id(body + other)


@given(st.text(alphabet=CREDIT_ALPHABET, min_size=17, max_size=17))
def test_a_generated_credit_check_character_validates_and_no_other_does(body: str) -> None:
    made = make_credit_code(body)
    assert is_valid_credit_code(made)
    for other in CREDIT_ALPHABET.replace(made[17], ""):
        assert not is_valid_credit_code(body + other)


def test_an_applicant_id_with_a_lowercase_x_is_stored_with_a_capital(now: datetime) -> None:
    applicant = {**PERSON, "id_number": PUBLISHED_RESIDENT_ID.lower()}
    event = parse_event(example("case.accepted", applicant=applicant), now=now)
    assert isinstance(event, CaseAccepted)
    assert event.applicant.id_number == PUBLISHED_RESIDENT_ID


def test_passports_and_other_documents_are_not_checksummed(now: datetime) -> None:
    for id_type in ("passport", "other"):
        applicant = {**PERSON, "id_type": id_type, "id_number": "E12345678"}
        parse_event(example("case.accepted", applicant=applicant), now=now)
