"""Judging subjects as events arrive and as time passes, within one transaction.

Supervision's time is its *horizon*.  A message is known from the instant the hall recorded it;
before it is noted, time advances to that instant, and every agenda entry due by then is judged
first.  Messages recorded at the same instant (one group commit) are noted together and their
subjects judged once.  Every finding is raised at a deterministic instant — a message's
recorded time or an agenda entry's — so a replay of the same logs raises the same findings.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate

from projections.sources import Message
from services.intake.clock import china_date
from services.supervision.casefacts import CaseFacts
from services.supervision.domainmodel import AUTOMATIC, Docket, Finding, docket_id
from services.supervision.facts import Mark, extract
from services.supervision.files import HORIZON_ID, Agenda, File, Horizon, agenda_id, file_id
from services.supervision.rules import Context, Flag, judge
from services.supervision.rules.overdue import on_time
from services.supervision.scorecard import Scorecard, quarter_of, scorecard_id

A = TypeVar("A", bound=Aggregate)
CASE_PREFIXES = ("case.", "evaluation.", "fee.")


class Session:
    """The aggregates one transaction reads and changes."""

    def __init__(
        self, app: Application[UUID], known: Mapping[UUID, Aggregate | None] | None = None
    ) -> None:
        self.app = app
        # read before the transaction (None: known not to exist yet)
        self.seen: dict[UUID, Aggregate | None] = dict(known or {})

    def find(self, ident: UUID, cls: type[A]) -> A | None:
        if ident not in self.seen:
            try:
                # No copy: the application serialises transactions and, should one fail,
                # evicts whatever it touched from the cache.
                self.seen[ident] = self.app.repository.get(ident, deepcopy_from_cache=False)
            except AggregateNotFoundError:
                self.seen[ident] = None
        found = self.seen[ident]
        return found if isinstance(found, cls) else None

    def add(self, aggregate: A) -> A:
        self.seen[aggregate.id] = aggregate
        return aggregate

    def changed(self) -> list[Aggregate]:
        return [a for a in self.seen.values() if a is not None and a.pending_events]


class Pass:
    """One transaction's work: messages noted, subjects judged, time advanced, in order."""

    def __init__(self, session: Session, ctx: Context) -> None:
        self.s, self.ctx = session, ctx
        self.horizon = session.find(HORIZON_ID, Horizon)
        self.at: datetime | None = self.horizon.at if self.horizon else None
        self.dirty: dict[str, File] = {}
        self.fired = 0
        self._counts: dict[str, dict[tuple[str, str | None, str | None], int]] = {}
        self._due: list[tuple[datetime, str]] = []
        self._until: datetime | None = None

    # -- time --------------------------------------------------------------------------------
    def take(self, m: Message) -> None:
        """Note a message at the instant it was recorded (or now, if time is already past it)."""
        fact = extract(m)
        if fact is None:
            return
        self.advance(m.recorded_at)
        self.route(m.type, fact)

    def advance(self, to: datetime) -> None:
        """Judge the pending subjects, then every agenda entry due in (now, to], in order."""
        if self.at is None:
            self.at = to
        if to <= self.at:
            return
        self.judge_dirty()
        start, day = self.at, china_date(self.at)
        self._due, self._until = [], to
        while day <= china_date(to):
            agenda = self.s.find(agenda_id(day), Agenda)
            self._due += agenda.due(start, to) if agenda else []
            day += timedelta(days=1)
        heapq.heapify(self._due)
        done: set[tuple[datetime, str]] = set()
        while self._due:
            entry = heapq.heappop(self._due)
            file = self.s.find(file_id(entry[1]), File)
            if entry in done or file is None:
                continue
            done.add(entry)
            self.fired += 1
            self.judge(file, entry[0])
        self._until, self.at = None, to

    def finish(self) -> None:
        """Judge what is pending, add up the scorecards and record how far time has come."""
        self.judge_dirty()
        for quarter, counts in sorted(self._counts.items()):
            card = self.s.find(scorecard_id(quarter), Scorecard) or self.s.add(Scorecard(quarter))
            card.tally([[*key, n] for key, n in sorted(counts.items(), key=str)])
        self._counts = {}
        if self.at is None:
            return
        if self.horizon is None:
            self.horizon = self.s.add(Horizon(self.at))
        self.horizon.advance(self.at)

    # -- judging -----------------------------------------------------------------------------
    def judge_dirty(self) -> None:
        assert self.at is not None or not self.dirty
        for ref in sorted(self.dirty):
            self.judge(self.dirty[ref], self.at)  # type: ignore[arg-type]
        self.dirty = {}

    def judge(self, file: File, at: datetime) -> None:
        """Raise a finding for each new flag, close those whose flag cleared, plan the next look."""
        verdict = judge(file.kind, file.facts, at, self.ctx)
        flags = {flag.key: flag for flag in verdict.flags}
        raised = {}
        for key, flag in flags.items():
            if key not in file.held:
                raised[key] = str(self.raise_finding(key, file.raised.get(key, 0) + 1, flag, at))
        cleared = [key for key in file.held if key not in flags]
        for key in cleared:
            finding = self.s.find(UUID(file.held[key]), Finding)
            if finding is not None and finding.closed is None:
                finding.close(AUTOMATIC, _why_cleared(key, raised), at)
                self.docket(finding.raised_at).show(finding)
        again = verdict.next_at
        if raised or cleared or again != file.next_at:
            file.judged(raised, cleared, again)
            if again is not None:
                self.schedule(again, file.ref)

    def raise_finding(self, key: str, occurrence: int, flag: Flag, at: datetime) -> UUID:
        # The occurrence comes from the file, so the id is new; were it not, the insert would
        # fail on the stored (id, version) and the whole transaction with it.
        finding = self.s.add(
            Finding(
                key,
                occurrence,
                flag.rule,
                flag.subject_kind,
                flag.subject_id,
                flag.severity,
                list(flag.evidence),
                at,
                flag.department,
                flag.window_no,
                dict(flag.detail) | ({"slot": flag.slot} if flag.slot else {}),
            )
        )
        self.docket(at).show(finding)
        self.count(china_date(at), f"finding:{flag.rule}", flag.department, flag.window_no)
        return finding.id

    def schedule(self, at: datetime, ref: str) -> None:
        if self._until is not None and at <= self._until:
            heapq.heappush(self._due, (at, ref))  # falls due in the stretch being judged
            return
        day = china_date(at)
        agenda = self.s.find(agenda_id(day), Agenda) or self.s.add(Agenda(day.isoformat()))
        agenda.schedule(at, ref)

    def docket(self, raised_at: datetime) -> Docket:
        day = china_date(raised_at)
        return self.s.find(docket_id(day), Docket) or self.s.add(Docket(day.isoformat()))

    # -- noting ------------------------------------------------------------------------------
    def file(self, ref: str) -> File:
        file = self.s.find(file_id(ref), File) or self.s.add(File.open(ref))
        self.dirty[ref] = file
        return file

    def route(self, kind: str, fact: dict[str, Any]) -> None:
        if kind.startswith(CASE_PREFIXES):
            case = self.file(f"case:{fact['case_no']}")
            facts = case.facts
            assert isinstance(facts, CaseFacts)
            before = _milestones(facts)
            case.note(fact)
            self.after_case(facts, before, fact)
            if kind in {"fee.paid", "fee.refunded"}:
                extra = {"department": facts.department, "window_no": facts.window_no}
                self.file(f"receipt:{fact['receipt_no']}").note(fact | extra)
        elif kind == "remittance.made":
            for receipt_no in fact["receipts"]:
                self.file(f"receipt:{receipt_no}").note(fact)
        elif kind.startswith("billing.statement.") and fact.get("originator_id"):
            self.file(f"statement:{fact['originator_id']}").note(fact)

    def after_case(self, facts: CaseFacts, before: list[Any], fact: Mapping[str, Any]) -> None:
        """Keep the department's cohort and the scorecard in step with the case."""
        accepted, completed, rated, leaves = before
        now_accepted = facts.first("case.accepted")
        department, window = facts.department, facts.window_no
        at_window = facts.terms.get("decision_at") == "window" and department is not None
        if accepted is None and now_accepted is not None:
            self.count(now_accepted.day, "accepted", department, window)
            if at_window:
                self.enrol(department, facts.case_no, now_accepted)
        ended = facts.first("case.completed")
        if completed is None and ended is not None and now_accepted is not None:
            self.count(now_accepted.day, "completed", department, window)
            if on_time(facts, self.ctx.calendar):
                self.count(now_accepted.day, "on_time", department, window)
        given = facts.first("evaluation.submitted")
        if rated is None and given is not None:
            self.count(given.day, f"rating:{facts.rating}", department, window)
        if leaves is None and facts.leaves_window is not None and at_window:
            change = {"type": "classified", "case_no": facts.case_no, "left": facts.leaves_window}
            change |= {"id": facts.leaves_evidence, "at": fact["at"], "rec": fact["rec"]}
            self.file(f"department:{department}").note(change)

    def enrol(self, department: Any, case_no: str, accepted: Mark) -> None:
        enrolment: dict[str, Any] = {"type": "enrolled", "case_no": case_no}
        enrolment["on"] = accepted.day.isoformat()
        enrolment |= {"id": accepted.id, "at": accepted.at, "rec": accepted.rec}
        self.file(f"department:{department}").note(enrolment)

    def count(self, day: Any, measure: str, department: str | None, window: str | None) -> None:
        """Count towards a quarter's scorecard, added up when the run finishes."""
        counts = self._counts.setdefault(quarter_of(day), {})
        key = (measure, department, window)
        counts[key] = counts.get(key, 0) + 1


def _why_cleared(key: str, raised: Mapping[str, str]) -> str:
    rule_and_subject = key.rpartition("|")[0]
    successor = next((k for k in raised if k.rpartition("|")[0] == rule_and_subject), None)
    if successor is not None:
        return f"superseded by {successor.rpartition('|')[2]}"
    return "the condition no longer holds"


def _milestones(facts: CaseFacts) -> list[Any]:
    kinds = ("case.accepted", "case.completed", "evaluation.submitted")
    return [*(facts.first(k) for k in kinds), facts.leaves_window]
