"""Supervision's effects are exactly once: a restart or a crash loses and duplicates no finding,
and a full replay into a fresh store raises the very findings the live service raised."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from hall.runtime import Hall
from hall.settings import Settings
from services.supervision.application import Supervision
from tests.conftest import fresh_schema
from tests.supervision.harness import (
    StoryClock,
    Teller,
    Watch,
    finding_ids,
    hall_sources,
    open_supervision,
)

Look = Callable[[str], None]
LINE = [{"fee_code": "F1", "amount": "80.00"}]


def at(day: str, clock: str = "09:00:00") -> str:
    return f"2026-11-{day}T{clock}+08:00"


def first_week(teller: Teller, look: Look, money: bool) -> None:
    """Cases accepted, forwarded, bounced, completed unpaid then paid late, a day not remitted."""
    teller.at(at("02"))
    for n in range(1, 7):
        teller.accept(f"W-{n}")
    teller.accept("I-1", item="CIVIL-MARRY")
    if money:
        teller.post(*(teller.event("fee.assessed", f"W-{n}", lines=LINE) for n in (1, 2)))
    look(at("02", "09:30:00"))
    teller.at(at("02", "10:00:00"))
    teller.tell("case.completed", "W-1", location="hall")
    teller.tell("case.transferred", "W-3", to_unit="LAND", location="back_office")
    for unit in ("CIVIL", "LAND", "CIVIL"):
        teller.tell("case.transferred", "W-4", to_unit=unit, location="hall")
    look(at("02", "13:00:00"))
    teller.at(at("02", "14:00:00"))
    if money:
        paid = {"amount": "80.00", "method": "cash"}
        teller.money(
            "fee.paid", "W-1", receipt_no="R-W-1", occurred_at=at("02", "09:30:00"), **paid
        )
        teller.money("fee.paid", "W-2", receipt_no="R-W-2", **paid)
    look(at("03", "17:00:00"))


def second_week(teller: Teller, look: Look, money: bool) -> None:
    """Refusals, ratings, a case completed late, cards turning yellow and red."""
    teller.at(at("04"))
    if money:
        teller.money("remittance.made", "", batch_no="RB-1", receipts=["R-W-2"], amount="80.00")
    teller.accept("L-1", occurred_at=at("02"))  # entered two days late
    teller.tell("case.received", "R-1")
    teller.tell("case.refused", "R-1", legal_basis="")
    teller.tell("case.completed", "W-5", location="back_office")
    teller.tell("evaluation.submitted", "W-5", rating=1)
    look(at("06", "12:00:00"))
    teller.at(at("09")).tell("case.signed", "W-6", location="hall")
    look(at("10", "12:00:00"))
    teller.at(at("11")).tell("case.completed", "W-6", location="hall")
    look(at("16", "12:00:00"))


def story(teller: Teller, look: Look, money: bool) -> None:
    first_week(teller, look, money)
    second_week(teller, look, money)


@pytest.fixture
def elsewhere(settings: Settings, tmp_path: Any) -> Iterator[Settings]:
    """Settings for a fresh, empty supervision store."""
    if settings.database_url is None:
        yield settings.model_copy(update={"data_dir": tmp_path / "elsewhere"})
        return
    with fresh_schema() as schema:
        yield settings.model_copy(update={"database_schema": schema})


def replayed(elsewhere: Settings, hall: Hall, clock: StoryClock) -> list[dict[str, Any]]:
    """The findings of a replay of every stream from position 0 into a fresh store."""
    app = open_supervision(elsewhere, hall)
    try:
        return Watch(app, hall_sources(hall), clock).run().flags()
    finally:
        app.close()


def test_a_full_replay_raises_exactly_the_findings_of_the_live_service(
    teller: Teller, watch: Watch, hall: Hall, clock: StoryClock, elsewhere: Settings
) -> None:
    money = getattr(hall, "billing", None) is not None
    story(teller, lambda until: watch.run(until) and None, money)

    live = watch.flags()

    assert {f["rule"] for f in live} >= {
        "overdue",
        "bounced",
        "step_stalled",
        "back_filled",
        "front_shop_back_factory",
    }
    if money:
        assert {"fee_bypass", "unremitted_fee"} <= {f["rule"] for f in live}
    assert replayed(elsewhere, hall, clock) == live


def test_a_restart_between_transactions_loses_and_duplicates_no_finding(
    teller: Teller, settings: Settings, hall: Hall, clock: StoryClock, elsewhere: Settings
) -> None:
    money = getattr(hall, "billing", None) is not None
    sources = hall_sources(hall)
    before = open_supervision(settings, hall)
    first_week(teller, lambda until: Watch(before, sources, clock).run(until) and None, money)
    raised_before = finding_ids(Watch(before, sources, clock).flags())
    before.close()

    # When a new process opens the same store and carries on
    after = open_supervision(settings, hall)
    second_week(teller, lambda until: Watch(after, sources, clock).run(until) and None, money)
    live = Watch(after, sources, clock).flags()
    after.close()

    assert set(raised_before) <= set(finding_ids(live))
    assert len(finding_ids(live)) == len(set(finding_ids(live)))
    assert replayed(elsewhere, hall, clock) == live


class Crash(Exception):
    pass


def test_a_crash_in_the_middle_of_a_transaction_is_retried_as_if_nothing_happened(
    teller: Teller, settings: Settings, hall: Hall, clock: StoryClock, elsewhere: Settings
) -> None:
    money = getattr(hall, "billing", None) is not None
    sources = hall_sources(hall)
    story(teller, lambda until: None, money)  # every event is in the logs; nobody looked yet
    crashing = open_supervision(settings, hall)
    commits = 0
    record = crashing._record

    def dies_on_the_third_commit(processing: Any) -> Any:
        nonlocal commits
        commits += 1
        if commits == 3:
            raise Crash
        return record(processing)

    crashing._record = dies_on_the_third_commit  # type: ignore[method-assign]
    with pytest.raises(Crash):
        Watch(crashing, sources, clock).run()
    crashing.close()

    restarted: Supervision = open_supervision(settings, hall)
    live = Watch(restarted, sources, clock).run().flags()
    restarted.close()

    assert replayed(elsewhere, hall, clock) == live
    assert len(live) == len(set(finding_ids(live))) > 0
