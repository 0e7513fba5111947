"""Followers built over a test hall's stores, run step by step."""

from __future__ import annotations

from typing import Any

from hall.followers import Followers, intake_log, view_store
from hall.runtime import Hall
from projections.base import Context, Projection
from projections.sources import Sources


def followers(hall: Hall, *projections: type[Projection]) -> Followers:
    sources = Sources(intake_log(hall.intake))
    context = Context(calendar=hall.intake.calendar)
    return Followers(view_store(hall.settings), sources, context, projections)


def rows(f: Followers, cls: type[Projection], table: str, order: str) -> list[tuple[Any, ...]]:
    with f.store.read() as cur:
        cur.execute(f"SELECT * FROM {cls.view(table)} ORDER BY {order}")  # noqa: S608
        return cur.fetchall()
