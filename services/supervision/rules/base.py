"""What a rule says about a subject at an instant, the thresholds, and China-time helpers.

A rule is a pure function of a subject's facts and an instant ``t``: the flags that hold at
``t``, and the next instant at which its answer could change with no new event (so that the
service can wake then).  The engine raises a finding for each new flag and closes the finding
of a flag that no longer holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from pydantic import BaseModel, ConfigDict, Field

from services.intake.clock import CHINA, WorkCalendar

LOW, MEDIUM, HIGH = "low", "medium", "high"


class Thresholds(BaseModel):
    """Every rule's knobs, with the defaults the hall's rules name."""

    model_config = ConfigDict(frozen=True)

    front_shop_share: float = Field(0.30, gt=0, le=1, description="share leaving the window")
    front_shop_min_cases: int = Field(10, ge=1, description="cases needed to judge a department")
    front_shop_period_days: int = Field(30, ge=1, le=366, description="rolling period, days")
    fee_bypass_wait_minutes: int = Field(120, ge=0, description="wait for billing's events")
    fee_bypass_results: tuple[str, ...] = ("granted",)
    remit_working_days: int = Field(1, ge=0, description="remit by this working day after pay")
    remit_by: time = time(16, 0)
    warning_days_left: int = Field(1, ge=0, description="warning: this few working days left")
    warning_share: float = Field(0.9, gt=0, le=1, description="…or this share of them used")
    red_after_days: int = Field(5, ge=1, description="red card: overdue by this many days")
    overdue_kinds: tuple[str, ...] = ("promised", "joint", "forwarded")
    stalled_after_days: int = Field(3, ge=1, description="working days without a step")
    bounced_transfers: int = Field(3, ge=1, description="transfers that make a case bounced")
    supplement_rounds: int = Field(1, ge=1, description="补正 rounds allowed")
    notice_days: int = Field(5, ge=1, description="working days to accept, refuse or ask")
    back_filled_hours: int = Field(24, ge=1, description="recorded this long after it occurred")
    instant_minutes: int = Field(10, ge=0, description="accepted and completed this close")
    poor_rating: int = Field(2, ge=1, le=4, description="ratings up to this need a call-back")
    follow_up_days: int = Field(1, ge=0, description="working days to call back")
    rectify_days: int = Field(15, ge=0, description="working days to fix")


@dataclass(frozen=True)
class Context:
    """What rules need besides facts."""

    calendar: WorkCalendar = field(default_factory=WorkCalendar)
    thresholds: Thresholds = field(default_factory=Thresholds)


@dataclass(frozen=True)
class Flag:
    """A rule's finding about one subject, before it becomes a ``Finding``."""

    rule: str
    subject_kind: str
    subject_id: str
    severity: str
    evidence: tuple[str, ...]
    slot: str = ""  # tells apart flags of one rule on one subject (e.g. the overdue level)
    department: str | None = None
    window_no: str | None = None
    detail: tuple[tuple[str, str], ...] = ()

    @property
    def key(self) -> str:
        return f"{self.rule}|{self.subject_kind}:{self.subject_id}|{self.slot}"


@dataclass
class Judgement:
    """The flags that hold at an instant and when to look again."""

    at: datetime
    flags: list[Flag] = field(default_factory=list)
    next_at: datetime | None = None

    def flag(self, flag: Flag) -> None:
        self.flags.append(flag)

    def wake(self, at: datetime | None) -> None:
        """Look again at ``at`` (ignored unless it is later than now)."""
        if at is not None and at > self.at and (self.next_at is None or at < self.next_at):
            self.next_at = at


def midnight(day: date) -> datetime:
    """The instant a China date begins."""
    return datetime.combine(day, time(0), tzinfo=CHINA)


def after_day(day: date) -> datetime:
    """The instant a China date ends (the next one begins)."""
    return midnight(day + timedelta(days=1))


def working_day_after(calendar: WorkCalendar, day: date, n: int) -> date:
    """The n-th working day after ``day``."""
    return calendar.add_working_days(day, n).day
