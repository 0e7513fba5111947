"""Rebuilding read models in several processes at once.

A rebuild reads and decodes every event and folds it into Python state: one interpreter does
that on one core, however many the machine has.  Here each worker process takes the cases of
one partition of intake's log (by aggregate id, chosen in SQL without decrypting anything)
up to the head the rebuild started from, and applies them to the same fresh generations; a
case's events all fall in one partition, so no two workers touch the same case row, and the
shared counters only ever add.  Billing's log links receipts across cases and is read whole by
the first worker.  The parent then catches up with what was written meanwhile and swaps the
generations in, exactly as a one-process rebuild does (``projections.runner.swap_in``).
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any

from hall.followers import narrowed
from projections.base import Projection
from projections.memory import Memory
from projections.runner import create_fresh, heads, rebuild_all, swap_in
from projections.sources import Message, StoreLog

BATCH = 20000  # messages a worker reads and applies per transaction
PARTITIONED = ("intake",)  # streams whose aggregates are independent of each other


@dataclass(frozen=True)
class Part:
    """What one worker rebuilds: which generations, which part of which logs, up to where."""

    settings: dict[str, Any]
    generations: dict[str, str]  # projection name -> its fresh generation
    upto: dict[str, int]  # stream -> the last position to read
    parts: int
    part: int


def rebuild(
    hall: Any, names: list[str] | None = None, workers: int | None = None
) -> dict[str, str]:
    """Rebuild the named projections (all by default) from position 0 with a progress bar,
    swapping them in atomically while the service keeps answering; returns the new generations.
    On PostgreSQL ``workers`` processes share the work (default: one per core); on SQLite, whose
    one writer at a time would only queue them, this process does it alone."""
    from tqdm import tqdm

    followers = hall.followers
    chosen = names or list(followers.projectors)
    unknown = sorted(set(chosen) - set(followers.projectors))
    if unknown:
        raise ValueError(
            f"no such projection: {', '.join(unknown)}; known: {', '.join(followers.projectors)}"
        )
    classes = [followers.projectors[name].cls for name in chosen]
    streams = tuple(sorted({s for cls in classes for s in cls.streams}))
    total = sum(heads(followers.sources, streams).values())
    workers = (workers or os.cpu_count() or 1) if hall.settings.on_postgres else 1
    with tqdm(total=total, desc=", ".join(chosen), unit="ev", unit_scale=True) as bar:
        if workers > 1:
            return rebuild_in_parallel(hall, chosen, workers, bar.update)
        return rebuild_all(
            classes,
            followers.store,
            narrowed(followers.sources, classes),
            progress=bar.update,
            context=followers.context,
        )


def rebuild_in_parallel(
    hall: Any, names: list[str], workers: int, progress: Callable[[int], None] | None = None
) -> dict[str, str]:
    """Rebuild the named projections of ``hall`` (a :class:`hall.runtime.Hall`) with
    ``workers`` processes; returns the new generations by name."""
    followers = hall.followers
    classes = [followers.projectors[name].cls for name in names]
    streams = tuple(sorted({s for cls in classes for s in cls.streams}))
    upto = {s: int(h) for s, h in heads(followers.sources, streams).items()}
    fresh = create_fresh(classes, followers.store, followers.context)
    generations = {type(p).name: p.generation for p in fresh}
    settings = hall.settings.model_dump(mode="json")
    specs = [Part(settings, generations, upto, workers, k) for k in range(workers)]
    try:
        _run(specs, progress)
    except BaseException:
        with followers.store.transaction() as cur:  # nobody reads a half-built generation
            for projection in fresh:
                projection.drop(cur)
        raise
    sources = narrowed(followers.sources, classes)
    return swap_in(fresh, followers.store, sources, dict(upto), followers.context)


class WorkerFailed(RuntimeError):
    """A rebuild worker stopped before finishing its part."""


def _run(specs: list[Part], progress: Callable[[int], None] | None) -> None:
    """Run one worker process per part; their output lines report progress."""
    # Plain processes, not multiprocessing's: its "spawn" re-imports the caller's main module,
    # which any script without a ``__main__`` guard would run again.
    command = [sys.executable, "-c", "from hall.rebuild import work; work()"]
    workers = [
        subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # noqa: S603
        for _ in specs
    ]
    reports: queue.Queue[tuple[int, str]] = queue.Queue()

    def relay(part: int, worker: subprocess.Popen[str]) -> None:
        assert worker.stdout is not None
        for line in worker.stdout:
            reports.put((part, line.strip()))
        reports.put((part, "ended"))

    for part, (spec, worker) in enumerate(zip(specs, workers, strict=True)):
        assert worker.stdin is not None
        worker.stdin.write(json.dumps(asdict(spec)))
        worker.stdin.close()
        threading.Thread(target=relay, args=(part, worker), daemon=True).start()
    finished: set[int] = set()
    try:
        ended = 0
        while ended < len(workers):
            part, line = reports.get()
            if line == "ended":
                ended += 1
                if part not in finished:
                    code = workers[part].wait()
                    raise WorkerFailed(f"rebuild worker {part} exited with {code} (its log above)")
            elif line == "finished":
                finished.add(part)
            elif line.startswith("applied ") and progress:
                progress(int(line.split()[1]))
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
            worker.wait()


def work() -> None:
    """A worker's entry point: the part to rebuild arrives on stdin, progress leaves on stdout."""
    spec = Part(**json.loads(sys.stdin.read()))

    def applied(count: int) -> None:
        print(f"applied {count}", flush=True)

    _fill(spec, applied)
    print("finished", flush=True)


def _fill(spec: Part, applied: Callable[[int], None]) -> None:
    """One worker: apply its part of each log to the fresh generations."""
    from hall import collector
    from hall.runtime import Hall
    from hall.settings import Settings

    collector.settle()
    settings = Settings(**spec.settings).model_copy(update={"create_tables": False})
    hall = Hall.start(settings, follow=False, record=False)
    try:
        followers = hall.followers
        assert followers is not None
        fresh: list[Projection] = [
            followers.projectors[name].cls(generation, followers.context)
            for name, generation in spec.generations.items()
        ]
        for projection in fresh:  # written once, at the end of this worker's part
            projection.memory = Memory(deferred=True)
        sources = narrowed(followers.sources, [type(p) for p in fresh])
        for stream, upto in spec.upto.items():
            partitioned = stream in PARTITIONED
            if not partitioned and spec.part != 0:
                continue  # the first worker reads this log whole
            parts = (spec.parts, spec.part) if partitioned else (1, 0)
            log = sources.by_stream[stream]
            assert isinstance(log, StoreLog), "a partitioned rebuild reads the stores"
            mine = [p for p in fresh if stream in p.streams]
            _apply_log(log, upto, parts, mine, followers.store, applied)
        with followers.store.transaction() as cur:
            for projection in fresh:
                projection.flush(cur)
    finally:
        hall.close()


def _apply_log(
    log: StoreLog,
    upto: int,
    parts: tuple[int, int],
    projections: list[Projection],
    store: Any,
    applied: Callable[[int], None],
) -> None:
    after = 0
    lock = threading.Lock()

    def read() -> list[Message]:
        nonlocal after
        with lock:
            batch: list[Message] = []
            while after < upto and len(batch) < BATCH // parts[0]:
                messages, after = log.read_part(after, BATCH, upto, *parts)
                batch += messages
            return batch

    # As in a one-process rebuild, the next batch is read and decoded while this one is
    # written; positions are not tracked here: the parent records where all workers stopped.
    with ThreadPoolExecutor(1, thread_name_prefix="rebuild-read") as reader:
        upcoming = reader.submit(read)
        while messages := upcoming.result():
            upcoming = reader.submit(read)
            with store.transaction() as cur:
                for projection in projections:
                    projection.apply(cur, messages)
            applied(len(messages))
