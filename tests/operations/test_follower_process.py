"""On PostgreSQL, ``hall serve`` keeps the read models and supervision in child processes
(``hall follow --part views``, ``--part supervision``) that it starts again when they die and
that end with it; on SQLite they stay in the API's own process."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import httpx
import psycopg

from hall.settings import Settings
from tests.operations.server import Server, children
from tests.support import ADMIN, Desk, event

T = TypeVar("T")


def wait_for(condition: Callable[[], T], seconds: float = 30.0) -> T:
    """Poll ``condition`` until it gives something truthy; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    raise TimeoutError(f"not within {seconds:.0f} s")


def followers_of(pid: int) -> dict[str, int]:
    """The ``hall follow`` processes whose parent is ``pid``, by the part each follows."""
    found = {}
    for child, command in children(pid).items():
        if b"follow" in command:
            part = command[command.index(b"--part") + 1] if b"--part" in command else b"all"
            found[part.decode()] = child
    return found


def judged_up_to(settings: Settings) -> int:
    """How far supervision (in its own child) has followed intake's log."""
    options = f"-c search_path={settings.database_schema}"
    with psycopg.connect(str(settings.database_url), options=options) as conn:
        row = conn.execute(
            "SELECT notification_id FROM supervision_tracking WHERE application_name = 'intake'"
        ).fetchone()
    return int(row[0]) if row else 0


def both_parts(pid: int) -> dict[str, int]:
    found = followers_of(pid)
    return found if set(found) == {"views", "supervision"} else {}


def niceness(pid: int) -> int:
    return os.getpriority(os.PRIO_PROCESS, pid)


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended


def listed(client: httpx.Client, case_no: str) -> bool:
    answer = client.get("/v1/cases", params={"limit": 100}, headers=ADMIN).json()
    return any(c["case_no"] == case_no for c in answer["cases"])


def test_the_read_models_follow_from_a_child_that_is_started_again_when_it_dies(
    on_postgres: Settings,
) -> None:
    server = Server(on_postgres).start()
    assert server.process is not None
    try:
        with server.client() as client:
            desk = Desk(client)  # type: ignore[arg-type]  # httpx.Client speaks the same API
            desk.with_catalogue()
            children = wait_for(lambda: both_parts(server.process.pid))  # type: ignore[union-attr]
            # Both yield the CPU to the API (HALL_FOLLOWER_NICE, default 10).
            lower = min(niceness(server.process.pid) + 10, 19)  # type: ignore[union-attr]
            wait_for(lambda: all(niceness(pid) == lower for pid in children.values()))
            (accepted,) = desk.record(event("case.accepted", "2026-F0001"))
            wait_for(lambda: listed(client, "2026-F0001"))
            wait_for(lambda: judged_up_to(on_postgres) >= accepted["position"])

            os.kill(children["views"], signal.SIGKILL)
            desk.record(event("case.accepted", "2026-F0002"))  # while no read models run
            wait_for(lambda: listed(client, "2026-F0002"))
            again = both_parts(server.process.pid)
    finally:
        server.kill(signal.SIGTERM)
    assert again["views"] != children["views"]
    assert again["supervision"] == children["supervision"]  # the other part ran on
    assert not any(alive(pid) for pid in again.values())


def test_the_child_ends_with_the_api_even_when_the_api_is_killed(on_postgres: Settings) -> None:
    server = Server(on_postgres).start()
    assert server.process is not None
    children = wait_for(lambda: both_parts(server.process.pid))  # type: ignore[union-attr]
    server.kill(signal.SIGKILL)
    wait_for(lambda: not any(alive(pid) for pid in children.values()), seconds=10)


def test_on_sqlite_the_read_models_stay_in_the_api_process(on_sqlite: Settings) -> None:
    server = Server(on_sqlite).start()
    assert server.process is not None
    try:
        with server.client() as client:
            desk = Desk(client)  # type: ignore[arg-type]
            desk.with_catalogue()
            desk.record(event("case.accepted", "2026-F0003"))
            wait_for(lambda: listed(client, "2026-F0003"))
            assert followers_of(server.process.pid) == {}
    finally:
        server.kill(signal.SIGTERM)
