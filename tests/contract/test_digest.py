"""The idempotency digest is taken on the normalised event, not on the JSON as sent."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from events import canonical_json, content_digest, parse_event
from events.parsing import _canonical_data, sorted_compact

from .examples import EXAMPLES, PERSON, example, without


def digest(raw: dict[str, object], now: datetime) -> str:
    return content_digest(parse_event(raw, now=now))


def test_five_and_five_point_zero_zero_are_the_same_payment(now: datetime) -> None:
    assert digest(example("fee.paid", amount="5"), now) == digest(
        example("fee.paid", amount="5.00"), now
    )


def test_the_same_instant_in_china_time_and_in_utc_is_the_same_event(now: datetime) -> None:
    china = example("case.accepted", occurred_at="2026-03-02T09:15:00+08:00")
    utc = example("case.accepted", occurred_at="2026-03-02T01:15:00Z")
    assert digest(china, now) == digest(utc, now)


def test_leaving_out_a_default_is_the_same_as_sending_it(now: datetime) -> None:
    assert digest(without("case.accepted", "special_care", "staff_id"), now) == digest(
        example("case.accepted", special_care=False, staff_id=None), now
    )


def test_an_uppercase_event_id_and_a_lowercase_x_change_nothing(now: datetime) -> None:
    raw = example("case.accepted")
    shouted = example("case.accepted", event_id=raw["event_id"].upper())
    assert digest(raw, now) == digest(shouted, now)
    x = {**PERSON, "id_number": "11010519491231002X"}
    lower_x = {**PERSON, "id_number": "11010519491231002x"}
    assert digest(example("case.accepted", applicant=x), now) == digest(
        example("case.accepted", applicant=lower_x), now
    )


def test_different_content_gives_a_different_digest(now: datetime) -> None:
    assert digest(example("fee.paid", amount="5"), now) != digest(
        example("fee.paid", amount="5.01"), now
    )
    assert digest(example("case.accepted", special_care=True), now) != digest(
        example("case.accepted"), now
    )


def test_the_type_always_counts(now: datetime) -> None:
    # Same id, otherwise identical bare envelopes: must still differ, or a 409 would be missed.
    received = example("case.supplement_received")
    ended = {**received, "type": "case.procedure_ended"}
    assert digest(received, now) != digest(ended, now)


def test_canonical_json_is_compact_sorted_and_readable(now: datetime) -> None:
    text = canonical_json(parse_event(EXAMPLES["fee.paid"], now=now))
    data = json.loads(text)
    assert list(data) == sorted(data)
    assert ", " not in text
    assert ": " not in text
    assert data["amount"] == "80.00"
    assert data["occurred_at"] == "2026-03-02T01:15:00Z"
    assert "张三" in canonical_json(parse_event(EXAMPLES["case.accepted"], now=now))


def test_the_digest_is_a_sha256_hex_string(now: datetime) -> None:
    value = digest(EXAMPLES["fee.paid"], now)
    assert len(value) == 64
    assert int(value, 16) >= 0


def the_form_digests_were_first_taken_on(data: object) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def test_every_type_keeps_the_form_its_stored_digests_were_taken_on(now: datetime) -> None:
    # Digests stored before orjson wrote the canonical form must still match their retries.
    for kind, raw in EXAMPLES.items():
        event = parse_event(raw, now=now)
        assert canonical_json(event) == the_form_digests_were_first_taken_on(
            _canonical_data(event)
        ), kind


@given(st.text(max_size=40), st.text(min_size=1, max_size=12))
def test_any_text_keeps_the_form_its_stored_digests_were_taken_on(text: str, key: str) -> None:
    # Quotes, backslashes, control characters, emoji; a lone surrogate is refused by both.
    data = {"opinion": text, key: [text, 1, None, True], "z": {"b": text, "a": -(2**40)}}
    try:
        old = the_form_digests_were_first_taken_on(data).encode("utf-8")
    except UnicodeEncodeError:
        with pytest.raises(TypeError):  # orjson's JSONEncodeError is a TypeError
            sorted_compact(data)
        return
    assert sorted_compact(data) == old
