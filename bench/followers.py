"""Followers benchmark: what supervision and each read model spend per posted event, in process.

Run ``python -m bench.followers`` (``--money`` for money walks) from the project root.  It
creates a scratch PostgreSQL schema, opens hall's services on it in this process with no
follower running, and records the walks through ``record_group`` (the path HTTP posts take), in
groups of ``--group`` one-event requests as the writer takes them in the ingest benchmark's (a).
Then it lets each follower work through those events alone, in runs of ``--run`` events (about
what gathers in a tenth of a second at 1,500 events/s), and prints per posted event its wall
time, this thread's CPU, and PostgreSQL's CPU (every ``postgres`` process: run it on an
otherwise quiet machine), with what supervision stored for them.

``bench.ingest`` reports the followers' CPU too, but its figures move with the machine and with
how far behind the followers fall.  These are repeatable: one follower at a time, no HTTP, no
other thread competing for the interpreter lock.  The baseline, measured in the same run: reading
both logs over the same events and decoding each into the contract's shape, which every follower
does anyway.  See bench/README.md.
"""

from __future__ import annotations

import argparse
import gc
import os
import time
from collections.abc import Callable
from datetime import timedelta

import psycopg

from bench.load import MONEY_WALK, WALK, CpuMeter, _events
from bench.scratch import catalogued_hall, scratch_schema
from bench.writer import _check, parsed
from hall.followers import PROJECTIONS, billing_log, intake_log, narrowed
from hall.runtime import Hall
from projections.sources import Sources
from services.supervision.follower import Follower as Supervisor


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.followers", description=__doc__)
    p.add_argument("--money", action="store_true", help="fee assessed and paid, not case walks")
    p.add_argument("--walks", type=int, default=4000, help="walks recorded (a case's or fees)")
    p.add_argument("--group", type=int, default=16, help="one-event requests per group")
    p.add_argument("--run", type=int, default=150, help="events a follower takes per step")
    p.add_argument(
        "--database-url",
        default=os.environ.get("HALL_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    return p.parse_args()


class Meter:
    """Wall time, this thread's CPU and PostgreSQL's CPU of one piece of work."""

    def __init__(self) -> None:
        self._processes = CpuMeter(os.getpid())

    def postgres(self) -> dict[str, float]:
        # The ingest benchmark's sample of every process: the postgres ones, by stat file.
        return dict(self._processes._sample()["postgres"])

    def measure(self, work: Callable[[], object]) -> tuple[float, float, float]:
        pg = self.postgres()
        wall, cpu = time.perf_counter(), time.thread_time()
        work()
        wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
        after = self.postgres()  # a backend that started meanwhile counts from 0
        return wall, cpu, sum(v - pg.get(k, 0.0) for k, v in after.items())


def record(hall: Hall, args: argparse.Namespace) -> int:
    """Record the timed walks in groups of one-event requests; how many events."""
    walk = MONEY_WALK if args.money else WALK
    walks = [_events(f"F{n:06d}", walk) for n in range(args.walks)]
    app = hall.billing if args.money else hall.intake
    for start in range(0, len(walks), args.group):
        for step in range(len(walk)):
            _check(app.record_group([parsed([e[step]]) for e in walks[start : start + args.group]]))
    return len(walks) * len(walk)


def accept_cases(hall: Hall, args: argparse.Namespace) -> None:
    """The cases the money walks pay for, accepted first (not timed)."""
    numbers = [f"F{n:06d}" for n in range(args.walks)]
    for start in range(0, len(numbers), 500):
        accepted = [_events(n, WALK[:1])[0] for n in numbers[start : start + 500]]
        _check(hall.intake.record_group([parsed(accepted)]))


def catch_up(hall: Hall) -> None:
    """Every follower up to the head of the logs (not timed)."""
    assert hall.followers is not None and hall.supervisor is not None
    hall.followers.catch_up()
    while hall.supervisor.step():
        pass


def stored_by_supervision(url: str, schema: str, after: int) -> dict[str, int]:
    with psycopg.connect(url, options=f"-c search_path={schema}") as conn:
        rows = conn.execute(
            "SELECT topic, count(*) FROM supervision_events WHERE notification_id > %s "
            "GROUP BY topic ORDER BY 2 DESC",
            [after],
        ).fetchall()
    return {topic.rpartition(":")[2]: count for topic, count in rows}


def last_supervision_position(url: str, schema: str) -> int:
    with psycopg.connect(url, options=f"-c search_path={schema}") as conn:
        row = conn.execute("SELECT max(notification_id) FROM supervision_events").fetchone()
    return int(row[0] or 0) if row else 0


def fresh_logs(hall: Hall) -> Sources:
    """Both logs as a follower process opens them: with an empty window, so that the follower
    measured reads and decodes its events itself (``StoreLog`` shares one window among the
    followers of a process)."""
    return Sources(intake_log(hall.intake), billing_log(hall.billing, internal=False))


def run(hall: Hall, args: argparse.Namespace, url: str, schema: str) -> None:
    assert hall.followers is not None and hall.supervisor is not None
    hall.supervisor.settle = timedelta(0)  # judge what is recorded at once
    if args.money:
        accept_cases(hall, args)
    catch_up(hall)
    positions = {
        name: app.recorder.max_notification_id() or 0 for name, app in hall.ingesting.items()
    }
    events = record(hall, args)
    before = last_supervision_position(url, schema)
    # The followers run in processes of their own (``hall follow``), without the writers'
    # cached aggregates: frozen here, so that full collections do not walk them.
    gc.collect()
    gc.freeze()
    meter = Meter()
    rows: list[tuple[str, tuple[float, float, float]]] = []

    def decode_all() -> None:
        logs = fresh_logs(hall)
        for stream, after in positions.items():
            while messages := logs.read(stream, after, args.run):
                after = messages[-1].position

    rows.append(("baseline: read and decode the logs", meter.measure(decode_all)))
    supervisor = Supervisor(hall.supervision, fresh_logs(hall), batch=args.run, settle=timedelta(0))
    rows.append(("supervision", meter.measure(lambda: _steps(supervisor.step))))
    # The read models' process: the four projections, one window of the logs (``narrowed``:
    # passing over the events none of them reads), stepping in turn.
    shared = narrowed(fresh_logs(hall), PROJECTIONS)
    projectors = list(hall.followers.projectors.values())
    for projector in projectors:
        projector.sources, projector.batch = shared, args.run

    def project() -> None:
        while sum(abs(projector.step()) for projector in projectors):
            pass

    rows.append(("read models (all four)", meter.measure(project)))
    stored = stored_by_supervision(url, schema, before)
    report(rows, events, stored, args)


def _steps(step: Callable[[], int]) -> None:
    while step() != 0:
        pass


def report(
    rows: list[tuple[str, tuple[float, float, float]]],
    events: int,
    stored: dict[str, int],
    args: argparse.Namespace,
) -> None:
    kind = "money events (fee.assessed, fee.paid)" if args.money else "case events (5-event walks)"
    print(
        f"\nhall followers benchmark, {kind}: {events} events posted in groups of {args.group}, "
        f"followed in runs of {args.run}, in one process, one follower at a time"
    )
    head = f"{'follower':<36}{'wall µs':>10}{'CPU µs':>10}{'PostgreSQL µs':>15}"
    head += f"{'CPU / baseline':>16}"
    print(head + "   (per posted event)\n" + "-" * len(head))
    base_cpu = rows[0][1][1]
    for label, (wall, cpu, pg) in rows:
        per = [x / events * 1e6 for x in (wall, cpu, pg)]
        ratio = cpu / base_cpu if base_cpu else float("nan")
        print(f"{label:<36}{per[0]:>10.1f}{per[1]:>10.1f}{per[2]:>15.1f}{ratio:>16.2f}")
    total = sum(stored.values())
    kinds = ", ".join(f"{topic} {count}" for topic, count in stored.items())
    print(f"\nsupervision stored {total} events, {total / events:.2f} per posted event: {kinds}")
    print("(PostgreSQL's CPU is every postgres process's: on a busy machine it counts others' too)")


def main() -> int:
    args = parse_args()
    with (
        scratch_schema(args.database_url) as schema,
        catalogued_hall(args.database_url, schema) as hall,  # followers made, none started
    ):
        run(hall, args, args.database_url, schema)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
