"""The case (办件): its lifecycle as events, and the rules that guard each transition.

State holds only what decisions need; what people see is folded from the events elsewhere
(``services.intake.caseview``).  Each public command checks its rules with ``check_*`` methods
and then triggers exactly one event, so one posted event is one stored event.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from uuid import NAMESPACE_URL, UUID

from eventsourcing.domain import Aggregate, event

from services.errors import DomainError
from services.flatstate import FlatState
from services.nameids import name_uuid
from services.stamp import Stamp

CASE_NAMESPACE = name_uuid(NAMESPACE_URL, "hall:case")

OPEN, RECEIVED = "open", "received"
REFUSED, WITHDRAWN, COMPLETED, DELIVERED = "refused", "withdrawn", "completed", "delivered"
CLOSED = frozenset({REFUSED, WITHDRAWN, COMPLETED, DELIVERED})


class CaseExists(DomainError):
    code = "case_exists"


class CaseNotFound(DomainError):
    code = "case_not_found"


class NotAccepted(DomainError):
    code = "case_not_accepted"


class CaseClosed(DomainError):
    code = "case_closed"


class AlreadyAccepted(DomainError):
    code = "already_accepted"


class SupplementPending(DomainError):
    code = "supplement_pending"


class NoSupplementRequested(DomainError):
    code = "no_supplement_requested"


class ProcedureRunning(DomainError):
    code = "procedure_running"


class NoProcedureRunning(DomainError):
    code = "no_procedure_running"


class AlreadySuspended(DomainError):
    code = "already_suspended"


class NotSuspended(DomainError):
    code = "not_suspended"


class ClockStopped(DomainError):
    code = "clock_stopped"


class NotCompleted(DomainError):
    code = "case_not_completed"


class AlreadyDelivered(DomainError):
    code = "already_delivered"


class AlreadyRated(DomainError):
    code = "already_rated"


class NotRated(DomainError):
    code = "case_not_rated"


@lru_cache(maxsize=65536)  # uuid5 hashes; a case number is looked up several times per event
def case_id(case_no: str) -> UUID:
    """Cases are found by number: the aggregate id is derived from it."""
    return name_uuid(CASE_NAMESPACE, case_no)


class Case(FlatState, Aggregate):
    """One application from receipt to delivery."""

    INITIAL_VERSION = 1

    @staticmethod
    def create_id(case_no: str, **_: Any) -> UUID:
        return case_id(case_no)

    @event("Received")
    def __init__(
        self,
        case_no: str,
        terms: dict[str, Any],
        window_no: str,
        applicant: dict[str, Any],
        materials: list[str],
        stamp: Stamp,
        accepted: bool = False,
        special_care: bool = False,
    ) -> None:
        self.case_no = case_no
        self.department: str = terms["department"]  # the item's terms stay in the event
        self.status = OPEN if accepted else RECEIVED
        self.supplement_pending = False
        self.supplement_rounds = 0
        self.procedure_running = False
        self.suspended = False
        self.rated = False

    @property
    def accepted(self) -> bool:
        return self.status != RECEIVED and self.status != REFUSED

    # -- rules ---------------------------------------------------------------------------
    def check_open(self) -> None:
        if self.status in CLOSED:
            raise CaseClosed(f"case {self.case_no} is {self.status}")

    def check_in_progress(self) -> None:
        self.check_open()
        if self.status != OPEN:
            raise NotAccepted(f"case {self.case_no} has not been accepted")

    def check_clock_running(self) -> None:
        if self.procedure_running:
            raise ClockStopped(f"case {self.case_no} is in a special procedure")
        if self.suspended:
            raise ClockStopped(f"case {self.case_no} is suspended")

    # -- commands ------------------------------------------------------------------------
    def accept(
        self,
        terms: dict[str, Any],
        window_no: str,
        applicant: dict[str, Any],
        materials: list[str],
        special_care: bool,
        stamp: Stamp,
    ) -> None:
        """Accept a case that was received first (受理)."""
        self.check_open()
        if self.status != RECEIVED:
            raise AlreadyAccepted(f"case {self.case_no} is already accepted")
        if self.supplement_pending:
            raise SupplementPending(f"case {self.case_no} awaits the requested materials")
        self._accepted(terms, window_no, applicant, materials, special_care, stamp)

    @event("Accepted")
    def _accepted(
        self,
        terms: dict[str, Any],
        window_no: str,
        applicant: dict[str, Any],
        materials: list[str],
        special_care: bool,
        stamp: Stamp,
    ) -> None:
        self.department = terms["department"]
        self.status = OPEN

    def refuse(self, reason: str, legal_basis: str, stamp: Stamp) -> None:
        """Refuse to accept (不予受理): only before acceptance."""
        self.check_open()
        if self.status != RECEIVED:
            raise AlreadyAccepted(f"case {self.case_no} was accepted; it can only be denied")
        self._refused(reason, legal_basis, stamp)

    @event("Refused")
    def _refused(self, reason: str, legal_basis: str, stamp: Stamp) -> None:
        self.status = REFUSED

    def request_supplement(self, missing_materials: list[str], stamp: Stamp) -> None:
        """Ask the applicant for missing materials (补正告知)."""
        self.check_open()
        if self.supplement_pending:
            raise SupplementPending(f"case {self.case_no} already awaits materials")
        self._supplement_requested(missing_materials, stamp)

    @event("SupplementRequested")
    def _supplement_requested(self, missing_materials: list[str], stamp: Stamp) -> None:
        self.supplement_pending = True
        self.supplement_rounds += 1

    def receive_supplement(self, stamp: Stamp) -> None:
        """Record that the requested materials arrived (补正受理)."""
        self.check_open()
        if not self.supplement_pending:
            raise NoSupplementRequested(f"case {self.case_no} has no open supplement request")
        self._supplement_received(stamp)

    @event("SupplementReceived")
    def _supplement_received(self, stamp: Stamp) -> None:
        self.supplement_pending = False

    def transfer(
        self, to_unit: str, to_staff: str | None, location: str, reason: str, stamp: Stamp
    ) -> None:
        """Pass the case to another unit or person (流转)."""
        self.check_in_progress()
        self._transferred(to_unit, to_staff, location, reason, stamp)

    @event("Transferred")
    def _transferred(
        self, to_unit: str, to_staff: str | None, location: str, reason: str, stamp: Stamp
    ) -> None:
        pass

    def sign(
        self,
        step: str,
        decision: str,
        opinion: str,
        signer_title: str,
        location: str,
        stamp: Stamp,
    ) -> None:
        """Sign one approval step (签批)."""
        self.check_in_progress()
        self._signed(step, decision, opinion, signer_title, location, stamp)

    @event("Signed")
    def _signed(
        self,
        step: str,
        decision: str,
        opinion: str,
        signer_title: str,
        location: str,
        stamp: Stamp,
    ) -> None:
        pass

    def start_procedure(
        self, procedure: str, approved_by: str, limit_days: int | None, stamp: Stamp
    ) -> None:
        """Start a special procedure (特别程序): the clock stops."""
        self.check_in_progress()
        if self.procedure_running:
            raise ProcedureRunning(f"case {self.case_no} already has a procedure running")
        self._procedure_started(procedure, approved_by, limit_days, stamp)

    @event("ProcedureStarted")
    def _procedure_started(
        self, procedure: str, approved_by: str, limit_days: int | None, stamp: Stamp
    ) -> None:
        self.procedure_running = True

    def end_procedure(self, outcome: str, stamp: Stamp) -> None:
        """End the running special procedure: the clock restarts."""
        self.check_in_progress()
        if not self.procedure_running:
            raise NoProcedureRunning(f"case {self.case_no} has no procedure running")
        self._procedure_ended(outcome, stamp)

    @event("ProcedureEnded")
    def _procedure_ended(self, outcome: str, stamp: Stamp) -> None:
        self.procedure_running = False

    def suspend(self, reason: str, approved_by: str, stamp: Stamp) -> None:
        """Suspend the case (挂起) with approval: the clock stops."""
        self.check_in_progress()
        if self.suspended:
            raise AlreadySuspended(f"case {self.case_no} is already suspended")
        self._suspended(reason, approved_by, stamp)

    @event("Suspended")
    def _suspended(self, reason: str, approved_by: str, stamp: Stamp) -> None:
        self.suspended = True

    def resume(self, reason: str, approved_by: str, stamp: Stamp) -> None:
        """Resume a suspended case (解挂)."""
        self.check_in_progress()
        if not self.suspended:
            raise NotSuspended(f"case {self.case_no} is not suspended")
        self._resumed(reason, approved_by, stamp)

    @event("Resumed")
    def _resumed(self, reason: str, approved_by: str, stamp: Stamp) -> None:
        self.suspended = False

    def extend(
        self, extra_days: int, approved_by: str, applicant_notified_at: Any, stamp: Stamp
    ) -> None:
        """Extend the deadline by approved working days (延期)."""
        self.check_in_progress()
        self._extended(extra_days, approved_by, applicant_notified_at, stamp)

    @event("Extended")
    def _extended(
        self, extra_days: int, approved_by: str, applicant_notified_at: Any, stamp: Stamp
    ) -> None:
        pass

    def complete(
        self, result: str, certificate_no: str | None, location: str, stamp: Stamp
    ) -> None:
        """Decide the case (办结): granted or denied."""
        self.check_in_progress()
        self.check_clock_running()
        self._completed(result, certificate_no, location, stamp)

    @event("Completed")
    def _completed(
        self, result: str, certificate_no: str | None, location: str, stamp: Stamp
    ) -> None:
        self.status = COMPLETED

    def deliver(self, method: str, recipient: str, stamp: Stamp) -> None:
        """Hand the result to the applicant (领证/送达)."""
        if self.status == DELIVERED:
            raise AlreadyDelivered(f"case {self.case_no} was already delivered")
        if self.status != COMPLETED:
            raise NotCompleted(f"case {self.case_no} is not completed")
        self._delivered(method, recipient, stamp)

    @event("Delivered")
    def _delivered(self, method: str, recipient: str, stamp: Stamp) -> None:
        self.status = DELIVERED

    def withdraw(self, reason: str, stamp: Stamp) -> None:
        """The applicant withdraws (撤回)."""
        self.check_open()
        self._withdrawn(reason, stamp)

    @event("Withdrawn")
    def _withdrawn(self, reason: str, stamp: Stamp) -> None:
        self.status = WITHDRAWN

    def rate(self, rating: int, channel: str, comment: str, stamp: Stamp) -> None:
        """Record the applicant's rating (好差评): only once the case is decided."""
        if self.status not in {COMPLETED, DELIVERED}:
            raise NotCompleted(f"case {self.case_no} can be rated only after completion")
        if self.rated:
            raise AlreadyRated(f"case {self.case_no} was already rated")
        self._rated(rating, channel, comment, stamp)

    @event("Rated")
    def _rated(self, rating: int, channel: str, comment: str, stamp: Stamp) -> None:
        self.rated = True

    def follow_up(self, note: str, stamp: Stamp) -> None:
        """Record the call-back to the applicant after a rating (回访)."""
        if not self.rated:
            raise NotRated(f"case {self.case_no} has no rating to follow up")
        self._followed_up(note, stamp)

    @event("FollowedUp")
    def _followed_up(self, note: str, stamp: Stamp) -> None:
        pass

    def rectify(self, measures: str, stamp: Stamp) -> None:
        """Record what was fixed after a rating (整改)."""
        if not self.rated:
            raise NotRated(f"case {self.case_no} has no rating to rectify")
        self._rectified(measures, stamp)

    @event("Rectified")
    def _rectified(self, measures: str, stamp: Stamp) -> None:
        pass
