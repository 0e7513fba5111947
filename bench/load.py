"""The two HTTP load phases: single-event case walks, and 500-event batches of whole walks."""

from __future__ import annotations

import asyncio
import glob
import json
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

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
# --money: a case's fee is assessed and paid at the bank window.  The cases are accepted
# before the clock starts (in batches), so the phases time money events and nothing else.
MONEY_WALK: list[tuple[str, dict[str, Any]]] = [
    ("fee.assessed", {"lines": [{"fee_code": "F1", "amount": "80.00"}]}),
    ("fee.paid", {"amount": "80.00"}),
]
MONEY = {"mode": False}  # set by bench.ingest --money before the phases run
WRITER_STEPS = ("lookup", "prepare", "decide", "write", "other")  # as a group goes (metrics.py)
# The group commit's histogram's samples: how many groups, how many requests in them.
GROUP_COUNTS = {
    "hall_group_commit_batches_count": "groups",
    "hall_group_commit_batches_sum": "batches",
}
WALKS_PER_CLIENT_SECOND = 60  # (a): a client's most walks a second (2 POSTs of >= 8 ms each)


def walk(case_no: str) -> list[dict[str, Any]]:
    """One case's events, fresh ids, stamped now (China time) so none is 'in the future'."""
    return _events(case_no, MONEY_WALK if MONEY["mode"] else WALK)


def _events(case_no: str, steps: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    now = datetime.now(CHINA).isoformat(timespec="seconds")
    return [
        {**EXAMPLES[kind], **extra, "event_id": str(uuid.uuid4()), "case_no": case_no}
        | {"occurred_at": now}
        | ({"receipt_no": f"R-{case_no}"} if kind == "fee.paid" else {})
        for kind, extra in steps
    ]


async def accept_cases(host: str, port: int, token: str, case_nos: list[str]) -> None:
    """Accept the cases that money walks will need, in 500-event batches (not timed)."""
    async with Terminal(host, port, token) as terminal:
        for start in range(0, len(case_nos), 500):
            events = [_events(n, WALK[:1])[0] for n in case_nos[start : start + 500]]
            payload = json.dumps({"events": events}, ensure_ascii=False).encode()
            why = await _post(terminal, payload, len(events))
            if why is not None:
                raise RuntimeError(f"accepting the money walks' cases failed: {why}")


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
    # CPU µs per event by process, from the phase's start until the followers caught up: which
    # process a change made cheaper, the followers' whole share (catch-up included) counted.
    cpu_per_event: dict[str, float] = field(default_factory=dict)
    caught_up_s: float | None = 0.0  # after the phase, until the read models applied all of it
    # Each service's writer: wall µs per event of the phase by step of its groups (the server's
    # hall_writer_seconds), and the share of the phase it was busy.
    writer_per_event: dict[str, dict[str, float]] = field(default_factory=dict)
    writer_busy: dict[str, float] = field(default_factory=dict)
    # Each service's groups in the phase (hall_group_commit_batches): requests per transaction.
    writer_groups: dict[str, float] = field(default_factory=dict)
    writer_batches: dict[str, float] = field(default_factory=dict)

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

    def __init__(
        self, server_pid: int, writers: Callable[[], dict[tuple[str, str], float]] | None = None
    ) -> None:
        self.server_pid = server_pid
        self.tick = os.sysconf("SC_CLK_TCK")
        # The server's writers' seconds by (service, step), read at start() and stop(): in (a)
        # a blocking scrape of a few ms at each end of the window, while clients wait.
        self.writers = writers or dict
        self.writing: dict[tuple[str, str], float] = {}

    def _process(self, stat: str) -> tuple[str, int, float]:
        with open(stat) as f:
            name, rest = f.read().split(" (", 1)[1].rsplit(")", 1)
        fields = rest.split()
        return name, int(fields[1]), (int(fields[11]) + int(fields[12])) / self.tick

    def _sample(self) -> dict[str, Any]:
        postgres: dict[str, float] = {}  # by pid: backends come and go
        followers: dict[str, float] = {}  # the server's children (``hall follow`` on PostgreSQL)
        workers: dict[str, float] = {}  # its other children: API workers, counted as server
        parts: dict[str, str] = {}  # which part each follower runs (``--part``)
        for stat in glob.glob("/proc/[0-9]*/stat"):
            try:
                name, parent, used = self._process(stat)
            except (OSError, IndexError, ValueError):
                continue  # a process that ended meanwhile
            if name == "postgres":
                postgres[stat] = used
            elif parent == self.server_pid and (part := _follower_part(stat)) is not None:
                followers[stat] = used
                parts[stat] = part
            elif parent == self.server_pid:  # API workers (``--workers``)
                workers[stat] = used
        with open("/proc/stat") as f:
            cpu = [int(x) for x in f.readline().split()[1:]]
        return {
            "wall": time.perf_counter(),
            "load_generator": time.process_time(),
            "server": self._process(f"/proc/{self.server_pid}/stat")[2],
            "workers": workers,
            "postgres": postgres,
            "followers": followers,
            "parts": parts,
            "machine": (sum(cpu) - cpu[3] - cpu[4]) / self.tick,  # all but idle and iowait
        }

    def start(self) -> None:
        self.writing = self.writers()
        self.begin = self._sample()

    def stop(self) -> dict[str, float]:
        end, begin = self._sample(), self.begin
        self.writing = {k: v - self.writing.get(k, 0.0) for k, v in self.writers().items()}
        wall = end["wall"] - begin["wall"]
        share = {k: (end[k] - begin[k]) / wall for k in ("load_generator", "server")}
        for group in ("postgres", "followers", "workers"):
            share[group] = _used(end[group], begin[group]) / wall
        share["server"] += share.pop("workers")
        share["machine"] = (end["machine"] - begin["machine"]) / wall
        # Whatever else ran meanwhile (other people's tests, say) makes the figures unreliable.
        ours = sum(share[k] for k in ("load_generator", "server", "postgres", "followers"))
        share["other"] = max(0.0, share["machine"] - ours)
        return share

    def per_event(self, events: int) -> dict[str, float]:
        """CPU µs per event by process since ``start()``: call it once the followers have
        caught up, so that their work on the phase's events is all in."""
        end, begin = self._sample(), self.begin
        used = {"server": end["server"] - begin["server"] + _used(end["workers"], begin["workers"])}
        used["postgres"] = _used(end["postgres"], begin["postgres"])
        for part in sorted(set(end["parts"].values())):
            mine = {stat: v for stat, v in end["followers"].items() if end["parts"][stat] == part}
            used[part] = _used(mine, begin["followers"])
        return {k: 1e6 * v / events for k, v in used.items()} if events else {}

    def writer_per_event(self, phase: Phase) -> None:
        """Each writer's time between ``start()`` and ``stop()``, per event of the phase by step,
        and as a share of the phase: near 1, the batches waited for the writer."""
        order = {step: n for n, step in enumerate(WRITER_STEPS)}  # others after, by name
        counts = {"groups": phase.writer_groups, "batches": phase.writer_batches}
        for (service, count), n in self.writing.items():
            if count in counts and n > 0:
                counts[count][service] = n
        for (service, step), seconds in sorted(
            self.writing.items(), key=lambda item: (item[0][0], order.get(item[0][1], 9), item[0])
        ):
            if step not in counts and seconds > 0 and phase.events:
                steps = phase.writer_per_event.setdefault(service, {})
                steps[step] = 1e6 * seconds / phase.events
                busy = phase.writer_busy.get(service, 0.0) + seconds / phase.seconds
                phase.writer_busy[service] = busy


def writer_seconds(base: str, token: str) -> dict[tuple[str, str], float]:
    """The server's writers' wall seconds so far by (service, step) (``hall_writer_seconds``),
    and their groups and the requests in them by (service, "groups" or "batches")."""
    answer = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    answer.raise_for_status()
    found: dict[tuple[str, str], float] = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            if sample.name == "hall_writer_seconds_total":
                found[sample.labels["service"], sample.labels["step"]] = sample.value
            elif sample.name in GROUP_COUNTS:
                found[sample.labels["service"], GROUP_COUNTS[sample.name]] = sample.value
    return found


def _used(end: dict[str, float], begin: dict[str, float]) -> float:
    """CPU seconds used between two samples by processes keyed by their stat file (one that
    started meanwhile counts from 0)."""
    return sum(v - begin.get(stat, 0.0) for stat, v in end.items())


def _follower_part(stat: str) -> str | None:
    """What a child of the server follows (``hall follow --part views``: "views"), or None
    for an API worker."""
    try:
        with open(stat.removesuffix("stat") + "cmdline", "rb") as f:
            args = f.read().split(b"\0")
    except OSError:
        return None
    if b"follow" not in args:
        return None
    at = args.index(b"--part") + 1 if b"--part" in args else len(args)
    return args[at].decode() if at < len(args) else "followers"


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
    host: str,
    port: int,
    token: str,
    meter: CpuMeter,
    clients: int,
    warmup: float,
    duration: float,
    settle: Callable[[], object] = lambda: None,
) -> Phase:
    """(a) Each client walks cases one POST per event; measured over [warm-up end, + duration].
    ``settle`` waits until the followers have applied what was posted before the clock starts
    (with ``--money``, the acceptances of the cases to be paid for)."""
    phase = Phase(f"(a) single-event POSTs, {clients} clients", clients)
    per_client = int((warmup + duration) * WALKS_PER_CLIENT_SECOND)
    if MONEY["mode"]:
        # Last-used first: the cases assessed first are the ones accepted last, as in a hall,
        # where a fee follows its acceptance within minutes (and intake's writer still holds
        # the case; it keeps the 20,000 it touched last).
        order = range(per_client - 1, -1, -1)
        await accept_cases(host, port, token, [f"B-{c}-{n}" for n in order for c in range(clients)])
        await asyncio.to_thread(settle)
    t0 = time.perf_counter() + warmup
    t1 = t0 + duration

    async def walks(c: int, client: Terminal) -> None:
        n = 0
        while True:
            if MONEY["mode"] and n == per_client:
                phase.fail(f"client {c} used all {n} cases accepted for it")
                return
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
                if t0 <= done <= t1 and why is None:
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
    host: str,
    port: int,
    token: str,
    meter: CpuMeter,
    clients: int,
    total_batches: int,
    settle: Callable[[], object] = lambda: None,
) -> Phase:
    """(b) ``clients`` clients share ``total_batches`` POSTs of 500 events; one warm-up each
    (``settle`` as for ``single_events``)."""
    phase = Phase(f"(b) 500-event batch POSTs, {clients} clients", clients)

    walks = len(WALK) * BATCH_WALKS // len(MONEY_WALK if MONEY["mode"] else WALK)
    names = [f"BW-{c}" for c in range(clients)] + [f"BB-{i}" for i in range(total_batches)]
    if MONEY["mode"]:
        await accept_cases(host, port, token, [f"{n}-{w}" for n in names for w in range(walks)])
        await asyncio.to_thread(settle)

    def payload(name: str) -> bytes:
        events = [e for w in range(walks) for e in walk(f"{name}-{w}")]
        return json.dumps({"events": events}, ensure_ascii=False).encode()

    # Bodies are built before the clock starts: the generator shares the server's 2 cores.
    warm = [payload(name) for name in names[:clients]]
    queue = [payload(name) for name in names[clients:]]
    gate = asyncio.Barrier(clients + 1)  # the measured part starts after every warm-up

    async def posts(c: int, client: Terminal) -> None:
        try:
            why = await _post(client, warm[c], _size(warm[c]))
        finally:
            await gate.wait()  # a failed warm-up must not leave the others waiting
        if why is not None:
            phase.fail(why)
        while queue:
            body = queue.pop()
            sent = time.perf_counter()
            why = await _post(client, body, _size(body))
            phase.latencies.append(time.perf_counter() - sent)
            if why is None:
                phase.events += _size(body)
            else:
                phase.fail(why)

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
