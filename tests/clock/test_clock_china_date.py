"""Instants become China calendar dates, whatever offset they arrive with."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from services.intake.clock import china_date


def test_late_evening_utc_on_new_years_eve_is_already_new_year_in_china() -> None:
    assert china_date(datetime(2026, 12, 31, 16, 30, tzinfo=UTC)) == date(2027, 1, 1)


def test_late_evening_china_time_stays_on_the_same_day() -> None:
    beijing = timezone(timedelta(hours=8))

    assert china_date(datetime(2026, 12, 31, 23, 30, tzinfo=beijing)) == date(2026, 12, 31)


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        china_date(datetime(2026, 12, 31, 23, 30))
