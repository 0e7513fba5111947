"""Ingest benchmark: the real ``hall serve`` on PostgreSQL against a raw INSERT baseline.

Run ``python -m bench.ingest`` from the project root (``--quick`` for a smoke run).  It creates a
scratch schema, starts the server on it, sets up a catalogue and a window terminal over HTTP,
measures (a) single-event POSTs, (b) 500-event batch POSTs and (c) raw one-row transactions, prints
a table and writes ``bench/results/ingest-<timestamp>.json``.  See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg import sql

from bench import load
from bench.baseline import raw_inserts, stored_state_length
from bench.following import catch_up_seconds
from bench.load import CpuMeter, Phase, batches, single_events
from hall import collector
from hall.settings import Settings
from tests.support import ITEMS

# The walks use tests/support.py's LAND department, window 12 and promised item LAND-REG.
LAND_REG = ITEMS["LAND-REG"]
GOAL_A_RATE, GOAL_A_P99_MS, GOAL_B_RATE = 1500, 100, 10_000
QUIET_CORES = 0.3  # busy cores we tolerate from others before and during a run
RESULTS = Path(__file__).parent / "results"


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__)
    p.add_argument("--duration", type=float, default=20.0, help="(a) measured seconds")
    p.add_argument("--warmup", type=float, default=3.0, help="(a) seconds before measuring")
    p.add_argument("--clients", type=int, default=32, help="(a) and (c) concurrency")
    p.add_argument("--batch-clients", type=int, default=3, help="(b) concurrency")
    p.add_argument("--batches", type=int, default=100, help="(b) measured 500-event batches")
    p.add_argument(
        "--database-url",
        default=os.environ.get("HALL_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    p.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("HALL_WORKERS", "1")),
        help="API processes of the server (hall serve --workers; default $HALL_WORKERS or 1)",
    )
    p.add_argument("--quiet-wait", type=float, default=120, help="max s to wait for idle CPUs")
    p.add_argument("--quick", action="store_true", help="smoke run: 3 s, 10 batches")
    p.add_argument(
        "--money",
        action="store_true",
        help="money events instead of case walks: (a) assess and pay as single POSTs, (b) 500 "
        "money events a batch; the cases are accepted beforehand, outside the measured time",
    )
    args = p.parse_args()
    if args.quick:
        args.duration, args.warmup, args.batches, args.quiet_wait = 3.0, 1.0, 10, 5.0
    return args


def machine_busy(seconds: float = 1.0) -> float:
    """Cores busy over ``seconds`` (all but idle and iowait), from /proc/stat."""

    def busy() -> float:
        with open("/proc/stat") as f:
            cpu = [int(x) for x in f.readline().split()[1:]]
        return (sum(cpu) - cpu[3] - cpu[4]) / os.sysconf("SC_CLK_TCK")

    before = busy()
    time.sleep(seconds)
    return (busy() - before) / seconds


def wait_for_quiet(limit_s: float) -> None:
    """Other work on these 2 cores skews every figure: wait (bounded) until the machine is quiet."""
    start = time.monotonic()
    said = -30.0
    while (used := machine_busy()) > QUIET_CORES:
        waited = time.monotonic() - start
        if waited > limit_s:
            print(f"warning: {used:.2f} cores busy before start; figures will be low", flush=True)
            return
        if waited - said >= 30:  # a line every 30 s, not every sample
            print(
                f"waiting for a quiet machine ({used:.2f} cores busy, {waited:.0f} s)", flush=True
            )
            said = waited


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    url: str, schema: str, token: str, data_dir: Path, port: int, workers: int = 1
) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "HALL_DATABASE_URL": url,
        "HALL_DATABASE_SCHEMA": schema,
        "HALL_ADMIN_TOKEN": token,
    }
    # `hall serve` itself; through the interpreter, as the package may not be pip-installed.
    cmd = [sys.executable, "-c", "from hall.cli import main; main()", "serve"]
    cmd += ["--port", str(port), "--data-dir", str(data_dir), "--workers", str(workers)]
    # A file, not a pipe: nobody reads a pipe during the run, and a full one would stall the server.
    with (data_dir / "server.log").open("wb") as log:
        return subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_healthy(base: str, server: subprocess.Popen[bytes], deadline_s: float = 60.0) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode} before it was healthy")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"/healthz not 200 within {deadline_s:.0f} s")


def set_up(base: str, admin_token: str) -> str:
    """The catalogue the walks need, and a token for window 12 (department LAND)."""
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {admin_token}"}) as c:
        puts: list[tuple[str, dict[str, Any]]] = [
            ("/v1/catalog/departments/LAND", {"name": "国土资源局"}),
            ("/v1/catalog/windows/12", {"department": "LAND", "name": "国土窗口"}),
            ("/v1/catalog/items/LAND-REG", LAND_REG),
        ]
        for path, body in puts:
            c.put(path, json=body).raise_for_status()
        r = c.post(
            "/v1/admin/terminals", json={"terminal_id": "W-12", "role": "window", "window_no": "12"}
        )
        r.raise_for_status()
        return str(r.json()["token"])


async def run_load(
    port: int, token: str, args: argparse.Namespace, pid: int, schema: str
) -> list[Phase]:
    meter = CpuMeter(pid, partial(load.writer_seconds, f"http://127.0.0.1:{port}", token))
    # With --money, the followers apply the cases' acceptances before a phase's clock starts:
    # otherwise their work on events the phase does not count would be measured in it.
    settle = partial(caught_up, args.database_url, schema)
    # Bounded in time: a server that stops answering fails the run instead of hanging it.
    a = await asyncio.wait_for(
        single_events(
            "127.0.0.1", port, token, meter, args.clients, args.warmup, args.duration, settle
        ),
        args.warmup + args.duration + 300,
    )
    meter.writer_per_event(a)
    a.caught_up_s = caught_up(args.database_url, schema)
    a.cpu_per_event = meter.per_event(a.events)
    b = await asyncio.wait_for(
        batches("127.0.0.1", port, token, meter, args.batch_clients, args.batches, settle), 900
    )
    meter.writer_per_event(b)
    b.caught_up_s = caught_up(args.database_url, schema)
    b.cpu_per_event = meter.per_event(b.events)
    return [a, b]


def caught_up(url: str, schema: str) -> float | None:
    """Seconds until the followers applied everything; None when the server runs none
    (``HALL_FOLLOWERS=false`` measures the API alone)."""
    if not Settings().followers:  # the environment the server was started with
        return None
    return catch_up_seconds(url, schema)


def report(a: Phase, b: Phase, c: Phase, args: argparse.Namespace) -> dict[str, Any]:
    a_ok = a.rate >= GOAL_A_RATE and a.ms(0.99) <= GOAL_A_P99_MS and not a.failures
    b_ok = b.rate >= GOAL_B_RATE and not b.failures
    goals = {
        a.name: f"{'PASS' if a_ok else 'MISS'} (>= {GOAL_A_RATE}/s, p99 <= {GOAL_A_P99_MS} ms)",
        b.name: f"{'PASS' if b_ok else 'MISS'} (>= {GOAL_B_RATE:,}/s)",
        c.name: "(baseline)",
    }
    kind = "money events (fee.assessed, fee.paid)" if args.money else "case events"
    served = f"{args.workers} API processes" if args.workers > 1 else "one API process"
    print(
        f"\nhall ingest benchmark, {kind}, {served}: server, PostgreSQL and this load generator "
        "share 2 cores"
    )
    head = (
        f"{'phase':<42}{'events':>8}{'s':>7}{'events/s':>10}{'p50 ms':>8}{'p99 ms':>8}{'fail':>6}"
    )
    print(head + "  goal\n" + "-" * (len(head) + 30))
    for p in (a, b, c):
        print(
            f"{p.name:<42}{p.events:>8}{p.seconds:>7.1f}{p.rate:>10,.0f}{p.ms(0.5):>8.1f}"
            f"{p.ms(0.99):>8.1f}{p.failures:>6}  {goals[p.name]}"
        )
    ratios = {"a/c": a.rate / c.rate if c.rate else 0.0, "b/c": b.rate / c.rate if c.rate else 0.0}
    print(f"\nratios: a/c = {ratios['a/c']:.2f}   b/c = {ratios['b/c']:.2f}")
    for p in (a, b):
        cpu = ", ".join(f"{k} {v:.2f}" for k, v in p.cpu.items())
        print(f"CPU during {p.name[:3]} (cores of 2): {cpu}")
        if p.caught_up_s is None:
            print("  no read models or supervision in this run (HALL_FOLLOWERS=false)")
        else:
            print(
                f"  read models and supervision caught up {p.caught_up_s:.1f} s after "
                f"{p.name[:3]} ended (supervision judges a message 2 s after it was recorded)"
            )
        per_event = ", ".join(f"{k} {v:.0f}" for k, v in p.cpu_per_event.items())
        print(f"  CPU µs per event of {p.name[:3]}, until caught up: {per_event}")
        for service, steps in p.writer_per_event.items():
            spent = ", ".join(f"{step} {us:.1f}" for step, us in steps.items())
            groups = p.writer_groups.get(service, 0.0)
            sizes = (
                f", {p.writer_batches[service] / groups:.1f} requests per group" if groups else ""
            )
            print(
                f"  {service}'s writer, wall µs per event of {p.name[:3]}: {spent} "
                f"(busy {p.writer_busy[service]:.0%} of it{sizes})"
            )
        if p.cpu.get("other", 0) > QUIET_CORES:
            print(f"warning: other processes used {p.cpu['other']:.2f} cores during {p.name[:3]}")
    for p in (a, b, c):
        if p.failures:
            print(f"INVALID {p.name}: {p.failures} failures, first: {p.first_failure}")
    return {
        "at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} cores shared by server, PostgreSQL and load generator",
        "args": vars(args),
        "ratios": ratios,
        "phases": [
            {
                "name": p.name,
                "clients": p.clients,
                "events": p.events,
                "seconds": p.seconds,
                "events_per_s": p.rate,
                "p50_ms": p.ms(0.5),
                "p99_ms": p.ms(0.99),
                "failures": p.failures,
                "first_failure": p.first_failure,
                "cpu_cores": p.cpu,
                "cpu_us_per_event": p.cpu_per_event,
                "writer_us_per_event": p.writer_per_event,
                "writer_busy": p.writer_busy,
                "writer_groups": p.writer_groups,
                "writer_batches": p.writer_batches,
                "followers_caught_up_s": p.caught_up_s,
                "goal": goals[p.name],
            }
            for p in (a, b, c)
        ],
    }


def main() -> int:
    args = parse_args()
    collector.settle()  # the generator's own collector pauses would count as server latency
    schema, admin = f"bench_{secrets.token_hex(4)}", secrets.token_urlsafe(24)
    wait_for_quiet(args.quiet_wait)
    with psycopg.connect(args.database_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    server: subprocess.Popen[bytes] | None = None
    with tempfile.TemporaryDirectory(prefix="hall-bench-") as tmp:
        try:
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            server = start_server(args.database_url, schema, admin, Path(tmp), port, args.workers)
            wait_healthy(base, server)
            token = set_up(base, admin)
            if args.money:
                load.MONEY["mode"] = True
                token = admin  # money and case events from one client: the admin may post both
            print(f"server pid {server.pid} on {base}, schema {schema}; loading...", flush=True)
            a, b = asyncio.run(run_load(port, token, args, server.pid, schema))
            state_length = stored_state_length(args.database_url, schema)
            server.send_signal(signal.SIGTERM)  # graceful: drains the writers
            # uvicorn re-raises SIGTERM once its graceful shutdown is done: -15 is a clean exit.
            if server.wait(timeout=60) not in (0, -signal.SIGTERM):
                print(f"warning: the server exited with {server.returncode} on SIGTERM")
            # The baseline runs with the server stopped, so nothing else competes for the cores.
            c = raw_inserts(args.database_url, schema, a.events, args.clients, state_length)
        except BaseException:
            log = Path(tmp, "server.log")
            if log.exists():
                print(
                    "server log (tail):\n" + log.read_text(errors="replace")[-3000:],
                    file=sys.stderr,
                )
            raise
        finally:
            if server is not None and server.poll() is None:
                server.kill()
                server.wait()
            with psycopg.connect(args.database_url, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
    figures = report(a, b, c, args)
    figures["stored_state_bytes"] = state_length
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"ingest-{datetime.now().strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"figures written to {path}")
    return 1 if a.failures or b.failures or c.failures else 0


if __name__ == "__main__":
    sys.exit(main())
