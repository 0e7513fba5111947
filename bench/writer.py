"""Writer benchmark: where the API's time goes for 500-event batches, step by step, in process.

Run ``python -m bench.writer`` (``--money`` for money walks) from the project root.  It creates a
scratch PostgreSQL schema and opens hall's services on it in this process: no HTTP, no
followers, no other thread competing for the interpreter lock, so the figures are repeatable
where ``bench.ingest``'s move with the machine.  It publishes the catalogue, accepts the money
walks' cases (untimed), then for each batch of 500 events: parses it as ``POST /v1/events``
does (contract validation and content digest) and records it with the owning service's
``record_group`` on PostgreSQL, timing each step's wall time and this thread's CPU.  The
baseline, measured in the same run: the same number of rows, of the same lengths, inserted by
psycopg in one transaction per batch into a table shaped like the events table (no keys, no
lock, no decoding).  See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import orjson
import psycopg
from psycopg import sql

from bench.baseline import create_rows_table
from bench.load import MONEY_WALK, WALK, _events
from bench.scratch import catalogued_hall, scratch_schema
from events import content_digest, parse_event
from hall import collector
from hall.runtime import Hall
from services.ingest import Actor, IngestingApplication, Posted, Rejection

BATCH = 500
CASHIER = Actor("bench", "admin")  # the admin may post case and money events alike
STEPS = (  # (label, owner of the method: "app", "recorder" or "mapper", method)
    ("prefetch ids", "app", "prefetch_ids"),
    ("ids known? (1 round trip)", "recorder", "select_known"),
    ("other services' lookups", "app", "prepare"),
    ("decide", "app", "_decide_batch"),
    ("encode and encrypt", "mapper", "to_stored_event"),
    ("insert and commit (1 round trip)", "recorder", "insert_events"),
)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.writer", description=__doc__)
    p.add_argument("--money", action="store_true", help="fee assessed and paid, not case walks")
    p.add_argument("--batches", type=int, default=40, help="timed batches of 500 events")
    p.add_argument(
        "--singles",
        type=int,
        metavar="N",
        help="instead, groups of N one-event requests, as the writer takes them from N "
        "terminals posting one event each (the ingest benchmark's (a)): a walk's events go in "
        "successive groups",
    )
    p.add_argument(
        "--database-url",
        default=os.environ.get("HALL_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    return p.parse_args()


def parsed(events: list[dict[str, Any]]) -> list[Posted]:
    """The batch as ``POST /v1/events`` hands it to a service (role checks aside)."""
    body = orjson.loads(orjson.dumps({"events": events}))
    found = [parse_event(raw) for raw in body["events"]]
    return [Posted(event, content_digest(event), CASHIER) for event in found]


class Clock:
    """Wall time and this thread's CPU per label, from wrapped methods."""

    def __init__(self) -> None:
        self.wall: defaultdict[str, float] = defaultdict(float)
        self.cpu: defaultdict[str, float] = defaultdict(float)

    def wrap(self, owner: Any, method: str, label: str) -> None:
        inner: Callable[..., Any] = getattr(owner, method)

        def timed(*args: Any, **kwargs: Any) -> Any:
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                return inner(*args, **kwargs)
            finally:
                self.wall[label] += time.perf_counter() - wall
                self.cpu[label] += time.thread_time() - cpu

        setattr(owner, method, timed)  # on the instance: the class stays as it was


def run(hall: Hall, args: argparse.Namespace) -> tuple[Clock, int, list[list[int]]]:
    """Record the batches; returns the clock, the events recorded, and each batch's rows'
    state lengths (for the baseline)."""
    walk = MONEY_WALK if args.money else WALK
    walks = BATCH // len(walk)
    numbers = [f"W{b:04d}-{w:03d}" for b in range(args.batches) for w in range(walks)]
    if args.money:  # the cases they pay for, accepted first (untimed)
        for start in range(0, len(numbers), BATCH):
            accepted = [_events(n, WALK[:1])[0] for n in numbers[start : start + BATCH]]
            _check(hall.intake.record_group([parsed(accepted)]))
    if args.singles:  # N walks at a time: their first events, one group; then their second...
        walks_events = [_events(n, walk) for n in numbers]
        groups = [
            [[events[step]] for events in walks_events[w : w + args.singles]]
            for w in range(0, len(walks_events), args.singles)
            for step in range(len(walk))
        ]
    else:
        groups = [
            [[e for n in numbers[b * walks : (b + 1) * walks] for e in _events(n, walk)]]
            for b in range(args.batches)
        ]
    app: IngestingApplication[Any] = hall.billing if args.money else hall.intake
    owners = {"app": app, "recorder": app.recorder, "mapper": app.mapper}
    clock = Clock()
    for label, owner, method in STEPS:
        clock.wrap(owners[owner], method, label)
    lengths: list[list[int]] = []
    recorder: Any = app.recorder
    insert: Callable[..., Any] = recorder.insert_events

    def noting(stored: Any, **kwargs: Any) -> Any:
        lengths.append([len(e.state) for e in stored])
        return insert(stored, **kwargs)

    recorder.insert_events = noting
    collector.settle()
    for group in groups:
        wall, cpu = time.perf_counter(), time.thread_time()
        batches = [parsed(body) for body in group]
        clock.wall["parse (validate, digest)"] += time.perf_counter() - wall
        clock.cpu["parse (validate, digest)"] += time.thread_time() - cpu
        wall, cpu = time.perf_counter(), time.thread_time()
        _check(app.record_group(batches))
        clock.wall["record_group, all of it"] += time.perf_counter() - wall
        clock.cpu["record_group, all of it"] += time.thread_time() - cpu
    return clock, sum(len(body) for group in groups for body in group), lengths


def baseline(url: str, schema: str, lengths: list[list[int]]) -> float:
    """Seconds psycopg takes to insert rows of these lengths, one transaction per batch."""
    table = sql.Identifier(schema, "bench_rows")
    insert = sql.SQL(
        "INSERT INTO {} (originator_id, originator_version, topic, state) "
        "SELECT * FROM unnest(%b::uuid[], %b::bigint[], %b::text[], %b::bytea[])"
    ).format(table)
    rows = [[(uuid.uuid4(), 1, "bench", os.urandom(n)) for n in batch] for batch in lengths]
    with psycopg.connect(url) as conn:
        create_rows_table(conn, table)
        conn.commit()
        start = time.perf_counter()
        for batch in rows:
            conn.execute(insert, [list(column) for column in zip(*batch, strict=True)])
            conn.commit()
        return time.perf_counter() - start


def report(clock: Clock, events: int, raw_s: float, args: argparse.Namespace) -> None:
    kind = "money events (fee.assessed, fee.paid)" if args.money else "case events (5-event walks)"
    shape = (
        f"groups of {args.singles} one-event requests"
        if args.singles
        else f"{args.batches} batches of {BATCH}"
    )
    print(f"\nhall writer benchmark, {kind}: {shape} ({events} events), in one process")
    print(f"{'step':<36}{'wall µs/event':>14}{'CPU µs/event':>14}")
    print("-" * 64)
    for label in ["parse (validate, digest)", *(s[0] for s in STEPS), "record_group, all of it"]:
        wall, cpu = clock.wall[label] / events * 1e6, clock.cpu[label] / events * 1e6
        print(f"{label:<36}{wall:>14.1f}{cpu:>14.1f}")
    recorded = clock.wall["record_group, all of it"]
    print(f"{'baseline: the rows alone (psycopg)':<36}{raw_s / events * 1e6:>14.1f}")
    print(f"\nrecord_group / baseline (wall): {recorded / raw_s:.1f}")
    print("(steps are inside record_group; encoding is counted per stored event, all summed)")


def main() -> int:
    args = parse_args()
    with scratch_schema(args.database_url) as schema:
        with catalogued_hall(args.database_url, schema, followers=False) as hall:
            clock, events, lengths = run(hall, args)
        report(clock, events, baseline(args.database_url, schema, lengths), args)
    return 0


def _check(outcomes: list[Any]) -> None:
    for outcome in outcomes:
        if isinstance(outcome, Rejection):
            raise RuntimeError(f"a batch was refused: {outcome.error}")


if __name__ == "__main__":
    raise SystemExit(main())
