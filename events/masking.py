"""Masking of identity numbers and phones: they never leave the service unmasked."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from events.applicant import Applicant

SENSITIVE_KEYS = frozenset({"id_number", "phone"})


def _keep(s: str, head: int, tail: int) -> str:
    return s[:head] + "*" * (len(s) - head - tail) + s[len(s) - tail :]


def mask_id_number(s: str) -> str:
    """Mask an id number: 330106********1234 for long ones, E1*****78 for passports."""
    # Below 15 characters, keeping 6 + 4 would reveal most of the number.
    if len(s) >= 15:
        return _keep(s, 6, 4)
    if len(s) >= 6:
        return _keep(s, 2, 2)
    return "*" * len(s)


def mask_phone(s: str) -> str:
    """Mask a phone: 138****5678 for mobile-length numbers, only the last two shown otherwise."""
    if len(s) >= 11:
        return _keep(s, 3, 4)
    if len(s) > 2:
        return _keep(s, 0, 2)
    return "*" * len(s)


def _mask_value(key: object, value: Any) -> Any:
    if isinstance(value, str) and key == "id_number":
        return mask_id_number(value)
    if isinstance(value, str) and key == "phone":
        return mask_phone(value)
    return _walk(value)


def _walk(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _mask_value(k, v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_walk(v) for v in value]
    return value


def mask_payload(d: Mapping[str, Any]) -> dict[str, Any]:
    """Return a copy of a JSON-able dict with every id_number and phone masked, at any depth."""
    return {k: _mask_value(k, v) for k, v in d.items()}


def masked_applicant(a: Applicant) -> dict[str, Any]:
    """Return the applicant as a JSON-able dict with id_number and phone masked."""
    return mask_payload(a.model_dump(mode="json"))
