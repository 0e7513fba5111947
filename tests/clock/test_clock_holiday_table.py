"""Loading the operator's holiday table, and refusing a broken one by name."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from services.intake.clock import HolidayTable, HolidayTableError, WorkCalendar

EXAMPLE = Path(__file__).parents[2] / "services" / "intake" / "holidays.example.toml"


def test_the_example_table_loads_and_declares_2027() -> None:
    table = HolidayTable.load(EXAMPLE)

    assert table.years == frozenset({2027})
    assert date(2027, 1, 1) in table.holidays
    assert WorkCalendar(table).is_known(date(2027, 6, 1))


def test_the_empty_table_declares_nothing() -> None:
    table = HolidayTable.empty()

    assert (table.years, dict(table.holidays), dict(table.workdays)) == (frozenset(), {}, {})


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('years = [2027]\n[holidays]\n"2027-13-01" = "x"\n', '"2027-13-01": not a date'),
        ('years = [2027]\n[holidays]\n"1/1/2027" = "x"\n', '"1/1/2027": not a date'),
        (
            'years = [2027]\n[holidays]\n"2027-02-07" = "a"\n[workdays]\n"2027-02-07" = "b"\n',
            '"2027-02-07" is both a holiday',
        ),
        ('years = [2027]\n[workdays]\n"2028-01-08" = "x"\n', "year 2028 is not in years"),
        ('[holidays]\n"2027-01-01" = "x"\n', "year 2027 is not in years"),
        ('years = ["2027"]\n', "'2027' is not a year"),
        ('years = [2027]\n[holiday]\n"2027-01-01" = "x"\n', "unknown key(s) holiday"),
        ('years = [2027]\n[holidays]\n"2027-01-01" = ""\n', "name must be non-empty"),
        ("years = [2027\n", "not valid TOML"),
    ],
)
def test_a_broken_table_is_refused_naming_the_file_and_entry(
    write_table: Callable[[str], Path], text: str, problem: str
) -> None:
    path = write_table(text)

    with pytest.raises(HolidayTableError) as refused:
        HolidayTable.load(path)

    assert str(path) in str(refused.value)
    assert problem in str(refused.value)


def test_a_missing_table_file_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(HolidayTableError, match=r"missing\.toml"):
        HolidayTable.load(tmp_path / "missing.toml")


def test_a_table_built_in_code_is_checked_too() -> None:
    with pytest.raises(HolidayTableError, match="year 2027 is not in years"):
        HolidayTable(years=frozenset(), holidays={date(2027, 1, 1): "元旦"})


def test_a_table_cannot_be_changed_after_loading(
    load_table: Callable[[str], HolidayTable],
) -> None:
    table = load_table('years = [2027]\n[holidays]\n"2027-01-01" = "x"\n')

    with pytest.raises(TypeError):
        table.holidays[date(2027, 1, 2)] = "y"  # type: ignore[index]
