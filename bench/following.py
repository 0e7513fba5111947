"""How far the read models and supervision are behind the logs (both benchmarks wait on it)."""

from __future__ import annotations

import time

import psycopg

from hall.followers import PROJECTIONS


def behind(url: str, schema: str) -> int:
    """Events the read models and supervision have still to apply (the least advanced of them,
    per log; one that has recorded no position yet is at 0)."""
    with psycopg.connect(url, options=f"-c search_path={schema}") as conn:
        heads = dict(
            conn.execute(
                "SELECT 'intake', coalesce(max(notification_id), 0) FROM intake_events UNION ALL "
                "SELECT 'billing', coalesce(max(notification_id), 0) FROM billing_events"
            ).fetchall()
        )
        live = dict(conn.execute("SELECT projection, generation FROM projection_registry"))
        tracked = {
            (tracker, stream): position
            for tracker, stream, position in conn.execute(
                "SELECT tracker, stream, position FROM projection_tracking"
            )
        }
        judged = dict(
            conn.execute("SELECT application_name, notification_id FROM supervision_tracking")
        )
    total = 0
    for stream, head in heads.items():
        if not head:
            continue
        reached = [judged.get(stream, 0)]
        for cls in PROJECTIONS:
            if stream in cls.streams and cls.name in live:
                reached.append(tracked.get((f"{cls.name}:{live[cls.name]}", stream), 0))
        total += head - min(reached)
    return total


def catch_up_seconds(url: str, schema: str, limit_s: float = 600.0) -> float:
    """How long after now until the read models and supervision have applied everything."""
    started = time.monotonic()
    while behind(url, schema) > 0:
        if time.monotonic() - started > limit_s:
            return float("inf")
        time.sleep(0.1)  # polling the followers' positions is the measurement itself
    return time.monotonic() - started
