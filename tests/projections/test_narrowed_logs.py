"""A rebuild, and a process keeping only the read models, read only the events the models use:
transfers and signatures, which only supervision reads, stay unread and undecoded, and the
rebuilt tables still equal the live ones."""

from __future__ import annotations

from eventsourcing.utils import get_topic

from hall.followers import PROJECTIONS, narrowed
from hall.runtime import Hall
from hall.settings import Settings
from projections.alert_board import AlertBoard
from projections.base import Projection
from projections.case_list import CaseList
from projections.completion import Completion
from projections.fee_ledger import FeeLedger
from projections.runner import rebuild_all
from projections.sources import Message, StoreLog
from services.intake.deadline import CLOCK_TYPES
from services.intake.domainmodel import Case
from services.intake.translate import TYPES, unread_topics
from tests.projections.harness import rows
from tests.projections.test_runner import random_workload
from tests.support import Desk

TABLES = {CaseList: "cases", AlertBoard: "cases", Completion: "cases"}


def test_a_reader_of_the_clock_types_may_pass_over_transfers_signatures_and_ratings() -> None:
    unread = unread_topics(CLOCK_TYPES)

    assert get_topic(Case.Transferred) in unread  # type: ignore[attr-defined]
    assert get_topic(Case.Signed) in unread  # type: ignore[attr-defined]
    assert get_topic(Case.Rated) in unread  # type: ignore[attr-defined]
    assert get_topic(Case.Completed) not in unread  # type: ignore[attr-defined]
    assert get_topic(Case.Received) not in unread  # type: ignore[attr-defined]


def test_received_is_read_by_a_reader_of_either_of_the_types_it_carries() -> None:
    received = get_topic(Case.Received)  # type: ignore[attr-defined]

    assert received not in unread_topics({"case.accepted"})
    assert received not in unread_topics({"case.received"})
    assert received in unread_topics({"case.completed"})


def test_a_reader_of_every_type_passes_over_nothing() -> None:
    every = {*TYPES.values(), "case.received", "catalog.entry.published", "catalog.index.added"}
    every |= {"catalog.entry.revised", "catalog.index.started"}

    assert unread_topics(every) == frozenset()


def read_whole(log: StoreLog) -> list[Message]:
    stream = log.streams[0]
    messages, after = [], 0
    while batch := log.read(stream, after, 7):  # small batches: many ends to pass over
        messages += batch
        after = batch[-1].position
    return messages


def test_the_narrowed_log_skips_what_no_model_reads_and_still_reaches_the_head(
    desk: Desk, hall: Hall
) -> None:
    random_workload(desk, cases=30, seed=5)
    assert hall.followers is not None
    sources = hall.followers.sources
    whole = read_whole(sources.by_stream["intake"])  # type: ignore[arg-type]

    log = narrowed(sources, PROJECTIONS).by_stream["intake"]
    assert isinstance(log, StoreLog)
    read = read_whole(log)

    wanted = CLOCK_TYPES | Completion.reads  # type: ignore[operator]
    assert any(m.type == "case.signed" for m in whole)
    # the log's newest event always comes back, whatever its type: a reader must reach the head
    assert {m.type for m in read[:-1]} <= wanted
    assert read[-1].position == whole[-1].position == log.head("intake")
    assert [m for m in read if m.type in wanted] == [m for m in whole if m.type in wanted]


def test_a_model_reading_every_type_keeps_the_log_whole(hall: Hall) -> None:
    class Everything(CaseList):
        reads = None

    assert hall.followers is not None
    sources = hall.followers.sources
    models: list[type[Projection]] = [Everything, AlertBoard, FeeLedger]

    assert narrowed(sources, models).by_stream["intake"] is sources.by_stream["intake"]
    assert narrowed(sources, [FeeLedger]).by_stream["intake"] is sources.by_stream["intake"]


def test_a_narrowed_rebuild_equals_the_live_models(desk: Desk, hall: Hall) -> None:
    random_workload(desk, cases=40, seed=6)
    followers = hall.followers
    assert followers is not None
    followers.catch_up()
    live = {cls: rows(followers, cls, table, "case_no") for cls, table in TABLES.items()}
    classes = list(TABLES)

    rebuild_all(
        classes, followers.store, narrowed(followers.sources, classes), context=followers.context
    )

    assert {cls: rows(followers, cls, table, "case_no") for cls, table in TABLES.items()} == live


def test_a_process_keeping_only_the_read_models_reads_only_what_they_use(
    settings: Settings,
) -> None:
    signed = get_topic(Case.Signed)  # type: ignore[attr-defined]
    views = Hall.start(settings, record=False, parts={"views"})
    try:
        assert views.followers is not None and views.supervisor is not None
        assert signed in views.followers.sources.by_stream["intake"].skip  # type: ignore[attr-defined]
        assert signed not in views.supervisor.sources.by_stream["intake"].skip  # type: ignore[attr-defined]
    finally:
        views.close()
    whole = Hall.start(settings, record=False)  # supervision too: one window serves all
    try:
        assert whole.followers is not None and whole.supervisor is not None
        assert whole.followers.sources is whole.supervisor.sources
        assert signed not in whole.followers.sources.by_stream["intake"].skip  # type: ignore[attr-defined]
    finally:
        whole.close()
