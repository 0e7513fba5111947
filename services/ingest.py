"""Recording posted events: atomic batches, permanent idempotency, many batches per transaction.

A service application subclasses :class:`IngestingApplication` and implements :meth:`decide`,
which turns one posted event into one new domain event on one aggregate.  ``record_group`` then
handles everything the contract promises around it:

- each batch is all or nothing: a rejected event discards every change of its batch, and only
  of its batch, because each batch works on private copies of the aggregates it touches;
- an event id seen before is a duplicate when its content digest matches, a conflict otherwise;
- all accepted batches of a group are saved by ONE ``save()`` (group commit), with their event
  ids written to the keys table in that same transaction;
- a decision may claim other keys in that table (billing's receipt numbers, unique hall-wide):
  a claimed key names the event that claimed it, and is seen by every later decision.
"""

from __future__ import annotations

import contextlib
import copy
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import JSONTranscoder

from events import AnyEvent
from services.errors import DomainError
from services.stamp import Stamp, StampAsDict

A = TypeVar("A", bound=Aggregate)


@dataclass(frozen=True)
class Actor:
    """The authenticated terminal behind a request."""

    terminal_id: str
    role: str
    window_no: str | None = None
    department: str | None = None  # of the window, resolved when the token is checked


@dataclass(frozen=True)
class Posted:
    """One event as a terminal posted it, with its normalised content digest."""

    event: AnyEvent
    digest: str
    actor: Actor

    def stamp(self, recorded_at: datetime) -> Stamp:
        e = self.event
        case_no = getattr(e, "case_no", None)
        return Stamp(
            e.event_id, e.occurred_at, recorded_at, self.actor.terminal_id, e.staff_id, case_no
        )


class EventIdReused(DomainError):
    code = "event_id_reused"


@dataclass(frozen=True)
class Result:
    """What became of one posted event."""

    event_id: UUID
    status: str  # "recorded" | "duplicate"
    position: int


@dataclass(frozen=True)
class Rejection:
    """Why a whole batch was refused: the first offending event and the domain error."""

    event_index: int
    event_id: UUID
    error: DomainError


Outcome = list[Result] | Rejection
StepClock = Callable[[str, float], None]  # told each step of a group and its wall seconds


class UnitOfWork:
    """The aggregates one group of batches reads and changes, with per-batch rollback."""

    def __init__(self, app: Application[UUID]) -> None:
        self.app = app
        self.committed: dict[UUID, Aggregate] = {}
        self.touched: dict[UUID, Aggregate] = {}
        self.events: list[Any] = []
        self.absent: set[UUID] = set()  # known not to exist yet (prefetched): no query needed
        self.versions: dict[UUID, int] = {}  # last stored versions (prefetched), see ``_current``
        self.reads: dict[UUID, Aggregate | None] = {}
        self.prepared: Any = None  # the application's lookups for the group (``prepare``)
        self.keys: dict[UUID, Any] = {}  # stored keys asked for (``prefetch_keys``): their rows
        self.claimed: dict[UUID, tuple[str, Any]] = {}  # key -> (digest, event), by this group
        self._claiming: dict[UUID, tuple[str, Any]] = {}  # the same, by the batch deciding
        self.fresh_claims: list[UUID] = []  # claimed by the event being decided
        self._last: dict[UUID, Any] = {}  # each aggregate's last event in ``events``

    def get(self, aggregate_id: UUID, cls: type[A]) -> A:
        """The aggregate as this batch sees it (its own changes included)."""
        if aggregate_id in self.touched:
            found = self.touched[aggregate_id]
        elif aggregate_id in self.committed:
            # An earlier batch of this group changed it: copy, so a rollback can't leak.
            found = copy.deepcopy(self.committed[aggregate_id])
        elif aggregate_id in self.absent:
            raise AggregateNotFoundError(aggregate_id)
        else:
            current = self._current(aggregate_id)
            found = (
                copy.deepcopy(current)
                if current is not None
                else self.app.repository.get(aggregate_id)
            )
        if not isinstance(found, cls):
            raise AggregateNotFoundError(aggregate_id)
        self.touched[aggregate_id] = found
        return found

    def find(self, aggregate_id: UUID, cls: type[A]) -> A | None:
        try:
            return self.get(aggregate_id, cls)
        except AggregateNotFoundError:
            return None

    def read(self, aggregate_id: UUID, cls: type[A]) -> A | None:
        """An aggregate the caller only reads (e.g. the catalogue): shared, never copied."""
        if aggregate_id not in self.reads:
            self.reads[aggregate_id] = (
                None
                if aggregate_id in self.absent
                else self._current(aggregate_id)
                or self.app.repository.get(aggregate_id, deepcopy_from_cache=False)
            )
        found = self.reads[aggregate_id]
        return found if isinstance(found, cls) else None

    def _current(self, aggregate_id: UUID) -> Aggregate | None:
        """The cached copy, if the group's first query found it at its last stored version.

        A repository that fast-forwards (billing's) would otherwise ask the store for newer
        events on every read, one round trip each, in turn: two per payment (its account and
        its day), most of the time of a group of payments.  The answer is the same: the
        version was read in this group's first round trip, and a service whose writers take
        turns holds its lock from then until the save; without the lock a newer write
        elsewhere fails this one at save, as it would have anyway.
        """
        cache = self.app.repository.cache
        stored = self.versions.get(aggregate_id)
        if cache is None or stored is None:
            return None
        try:
            cached = cache.get(aggregate_id)
        except KeyError:
            return None
        if cached.version != stored:  # this process's writes are all in the cache: not ours
            self.app.written_elsewhere = True  # type: ignore[attr-defined]
            return None
        return cached  # type: ignore[return-value]

    def add(self, aggregate: Aggregate) -> None:
        self.touched[aggregate.id] = aggregate

    def claim(self, key: UUID, digest: str, aggregate: Aggregate) -> None:
        """Claim ``key`` for the event ``aggregate`` has just triggered: the key's row names
        that event, and is written with it or not at all."""
        self._claiming[key] = (digest, aggregate.pending_events[-1])
        self.fresh_claims.append(key)

    def key_owner(self, key: UUID) -> UUID | None:
        """The aggregate whose event claimed ``key`` (stored, or claimed by this group), or
        None if it is free.  Only keys the application prefetched are known as stored."""
        claimed = self._claiming.get(key) or self.claimed.get(key)
        if claimed is not None:
            return claimed[1].originator_id  # type: ignore[no-any-return]
        stored = self.keys.get(key)
        return stored.originator_id if stored is not None else None

    def commit_batch(self) -> None:
        for aggregate_id, aggregate in self.touched.items():
            changes = aggregate.collect_events()
            if not changes:  # an aggregate only looked at needs no copy for the next batch
                continue
            self.committed[aggregate_id] = aggregate
            last = self._last.get(aggregate_id)
            if last is not None and len(changes) == 1 and _absorbed(aggregate, last, changes[0]):
                continue
            self.events.extend(changes)
            self._last[aggregate_id] = changes[-1]
        self.touched = {}
        self.claimed.update(self._claiming)
        self._claiming = {}

    def rollback_batch(self) -> None:
        self.touched = {}
        self._claiming = {}


def _absorbed(aggregate: Aggregate, earlier: Any, later: Any) -> bool:
    """Whether ``aggregate`` folded its new event into its ``earlier`` one, which the group has
    not stored yet (``absorb``: an aggregate that records many small changes, such as billing's
    day index, one per single-payment request, then stores one event for the whole group)."""
    absorb = getattr(aggregate, "absorb", None)
    return absorb is not None and bool(absorb(earlier, later))


@dataclass(frozen=True)
class EventKey:
    """The row that makes an event id a permanent idempotency key."""

    event_id: UUID
    digest: str
    originator_id: UUID
    originator_version: int


@dataclass
class _Accepted:
    # (event id, status, position if already known); new positions are known after the save.
    results: list[tuple[UUID, str, int | None]] = field(default_factory=list)


class IngestingApplication(Application[UUID], Generic[A]):
    """An application whose commands arrive as posted contract events."""

    # Whether writers in several processes must take turns (the runtime then holds a lock
    # across processes around each group): true where nearly every batch writes the same
    # aggregates, so concurrent decisions would nearly always conflict.
    writers_take_turns = False
    # Set when a group finds an aggregate this process holds written past its copy: another
    # process writes this service's events too (the group committer then takes turns).
    written_elsewhere = False

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(StampAsDict())

    def prefetch_ids(self, posted: Posted) -> list[UUID]:
        """Aggregates a posted event will load: one query per group tells which don't exist."""
        return []

    def prefetch_keys(self, posted: Posted) -> list[UUID]:
        """Keys other than event ids that deciding a posted event will look up
        (``UnitOfWork.key_owner``): asked in the group's first query with the event ids."""
        return []

    def decide(self, posted: Posted, stamp: Stamp, uow: UnitOfWork) -> Aggregate:
        """Apply one posted event; return the aggregate that now holds its new event."""
        raise NotImplementedError

    def prepare(self, posted: Sequence[Posted]) -> Any:
        """What a group's events will look up outside this application, fetched once for the
        whole group before deciding (``uow.prepared``); nothing by default."""
        return None

    def find_many(self, aggregate_ids: Sequence[UUID], cls: type[A]) -> list[A]:
        """Aggregates read fresh from the store in one query (never the writer's cache);
        those that don't exist, or are of another class, are left out."""
        return [a for a in read_many(self, aggregate_ids).values() if isinstance(a, cls)]

    def record_group(
        self,
        batches: Sequence[Sequence[Posted]],
        clock: StepClock | None = None,
        outside_turn_of: str | None = None,
    ) -> list[Outcome]:
        """Record several independent batches in one transaction (group commit).

        ``clock`` is told the wall time of each step: ``lookup`` (what to ask, and which ids,
        keys and aggregates are known: the group's first query), ``prepare``, ``decide``, ``write``
        (encoding, and the transaction that stores the events and their keys).
        ``outside_turn_of`` names the writers' lock the caller does not hold, whose turns the
        write waits out (``hall.writerlock``); the store passes it on to its recorder."""
        lap = _Laps(clock)
        recorded_at = datetime.now(UTC)
        everyone = [p for batch in batches for p in batch]
        ids = [p.event.event_id for p in everyone]
        # In order of first mention, not sorted: sorting a thousand UUIDs compares them in
        # Python (0.5 ms a group here), and the queries do not care.
        loads = list(dict.fromkeys(i for p in everyone for i in self.prefetch_ids(p)))
        other_keys = list(dict.fromkeys(k for p in everyone for k in self.prefetch_keys(p)))
        # Which ids and keys are known, and each aggregate's last stored version: one round trip.
        recorder: Any = self.recorder
        known, versions = recorder.select_known([*ids, *other_keys], loads)
        self._drop_stale(loads, versions)
        lap("lookup")
        uow = UnitOfWork(self)
        uow.keys = {k: known[k] for k in other_keys if k in known}
        uow.absent = set(loads) - versions.keys()
        uow.versions = versions
        uow.prepared = self.prepare(everyone)
        lap("prepare")
        new: dict[UUID, tuple[str, Any]] = {}  # event id -> (digest, its new domain event)
        decided: list[_Accepted | Rejection] = []
        for batch in batches:
            outcome, batch_new = self._decide_batch(batch, recorded_at, uow, known, new)
            decided.append(outcome)
            if isinstance(outcome, Rejection):
                uow.rollback_batch()
            else:
                uow.commit_batch()
                new.update(batch_new)
        lap("decide")
        positions: dict[UUID, int] = {}
        if uow.events:
            keys = [
                EventKey(eid, digest, ev.originator_id, ev.originator_version)
                for eid, (digest, ev) in [*new.items(), *uow.claimed.items()]
            ]
            try:
                # The event store directly, not ``save()``: save checks every object against
                # the library's runtime protocols (~17 µs an event on Python 3.11), and these
                # are known domain events of aggregates this application does not snapshot.
                recordings = self.events.put(
                    uow.events, event_keys=keys, outside_turn_of=outside_turn_of
                )
            except Exception:
                self._forget(uow)  # e.g. another process wrote these aggregates meanwhile
                raise
            self._remember(uow)
            by_event = {id(r.domain_event): r.notification.id for r in recordings}
            positions = {eid: by_event[id(ev)] for eid, (_, ev) in new.items()}
        lap("write")
        return [_resolve(d, positions) for d in decided]

    def _drop_stale(self, loads: Sequence[UUID], versions: dict[UUID, int]) -> None:
        """Evict cached aggregates that another process has written since (API replicas,
        ``hall serve --workers``).  A decision on a stale copy that adds an event fails at
        save (its version is taken) and is retried, but a refusal never reaches the save: a
        case completed elsewhere would be refused delivery here.  Checked before deciding,
        in the round trip that asks for the event ids anyway.  (A repository that fast-forwards
        its copies on every read needs none of this.)"""
        cache = self.repository.cache
        if cache is None or self.repository.fastforward:
            return
        for aggregate_id in loads:
            try:
                cached = cache.get(aggregate_id)
            except KeyError:
                continue
            if cached.version != versions.get(aggregate_id):
                with contextlib.suppress(KeyError):
                    cache.get(aggregate_id, evict=True)

    def _remember(self, uow: UnitOfWork) -> None:
        # The writer keeps what it decided; another process's later writes to the same
        # aggregates evict them before the next decision (_drop_stale) or at save (_forget).
        if self.repository.cache is not None:
            for aggregate_id, aggregate in uow.committed.items():
                self.repository.cache.put(aggregate_id, aggregate)

    def _forget(self, uow: UnitOfWork) -> None:
        if self.repository.cache is not None:
            for aggregate_id in {*uow.committed, *uow.touched}:
                with contextlib.suppress(KeyError):
                    self.repository.cache.get(aggregate_id, evict=True)

    def _decide_batch(
        self,
        batch: Sequence[Posted],
        recorded_at: datetime,
        uow: UnitOfWork,
        known: dict[UUID, Any],
        earlier: dict[UUID, tuple[str, Any]],
    ) -> tuple[_Accepted | Rejection, dict[UUID, tuple[str, Any]]]:
        accepted = _Accepted()
        mine: dict[UUID, tuple[str, Any]] = {}
        for index, posted in enumerate(batch):
            event_id = posted.event.event_id
            try:
                seen = known.get(event_id)
                prior = mine.get(event_id) or earlier.get(event_id)
                if seen is not None or prior is not None:
                    digest = seen.digest if seen is not None else prior[0]  # type: ignore[index]
                    if digest != posted.digest:
                        raise EventIdReused(
                            f"event {event_id} was already recorded with other content"
                        )
                    position = seen.position if seen is not None else None
                    accepted.results.append((event_id, "duplicate", position))
                    continue
                # Claimed keys and event ids share the keys table: an event id that is a key
                # claimed in this group, or a key that is an id of this group, is taken.
                if uow.key_owner(event_id) is not None:
                    raise EventIdReused(f"event id {event_id} is taken")
                uow.fresh_claims.clear()
                aggregate = self.decide(posted, posted.stamp(recorded_at), uow)
                for key in uow.fresh_claims:
                    if key == event_id or key in mine or key in earlier:
                        raise EventIdReused(f"event id {key} is taken")
                mine[event_id] = (posted.digest, aggregate.pending_events[-1])
                accepted.results.append((event_id, "recorded", None))
            except DomainError as error:
                return Rejection(index, event_id, error), {}
        return accepted, mine


class _Laps:
    """Tells a step clock the wall time since the last step ended (nothing without a clock)."""

    def __init__(self, clock: StepClock | None) -> None:
        self.clock = clock
        self.last = time.perf_counter()

    def __call__(self, step: str) -> None:
        if self.clock is not None:
            now = time.perf_counter()
            self.clock(step, now - self.last)
            self.last = now


def read_many(app: Application[UUID], aggregate_ids: Sequence[UUID]) -> dict[UUID, Aggregate]:
    """The aggregates among these that exist, read from the store in one query (hall's
    recorders' ``select_aggregates``) and folded from their events (not snapshots: for
    aggregates the application does not snapshot)."""
    stored = app.recorder.select_aggregates(aggregate_ids)  # type: ignore[attr-defined]
    found: dict[UUID, Aggregate] = {}
    for ident, events in stored.items():
        aggregate: Any = None
        for domain_event in map(app.mapper.to_domain_event, events):
            # Not the library's ``project_aggregate``: it checks each event against a runtime
            # protocol, a third of the time of a bulk read.
            aggregate = domain_event.mutate(aggregate)  # type: ignore[attr-defined]
        if aggregate is not None:
            found[ident] = aggregate
    return found


def in_cache(cache: Any, aggregate_id: UUID) -> bool:
    """Whether a repository's cache holds the aggregate (no read)."""
    try:
        cache.get(aggregate_id)
    except KeyError:
        return False
    return True


def _resolve(decided: _Accepted | Rejection, positions: dict[UUID, int]) -> Outcome:
    if isinstance(decided, Rejection):
        return decided
    return [
        Result(eid, status, known if known is not None else positions[eid])
        for eid, status, known in decided.results
    ]
