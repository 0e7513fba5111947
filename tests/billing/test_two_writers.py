"""Two API processes take billing's payments at once (``hall serve --workers``, or replicas):
every payment writes its day, so their writers take turns under a PostgreSQL advisory lock
instead of conflicting (hall/writerlock.py)."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hall.http.app import create_app
from hall.runtime import Hall
from hall.settings import Settings
from hall.writerlock import WriterLock
from tests.billing.money import accepted_case, assessed, ledger, paid
from tests.billing.test_group_commit import posted
from tests.conftest import store_settings
from tests.support import Desk


@pytest.fixture
def two_halls(tmp_path: Path) -> Iterator[tuple[Hall, Hall]]:
    for settings in store_settings("postgres", tmp_path):
        first, second = Hall.start(settings, follow=False), Hall.start(settings, follow=False)
        try:
            yield first, second
        finally:
            first.close()
            second.close()


@contextmanager
def desks(first: Hall, second: Hall) -> Iterator[tuple[Desk, Desk]]:
    with TestClient(create_app(hall=first)) as a, TestClient(create_app(hall=second)) as b:
        desk_a = Desk(a).with_catalogue()
        desk_b = Desk(b)
        desk_b.tokens = desk_a.tokens
        yield desk_a, desk_b


def test_payments_posted_at_once_to_two_writers_are_all_recorded(
    two_halls: tuple[Hall, Hall],
) -> None:
    with desks(*two_halls) as (desk_a, desk_b):
        cases = [accepted_case(desk_a) for _ in range(100)]
        desk_a.record(*[assessed(case_no, "10.00") for case_no in cases], by="CASHIER")

        def pay(index: int) -> int:
            desk = desk_a if index % 2 else desk_b
            return desk.post(paid(cases[index], "10.00"), by="CASHIER").status_code

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(pay, range(len(cases))))

        day = ledger(desk_b)
    assert answers == [200] * len(cases)
    assert Decimal(day["totals"]["paid"]) == Decimal("1000.00")


def test_a_writer_waits_while_another_holds_the_lock(two_halls: tuple[Hall, Hall]) -> None:
    first, second = two_halls
    with desks(first, second) as (desk_a, _):
        case_no = accepted_case(desk_a)
        desk_a.record(assessed(case_no, "10.00"), by="CASHIER")
        settings: Settings = second.settings
        assert settings.database_url is not None
        other = WriterLock(settings.database_url, settings.database_schema, "billing")
        try:
            with other.held():  # as another process's writer would
                waiting = second.committers["billing"].submit([posted(paid(case_no, "10.00"))])
                with pytest.raises(concurrent.futures.TimeoutError):
                    waiting.result(timeout=0.5)
            outcome = waiting.result(timeout=30)  # its turn comes once the lock is free
        finally:
            other.close()
    assert [r.status for r in outcome] == ["recorded"]  # type: ignore[union-attr]
