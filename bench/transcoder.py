"""Transcoder benchmark: hall's orjson transcoder against the library's, on hall's own events.

Run ``python -m bench.transcoder`` from the project root.  It records case walks and money walks
in a scratch SQLite hall, lets supervision judge them, takes every stored event's JSON from each
service's store (decrypted), checks that both transcoders read each one alike and write it back
byte for byte as stored, then times reading and writing all of them with each, interleaved, and
prints microseconds per event and the ratio for each service.  See bench/README.md.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from eventsourcing.persistence import JSONTranscoder
from fastapi.testclient import TestClient

from bench.load import MONEY_WALK, WALK, _events
from hall.http.app import create_app
from hall.runtime import Hall
from hall.settings import Settings
from tests.support import ADMIN_TOKEN, Desk


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.transcoder", description=__doc__)
    p.add_argument("--cases", type=int, default=2000, help="case walks recorded (5 events each)")
    p.add_argument("--rounds", type=int, default=5, help="timed passes over the events, each way")
    return p.parse_args()


def record(hall: Hall, cases: int) -> None:
    """Case walks, and for every other case a fee assessed and paid; then supervision."""
    with TestClient(create_app(hall=hall)) as client:
        desk = Desk(client).with_catalogue()
        numbers = [f"2026-{n:06d}" for n in range(cases)]
        for start in range(0, cases, 100):
            walks = [e for n in numbers[start : start + 100] for e in _events(n, WALK)]
            desk.record(*walks)
        for start in range(0, cases, 500):
            money = [e for n in numbers[start : start + 500 : 2] for e in _events(n, MONEY_WALK)]
            desk.record(*money, by="CASHIER")
    assert hall.supervisor is not None
    hall.supervisor.settle = timedelta(0)  # judge everything now, not two seconds after
    hall.supervisor.catch_up()


def stored_json(app: Any) -> list[bytes]:
    """Every stored event's JSON as the transcoder wrote it (decrypted, decompressed)."""
    mapper = app.mapper
    found = []
    for n in app.recorder.select_notifications(start=1, limit=10**9):
        state = n.state
        if mapper.cipher is not None:
            state = mapper.cipher.decrypt(state)
        if mapper.compressor is not None:
            state = mapper.compressor.decompress(state)
        found.append(state)
    return found


def library_twin(fast: JSONTranscoder) -> JSONTranscoder:
    """The library's transcoder with the same transcodings registered."""
    twin = JSONTranscoder()
    twin.types, twin.names = dict(fast.types), dict(fast.names)
    return twin


def per_event_us(work: Any, items: list[Any], rounds: int) -> float:
    best = float("inf")  # the least disturbed pass
    for _ in range(rounds):
        started = time.perf_counter()
        for item in items:
            work(item)
        best = min(best, time.perf_counter() - started)
    return best / len(items) * 1e6


def compare(name: str, app: Any, rounds: int) -> dict[str, Any]:
    fast = app.mapper.transcoder
    library = library_twin(fast)
    payloads = stored_json(app)
    for payload in payloads:  # the same reading, and the stored bytes written back, both ways
        if fast.decode(payload) != library.decode(payload):
            raise SystemExit(f"{name}: the transcoders read {payload[:80]!r} differently")
        for writer in (fast, library):
            if writer.encode(writer.decode(payload)) != payload:
                raise SystemExit(f"{name}: {type(writer).__name__} wrote {payload[:80]!r} anew")
    objects = [library.decode(p) for p in payloads]
    figures: dict[str, Any] = {"service": name, "events": len(payloads)}
    figures["bytes"] = sum(map(len, payloads)) / len(payloads)
    for way, items, use in (("decode", payloads, "decode"), ("encode", objects, "encode")):
        lib = per_event_us(getattr(library, use), items, rounds)
        new = per_event_us(getattr(fast, use), items, rounds)
        figures[way] = {"library_us": lib, "hall_us": new, "ratio": lib / new}
    return figures


def main() -> int:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="hall-bench-transcoder-") as tmp:
        settings = Settings(data_dir=Path(tmp), admin_token=ADMIN_TOKEN, database_url=None)
        hall = Hall.start(settings, follow=False)
        try:
            started = time.monotonic()
            record(hall, args.cases)
            took = time.monotonic() - started
            print(f"recorded and judged {args.cases} case walks in {took:.0f} s")
            rows = [
                compare(name, app, args.rounds)
                for name, app in (
                    ("intake", hall.intake),
                    ("billing", hall.billing),
                    ("supervision", hall.supervision),
                )
            ]
        finally:
            hall.close()
    head = f"{'service':<13}{'events':>8}{'bytes':>7}"
    head += "".join(f"{f'{w} lib/hall µs':>20}{'ratio':>7}" for w in ("decode", "encode"))
    print("\nstored events read and written back, µs per event (best of rounds)\n" + head)
    print("-" * len(head))
    for r in rows:
        line = f"{r['service']:<13}{r['events']:>8}{r['bytes']:>7.0f}"
        for way in ("decode", "encode"):
            f = r[way]
            line += f"{f['library_us']:>12.1f} / {f['hall_us']:<5.1f}{f['ratio']:>7.2f}"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
