"""ContractError and the translation of pydantic's errors into the contract's error codes."""

from __future__ import annotations

from typing import Final, Literal, get_args

from pydantic import ValidationError
from pydantic_core import ErrorDetails

ErrorCode = Literal[
    "not_an_object",
    "unknown_type",
    "missing_field",
    "invalid_field",
    "bad_checksum",
    "bad_amount",
    "future_event",
    "missing_offset",
    "extra_field",
    "invalid_batch",
    "mixed_batch",
]
ERROR_CODES: Final[tuple[ErrorCode, ...]] = get_args(ErrorCode)

# Our validators raise PydanticCustomError with the contract's own code as the error type, so
# those map to themselves; the rest are pydantic's built-in types. Anything else is generic.
_CODE_OF: Final[dict[str, ErrorCode]] = {
    "missing": "missing_field",
    "extra_forbidden": "extra_field",
    "timezone_aware": "missing_offset",
    "bad_checksum": "bad_checksum",
    "bad_amount": "bad_amount",
    "future_event": "future_event",
}
_MESSAGE_OF: Final[dict[str, str]] = {
    "missing": "field required",
    "extra_forbidden": "unknown field (not part of the contract)",
    "timezone_aware": "date-time needs a UTC offset, e.g. +08:00 or Z",
}


class ContractError(Exception):
    """A posted event (or batch) that breaks the contract: answered with 422."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        field: str | None = None,
        event_index: int | None = None,
        event_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code: ErrorCode = code
        self.message = message
        self.field = field
        self.event_index = event_index
        self.event_id = event_id

    def __repr__(self) -> str:
        return f"ContractError({self.code!r}, {self.message!r}, field={self.field!r})"


def field_path(loc: tuple[int | str, ...]) -> str | None:
    """Render a pydantic location as "lines[0].amount"; None for the event itself."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else part)
    return path or None


def _describe(error: ErrorDetails) -> tuple[ErrorCode, str | None, str]:
    kind = error["type"]
    field = field_path(error["loc"])
    text = _MESSAGE_OF.get(kind, error["msg"])
    return _CODE_OF.get(kind, "invalid_field"), field, f"{field}: {text}" if field else text


def contract_error(exc: ValidationError) -> ContractError:
    """Turn pydantic's error list into one ContractError naming the first problem."""
    errors = exc.errors(include_url=False, include_input=False)
    code, field, message = _describe(errors[0])
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more)"
    return ContractError(code, message, field)
