"""The supervision service as one event-sourced application with its own store.

Its recorder is a *process recorder*: the events of each transaction (facts noted, findings
raised or closed, agenda entries, the horizon) are inserted together with the position reached
in the followed stream, so a restart resumes exactly where the last commit ended and nothing is
applied twice.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, ClassVar, TypeVar, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, ProcessRecorder, Tracking

from projections.sources import Message
from services.errors import DomainError
from services.ingest import in_cache, read_many
from services.intake.clock import WorkCalendar, china_date
from services.supervision.domainmodel import (
    STATUSES,
    Docket,
    Finding,
    docket_id,
    require,
)
from services.supervision.engine import Pass, Session
from services.supervision.files import HORIZON_ID, Horizon, file_id
from services.supervision.rules import NAMES, Context, Thresholds
from services.supervision.scorecard import Scorecard, quarter_days, report, scorecard_id

T = TypeVar("T")
RAISED: type[Any] = Finding.Raised  # type: ignore[attr-defined]  # made by the @event decorator
RETRIES = 5
MAX_DAYS = 366


class BadQuery(DomainError):
    code = "bad_query"


class Supervision(Application[UUID]):
    """Findings about the hall's cases, fees and departments (督查)."""

    name = "supervision"
    # The follower is the one writer: it keeps what it committed (no re-read per transaction);
    # a conflict with another writer evicts what it touched.  A process that only answers
    # queries beside a worker elsewhere sets SUPERVISION_AGGREGATE_CACHE_FASTFORWARD=y.
    env: ClassVar[dict[str, str]] = {
        "AGGREGATE_CACHE_MAXSIZE": "20000",
        "AGGREGATE_CACHE_FASTFORWARD": "n",
    }
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {Horizon: 200}

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        calendar: WorkCalendar | None = None,
        thresholds: Thresholds | None = None,
    ) -> None:
        super().__init__(env)
        self.context = Context(calendar or WorkCalendar(), thresholds or Thresholds())
        # One transaction at a time in this process: the follower's passes change cached
        # aggregates in place, and supervisors' commands and queries must not see them midway.
        self.lock = threading.RLock()
        # Called with each new finding's rule once it is committed (the hosting process counts
        # them in its metrics; the service itself knows no metrics library).
        self.on_raised: list[Callable[[str], None]] = []

    def construct_recorder(self) -> ProcessRecorder:
        return self.factory.process_recorder()

    # -- following ---------------------------------------------------------------------------
    def position(self, stream: str) -> int:
        """The last position of ``stream`` whose effects are committed (0: none)."""
        recorder = cast(ProcessRecorder, self.recorder)
        return int(recorder.max_tracking_id(stream) or 0)

    def horizon(self) -> datetime | None:
        """How far supervision's time has come."""
        found = self.find(HORIZON_ID, Horizon)
        return None if found is None else found.at

    def take(self, stream: str, messages: Sequence[Message]) -> None:
        """Judge a run of one stream's messages: one transaction, with the stream's position."""
        with self.lock, self._session(self._files(messages)) as session:
            judging = Pass(session, self.context)
            for message in messages:
                judging.take(message)
            judging.finish()
            self._commit(session.changed(), Tracking(stream, messages[-1].position))

    def advance(self, to: datetime) -> bool:
        """Let time pass up to ``to``, judging what falls due: one transaction, or none if
        nothing was due."""
        with self.lock, self._session() as session:
            judging = Pass(session, self.context)
            if judging.at is None or to <= judging.at:
                return False
            judging.advance(to)
            if not judging.fired:  # nothing was due, nothing changed: no transaction
                return False
            judging.finish()
            self._commit(session.changed(), None)
            return True

    def _files(self, messages: Sequence[Message]) -> dict[UUID, Aggregate | None]:
        """The case and receipt files a run will open that this process does not hold, read
        in one query (None: not opened yet) instead of one read each: once a hall has more
        open cases than the cache holds, most of a run's files come from the store."""
        refs = {f"case:{m.body['case_no']}" for m in messages if "case_no" in m.body}
        refs |= {f"receipt:{r}" for m in messages for r in _receipts(m)}
        cache = self.repository.cache
        unknown = [i for i in map(file_id, refs) if cache is None or not in_cache(cache, i)]
        if not unknown or not hasattr(self.recorder, "select_aggregates"):  # SQLite: cheap
            return {}
        read = read_many(self, unknown)
        if cache is not None:
            for ident, file in read.items():
                cache.put(ident, file)  # as a single read would; evicted if the run fails
        return {ident: read.get(ident) for ident in unknown}

    @contextlib.contextmanager
    def _session(self, known: Mapping[UUID, Aggregate | None] | None = None) -> Iterator[Session]:
        session = Session(self, known)
        try:
            yield session
        except BaseException:
            self._forget(list(session.seen))  # changed in place, never committed
            raise

    def _commit(self, aggregates: list[Aggregate], tracking: Tracking | None) -> None:
        processing: ProcessingEvent[UUID] = ProcessingEvent(tracking)
        for aggregate in aggregates:  # not collect_events(): its protocol checks are slow
            processing.events.extend(aggregate.collect_events())
            processing.aggregates[aggregate.id] = aggregate
        recordings = self._record(processing)
        self._take_snapshots(processing)
        self._notify(recordings)
        for raised in processing.events:
            if isinstance(raised, RAISED):
                for hook in self.on_raised:
                    hook(raised.rule)

    def _forget(self, idents: list[UUID]) -> None:
        """Drop cached aggregates: another writer may have changed them."""
        cache = self.repository.cache
        for ident in idents if cache is not None else []:
            with contextlib.suppress(KeyError):
                cache.get(ident, evict=True)  # type: ignore[union-attr]

    # -- supervisors' commands ---------------------------------------------------------------
    def acknowledge_finding(self, ident: UUID, by: str, note: str) -> dict[str, Any]:
        """A supervisor acknowledges a finding, saying what is being done."""
        return self._change(ident, lambda f, at: f.acknowledge(by, note, at))

    def close_finding(self, ident: UUID, by: str, reason: str) -> dict[str, Any]:
        """A supervisor closes a finding, with the reason."""
        return self._change(ident, lambda f, at: f.close(by, reason, at))

    def _change(self, ident: UUID, change: Any) -> dict[str, Any]:
        with self.lock:
            return self._change_now(ident, change)

    def _change_now(self, ident: UUID, change: Any) -> dict[str, Any]:
        for attempt in range(RETRIES):
            finding = require(self.find(ident, Finding), ident)
            change(finding, datetime.now(UTC))
            day = china_date(finding.raised_at)
            docket = self.find(docket_id(day), Docket) or Docket(day.isoformat())
            docket.show(finding)
            try:
                self.save(finding, docket)
            except IntegrityError:  # the follower changed it meanwhile: read again
                self._forget([finding.id, docket.id])
                if attempt == RETRIES - 1:
                    raise
                continue
            return finding.as_dict()
        raise AssertionError("unreachable")

    # -- reading -----------------------------------------------------------------------------
    def finding(self, ident: UUID) -> dict[str, Any]:
        """One finding with its evidence and what supervisors did with it."""
        with self.lock:
            return require(self.find(ident, Finding), ident).as_dict()

    def flags(
        self,
        first: date,
        last: date,
        *,
        rule: str | None = None,
        status: str | None = None,
        department: str | None = None,
    ) -> list[dict[str, Any]]:
        """Findings raised from ``first`` to ``last`` (China dates), oldest first."""
        if last < first or (last - first).days >= MAX_DAYS:
            raise BadQuery(f"from {first} to {last}: give at most {MAX_DAYS} days, in order")
        if rule is not None and rule not in NAMES:
            raise BadQuery(f"no rule {rule!r}; rules: {', '.join(NAMES)}")
        if status is not None and status not in STATUSES:
            raise BadQuery(f"status is one of {', '.join(STATUSES)}")
        found: list[dict[str, Any]] = []
        with self.lock:
            for ordinal in range(first.toordinal(), last.toordinal() + 1):
                docket = self.find(docket_id(date.fromordinal(ordinal)), Docket)
                found += list(docket.entries.values()) if docket else []
        wanted = {"rule": rule, "status": status, "department": department}
        found = [e for e in found if all(v is None or e[k] == v for k, v in wanted.items())]
        return sorted(found, key=lambda e: (e["raised_at"], e["id"]))

    def scorecard(self, quarter: str) -> dict[str, Any]:
        """A quarter's scorecard per window and department."""
        quarter_days(quarter)
        with self.lock:
            return report(quarter, self.find(scorecard_id(quarter), Scorecard))

    def find(self, ident: UUID, cls: type[T]) -> T | None:
        try:
            found: Aggregate = self.repository.get(ident)
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, cls) else None


def _receipts(m: Message) -> list[str]:
    if m.type == "remittance.made":
        return list(m.body["receipts"])
    receipt = m.body.get("receipt_no")
    return [receipt] if receipt else []
