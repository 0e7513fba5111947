"""hall's orjson transcoder writes and reads exactly what the library's JSON transcoder does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum, StrEnum
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    TranscodingNotRegisteredError,
    UUIDAsHex,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from hall.runtime import Hall
from hall.settings import Settings
from hall.transcoder import FastJSONTranscoder, plain
from services.stamp import Stamp, StampAsDict
from tests.operations.test_stored_stamps import STAMP

CHINA = timezone(timedelta(hours=8))


def registered(transcoder: JSONTranscoder) -> JSONTranscoder:
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO(), StampAsDict()):
        transcoder.register(transcoding)
    return transcoder


LIBRARY, FAST = registered(JSONTranscoder()), registered(FastJSONTranscoder())


class Colour(Enum):
    RED = "red"


class Step(StrEnum):
    REVIEW = "review"


scalars = st.one_of(
    st.text(max_size=20),
    st.integers(min_value=-(2**70), max_value=2**70),  # beyond 64 bits too
    st.booleans(),
    st.none(),
    st.floats(allow_nan=True),
    st.uuids(),
    st.datetimes(timezones=st.sampled_from([UTC, CHINA])),
    st.decimals(allow_nan=False, places=2, max_value=10**9, min_value=-(10**9)),
    st.just(STAMP),
    st.sampled_from([Step.REVIEW, Colour.RED]),
)
keys = st.one_of(st.text(max_size=10), st.integers(0, 9))  # json writes int keys as text
states = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(keys, inner, max_size=4),
    ),
    max_leaves=12,
)


def written(transcoder: JSONTranscoder, state: Any) -> bytes | type[BaseException]:
    try:
        return transcoder.encode(state)
    except Exception as error:  # what each refuses, it must refuse alike
        return type(error)


@settings(max_examples=400)
@given(st.dictionaries(st.text(max_size=10), states, max_size=6))
def test_any_state_is_written_byte_for_byte_as_the_library_writes_it(state: Any) -> None:
    assert written(FAST, state) == written(LIBRARY, state)


@settings(max_examples=400)
@given(st.dictionaries(st.text(max_size=10), states, max_size=6))
def test_what_the_library_wrote_is_read_alike(state: Any) -> None:
    stored = written(LIBRARY, state)
    if not isinstance(stored, bytes):
        return
    # Compared as the library writes them again: NaN never equals itself.
    assert LIBRARY.encode(FAST.decode(stored)) == LIBRARY.encode(LIBRARY.decode(stored))


def test_the_values_orjson_would_write_otherwise_go_to_the_library() -> None:
    ident = UUID("9b2f3c4d-1e2f-4a5b-8c6d-7e8f9a0b1c2d")
    for state in (
        {"credential": ident},  # orjson: a dashed string; the library: uuid_hex
        {"ratio": float("nan")},  # orjson: null
        {"big": 1e16},  # orjson: 1e16; json: 1e+16
        {"colour": Colour.RED},  # orjson: "red"; the library: not registered
        {"deep": [{"in": (ident,)}]},
    ):
        assert written(FAST, state) == written(LIBRARY, state)
    wrapped = b'{"credential":{"_type_":"uuid_hex","_data_":"%s"}}' % ident.hex.encode()
    assert FAST.encode({"credential": ident}) == wrapped
    with pytest.raises(TranscodingNotRegisteredError):
        FAST.encode({"colour": Colour.RED})


def test_a_stored_case_event_reads_back_with_its_types() -> None:
    state = {
        "timestamp": datetime(2026, 3, 2, 1, 15, tzinfo=UTC),
        "amount": Decimal("80.00"),
        "stamp": STAMP,
        "lines": [{"fee_code": "F1", "amount": "80.00"}],
    }
    assert plain(state)  # orjson writes it: the fallback is for the rare values, not this
    stored = FAST.encode(state)
    assert stored == LIBRARY.encode(state)
    read = FAST.decode(stored)
    assert read == state
    assert isinstance(read["stamp"], Stamp)


def test_every_service_writes_with_it(tmp_path: Path) -> None:
    chosen = Settings(data_dir=tmp_path, admin_token="x" * 32, database_url=None)
    hall = Hall.start(chosen, follow=False)
    try:
        for app in (hall.intake, hall.billing, hall.access, hall.supervision):
            assert isinstance(app.mapper.transcoder, FastJSONTranscoder), app.name
    finally:
        hall.close()
