"""Deadlines past the calendar package: provisional without a holiday table, exact with one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hall.http.app import create_app
from hall.runtime import Hall
from hall.settings import Settings
from tests.support import ITEMS, Desk, event

TABLE_2027 = """
years = [2027]
[holidays]
"2027-01-01" = "元旦"
"""
LONG_ITEM = ITEMS["LAND-REG"] | {"legal_limit_days": 60, "promised_limit_days": 45}


@pytest.fixture
def desk_with_table(settings: Settings, tmp_path: Path) -> Iterator[Desk]:
    table = tmp_path / "holidays.toml"
    table.write_text(TABLE_2027, encoding="utf-8")
    hall = Hall.start(settings.model_copy(update={"holidays_file": table}))
    with TestClient(create_app(hall=hall)) as client:
        yield Desk(client).with_catalogue()
    hall.close()


def accept_long_case(desk: Desk) -> dict:
    desk.put("/v1/catalog/items/LAND-LONG", LONG_ITEM)
    desk.record(
        event(
            "case.accepted",
            "2026-000400",
            item_code="LAND-LONG",
            occurred_at="2026-11-20T09:00:00+08:00",
        )
    )
    return desk.case("2026-000400")


def test_without_a_table_a_2027_deadline_counts_weekdays_and_says_it_is_provisional(
    desk: Desk,
) -> None:
    case = accept_long_case(desk)

    # 29 working days to Thu 2026-12-31, then weekdays only: Jan 1, 4-8, 11-15, 18-22
    assert case["due_date"] == "2027-01-22"
    assert case["due_date_provisional"] is True


def test_with_the_operators_table_a_2027_deadline_is_exact(desk_with_table: Desk) -> None:
    case = accept_long_case(desk_with_table)

    # the same count, but 2027-01-01 is a holiday: one working day later, Mon Jan 25
    assert case["due_date"] == "2027-01-25"
    assert case["due_date_provisional"] is False
