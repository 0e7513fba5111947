"""Identity numbers and phones never leave the service unmasked."""

from __future__ import annotations

from datetime import datetime

import pytest

from events import (
    CaseAccepted,
    mask_id_number,
    mask_payload,
    mask_phone,
    masked_applicant,
    parse_event,
)

from .examples import EXAMPLES


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("330106198506151234", "330106********1234"),
        ("91350100M000100Y43", "913501********0Y43"),
        ("E12345678", "E1*****78"),
        ("12345", "*****"),
        ("", ""),
    ],
)
def test_id_numbers_keep_only_their_ends(raw: str, masked: str) -> None:
    assert mask_id_number(raw) == masked


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("13812345678", "138****5678"),
        ("+8613812345678", "+86*******5678"),
        ("87654321", "******21"),
        ("12", "**"),
    ],
)
def test_phones_keep_the_prefix_and_the_last_four(raw: str, masked: str) -> None:
    assert mask_phone(raw) == masked


def test_a_masked_applicant_is_json_without_the_secrets(now: datetime) -> None:
    event = parse_event(EXAMPLES["case.accepted"], now=now)
    assert isinstance(event, CaseAccepted)
    shown = masked_applicant(event.applicant)
    assert shown["id_number"] == "330106********1233"
    assert shown["phone"] == "138****5678"
    assert shown["name"] == "张三"
    assert shown["kind"] == "person"


def test_mask_payload_finds_secrets_at_any_depth_and_leaves_the_rest() -> None:
    history = {
        "events": [
            {
                "type": "case.accepted",
                "applicant": {"id_number": "11010519491231002X", "phone": None},
            },
            {"type": "fee.paid", "amount": "80.00", "contacts": [{"phone": "13812345678"}]},
        ],
        "phone": "13900001111",
    }
    masked = mask_payload(history)
    assert masked["events"][0]["applicant"] == {"id_number": "110105********002X", "phone": None}
    assert masked["events"][1]["contacts"][0]["phone"] == "138****5678"
    assert masked["events"][1]["amount"] == "80.00"
    assert masked["phone"] == "139****1111"
    assert history["phone"] == "13900001111"  # the input is left alone


def test_a_whole_event_dump_can_be_masked(now: datetime) -> None:
    event = parse_event(EXAMPLES["case.received"], now=now)
    text = str(mask_payload(event.model_dump(mode="json")))
    assert EXAMPLES["case.received"]["applicant"]["id_number"] not in text
    assert "13812345678" not in text
