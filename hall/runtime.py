"""One process's services, built from the settings in one place (the composition root)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from hall.groupcommit import GroupCommitter
from hall.settings import Settings
from hall.stores import store_env
from services.access.application import Terminals
from services.ingest import IngestingApplication
from services.intake.application import Cases
from services.intake.clock import HolidayTable, WorkCalendar

log = logging.getLogger(__name__)


@dataclass
class Hall:
    """The services of one process and their single writers."""

    settings: Settings
    intake: Cases
    access: Terminals
    committers: dict[str, GroupCommitter] = field(default_factory=dict)

    @classmethod
    def start(cls, settings: Settings) -> Hall:
        """Open every store (creating tables if allowed) and start the writers."""
        calendar = WorkCalendar(_holiday_table(settings))
        intake_env = store_env(settings, "intake") | {"AGGREGATE_CACHE_MAXSIZE": "20000"}
        hall = cls(
            settings=settings,
            intake=Cases(intake_env, calendar=calendar),
            access=Terminals(store_env(settings, "access")),
        )
        hall.committers["intake"] = GroupCommitter(hall.intake, settings.group_commit_max_events)
        log.info("hall started on %s", "PostgreSQL" if settings.on_postgres else "SQLite")
        return hall

    @property
    def ingesting(self) -> dict[str, IngestingApplication]:  # type: ignore[type-arg]
        return {"intake": self.intake}

    def fees_of(self, case_no: str) -> dict[str, str]:
        """The case's fees as billing's events tell them (zero until billing records any)."""
        return {"assessed": "0.00", "paid": "0.00", "refunded": "0.00"}

    def close(self) -> None:
        """Finish queued writes, then release every connection."""
        for committer in self.committers.values():
            committer.stop()
        for app in (self.intake, self.access):
            app.close()
        log.info("hall stopped: writers drained, stores closed")


def _holiday_table(settings: Settings) -> HolidayTable | None:
    path = settings.resolved_holidays_file()
    if path is None:
        return None
    log.info("holiday table: %s", path)
    return HolidayTable.load(path)
