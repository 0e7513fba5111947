"""``hall serve --workers N`` on PostgreSQL: N API processes on one port, each with a socket of
its own, so the kernel spreads terminals' connections over them; one case moves between them
(each decides on the store's state, not its own stale copy); ``/metrics`` adds them up; a worker
that dies is replaced, and all of them end with the server, even when it is killed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from hall.settings import Settings
from tests.operations.server import Server, children, free_port
from tests.operations.test_follower_process import alive, wait_for
from tests.support import ADMIN, Desk, event

WORKERS = 2


def api_workers(pid: int) -> set[int]:
    """The server's API workers (multiprocessing's spawned children: not ``hall follow``, nor
    multiprocessing's resource tracker), once all are up."""
    found = {
        child
        for child, command in children(pid).items()
        if any(b"spawn_main" in part for part in command) and alive(child)
    }
    return found if len(found) == WORKERS else set()


def serving_pid(client: httpx.Client, port: int, workers: set[int]) -> int | None:
    """Which worker holds the server's end of this client's (kept-alive) connection."""
    response = client.get("/healthz")
    assert response.status_code == 200
    _, client_port = response.extensions["network_stream"].get_extra_info("client_addr")
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, state = fields[1], fields[2], fields[3]
        ours = int(local.split(":")[1], 16) == port and int(remote.split(":")[1], 16) == client_port
        if state == "01" and ours:  # established
            inode = fields[9]
    for pid in workers:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                if fd.readlink().name == f"socket:[{inode}]":
                    return pid
            except OSError:
                continue
    return None


def one_client_per_worker(server: Server, workers: set[int]) -> dict[int, httpx.Client]:
    """Open connections until each worker holds one (the kernel picks by the addresses)."""
    held: dict[int, httpx.Client] = {}
    spare: list[httpx.Client] = []
    for _ in range(64):  # all 64 on one of two workers: a chance of 2 in 2**64
        client = server.client()
        pid = serving_pid(client, server.port, workers)
        if pid is not None and pid not in held:
            held[pid] = client
        else:
            spare.append(client)
        if len(held) == len(workers):
            break
    for client in spare:
        client.close()
    assert set(held) == workers, "the connections were not spread over the workers"
    return held


def posted(metrics: str, status: str = "recorded") -> float:
    name = f'hall_events_posted_total{{service="intake",status="{status}"}}'
    return sum(float(line.split()[-1]) for line in metrics.splitlines() if line.startswith(name))


def test_terminals_reach_every_worker_and_a_case_moves_between_them(
    on_postgres: Settings,
) -> None:
    server = Server(on_postgres, "--workers", str(WORKERS)).start()
    assert server.process is not None
    clients: dict[int, httpx.Client] = {}
    try:
        workers = wait_for(lambda: api_workers(server.process.pid))  # type: ignore[union-attr]
        clients = one_client_per_worker(server, workers)
        first, second = (Desk(c) for c in clients.values())  # type: ignore[arg-type]
        first.with_catalogue()
        second.tokens = first.tokens
        # Each worker's writer keeps the cases it decided; the other's writes come between.
        first.record(event("case.accepted", "2026-W0001"))
        second.record(event("case.completed", "2026-W0001"))
        delivered = first.post(event("case.delivered", "2026-W0001"))
        retried = second.post(event("case.accepted", "2026-W0001") | {"event_id": "x"})
        history = second.history("2026-W0001")["events"]
        metrics = [c.get("/metrics", headers=ADMIN).text for c in clients.values()]
    finally:
        for client in clients.values():
            client.close()
        server.kill(signal.SIGTERM)

    assert delivered.status_code == 200, delivered.text
    assert retried.status_code == 422  # a bad body is refused by whichever worker gets it
    assert [e["type"] for e in history] == ["case.accepted", "case.completed", "case.delivered"]
    # Whichever worker answers, /metrics counts the events both recorded.
    assert [posted(m) for m in metrics] == [3.0, 3.0]
    assert server.process.returncode == 0
    assert not any(alive(pid) for pid in workers)


def test_a_worker_that_dies_is_replaced_and_all_end_when_the_server_is_killed(
    on_postgres: Settings,
) -> None:
    server = Server(on_postgres, "--workers", str(WORKERS)).start()
    assert server.process is not None
    pid = server.process.pid
    try:
        workers = wait_for(lambda: api_workers(pid))
        lost = min(workers)
        os.kill(lost, signal.SIGKILL)

        renewed = wait_for(lambda: (w := api_workers(pid)) and lost not in w and w)
        with server.client() as client:
            assert client.get("/healthz").status_code == 200
        followers = {p for p, command in children(pid).items() if b"follow" in command}
    finally:
        server.kill(signal.SIGKILL)  # the workers and followers end by themselves

    assert len(renewed & workers) == WORKERS - 1
    wait_for(lambda: not any(alive(p) for p in renewed | followers), seconds=15)


def test_several_workers_need_postgresql(on_sqlite: Settings) -> None:
    env = Server(on_sqlite).env()
    run = subprocess.run(
        [sys.executable, "-m", "hall", "serve", "--workers", "2", "--port", str(free_port())],
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert run.returncode == 2
    assert b"PostgreSQL" in run.stderr


def test_a_taken_port_is_refused_before_any_worker_starts(on_postgres: Settings) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = subprocess.run(
            [sys.executable, "-m", "hall", "serve", "--workers", "2", "--port", str(port)],
            env=Server(on_postgres).env(),
            capture_output=True,
            timeout=60,
        )
    assert run.returncode == 1
    assert b"Address already in use" in run.stderr
