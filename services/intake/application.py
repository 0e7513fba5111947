"""The intake service: cases and the catalogue, as one event-sourced application."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from services.errors import DomainError, Forbidden, NotFound
from services.ingest import IngestingApplication, Posted, UnitOfWork
from services.intake.catalogue import KINDS, Entry, Index, UnknownEntry, entry_id, index_id
from services.intake.catalogue import item_terms as terms_of
from services.intake.clock import WorkCalendar
from services.intake.domainmodel import Case, CaseExists, CaseNotFound, case_id
from services.intake.translate import command_arguments
from services.stamp import Stamp

T = TypeVar("T")
CATALOGUE_TTL_SECONDS = 2.0
LATEST = 2**62  # asking for a version reads the store, bypassing the writer's cache


class WindowNotForItem(DomainError):
    code = "window_not_for_item"


class Cases(IngestingApplication[Case]):
    """Cases (办件) and the catalogue they are accepted under."""

    name = "intake"

    def __init__(
        self, env: Mapping[str, str] | None = None, calendar: WorkCalendar | None = None
    ) -> None:
        super().__init__(env)
        self.calendar = calendar or WorkCalendar()
        self._catalogue_read_at: dict[UUID, float] = {}

    # -- catalogue -----------------------------------------------------------------------
    def publish(self, kind: str, code: str, content: dict[str, Any]) -> Entry:
        """Create or revise a catalogue entry; every change is an event."""
        self.check_references(kind, content)
        try:
            entry = self.find(entry_id(kind, code), Entry)
            if entry is None:
                raise AggregateNotFoundError(entry_id(kind, code))
            entry.revise(content)
            self.save(entry)
        except AggregateNotFoundError:
            entry = Entry(kind, code, content)
            index = self.find(index_id(kind), Index) or Index(kind)
            index.add(code)
            self.save(entry, index)
        return entry

    def check_references(self, kind: str, content: dict[str, Any]) -> None:
        """Windows and items must name departments that exist."""
        named = [content["department"]] if kind in {"window", "item"} else []
        named += content.get("co_departments", [])
        for code in named:
            if self.find(entry_id("department", code), Entry) is None:
                raise UnknownEntry(f"department {code} is not in the catalogue")

    def entry(self, kind: str, code: str, version: int | None = None) -> Entry:
        """A catalogue entry, optionally as it was at an earlier version."""
        found = self.find(entry_id(kind, code), Entry, version)
        if found is None:
            raise NotFound(f"{kind} {code} is not in the catalogue")
        return found

    def entries(self, kind: str) -> list[Entry]:
        """Every entry of one kind, in order of first publication."""
        assert kind in KINDS
        index = self.find(index_id(kind), Index)
        return [self.entry(kind, code) for code in (index.codes if index else [])]

    def window_department(self, window_no: str) -> str | None:
        """The department a window belongs to now (None for an unknown window)."""
        window = self.find(entry_id("window", window_no), Entry)
        return None if window is None else str(window.content["department"])

    # -- posted case events ----------------------------------------------------------------
    def prefetch_ids(self, posted: Posted) -> list[UUID]:
        return [case_id(posted.event.case_no)]  # type: ignore[union-attr]

    def decide(self, posted: Posted, stamp: Stamp, uow: UnitOfWork) -> Aggregate:
        event: Any = posted.event
        if event.type in {"case.received", "case.accepted"}:
            return self._start_or_accept(posted, stamp, uow)
        case = uow.find(case_id(event.case_no), Case)
        if case is None:
            raise CaseNotFound(f"case {event.case_no} was never received or accepted")
        self.check_department(posted, case.department)
        method, arguments = command_arguments(event)
        getattr(case, method)(**arguments, stamp=stamp)
        return case

    def _start_or_accept(self, posted: Posted, stamp: Stamp, uow: UnitOfWork) -> Aggregate:
        event: Any = posted.event
        item = self.catalogue_entry(uow, entry_id("item", event.item_code))
        if item is None:
            raise UnknownEntry(f"item {event.item_code} is not in the catalogue")
        window = self.catalogue_entry(uow, entry_id("window", event.window_no))
        if window is None:
            raise UnknownEntry(f"window {event.window_no} is not in the catalogue")
        terms = terms_of(item)
        allowed = {terms["department"], *terms.get("co_departments", [])}
        if window.content["department"] not in allowed:
            raise WindowNotForItem(
                f"window {event.window_no} does not serve item {event.item_code}"
            )
        self.check_department(posted, terms["department"], event.window_no)
        applicant = event.applicant.model_dump(mode="json")
        accepting = event.type == "case.accepted"
        special_care = bool(getattr(event, "special_care", False))
        case = uow.find(case_id(event.case_no), Case)
        if case is not None and not accepting:
            raise CaseExists(f"case {event.case_no} was already received")
        if case is not None:
            case.accept(terms, event.window_no, applicant, event.materials, special_care, stamp)
            return case
        case = Case(
            event.case_no,
            terms,
            event.window_no,
            applicant,
            list(event.materials),
            stamp,
            accepting,
            special_care,
        )
        uow.add(case)
        return case

    def catalogue_entry(self, uow: UnitOfWork, aggregate_id: UUID) -> Entry | None:
        """A catalogue entry for a decision: cached, but re-read every few seconds, because
        another API process may have changed the catalogue (this one's changes apply at once)."""
        now = time.monotonic()
        if now - self._catalogue_read_at.get(aggregate_id, 0.0) > CATALOGUE_TTL_SECONDS:
            self._catalogue_read_at[aggregate_id] = now
            if self.repository.cache is not None:
                with contextlib.suppress(KeyError):
                    self.repository.cache.get(aggregate_id, evict=True)
        try:
            return uow.read(aggregate_id, Entry)
        except AggregateNotFoundError:
            return None

    @staticmethod
    def check_department(posted: Posted, department: str, window_no: str | None = None) -> None:
        """A window terminal posts only for its own department's cases (and its own window)."""
        actor = posted.actor
        if actor.role != "window":
            return
        if actor.department != department:
            raise Forbidden(f"terminal {actor.terminal_id} serves another department")
        if window_no is not None and window_no != actor.window_no:
            raise Forbidden(f"terminal {actor.terminal_id} is window {actor.window_no}")

    # -- reading -----------------------------------------------------------------------------
    def case_history(self, case_no: str) -> list[tuple[int, Any]]:
        """Every stored event of a case with its log position, oldest first."""
        recorder: Any = self.recorder
        notifications = recorder.select_aggregate_notifications(case_id(case_no))
        if not notifications:
            raise NotFound(f"case {case_no} is not known")
        return [(n.id, self.mapper.to_domain_event(n)) for n in notifications]

    def cached(self, aggregate_id: UUID, cls: type[T]) -> T | None:
        """This process's writer's copy of an aggregate, if it holds one (no read)."""
        cache = self.repository.cache
        try:
            found = cache.get(aggregate_id) if cache is not None else None
        except KeyError:
            return None
        return found if isinstance(found, cls) else None

    def find(self, aggregate_id: UUID, cls: type[T], version: int | None = None) -> T | None:
        """An aggregate read fresh from the store (never the writer's cache), or None."""
        try:
            found: Aggregate = self.repository.get(aggregate_id, version=version or LATEST)
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, cls) else None
