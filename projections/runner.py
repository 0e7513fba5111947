"""Running projections: batches of events and the tracking positions commit together.

Exactly once: each transaction first checks that the live generation and its positions are
what this runner read before the batch (another runner, or a rebuild's swap, may have moved
them); if not, it rolls back and starts over from the stored positions.  A restart therefore
resumes exactly where the last commit left off, and two runners can't apply a batch twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from projections.base import REGISTRY, TRACKING, Context, Projection, new_generation
from projections.memory import Memory
from projections.sources import Message, Sources
from projections.viewstore import Cursor, ViewStore

log = logging.getLogger(__name__)
Progress = Callable[[int], None]
# Once caught up, a projector starts a batch at most this often, letting the next events
# gather: each batch costs a few queries whatever its size, and batches of ~30 events (one
# commit's worth at 1,800 events/s) cost three times as much per event as batches of 200.
GATHER_SECONDS = 0.1


def gather(stop: threading.Event, started: float) -> None:
    """Wait until ``GATHER_SECONDS`` after the last batch *began* (``time.monotonic()``), not
    after it ended: batches stay that many seconds' worth of events, and an event waits at most
    that long for its batch to start.  (Waiting the whole interval after each batch added the
    batch's own time to every event's lag: under load a batch takes most of the interval.)"""
    stop.wait(max(0.0, started + GATHER_SECONDS - time.monotonic()))


def install(store: ViewStore) -> None:
    """Create the registry and tracking tables (idempotent)."""
    with store.transaction() as cur:
        cur.execute(REGISTRY)
        cur.execute(TRACKING)


def positions(cur: Cursor, tracker: str) -> dict[str, int]:
    cur.execute("SELECT stream, position FROM projection_tracking WHERE tracker = ?", (tracker,))
    return {stream: int(position) for stream, position in cur.fetchall()}


def live_generation(cur: Cursor, name: str, lock: bool = False) -> tuple[str, int] | None:
    sql = "SELECT generation, version FROM projection_registry WHERE projection = ?"
    cur.execute(sql + (" FOR UPDATE" if lock and _is_pg(cur) else ""), (name,))
    row = cur.fetchone()
    return None if row is None else (str(row[0]), int(row[1]))


def _is_pg(cur: Cursor) -> bool:
    return type(cur).__name__ == "_PgCursor"


class Batcher:
    """Reads the next batch for one generation of a projection and applies it."""

    def __init__(self, projection: Projection, sources: Sources, batch: int) -> None:
        self.projection = projection
        self.sources = sources.only(projection.streams)
        self.batch = batch

    def read(self, after: dict[str, int]) -> list[Message]:
        messages: list[Message] = []
        for stream in self.sources.streams:
            messages += self.sources.read(stream, self.sources.start(stream, after), self.batch)
        return messages

    def apply(self, cur: Cursor, messages: list[Message]) -> None:
        self.projection.apply(cur, messages)
        last: dict[str, int] = {}
        for m in messages:
            last[m.stream] = m.position
        for stream, position in last.items():
            _track(cur, self.projection.tracker, stream, position)


class Projector:
    """Keeps one projection's live generation up to date, in a thread or step by step."""

    def __init__(
        self,
        cls: type[Projection],
        store: ViewStore,
        sources: Sources,
        *,
        batch: int = 2000,
        poll: float = 0.5,
        wake: threading.Event | None = None,
        context: Context | None = None,
    ) -> None:
        self.cls, self.store, self.sources = cls, store, sources
        self.context = context or Context()
        self.batch, self.poll = batch, poll
        self.wake = wake or threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.errors = 0
        self._memory: _Kept | None = None  # rows of the live generation, as last committed

    def ensure(self) -> None:
        """Create the first generation, or rebuild if the projection's version changed."""
        with self.store.transaction() as cur:
            live = live_generation(cur, self.cls.name, lock=True)
            if live is None:
                fresh = self.cls(new_generation(), self.context)
                fresh.create(cur)
                fresh.point_views(cur)
                cur.execute(
                    "INSERT INTO projection_registry VALUES (?, ?, ?)",
                    (self.cls.name, fresh.generation, self.cls.version),
                )
                return
        if live[1] != self.cls.version:
            log.info(
                "%s changed (v%d -> v%d): rebuilding", self.cls.name, live[1], self.cls.version
            )
            rebuild(self.cls, self.store, self.sources, context=self.context)

    def step(self) -> int:
        """Apply at most one batch per stream; returns how many events were applied."""
        with self.store.read() as cur:
            generation, _ = live_generation(cur, self.cls.name) or ("", 0)
            projection = self.cls(generation, self.context)
            after = positions(cur, projection.tracker)
        batcher = Batcher(projection, self.sources, self.batch)
        messages = batcher.read(after)
        if not messages:
            return 0
        kept, self._memory = self._memory, None  # taken back only once this batch commits
        if kept is None or kept.generation != generation or kept.positions != after:
            kept = _Kept(generation, after, Memory())  # someone else wrote since: start afresh
        projection.memory = kept.memory
        with self.store.transaction() as cur:
            live = live_generation(cur, self.cls.name, lock=True)
            moved = live is None or live[0] != generation
            if moved or positions(cur, projection.tracker) != after:
                return -1  # moved meanwhile (a swap, or another runner): start over
            batcher.apply(cur, messages)
        kept.positions = {**after, **{m.stream: m.position for m in messages}}
        self._memory = kept
        return len(messages)

    def catch_up(self) -> int:
        """Apply until nothing is left; returns how many events were applied."""
        total = 0
        while (applied := self.step()) != 0:
            total += max(applied, 0)
        return total

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name=f"project-{self.cls.name}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.wake.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                started = time.monotonic()
                applied = self.step()
                if applied >= self.batch or applied < 0:
                    continue  # more is waiting, or start over at once
                if applied:
                    gather(self._stop, started)
                    continue
            except Exception:  # a store hiccup must not end the follower: retry after a pause
                self.errors += 1
                log.exception("projection %s failed; retrying", self.cls.name)
            self.wake.wait(self.poll)
            self.wake.clear()


@dataclass
class _Kept:
    """A live projector's memory, valid while nobody else has written since its last batch."""

    generation: str
    positions: dict[str, int]
    memory: Memory


def rebuild(
    cls: type[Projection],
    store: ViewStore,
    sources: Sources,
    *,
    batch: int = 20000,
    progress: Progress | None = None,
    context: Context | None = None,
) -> str:
    """Build a fresh generation of one projection from position 0 and swap it in; returns it."""
    built = rebuild_all([cls], store, sources, batch=batch, progress=progress, context=context)
    return built[cls.name]


def rebuild_all(
    classes: Sequence[type[Projection]],
    store: ViewStore,
    sources: Sources,
    *,
    batch: int = 20000,
    progress: Progress | None = None,
    context: Context | None = None,
) -> dict[str, str]:
    """Build fresh generations of several projections from position 0 in one pass over the
    logs (each batch read and decoded once, applied to each), then swap them all in atomically
    while the live generations keep answering; returns the new generations by name."""
    fresh = create_fresh(classes, store, context)
    for projection in fresh:  # only this rebuild writes the fresh tables: write at the end
        projection.memory = Memory(deferred=True)
    streams = sources.only(tuple(sorted({s for p in fresh for s in p.streams})))
    after: dict[str, int] = {}

    def read() -> list[Message]:
        messages: list[Message] = []
        for stream in streams.streams:
            messages += streams.read(stream, after.get(stream, 0), batch)
        for m in messages:
            after[m.stream] = m.position
        return messages

    batchers = [Batcher(projection, streams, batch) for projection in fresh]
    # The bulk, while the live generations answer.  The next batch is read and decoded while
    # this one is written: the writes mostly wait on the database, with the GIL released.
    with ThreadPoolExecutor(1, thread_name_prefix="rebuild-read") as reader:
        upcoming = reader.submit(read)
        while messages := upcoming.result():
            upcoming = reader.submit(read)
            with store.transaction() as cur:
                apply_all(cur, batchers, messages)
            if progress:
                progress(len(messages))
    return swap_in(fresh, store, sources, after, context)


def create_fresh(
    classes: Sequence[type[Projection]], store: ViewStore, context: Context | None = None
) -> list[Projection]:
    """New, empty generations of ``classes``, which no reader sees yet."""
    fresh = [cls(new_generation(), context) for cls in classes]
    with store.transaction() as cur:
        for projection in fresh:
            projection.create(cur)
    return fresh


def apply_all(cur: Cursor, batchers: Sequence[Batcher], messages: list[Message]) -> None:
    """Apply a batch to each projection that reads its streams (with their positions)."""
    for batcher in batchers:
        mine = [m for m in messages if m.stream in batcher.projection.streams]
        if mine:
            batcher.apply(cur, mine)


def swap_in(
    fresh: Sequence[Projection],
    store: ViewStore,
    sources: Sources,
    after: dict[str, int],
    context: Context | None = None,
) -> dict[str, str]:
    """Apply what the logs got past ``after`` meanwhile, then make readers see the fresh
    generations and drop the old ones, in one transaction; returns the new generations."""
    streams = sources.only(tuple(sorted({s for p in fresh for s in p.streams})))
    batchers = [Batcher(projection, streams, 20000) for projection in fresh]
    with store.transaction() as cur:  # the swap: live runners wait on the registry locks
        olds = {type(p).name: live_generation(cur, type(p).name, lock=True) for p in fresh}
        for projection in fresh:  # positions reached, also where nothing follows
            for stream in projection.streams:
                _track(cur, projection.tracker, stream, after.get(stream, 0))
        while True:
            messages: list[Message] = []
            for stream in streams.streams:
                messages += streams.read(stream, after.get(stream, 0), 20000)
            if not messages:
                break
            for m in messages:
                after[m.stream] = m.position
            apply_all(cur, batchers, messages)
        for projection in fresh:
            projection.flush(cur)  # what a rebuild's memory held back
            projection.analyze(cur)
            cls = type(projection)
            projection.point_views(cur)
            cur.execute(
                "INSERT INTO projection_registry VALUES (?, ?, ?) ON CONFLICT (projection) "
                "DO UPDATE SET generation = excluded.generation, version = excluded.version",
                (cls.name, projection.generation, cls.version),
            )
            old = olds[cls.name]
            if old is not None:
                cls(old[0], context).drop(cur)
    return {type(p).name: p.generation for p in fresh}


def _track(cur: Cursor, tracker: str, stream: str, position: int) -> None:
    cur.execute(
        "INSERT INTO projection_tracking (tracker, stream, position) VALUES (?, ?, ?) "
        "ON CONFLICT (tracker, stream) DO UPDATE SET position = excluded.position",
        (tracker, stream, position),
    )


def heads(sources: Sources, streams: tuple[str, ...]) -> dict[str, Any]:
    """The newest position of each stream (for progress totals)."""
    return {s: getattr(sources.by_stream[s], "head", lambda _: 0)(s) for s in streams}
