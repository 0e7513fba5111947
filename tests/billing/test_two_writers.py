"""Two API processes take billing's payments at once (``hall serve --workers``, or replicas):
every payment writes its day, so once they see each other their writers take turns under a
PostgreSQL advisory lock instead of conflicting (hall/writerlock.py)."""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from hall.runtime import Hall
from hall.settings import Settings
from hall.writerlock import WriterLock
from tests.billing.money import accepted_case, assessed, fresh, ledger, paid, receipt
from tests.billing.test_group_commit import posted
from tests.conftest import store_settings
from tests.support import Desk, two_writers, wait_for


@pytest.fixture
def on_postgres(tmp_path: Path) -> Iterator[Settings]:
    yield from store_settings("postgres", tmp_path)  # on SQLite one process writes


def test_payments_posted_at_once_to_two_writers_are_all_recorded(on_postgres: Settings) -> None:
    with two_writers(on_postgres) as (desk_a, desk_b):
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


def test_a_lone_writer_takes_no_turns_until_another_writes(on_postgres: Settings) -> None:
    with two_writers(on_postgres) as (desk_a, desk_b):
        lock = billing_lock(desk_b)
        cases = [accepted_case(desk_a) for _ in range(4)]
        desk_a.record(*[assessed(case_no, "10.00") for case_no in cases], by="CASHIER")
        desk_b.record(paid(cases[0], "10.00"), by="CASHIER")
        desk_b.record(paid(cases[1], "10.00"), by="CASHIER")
        alone = lock.wanted

        desk_a.record(paid(cases[2], "10.00"), by="CASHIER")  # the day moves on elsewhere
        desk_b.record(paid(cases[3], "10.00"), by="CASHIER")  # and B finds it so
        seen = lock.wanted
        day = ledger(desk_a)

    assert (alone, seen) == (False, True)
    assert Decimal(day["totals"]["paid"]) == Decimal("40.00")


def test_a_writer_waits_while_another_holds_the_lock(on_postgres: Settings) -> None:
    with two_writers(on_postgres) as (desk_a, desk_b):
        second: Hall = desk_b.client.app.state.hall  # type: ignore[attr-defined]
        case_no = accepted_case(desk_a)
        desk_a.record(assessed(case_no, "10.00"), by="CASHIER")
        billing_lock(desk_b).another_writer()  # as when B has seen A's payments
        assert on_postgres.database_url is not None
        other = WriterLock(on_postgres.database_url, on_postgres.database_schema, "billing")
        try:
            with other.held():  # as another process's writer would
                waiting = second.committers["billing"].submit([posted(paid(case_no, "10.00"))])
                with pytest.raises(concurrent.futures.TimeoutError):
                    waiting.result(timeout=0.5)
            outcome = waiting.result(timeout=30)  # its turn comes once the lock is free
        finally:
            other.close()
    assert [r.status for r in outcome] == ["recorded"]  # type: ignore[union-attr]


def test_a_lone_writer_waits_out_another_writers_turn(on_postgres: Settings) -> None:
    # A writer that has seen no other takes no turns, but its writes wait while another
    # writer holds its turn: else a decision taken in turn could be overtaken again and again.
    with two_writers(on_postgres) as (desk_a, desk_b):
        lone: Hall = desk_b.client.app.state.hall  # type: ignore[attr-defined]
        case_no = accepted_case(desk_a)
        desk_a.record(assessed(case_no, "10.00"), by="CASHIER")
        assert on_postgres.database_url is not None
        other = WriterLock(on_postgres.database_url, on_postgres.database_schema, "billing")
        try:
            with other.held():  # another process's writer, in its turn
                waiting = lone.committers["billing"].submit([posted(paid(case_no, "10.00"))])
                wait_for(
                    lambda: _waiting_for(on_postgres.database_url or "", other.key) == 1,
                    30,
                    "the lone writer's write to wait",
                )
                unanswered = not waiting.done()
            outcome = waiting.result(timeout=30)  # written once the turn is over
        finally:
            other.close()
        took_turns = billing_lock(desk_b).wanted
    assert unanswered
    assert not took_turns  # it waited without taking a turn of its own
    assert [r.status for r in outcome] == ["recorded"]  # type: ignore[union-attr]


def billing_lock(desk: Desk) -> WriterLock:
    hall: Hall = desk.client.app.state.hall  # type: ignore[attr-defined]
    lock = hall.committers["billing"].lock
    assert lock is not None
    return lock


def test_a_writer_passing_its_turn_lets_a_waiting_writer_go_first(on_postgres: Settings) -> None:
    # A writer with more queued keeps its turn (``GroupCommitter``) but hands the lock on to a
    # writer already waiting, and takes it back after that writer, in one round trip.
    url, schema = on_postgres.database_url, on_postgres.database_schema
    assert url is not None
    first, second = WriterLock(url, schema, "billing"), WriterLock(url, schema, "billing")
    turns: list[str] = []

    def take_a_turn() -> None:
        with second.held():
            turns.append("second")

    try:
        with first.held() as pass_turn:
            waiting = threading.Thread(target=take_a_turn)
            waiting.start()
            wait_for(lambda: _waiting_for(url, first.key) == 1, 30, "the second writer to wait")
            pass_turn()  # returns once the second writer has had its turn
            turns.append("first")
        waiting.join(timeout=30)
    finally:
        first.close()
        second.close()
    assert turns == ["second", "first"]


def _waiting_for(url: str, key: str) -> int:
    """Sessions waiting for the advisory lock named ``key``."""
    with psycopg.connect(url, autocommit=True) as connection:
        row = connection.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND ((classid::bigint << 32) | objid::bigint) = hashtextextended(%s, 0)",
            (key,),
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_two_processes_paying_one_receipt_number_at_once_record_it_once(
    on_postgres: Settings,
) -> None:
    with two_writers(on_postgres) as (desk_a, desk_b):
        cases = [accepted_case(desk_a) for _ in range(2)]
        desk_a.record(*[assessed(case_no, "10.00") for case_no in cases], by="CASHIER")
        number = fresh("R")

        def pay(index: int) -> int:
            desk = (desk_a, desk_b)[index]
            return desk.post(paid(cases[index], "10.00", number), by="CASHIER").status_code

        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            answers = sorted(pool.map(pay, range(2)))
        owner = receipt(desk_b, number)["case_no"]
        fees = [desk_a.case(case_no)["fees"]["paid"] for case_no in cases]

    assert answers == [200, 409]
    assert sorted(fees) == ["0.00", "10.00"]
    assert fees[cases.index(owner)] == "10.00"
