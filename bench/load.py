"""The two HTTP load phases: single-event case walks, and 500-event batches of whole walks."""

from __future__ import annotations

import asyncio
import glob
import json
import os
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any

from bench.wire import ProtocolError, Terminal
from tests.contract.examples import EXAMPLES

CHINA = timezone(timedelta(hours=8))
# A realistic walk of a promised item decided at the window: 5 events, each its own request in (a).
WALK: list[tuple[str, dict[str, Any]]] = [
    ("case.accepted", {"item_code": "LAND-REG", "window_no": "12"}),
    ("case.transferred", {}),
    ("case.signed", {"step": "undertake"}),
    ("case.signed", {"step": "review"}),
    ("case.completed", {}),
]
BATCH_WALKS = 100  # 100 walks x 5 events = the contract's maximum batch of 500
# --money: a case is accepted, then its fee assessed and paid at the bank window.
MONEY_WALK: list[tuple[str, dict[str, Any]]] = [
    ("case.accepted", {"item_code": "LAND-REG", "window_no": "12"}),
    ("fee.assessed", {"lines": [{"fee_code": "F1", "amount": "80.00"}]}),
    ("fee.paid", {"amount": "80.00"}),
]
MONEY = {"mode": False}  # set by bench.ingest --money before the phases run


def walk(case_no: str) -> list[dict[str, Any]]:
    """One case's events, fresh ids, stamped now (China time) so none is 'in the future'."""
    now = datetime.now(CHINA).isoformat(timespec="seconds")
    steps = MONEY_WALK if MONEY["mode"] else WALK
    return [
        {**EXAMPLES[kind], **extra, "event_id": str(uuid.uuid4()), "case_no": case_no}
        | {"occurred_at": now}
        | ({"receipt_no": f"R-{case_no}"} if kind == "fee.paid" else {})
        for kind, extra in steps
    ]


def counted(body: dict[str, Any]) -> bool:
    """Whether an event counts toward the phase's rate (with --money: money events only)."""
    return not MONEY["mode"] or not body["type"].startswith("case.")


@dataclass
class Phase:
    """What one phase measured, client-side."""

    name: str
    clients: int
    events: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds, one per measured request
    failures: int = 0
    first_failure: str | None = None
    cpu: dict[str, float] = field(default_factory=dict)  # CPU share (1.0 = one core) by process

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    def ms(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0

    def fail(self, why: str) -> None:
        self.failures += 1
        self.first_failure = self.first_failure or why


class CpuMeter:
    """CPU used between start() and stop(), in cores, by who: the machine is shared."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.tick = os.sysconf("SC_CLK_TCK")

    def _process(self, stat: str) -> tuple[str, float]:
        with open(stat) as f:
            name, rest = f.read().split(" (", 1)[1].rsplit(")", 1)
        fields = rest.split()
        return name, (int(fields[11]) + int(fields[12])) / self.tick  # utime + stime

    def _sample(self) -> dict[str, Any]:
        postgres: dict[str, float] = {}  # by pid: backends come and go
        for stat in glob.glob("/proc/[0-9]*/stat"):
            try:
                name, used = self._process(stat)
            except (OSError, IndexError, ValueError):
                continue  # a process that ended meanwhile
            if name == "postgres":
                postgres[stat] = used
        with open("/proc/stat") as f:
            cpu = [int(x) for x in f.readline().split()[1:]]
        return {
            "wall": time.perf_counter(),
            "load_generator": time.process_time(),
            "server": self._process(f"/proc/{self.server_pid}/stat")[1],
            "postgres": postgres,
            "machine": (sum(cpu) - cpu[3] - cpu[4]) / self.tick,  # all but idle and iowait
        }

    def start(self) -> None:
        self.begin = self._sample()

    def stop(self) -> dict[str, float]:
        end, begin = self._sample(), self.begin
        wall = end["wall"] - begin["wall"]
        share = {k: (end[k] - begin[k]) / wall for k in ("load_generator", "server")}
        pg = end["postgres"]
        share["postgres"] = sum(v - begin["postgres"].get(pid, 0.0) for pid, v in pg.items()) / wall
        share["machine"] = (end["machine"] - begin["machine"]) / wall
        # Whatever else ran meanwhile (other people's tests, say) makes the figures unreliable.
        ours = share["load_generator"] + share["server"] + share["postgres"]
        share["other"] = max(0.0, share["machine"] - ours)
        return share


def _size(payload: bytes) -> int:
    return len(json.loads(payload)["events"])


async def _post(terminal: Terminal, payload: bytes, expected: int) -> str | None:
    """None when every event was recorded; otherwise why not.  Transport errors raise."""
    status, body = await terminal.post("/v1/events", payload)
    if status != 200:
        return f"HTTP {status}: {body[:300].decode(errors='replace')}"
    results = json.loads(body)["results"]
    if len(results) != expected or any(r["status"] != "recorded" for r in results):
        return f"not recorded: {body[:300].decode(errors='replace')}"
    return None


async def _terminal(phase: Phase, host: str, port: int, token: str, work: Any) -> None:
    """Run one client's ``work(terminal)``; a broken connection ends that client, as a failure."""
    try:
        async with Terminal(host, port, token) as terminal:
            await work(terminal)
    except (OSError, EOFError, asyncio.IncompleteReadError, ProtocolError) as error:
        phase.fail(f"{type(error).__name__}: {error}")


async def single_events(
    host: str, port: int, token: str, meter: CpuMeter, clients: int, warmup: float, duration: float
) -> Phase:
    """(a) Each client walks cases one POST per event; measured over [warm-up end, + duration]."""
    phase = Phase(f"(a) single-event POSTs, {clients} clients", clients)
    t0 = time.perf_counter() + warmup
    t1 = t0 + duration

    async def walks(c: int, client: Terminal) -> None:
        n = 0
        while True:
            for body in walk(f"B-{c}-{n}"):
                payload = json.dumps(body, ensure_ascii=False).encode()
                sent = time.perf_counter()
                if sent >= t1:
                    return
                why = await _post(client, payload, 1)
                done = time.perf_counter()
                if why is not None:
                    phase.fail(why)
                # Throughput counts completions inside the window; latency, requests sent in it.
                if t0 <= done <= t1 and why is None and counted(body):
                    phase.events += 1
                if sent >= t0 and done <= t1:
                    phase.latencies.append(done - sent)
            n += 1

    async def metered() -> None:
        await asyncio.sleep(t0 - time.perf_counter())
        meter.start()
        await asyncio.sleep(t1 - time.perf_counter())
        phase.cpu = meter.stop()

    clients_ = (_terminal(phase, host, port, token, partial(walks, c)) for c in range(clients))
    await asyncio.gather(metered(), *clients_)
    phase.seconds = duration
    return phase


async def batches(
    host: str, port: int, token: str, meter: CpuMeter, clients: int, total_batches: int
) -> Phase:
    """(b) ``clients`` clients share ``total_batches`` POSTs of 500 events; one warm-up each."""
    phase = Phase(f"(b) 500-event batch POSTs, {clients} clients", clients)

    def payload(name: str) -> list[bytes]:
        if not MONEY["mode"]:
            events = [e for w in range(BATCH_WALKS) for e in walk(f"{name}-{w}")]
            return [json.dumps({"events": events}, ensure_ascii=False).encode()]
        # A batch holds one service's events: the cases first, then 500 money events.
        walks = [walk(f"{name}-{w}") for w in range(2 * BATCH_WALKS + BATCH_WALKS // 2)]
        cases = [w[0] for w in walks]
        money = [e for w in walks for e in w[1:]][: len(WALK) * BATCH_WALKS]
        return [json.dumps({"events": b}, ensure_ascii=False).encode() for b in (cases, money)]

    # Bodies are built before the clock starts: the generator shares the server's 2 cores.
    warm = [payload(f"BW-{c}") for c in range(clients)]
    queue = [payload(f"BB-{i}") for i in range(total_batches)]
    gate = asyncio.Barrier(clients + 1)  # the measured part starts after every warm-up

    async def posts(c: int, client: Terminal) -> None:
        try:
            for body in warm[c]:
                why = await _post(client, body, _size(body))
        finally:
            await gate.wait()  # a failed warm-up must not leave the others waiting
        if why is not None:
            phase.fail(why)
        while queue:
            bodies = queue.pop()
            for n, body in enumerate(bodies):
                sent = time.perf_counter()
                why = await _post(client, body, _size(body))
                phase.latencies.append(time.perf_counter() - sent)
                if why is not None:
                    phase.fail(why)
                elif n == len(bodies) - 1:  # with --money only the money batch counts
                    phase.events += _size(body)

    tasks = [
        asyncio.create_task(_terminal(phase, host, port, token, partial(posts, c)))
        for c in range(clients)
    ]
    await gate.wait()
    meter.start()
    start = time.perf_counter()
    await asyncio.gather(*tasks)
    phase.seconds = time.perf_counter() - start
    phase.cpu = meter.stop()
    return phase
