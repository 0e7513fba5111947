"""How far the read models and supervision are behind the logs (both benchmarks wait on it)."""

from __future__ import annotations

import time

import psycopg

from hall.followers import PROJECTIONS


def behind(url: str, schema: str) -> int:
    """Events the read models and supervision have still to apply (the least advanced of them,
    per log; one that has recorded no position yet is at 0)."""
    with psycopg.connect(url, options=f"-c search_path={schema}") as conn:
        heads: dict[str, int] = dict(
            conn.execute(
                "SELECT 'intake', coalesce(max(notification_id), 0) FROM intake_events UNION ALL "
                "SELECT 'billing', coalesce(max(notification_id), 0) FROM billing_events"
            ).fetchall()
        )
        live: dict[str, str] = dict(
            conn.execute("SELECT projection, generation FROM projection_registry")
        )
        tracked = {
            (tracker, stream): position
            for tracker, stream, position in conn.execute(
                "SELECT tracker, stream, position FROM projection_tracking"
            )
        }
        judged: dict[str, int] = dict(
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


def catch_up_seconds(url: str, schema: str, stalled_s: float = 120.0) -> float:
    """How long after now until the read models and supervision have applied everything;
    infinite once they have applied nothing more for ``stalled_s`` (a follower far behind, as
    supervision is after a rebuild of a large log, may take many minutes, and says so)."""
    started = last_move = last_said = time.monotonic()
    least = behind(url, schema)
    while least > 0:
        time.sleep(0.1)  # polling the followers' positions is the measurement itself
        now, left = time.monotonic(), behind(url, schema)
        if left < least:
            least, last_move = left, now
        elif now - last_move > stalled_s:
            return float("inf")
        if now - last_said >= 60:
            print(f"  followers {left:,} events behind after {now - started:.0f} s", flush=True)
            last_said = now
    return time.monotonic() - started
