"""Shared fixtures of the contract tests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from events import ContractError, parse_event

# Shortly after the examples' occurred_at (2026-03-02T09:15:00+08:00), so nothing is "future".
NOW = datetime(2026, 3, 2, 1, 20, tzinfo=UTC)


@pytest.fixture
def now() -> datetime:
    """A fixed "now" for every test that parses events."""
    return NOW


def rejection(raw: object, now: datetime | None = NOW) -> ContractError:
    """Parse `raw`, expect the contract to refuse it, and return the error."""
    with pytest.raises(ContractError) as caught:
        parse_event(raw, now=now)
    return caught.value
