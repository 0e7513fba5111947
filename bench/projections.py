"""Projection benchmark on PostgreSQL: rebuild rate vs raw decode, lag, report latency.

    python -m bench.projections [--events 1000000] [--database-url …] [--short-walks]
                                [--supervision-from-head] [--lag-seconds 20]

Prints, from one run over the same log:
- the raw decode rate: reading intake's and billing's notification logs and decoding each event
  into the contract's shape (what every projection must do anyway) — the baseline;
- the rebuild rate of all projections together (``hall projections rebuild``'s code: one worker
  process per core, each folding its partition of the cases and passing over the events no read
  model reads), and its ratio to the baseline (goals: ≥ 30,000 events/s and ≥ 0.5), both over
  every event of the log;
- projection lag p50/p99 (commit → the case list shows it) while background terminals ingest at
  about half the rate measured for it in this run, with the rate they reached, the read models
  kept by ``hall follow`` processes as ``hall serve`` runs them on PostgreSQL (goal: p99 < 500 ms);
- p99 latency of a year's completion report grouped by department (goal: < 50 ms).

Events are created through the application layer (``record_group``: the same path HTTP posts
take), in 500-event batches of whole case walks, spread over 2025.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta

import psycopg
from eventsourcing.persistence import Tracking

from bench.following import catch_up_seconds
from events import content_digest, parse_event
from hall import collector
from hall.rebuild import rebuild
from hall.runtime import FOLLOWING, Hall
from hall.settings import Settings
from hall.sidecar import child_env
from projections.reports import completion_report
from projections.runner import heads
from services.ingest import Actor, Posted
from services.intake.clock import CHINA
from tests.support import ITEMS, event

ACTOR = Actor("admin", "admin")
START = datetime(2025, 1, 2, 9, 0, tzinfo=CHINA)


FULL_WALK = [
    ("case.accepted", {}),
    ("case.transferred", {"to_unit": "LAND", "location": "hall"}),
    ("case.signed", {}),
    ("case.signed", {"step": "review"}),
    ("case.completed", {"location": "hall"}),
]


def walk(n: int, short: bool = False) -> list[Posted]:
    """One case accepted on a 2025 day spread by ``n``: five events, or with ``short`` just
    accepted and completed (every tenth left open), so that many more cases fit in the log."""
    case_no = f"B-{n:07d}"
    at = START + timedelta(days=(n * 7) % 360, seconds=n % 3600)
    kinds = FULL_WALK
    if short:
        kinds = FULL_WALK[:1] if n % 10 == 0 else [FULL_WALK[0], FULL_WALK[-1]]
    out = []
    for i, (kind, fields) in enumerate(kinds):
        e = parse_event(
            event(kind, case_no, occurred_at=(at + timedelta(hours=i)).isoformat(), **fields)
        )
        out.append(Posted(e, content_digest(e), ACTOR))
    return out


def fill(hall: Hall, events: int, short: bool = False) -> tuple[float, int]:
    """Record ``events`` events; returns the ingest rate reached and how many cases."""
    started, done, n = time.perf_counter(), 0, 0
    while done < events:
        batch: list[Posted] = []
        while len(batch) < 500:
            batch += walk(n, short)
            n += 1
        hall.intake.record_group([batch])
        done += len(batch)
        if done % 50_000 < 500:
            print(f"  recorded {done:,} events ({done / (time.perf_counter() - started):,.0f}/s)")
    return done / (time.perf_counter() - started), n


def decode_rate(hall: Hall) -> tuple[int, float]:
    assert hall.followers is not None
    sources, count, started = hall.followers.sources, 0, time.perf_counter()
    for stream in sources.streams:
        after = 0
        while messages := sources.read(stream, after, 5000):
            count += len(messages)
            after = messages[-1].position
    return count, count / (time.perf_counter() - started)


def report_latency(hall: Hall, runs: int = 200) -> list[float]:
    assert hall.followers is not None
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        with hall.followers.store.read() as cur:
            completion_report(
                cur,
                first=date(2025, 1, 1),
                last=date(2025, 12, 31),
                calendar=hall.followers.context.calendar,
                now=datetime.now(UTC),
                group_by="department",
            )
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def followers(settings: Settings) -> list[subprocess.Popen[bytes]]:
    """``hall follow --part`` (read models, supervision) on the bench's schema, as ``hall serve``
    runs them beside its API."""
    env = os.environ | {
        "HALL_DATABASE_URL": str(settings.database_url),
        "HALL_DATABASE_SCHEMA": settings.database_schema,
        "HALL_DATA_DIR": str(settings.data_dir),  # the cipher key the bench generated
    }
    command = [sys.executable, "-m", "hall", "follow", "--parent", str(os.getpid())]
    return [
        subprocess.Popen(
            [*command, "--part", part],
            env=env | child_env(settings, part),
            stdout=subprocess.DEVNULL,
        )
        for part in FOLLOWING
    ]


# Walks each background terminal posts at once: one walk per post, waiting on its commit, 32
# terminals in this process reached 4,478 of 5,594 events/s aimed at (2026-12-03, 1M events).
WALKS_PER_POST = 4


def lag(
    hall: Hall, rate: float, seconds: float, loaders: int = 32, *, supervision_from_head: bool
) -> tuple[list[float], float]:
    """Ingest case walks at about ``rate`` events/s in the background (``loaders`` terminals,
    each pacing itself, posting ``WALKS_PER_POST`` walks at a time) while a probe posts one
    case acceptance every 50 ms and times commit → visible in the case list, kept by ``hall
    follow`` processes (PostgreSQL's layout).  Returns the lags (ms) and the ingest rate
    actually reached."""
    assert hall.followers is not None
    start = "position 0"
    if supervision_from_head:
        # Marked as judged up to the heads without judging: catching up on 5,000,000 events
        # would take over an hour.  Supervision then judges only what the lag phase posts.
        for stream, head in heads(hall.followers.sources, ("intake", "billing")).items():
            if head:
                hall.supervision.recorder.insert_events([], tracking=Tracking(stream, head))
        start = "the heads, unjudged"
    following = followers(hall.settings)
    try:
        # Otherwise supervision starts from the beginning of the log (the rebuild made only the
        # read models): the lag is measured once everything is caught up, as in a running hall.
        settings = hall.settings
        waited = catch_up_seconds(str(settings.database_url), settings.database_schema)
        if any(p.poll() is not None for p in following) or waited == float("inf"):
            raise RuntimeError("hall follow did not catch up")
        print(f"  hall follow caught up (supervision from {start}) in {waited:.0f} s")
        # Nothing to catch up on says nothing of a child still starting: wait for one case.
        print(f"  the case list shows a new case {probe(hall, 9_999_999):,.0f} ms after commit")
        return _lag(hall, rate, seconds, loaders)
    finally:
        for process in following:
            process.send_signal(signal.SIGTERM)
        for process in following:
            process.wait(60)


def _lag(hall: Hall, rate: float, seconds: float, loaders: int) -> tuple[list[float], float]:
    assert hall.followers is not None
    stop = threading.Event()
    sent = [0] * loaders

    def load(k: int) -> None:
        n, started = 20_000_000 + k * 1_000_000, time.monotonic()
        while not stop.is_set():
            posted = [e for i in range(WALKS_PER_POST) for e in walk(n + i)]
            n += WALKS_PER_POST
            hall.committers["intake"].submit(posted).result()
            sent[k] += len(posted)
            ahead = sent[k] / (rate / loaders) - (time.monotonic() - started)
            if ahead > 0:
                stop.wait(ahead)

    threads = [threading.Thread(target=load, args=(k,)) for k in range(loaders)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    lags: list[float] = []
    n, deadline = 10_000_000, time.monotonic() + seconds
    while time.monotonic() < deadline:
        lags.append(probe(hall, n))
        n += 1
        time.sleep(0.05)
    stop.set()
    for thread in threads:
        thread.join()
    return lags, sum(sent) / (time.monotonic() - started)


def probe(hall: Hall, n: int) -> float:
    """Accept case ``n`` and time commit → visible in the case list (ms)."""
    assert hall.followers is not None
    posted = walk(n)[:1]
    hall.committers["intake"].submit(posted).result()
    committed = time.perf_counter()
    case_no = posted[0].event.case_no  # type: ignore[union-attr]
    while True:  # polling the read model is the measurement itself
        with hall.followers.store.read() as cur:
            cur.execute("SELECT 1 FROM case_list_cases WHERE case_no = ?", (case_no,))
            if cur.fetchone():
                return (time.perf_counter() - committed) * 1000
        time.sleep(0.002)


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--lag-seconds", type=float, default=20)
    parser.add_argument(
        "--short-walks",
        action="store_true",
        help="cases of 2 events (accepted, completed; every tenth left open) instead of 5",
    )
    parser.add_argument(
        "--supervision-from-head",
        action="store_true",
        help="before the lag phase, mark supervision as having judged the whole log instead of "
        "letting it catch up from position 0 (for logs too long to wait on)",
    )
    args = parser.parse_args()
    collector.settle()  # as in every long-running process of hall's (hall/collector.py)
    schema = f"benchp_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.database_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    # The data folder (it holds the generated cipher key) and the schema go when the run ends,
    # also when it is stopped with SIGTERM.
    data_dir = tempfile.TemporaryDirectory(prefix=f"hall-{schema}-")
    signal.signal(signal.SIGTERM, _stop)
    settings = Settings(
        data_dir=data_dir.name,
        database_url=args.database_url,
        database_schema=schema,
        admin_token="bench",
    )
    hall = Hall.start(settings, follow=False)
    try:
        hall.intake.publish("department", "LAND", {"name": "国土资源局"})
        hall.intake.publish("window", "12", {"department": "LAND", "name": "国土窗口"})
        item = ITEMS["LAND-REG"] | {
            "co_departments": [],
            "supplement_policy": "restart",
            "materials": [],
        }
        hall.intake.publish("item", "LAND-REG", item)
        print(f"recording {args.events:,} events through the application layer …")
        ok = {True: "PASS", False: "MISS"}
        # Each figure is printed as soon as it is measured: a run takes half an hour at scale.
        ingest, cases = fill(hall, args.events, args.short_walks)
        count, decoded = decode_rate(hall)
        print(f"\nevents in the log:            {count:,} ({cases:,} cases)")
        print(f"ingest (application layer):   {ingest:,.0f} events/s")
        print(f"raw decode (baseline):        {decoded:,.0f} events/s", flush=True)
        assert hall.followers is not None
        started = time.perf_counter()
        rebuild(hall)
        rebuilt = count / (time.perf_counter() - started)
        print(
            f"rebuild, all projections ({os.cpu_count()} worker processes): {rebuilt:,.0f} "
            f"events/s  ratio {rebuilt / decoded:.2f}  "
            f"{ok[rebuilt >= 30_000 and rebuilt / decoded >= 0.5]} (>= 30,000/s and >= 0.5)"
        )
        latencies = report_latency(hall)
        print(
            f"year report by department over {cases:,} cases: p50 {pct(latencies, 50):.1f} ms  "
            f"p99 {pct(latencies, 99):.1f} ms  {ok[pct(latencies, 99) < 50]} (p99 < 50 ms)",
            flush=True,
        )
        lags, loaded = lag(
            hall, ingest / 2, args.lag_seconds, supervision_from_head=args.supervision_from_head
        )
        print(
            f"lag, ingest at {loaded:,.0f} events/s (aimed at {ingest / 2:,.0f}): "
            f"p50 {pct(lags, 50):.0f} ms  p99 {pct(lags, 99):.0f} ms  "
            f"{ok[pct(lags, 99) < 500]} (p99 < 500 ms, {len(lags)} probes)"
        )
    finally:
        hall.close()
        with psycopg.connect(args.database_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        data_dir.cleanup()


def _stop(signum: int, _: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through main's cleanup


if __name__ == "__main__":
    threading.current_thread().name = "bench"
    main()
