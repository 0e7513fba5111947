"""A POST body is one event or an atomic batch of one service's events."""

from __future__ import annotations

from datetime import datetime

import pytest

from events import MAX_BATCH, ContractError, parse_batch

from .examples import EXAMPLES, example

CASE_TYPES = [t for t in EXAMPLES if not t.startswith(("fee.", "remittance."))]


def test_a_single_event_is_a_batch_of_one(now: datetime) -> None:
    events = parse_batch(EXAMPLES["case.accepted"], now=now)
    assert [e.type for e in events] == ["case.accepted"]


def test_a_batch_keeps_the_order_the_events_happened_in(now: datetime) -> None:
    events = parse_batch({"events": [EXAMPLES[t] for t in CASE_TYPES]}, now=now)
    assert [e.type for e in events] == CASE_TYPES


def test_money_events_travel_together(now: datetime) -> None:
    body = {"events": [EXAMPLES["fee.assessed"], EXAMPLES["fee.paid"], EXAMPLES["remittance.made"]]}
    assert len(parse_batch(body, now=now)) == 3


def test_a_bad_event_in_a_batch_is_reported_with_its_index_and_id(now: datetime) -> None:
    bad = example("case.signed", decision="maybe")
    with pytest.raises(ContractError) as caught:
        parse_batch({"events": [EXAMPLES["case.accepted"], bad]}, now=now)
    error = caught.value
    assert (error.code, error.field, error.event_index) == ("invalid_field", "decision", 1)
    assert error.event_id == bad["event_id"]


def test_a_bad_single_event_is_event_zero(now: datetime) -> None:
    with pytest.raises(ContractError) as caught:
        parse_batch(example("fee.paid", amount="-1"), now=now)
    assert (caught.value.code, caught.value.event_index) == ("bad_amount", 0)


def test_case_and_money_events_may_not_share_a_batch(now: datetime) -> None:
    body = {"events": [EXAMPLES["case.accepted"], EXAMPLES["fee.assessed"]]}
    with pytest.raises(ContractError) as caught:
        parse_batch(body, now=now)
    assert (caught.value.code, caught.value.event_index) == ("mixed_batch", 1)


def test_a_batch_holds_at_most_five_hundred_events(now: datetime) -> None:
    assert MAX_BATCH == 500
    body = {"events": [EXAMPLES["case.supplement_received"]] * 501}
    with pytest.raises(ContractError) as caught:
        parse_batch(body, now=now)
    assert caught.value.code == "invalid_batch"
    assert len(parse_batch({"events": body["events"][:500]}, now=now)) == 500


@pytest.mark.parametrize(
    "body",
    [{"events": EXAMPLES["case.accepted"]}, {"events": [], "terminal": "W-12"}],
)
def test_a_batch_is_events_in_a_list_and_nothing_else(body: object, now: datetime) -> None:
    with pytest.raises(ContractError) as caught:
        parse_batch(body, now=now)
    assert caught.value.code == "invalid_batch"
