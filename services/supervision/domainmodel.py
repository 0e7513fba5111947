"""Findings (督查发现): raised by the rules, acknowledged and closed by supervisors.

A finding's id is derived from its rule, subject, slot and occurrence, so processing the same
events again can never raise it twice.  A ``Docket`` lists the findings raised on one China
date as people read them (the flag list's index); it changes in the same transaction as the
finding itself.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Any
from uuid import NAMESPACE_URL, UUID

from eventsourcing.domain import Aggregate, event

from services.errors import DomainError, NotFound
from services.intake.clock import CHINA
from services.nameids import name_uuid

SUPERVISION = name_uuid(NAMESPACE_URL, "hall:supervision")
OPEN, ACKNOWLEDGED, CLOSED = "open", "acknowledged", "closed"
STATUSES = (OPEN, ACKNOWLEDGED, CLOSED)
AUTOMATIC = "supervision"  # who closes a finding whose condition cleared


class FindingNotFound(NotFound):
    code = "finding_not_found"


class FindingClosed(DomainError):
    code = "finding_closed"


class AlreadyAcknowledged(DomainError):
    code = "already_acknowledged"


@lru_cache(maxsize=65536)
def finding_id(key: str, occurrence: int) -> UUID:
    return name_uuid(SUPERVISION, f"finding|{key}|{occurrence}")


@lru_cache(maxsize=65536)
def docket_id(day: date) -> UUID:
    return name_uuid(SUPERVISION, f"docket|{day.isoformat()}")


class Finding(Aggregate):
    """One thing a rule found about a case, receipt or department."""

    INITIAL_VERSION = 1

    @staticmethod
    def create_id(key: str, occurrence: int, **_: Any) -> UUID:
        return finding_id(key, occurrence)

    @event("Raised")
    def __init__(
        self,
        key: str,
        occurrence: int,
        rule: str,
        subject_kind: str,
        subject_id: str,
        severity: str,
        evidence: list[str],
        raised_at: datetime,
        department: str | None,
        window_no: str | None,
        detail: dict[str, str],
    ) -> None:
        self.rule = rule
        self.subject = {"kind": subject_kind, "id": subject_id}
        self.severity = severity
        self.evidence = list(evidence)
        self.raised_at = raised_at
        self.department = department
        self.window_no = window_no
        self.detail = dict(detail)
        self.acknowledged: dict[str, Any] | None = None
        self.closed: dict[str, Any] | None = None

    @property
    def status(self) -> str:
        if self.closed is not None:
            return CLOSED
        return ACKNOWLEDGED if self.acknowledged is not None else OPEN

    def check_open(self) -> None:
        if self.closed is not None:
            raise FindingClosed(f"finding {self.id} is already closed")

    def acknowledge(self, by: str, note: str, at: datetime) -> None:
        """A supervisor has seen the finding and says what is being done."""
        self.check_open()
        if self.acknowledged is not None:
            raise AlreadyAcknowledged(
                f"finding {self.id} was acknowledged by {self.acknowledged['by']}"
            )
        self._acknowledged(by, note, at)

    @event("Acknowledged")
    def _acknowledged(self, by: str, note: str, at: datetime) -> None:
        self.acknowledged = {"by": by, "note": note, "at": at}

    def close(self, by: str, reason: str, at: datetime) -> None:
        """Close the finding: by a supervisor with a reason, or when its condition cleared."""
        self.check_open()
        self._closed(by, reason, at)

    @event("Closed")
    def _closed(self, by: str, reason: str, at: datetime) -> None:
        self.closed = {"by": by, "reason": reason, "at": at, "automatic": by == AUTOMATIC}

    def as_dict(self) -> dict[str, Any]:
        """The finding as the flag list shows it (instants as ISO text)."""
        return {
            "id": str(self.id),
            "rule": self.rule,
            "subject": dict(self.subject),
            "severity": self.severity,
            "evidence": list(self.evidence),
            "raised_at": _china(self.raised_at),
            "department": self.department,
            "window_no": self.window_no,
            "detail": dict(self.detail),
            "status": self.status,
            "acknowledged": _texts(self.acknowledged),
            "closed": _texts(self.closed),
            "version": self.version,
        }


def _texts(record: dict[str, Any] | None) -> dict[str, Any] | None:
    if record is None:
        return None
    return {k: _china(v) if isinstance(v, datetime) else v for k, v in record.items()}


def _china(instant: datetime) -> str:
    return instant.astimezone(CHINA).isoformat()


class Docket(Aggregate):
    """The findings raised on one China date, each as last shown."""

    INITIAL_VERSION = 1

    @staticmethod
    def create_id(day: str, **_: Any) -> UUID:
        return docket_id(date.fromisoformat(day))

    @event("Opened")
    def __init__(self, day: str) -> None:
        self.day = day
        self.entries: dict[str, dict[str, Any]] = {}

    def show(self, finding: Finding) -> None:
        """List a finding, or show its latest state."""
        self._shown(finding.as_dict())

    @event("Shown")
    def _shown(self, entry: dict[str, Any]) -> None:
        self.entries[entry["id"]] = entry


def require(finding: Finding | None, ident: UUID) -> Finding:
    if finding is None:
        raise FindingNotFound(f"no finding {ident}")
    return finding
