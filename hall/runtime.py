"""One process's services, built from the settings in one place (the composition root)."""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from events.amounts import format_amount
from hall.followers import (
    PROJECTIONS,
    Followers,
    billing_log,
    intake_log,
    narrowed,
    supervision_log,
    view_store,
)
from hall.groupcommit import GroupCommitter
from hall.metrics import FINDINGS_RAISED
from hall.settings import Settings
from hall.stores import store_env
from hall.writerlock import WriterLock
from projections.base import Context
from projections.sources import Sources, StoreLog
from services.access.application import Terminals
from services.billing.application import FeeLedger
from services.billing.clock import DeadlineRule
from services.ingest import IngestingApplication
from services.intake.application import Cases
from services.intake.clock import HolidayTable, WorkCalendar
from services.intake.domainmodel import RECEIVED, Case, case_id
from services.supervision.application import Supervision
from services.supervision.follower import Follower as Supervisor
from services.supervision.rules import Thresholds

log = logging.getLogger(__name__)
# What follows the stores: the read models, and supervision.  One process runs both, or (``hall
# serve`` on PostgreSQL) a ``hall follow --part`` child process runs each.
FOLLOWING = ("views", "supervision")
# The writer of a service keeps the aggregates it decided (no re-read per command); each group
# asks their last stored versions first and drops copies another process has written past
# (services/ingest.py).
WRITER_CACHE = {"AGGREGATE_CACHE_MAXSIZE": "20000", "AGGREGATE_CACHE_FASTFORWARD": "n"}


@dataclass
class Hall:
    """The services of one process and their single writers."""

    settings: Settings
    intake: Cases
    access: Terminals
    billing: FeeLedger
    supervision: Supervision
    committers: dict[str, GroupCommitter] = field(default_factory=dict)
    followers: Followers | None = None
    supervisor: Supervisor | None = None
    relays: Any = None  # publishing to Kafka from this process, when HALL_KAFKA_BOOTSTRAP is set
    case_directory: Any = None  # a billing-only API's view of cases, kept from intake's topic

    @classmethod
    def start(
        cls,
        settings: Settings,
        *,
        follow: bool = True,
        record: bool = True,
        parts: Collection[str] = FOLLOWING,
    ) -> Hall:
        """Open every store (creating tables if allowed), start the writers (unless ``record``
        is false: ``hall follow`` only follows) and, unless ``follow`` is false (operator
        commands), the ``parts`` of following: the read models (``views``, with the relays
        when there is a bus) and ``supervision``."""
        calendar = work_calendar(settings)
        intake_env = store_env(settings, "intake") | WRITER_CACHE
        intake = Cases(intake_env, calendar=calendar)
        billing_env = store_env(settings, "billing") | {"AGGREGATE_CACHE_MAXSIZE": "20000"}
        # A billing-only API on the bus knows cases from intake's topic; otherwise from intake.
        from_kafka = follow and record and settings.role == "billing" and settings.kafka_bootstrap
        directory = _case_directory_from_kafka(settings, intake) if from_kafka else None
        hall = cls(
            settings=settings,
            intake=intake,
            access=Terminals(store_env(settings, "access")),
            supervision=Supervision(
                store_env(settings, "supervision") | _reader_of_supervision(settings),
                calendar=calendar,
                thresholds=supervision_thresholds(settings),
            ),
            billing=FeeLedger(
                billing_env,
                cases=directory or IntakeCaseDirectory(intake),
                calendar=calendar,
                deadline=DeadlineRule(
                    settings.remittance_deadline_days, settings.remittance_deadline_time
                ),
            ),
            case_directory=directory,
        )
        for service in settings.served if record else ():  # others' events: their process
            writer = hall.ingesting[service]
            hall.committers[service] = GroupCommitter(
                writer, settings.group_commit_max_events, writer_lock(settings, writer)
            )
        logs = Sources(intake_log(hall.intake), billing_log(hall.billing, internal=False))
        # A process keeping the read models without supervision (``hall follow --part views``)
        # reads only the events they use; otherwise one window of each log serves all.
        views_only = follow and "supervision" not in parts
        hall.followers = Followers(
            view_store(settings),
            narrowed(logs, PROJECTIONS) if views_only else logs,
            projection_context(settings, calendar),
        )
        for service, committer in hall.committers.items():  # each service's log is its stream
            committer.on_commit.append(partial(hall.followers.doorbell.ring, service))
        hall.supervisor = Supervisor(
            hall.supervision, logs, wake=hall.followers.doorbell.listener()
        )
        hall.supervision.on_raised.append(lambda rule: FINDINGS_RAISED.labels(rule).inc())
        if follow and settings.followers and "views" in parts:
            hall.followers.start()
        if follow and settings.followers and "supervision" in parts:
            hall.supervisor.start()
        if follow and settings.kafka_bootstrap and settings.relays and "views" in parts:
            hall.relays = _relays(hall)
        log.info("hall started on %s", "PostgreSQL" if settings.on_postgres else "SQLite")
        return hall

    @property
    def ingesting(self) -> dict[str, IngestingApplication]:  # type: ignore[type-arg]
        return {"intake": self.intake, "billing": self.billing}

    def fees_of(self, case_no: str) -> dict[str, str]:
        """The case's fees as billing's events tell them (zero until billing records any)."""
        return {k: format_amount(v) for k, v in self.billing.fees_of(case_no).items()}

    def close(self) -> None:
        """Finish queued writes, then release every connection."""
        for committer in self.committers.values():
            committer.stop()
        if self.relays is not None:
            self.relays.stop()
        if self.case_directory is not None:
            self.case_directory.stop()
        if self.followers is not None:
            self.followers.stop()
        if self.supervisor is not None:
            self.supervisor.stop()
        for app in (self.intake, self.billing, self.access, self.supervision):
            app.close()
        log.info("hall stopped: writers drained, stores closed")


def commit_channels(hall: Hall) -> dict[str, str]:
    """Each recording service's PostgreSQL notification channel (its events table notifies it
    on every commit), and the name of the log it feeds: what ``hall.listen.Listener`` rings."""
    return {app.recorder.channel_name: name for name, app in hall.ingesting.items()}  # type: ignore[attr-defined]


def writer_lock(settings: Settings, writer: IngestingApplication) -> WriterLock | None:  # type: ignore[type-arg]
    """The lock that makes a service's writers in several processes take turns, where the
    service asks for it; on SQLite one process writes."""
    if not (writer.writers_take_turns and settings.on_postgres):
        return None
    assert settings.database_url is not None
    return WriterLock(settings.database_url, settings.database_schema, writer.name)


class IntakeCaseDirectory:
    """Billing's case directory read in-process from intake's store (one-process layouts)."""

    def __init__(self, intake: Cases) -> None:
        self.intake = intake

    def department_of(self, case_no: str) -> str | None:
        return self.departments_of([case_no])[case_no]

    def departments_of(self, case_nos: Collection[str]) -> dict[str, str | None]:
        # A case decided at the window (accepted or refused) keeps its department for good, so
        # intake's writer's copy answers without a read; a case only received may yet be
        # accepted under another item, possibly in another process: read the store.
        answers: dict[str, str | None] = {}
        unsure = []
        for case_no in case_nos:
            decided = self.intake.cached(case_id(case_no), Case)
            if decided is not None and decided.status != RECEIVED:
                answers[case_no] = decided.department
            else:
                unsure.append(case_no)
        if unsure:  # one read for all of them
            for case in self.intake.find_many([case_id(n) for n in unsure], Case):
                answers[case.case_no] = case.department
        return {case_no: answers.get(case_no) for case_no in case_nos}


def _relays(hall: Hall) -> Any:
    """Relays publishing each service's log to Kafka (after commit, never in the request)."""
    from hall.bus.services import InProcessRelays
    from hall.bus.settings import BusSettings

    # Each process publishes what it writes: the logs it records, and supervision's findings
    # where supervision judges.
    logs = {name: log for name, log in _logs(hall).items() if name in hall.committers}
    if hall.settings.followers:
        logs["supervision"] = supervision_log(hall.supervision)
    relays = InProcessRelays(logs, BusSettings(**hall.settings.model_dump())).start()
    for committer in hall.committers.values():
        committer.on_commit.append(relays.wake)
    return relays


def _reader_of_supervision(settings: Settings) -> dict[str, str]:
    """Without the supervisor in this process (``hall supervise`` runs it), findings change
    under this process's cached copies: read them up to date."""
    return {} if settings.followers else {"AGGREGATE_CACHE_FASTFORWARD": "y"}


def _logs(hall: Hall) -> dict[str, StoreLog]:
    return {"intake": intake_log(hall.intake), "billing": billing_log(hall.billing)}


def _case_directory_from_kafka(settings: Settings, intake: Cases) -> Any:
    """Billing-only API on the bus: its case directory follows intake's topic (built from
    intake's store the first time)."""
    from hall.bus.case_directory import KafkaCaseDirectory
    from hall.bus.settings import BusSettings

    bus = BusSettings(**settings.model_dump())
    directory = KafkaCaseDirectory(view_store(bus), bus, bus.case_directory_wait)
    return directory.start(Sources(intake_log(intake)))


def work_calendar(settings: Settings) -> WorkCalendar:
    """The working-day calendar: chinese-calendar, overridden by the operator's holiday table."""
    path = settings.resolved_holidays_file()
    if path is None:
        return WorkCalendar()
    log.info("holiday table: %s", path)
    return WorkCalendar(HolidayTable.load(path))


def projection_context(settings: Settings, calendar: WorkCalendar) -> Context:
    """What read models need besides events: the calendar and the alert board's thresholds."""
    return Context(
        calendar=calendar,
        warning_days_left=settings.alert_warning_days_left,
        warning_share=settings.alert_warning_share,
        red_after_days=settings.alert_red_after_days,
    )


def supervision_thresholds(settings: Settings) -> Thresholds:
    """The rules' knobs that the operator sets; the rest keep the defaults the rules name."""
    return Thresholds(
        remit_working_days=settings.remittance_deadline_days,
        remit_by=settings.remittance_deadline_time,
        warning_days_left=settings.alert_warning_days_left,
        warning_share=settings.alert_warning_share,
        red_after_days=settings.alert_red_after_days,
    )
