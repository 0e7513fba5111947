"""Followers built over a test hall's stores, run step by step."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from hall.followers import Followers, billing_log, intake_log, view_store
from hall.runtime import Hall
from projections.base import Context, Projection
from projections.reports import completion_report
from projections.sources import Sources


def followers(hall: Hall, *projections: type[Projection]) -> Followers:
    sources = Sources(intake_log(hall.intake), billing_log(hall.billing))
    context = Context(calendar=hall.intake.calendar)
    return Followers(view_store(hall.settings), sources, context, projections)


def rows(f: Followers, cls: type[Projection], table: str, order: str) -> list[tuple[Any, ...]]:
    with f.store.read() as cur:
        cur.execute(f"SELECT * FROM {cls.view(table)} ORDER BY {order}")
        return cur.fetchall()


def completion(f: Followers, first: str, last: str, **options: Any) -> dict[str, Any]:
    """The completion report over the followers' tables (``as_of`` and ``now`` as ISO text)."""
    instants = {k: datetime.fromisoformat(options.pop(k)) for k in ("as_of", "now") if k in options}
    with f.store.read() as cur:
        return completion_report(
            cur,
            first=date.fromisoformat(first),
            last=date.fromisoformat(last),
            calendar=f.context.calendar,
            now=instants.get("now", datetime.now(UTC)),
            as_of=instants.get("as_of"),
            **options,
        )
