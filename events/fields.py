"""Shared field types of the contract: codes, labels, free text and instants."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    StringConstraints,
    WrapSerializer,
)
from pydantic_core import PydanticCustomError

CASE_NO_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_\-.]{0,63}$"

CaseNo = Annotated[str, StringConstraints(pattern=CASE_NO_PATTERN)]
"""A case number as the hall prints it on the promise slip, e.g. "2026-000123"."""

# Codes are compared byte for byte downstream ("LAND" vs "LAND "), so no whitespace at all.
Code = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^\S+$")]
"""An identifier from the catalogue or a terminal: item, window, department, receipt, staff."""

# Labels are names people read; inner spaces are fine, padding is a typing slip.
Label = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^\S(.*\S)?$")]
"""A short human name: a person, a title, a material, a channel."""

Text = Annotated[str, StringConstraints(max_length=2000)]
"""Free text that may be empty."""

RequiredText = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
"""Free text that must say something."""

# Pydantic would also take a Unix timestamp (number or digit string) as a datetime; a terminal
# sending one has a bug, and it would silently become UTC.
_ISO_START = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ]")


def _require_iso_text(value: object) -> object:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or _ISO_START.match(value) is None:
        raise PydanticCustomError(
            "invalid_instant", "expected an ISO 8601 date-time with an offset"
        )
    return value


def _serialise_instant(
    value: datetime, handler: SerializerFunctionWrapHandler, info: SerializationInfo
) -> Any:
    # The canonical form (for digests) must not depend on the offset the terminal happened to use.
    context = info.context
    if isinstance(context, dict) and context.get("canonical"):
        value = value.astimezone(UTC)
    return handler(value)


EARLIEST, LATEST = 1990, 2199  # years a hall's event or an as-of instant can plausibly name


def _require_plausible(value: datetime) -> datetime:
    # 0001-01-01T00:00+14:00 parses but has no UTC form (the digest would fail), and a year-9999
    # instant overflows China-time arithmetic; neither is a real moment in a hall's life.
    try:
        year = value.astimezone(UTC).year
    except OverflowError:
        year = 0
    if not EARLIEST <= year <= LATEST:
        raise PydanticCustomError(
            "invalid_instant", f"date-time out of range ({EARLIEST}–{LATEST})"
        )
    return value


Instant = Annotated[
    AwareDatetime,
    BeforeValidator(_require_iso_text),
    AfterValidator(_require_plausible),
    WrapSerializer(_serialise_instant, when_used="json"),
]
"""A moment with its UTC offset; naive date-times are refused."""
