"""Shared Givens for the working-day clock tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from services.intake.clock import HolidayTable, WorkCalendar


@pytest.fixture
def calendar() -> WorkCalendar:
    """The package's calendar with no operator table."""
    return WorkCalendar()


@pytest.fixture
def write_table(tmp_path: Path) -> Callable[[str], Path]:
    """Write a holiday table file and return its path."""

    def write(text: str, name: str = "holidays.toml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def load_table(write_table: Callable[[str], Path]) -> Callable[[str], HolidayTable]:
    """Write and load a holiday table in one step."""
    return lambda text: HolidayTable.load(write_table(text))
