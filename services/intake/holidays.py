"""The operator's holiday table: extends and overrides the `chinese_calendar` package."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

__all__ = ["HolidayTable", "HolidayTableError"]

# date.fromisoformat also accepts "20270101" and ISO week dates; the table must be unambiguous.
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_KEYS = frozenset({"years", "holidays", "workdays"})


class HolidayTableError(ValueError):
    """The holiday table file is unreadable or contradicts itself."""


@dataclass(frozen=True)
class HolidayTable:
    """Rest days and swapped workdays (调休) the operator declares for whole years."""

    years: frozenset[int] = frozenset()
    holidays: Mapping[date, str] = field(default_factory=dict)
    workdays: Mapping[date, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check(self.years, self.holidays, self.workdays, where="holiday table")
        # Read-only views: a table shared by calendars must not change under them.
        object.__setattr__(self, "years", frozenset(self.years))
        object.__setattr__(self, "holidays", MappingProxyType(dict(self.holidays)))
        object.__setattr__(self, "workdays", MappingProxyType(dict(self.workdays)))

    @classmethod
    def empty(cls) -> HolidayTable:
        """A table that declares nothing: the package alone decides."""
        return cls()

    @classmethod
    def load(cls, path: str | Path) -> HolidayTable:
        """Read and validate a TOML holiday table (see holidays.example.toml)."""
        where = str(path)
        try:
            with open(path, "rb") as file:
                raw = tomllib.load(file)
        except OSError as error:
            raise HolidayTableError(f"{where}: cannot read holiday table: {error}") from error
        except tomllib.TOMLDecodeError as error:
            raise HolidayTableError(f"{where}: not valid TOML: {error}") from error
        unknown = sorted(set(raw) - _KEYS)
        if unknown:
            raise HolidayTableError(
                f"{where}: unknown key(s) {', '.join(unknown)}; expected years, holidays, workdays"
            )
        years = _years(raw.get("years", []), where)
        holidays = _days(raw.get("holidays", {}), where, "holidays")
        workdays = _days(raw.get("workdays", {}), where, "workdays")
        _check(years, holidays, workdays, where=where)
        return cls(years=years, holidays=holidays, workdays=workdays)

    def fingerprint_lines(self) -> Iterable[str]:
        """The table's contents in a canonical order, for the calendar version."""
        yield "years=" + ",".join(str(year) for year in sorted(self.years))
        for kind, days in (("holiday", self.holidays), ("workday", self.workdays)):
            for day in sorted(days):
                yield f"{kind} {day.isoformat()} {days[day]}"


def _years(value: Any, where: str) -> frozenset[int]:
    if not isinstance(value, list):
        raise HolidayTableError(f"{where}: years must be a list of years, got {value!r}")
    for year in value:
        # bool is an int subclass; `years = [true]` is a typo, not a year.
        if isinstance(year, bool) or not isinstance(year, int) or not 1 <= year <= 9999:
            raise HolidayTableError(f"{where}: years: {year!r} is not a year")
    return frozenset(value)


def _days(value: Any, where: str, section: str) -> dict[date, str]:
    if not isinstance(value, dict):
        raise HolidayTableError(f'{where}: [{section}] must be a table of "YYYY-MM-DD" = name')
    days: dict[date, str] = {}
    for key, name in value.items():
        entry = f'[{section}] "{key}"'
        try:
            if not _ISO_DAY.fullmatch(key):
                raise ValueError(key)
            day = date.fromisoformat(key)
        except ValueError:
            raise HolidayTableError(f"{where}: {entry}: not a date (YYYY-MM-DD)") from None
        if not isinstance(name, str) or not name.strip():
            raise HolidayTableError(f"{where}: {entry}: the name must be non-empty text")
        days[day] = name
    return days


def _check(
    years: frozenset[int], holidays: Mapping[date, str], workdays: Mapping[date, str], where: str
) -> None:
    conflicts = sorted(holidays.keys() & workdays.keys())
    if conflicts:
        day = conflicts[0]
        raise HolidayTableError(
            f'{where}: "{day.isoformat()}" is both a holiday ({holidays[day]}) '
            f"and a workday ({workdays[day]})"
        )
    for section, days in (("holidays", holidays), ("workdays", workdays)):
        for day in sorted(days):
            if day.year not in years:
                raise HolidayTableError(
                    f'{where}: [{section}] "{day.isoformat()}": year {day.year} is not in '
                    f"years = {sorted(years)}; declare the whole year before listing its days"
                )
