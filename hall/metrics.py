"""Prometheus metrics: request latency, events recorded, group-commit sizes, findings raised."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import Depends, FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

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


def install(app: FastAPI) -> None:
    """Time every request and serve ``GET /metrics`` (any valid token: scrape with a bearer)."""
    from hall.http.auth import current_actor  # here: the HTTP layer imports the runtime

    @app.middleware("http")
    async def timed(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        REQUEST_SECONDS.labels(request.method, path, response.status_code).observe(
            time.perf_counter() - started
        )
        return response

    @app.get(
        "/metrics",
        tags=["operations"],
        include_in_schema=False,
        dependencies=[Depends(current_actor)],
    )
    def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
