"""The events' JSON: the library's format, written and read by orjson.

Every stored event is encoded once by its writer and decoded by each follower, and the
library's ``JSONTranscoder`` does both with the standard ``json`` module: a C encoder that
calls back into Python for every datetime, Decimal and stamp, and a C decoder that calls
back into Python for every object.  orjson writes and reads the JSON itself several times
faster (a signature's canonical form: 0.4 against 4.1 µs here); what stays is the Python of the
transcodings (stamps, instants) and of the walks below, so a whole event is 1.1 to 1.5 times
as fast to read or write (``python -m bench.transcoder`` measures both on hall's own events).

The bytes are the library's, so stored events stay readable by either transcoder and nothing
needs migrating.  Where orjson would write something differently, this transcoder hands
the whole object to the library's encoder instead:

- a UUID: orjson writes it itself, as a dashed string, and cannot be told to pass it on, where
  the library writes ``{"_type_": "uuid_hex", ...}`` (snapshots and terminals hold UUIDs);
- a float (orjson writes NaN as null and 1e16 where ``json`` writes 1e+16) or a pure Enum;
- a dict key that is not a string, an integer beyond 64 bits, a subclass of a built-in type
  (orjson refuses those, or, with ``OPT_PASSTHROUGH_SUBCLASS``, passes them on to be refused).

Reading falls back the same way for what orjson refuses (NaN) or reads otherwise (it reads an
integer beyond 64 bits as a float), so for any float.
``tests/operations/test_transcoder.py`` checks the bytes against the library's on generated
states, both ways.
"""

from __future__ import annotations

from enum import Enum
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import JSONTranscoder

# Datetimes, dataclasses (a Stamp) and subclasses go to ``default``, as ``json`` sends them.
OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
OPTIONS |= orjson.OPT_PASSTHROUGH_SUBCLASS
_WRITTEN_OTHERWISE = (float, UUID, Enum)  # values orjson writes itself, unlike the library


class _Unlike(Exception):
    """What orjson would write or read otherwise: leave it to the library."""


_SCALARS = frozenset({str, int, bool, type(None)})  # written alike by both
# Transcodings whose data is text, or a dict of text and nulls, whatever the value: the
# library's datetimes and Decimals, hall's stamps (``services.stamp``).  Written as they are.
TEXT_DATA = frozenset({"datetime_iso", "decimal_str", "stamp"})


def plain(value: Any) -> bool:
    """Whether orjson writes ``value`` byte for byte as the library's encoder does."""
    # Loops rather than all(...): a generator per container cost more than orjson's writing.
    kind = type(value)
    if kind is dict:
        for key, inner in value.items():
            if type(key) is not str or (type(inner) not in _SCALARS and not plain(inner)):
                return False
        return True
    if kind is list or kind is tuple:
        for inner in value:  # noqa: SIM110 (a generator costs more than the loop)
            if type(inner) not in _SCALARS and not plain(inner):
                return False
        return True
    if kind in _SCALARS:
        return True
    # Anything else is a registered transcoding's (checked in ``_wrap``) or refused.
    return not isinstance(value, _WRITTEN_OTHERWISE)


class FastJSONTranscoder(JSONTranscoder):
    """The library's ``JSONTranscoder``, with orjson doing the writing and reading."""

    def encode(self, obj: Any) -> bytes:
        if plain(obj):
            try:
                return orjson.dumps(obj, default=self._wrap, option=OPTIONS)
            except orjson.JSONEncodeError:
                pass  # _Unlike, an unregistered type, a big integer: the library decides
        return super().encode(obj)

    def _wrap(self, obj: Any) -> dict[str, Any]:
        transcoding = self.types.get(type(obj))
        if transcoding is not None and transcoding.name in TEXT_DATA:
            # Every event has a timestamp and a stamp: skipping the library's lookup and the
            # walk made an event's encoding a fifth cheaper (4.4 -> 3.6 µs for a payment).
            return {"_type_": transcoding.name, "_data_": transcoding.encode(obj)}
        wrapped = self._encode_obj(obj)
        if not plain(wrapped["_data_"]):
            raise _Unlike
        return wrapped

    def decode(self, data: bytes) -> Any:
        try:
            return self._revive(orjson.loads(data))
        except (orjson.JSONDecodeError, _Unlike):
            return super().decode(data)  # NaN, a float, an integer beyond 64 bits

    def _revive(self, value: Any) -> Any:
        # What the library's object hook does, innermost objects first.  A float goes to the
        # library: orjson reads an integer beyond 64 bits as one, where json keeps it exact.
        if type(value) is dict:
            for key, inner in value.items():
                if type(inner) is dict or type(inner) is list:
                    value[key] = self._revive(inner)
                elif type(inner) is float:
                    raise _Unlike
            if len(value) == 2 and "_type_" in value:
                return self._decode_obj(value)
            return value
        if type(value) is list:
            for index, inner in enumerate(value):
                if type(inner) is dict or type(inner) is list:
                    value[index] = self._revive(inner)
                elif type(inner) is float:
                    raise _Unlike
            return value
        if type(value) is float:
            raise _Unlike
        return value
