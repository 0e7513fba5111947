"""Prometheus metrics: request latency, events recorded, group-commit sizes and where the
writers' time goes, findings raised."""

from __future__ import annotations

import os
import time

from fastapi import Depends, FastAPI, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_SECONDS = Histogram(
    "hall_request_seconds",
    "HTTP request latency by route",
    ["method", "route", "status"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
EVENTS_POSTED = Counter(
    "hall_events_posted_total", "Posted events by outcome", ["service", "status"]
)
FINDINGS_RAISED = Counter(
    "hall_findings_raised_total", "Supervision findings raised, by rule", ["rule"]
)
GROUP_BATCHES = Histogram(
    "hall_group_commit_batches",
    "Requests coalesced into one store transaction",
    ["service"],
    buckets=(1, 2, 4, 8, 16, 32, 64, 128),
)

# Every batch of a service waits for its one writer in turn: the writer's steps tell whether
# the store's round trips or the deciding limit it (hall/groupcommit.py).
WRITER_SECONDS = Counter(
    "hall_writer_seconds",
    "Wall time of each service's writer by step of its groups: lookup (the group's first "
    "query), prepare, decide, write (encoding and the transaction), other (the writer lock's "
    "round trips, retries, answering)",
    ["service", "step"],
)


class RequestTimer:
    """Times every request by route and status, as a plain ASGI middleware.

    Not ``@app.middleware("http")``: that wraps each request in task groups and memory
    streams, measured here at ~290 µs of CPU per request, more than the rest of FastAPI.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets if the app fails before answering

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            path = getattr(scope.get("route"), "path", "unmatched")
            REQUEST_SECONDS.labels(scope["method"], path, status).observe(
                time.perf_counter() - started
            )


def install(app: FastAPI) -> None:
    """Time every request and serve ``GET /metrics`` (any valid token: scrape with a bearer)."""
    from hall.http.auth import current_actor  # here: the HTTP layer imports the runtime

    app.add_middleware(RequestTimer)

    @app.get(
        "/metrics",
        tags=["operations"],
        include_in_schema=False,
        dependencies=[Depends(current_actor)],
    )
    def metrics() -> Response:
        return Response(exposition(), media_type=CONTENT_TYPE_LATEST)


def exposition() -> bytes:
    """This process's metrics, or, under ``hall serve --workers N`` (prometheus_client's
    multiprocess mode: each worker writes its values to files in one folder), every worker's
    added up."""
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        return generate_latest()
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return generate_latest(registry)
