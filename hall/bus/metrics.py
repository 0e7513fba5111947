"""Metrics of the bus roles, and the small HTTP endpoint each role serves them on.

``GET /metrics`` (Prometheus text) and ``GET /healthz`` (200 ``{"status": "ok"}`` or 503 with
what is wrong) on ``--metrics-port``: what an orchestrator's probes and Prometheus scrape.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, generate_latest

RELAYED = Counter(
    "hall_relay_events_total", "Events the broker acknowledged, by service", ["service"]
)
RELAY_POSITION = Gauge(
    "hall_relay_position", "The relay's durable position in the service's log", ["service"]
)
RELAY_LAG = Gauge(
    "hall_relay_lag_events", "Stored events not yet acknowledged by the broker", ["service"]
)
RELAY_FAILURES = Counter(
    "hall_relay_failures_total", "Relay sessions ended by an error (then resumed)", ["service"]
)
RELAY_REWINDS = Counter(
    "hall_relay_rewinds_total",
    "Times the relay found a new topic and republished from position 0",
    ["service"],
)
CONSUMER_LAG = Gauge(
    "hall_consumer_lag_records",
    "Records in the partition not yet applied by this worker",
    ["group", "topic", "partition"],
)
PROJECTED = Counter(
    "hall_projection_events_total", "Events applied to a read model", ["projection"]
)
PROJECTION_ERRORS = Counter(
    "hall_projection_errors_total", "Failed projection rounds (then retried)", ["projection"]
)

SUPERVISION_ERRORS = Counter(
    "hall_supervision_errors_total", "Failed supervision rounds (then retried)"
)

Health = Callable[[], tuple[bool, str]]


class MetricsServer:
    """``/metrics`` and ``/healthz`` on a port, in a daemon thread."""

    def __init__(self, host: str, port: int, health: Health) -> None:
        check = health

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.startswith("/metrics"):
                    self._send(200, generate_latest(), CONTENT_TYPE_LATEST)
                elif self.path.startswith("/healthz"):
                    ok, detail = check()
                    body = {"status": "ok" if ok else "unavailable", "detail": detail}
                    self._send(200 if ok else 503, json.dumps(body).encode(), "application/json")
                else:
                    self._send(404, b"not found\n", "text/plain")

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass  # probes every few seconds would drown the log

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
