"""The FastAPI application: every service's routes, one error mapping, one lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from hall import metrics
from hall.http import errors
from hall.http.auth import HallDep, TokenCheck
from hall.http.posting import router as posting
from hall.http.posting import served as post_events
from hall.runtime import Hall
from hall.settings import Settings
from projections.api import router as reports
from projections.board_api import router as boards
from services.access.api import router as access
from services.billing.api import router as billing
from services.intake.api import router as intake
from services.supervision.api import router as supervision


def create_app(settings: Settings | None = None, hall: Hall | None = None) -> FastAPI:
    """Build the app; the services start with it and stop (draining writes) with it."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        running = hall or Hall.start(settings or Settings())
        app.state.hall = running
        app.state.tokens = TokenCheck(running)
        app.state.upstream = httpx.AsyncClient(timeout=30)  # forwarding (``--role``)
        try:
            yield
        finally:
            await app.state.upstream.aclose()
            if hall is None:  # a hall passed in belongs to the caller
                running.close()

    app = FastAPI(
        title="hall",
        version="1.0.0",
        summary="Event-sourced case processing for government service halls",
        lifespan=lifespan,
        # Prometheus (``hall.metrics``) measures requests; FastAPI's own OpenTelemetry hook
        # otherwise asks for configured providers, reading the environment, on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    errors.install(app)
    metrics.install(app)
    app.router.routes.insert(0, post_events)  # the busiest route, matched first (see posting.py)
    app.include_router(posting)
    app.include_router(intake)
    app.include_router(supervision)
    app.include_router(access)
    app.include_router(billing)
    app.include_router(reports)
    app.include_router(boards)

    @app.get("/healthz", tags=["operations"])
    def healthz(hall: HallDep) -> Any:
        """200 once the service can take events; 503 while a store is unreachable."""
        try:
            for service in hall.ingesting.values():
                service.recorder.max_notification_id()
            hall.access.recorder.max_notification_id()
        except Exception as error:
            body = errors.error_body("store_unavailable", f"store unreachable: {error}")
            return JSONResponse(body, 503)
        return {"status": "ok"}

    return app


def from_environment() -> FastAPI:
    """One API worker of ``hall serve --workers N`` (``hall/workers.py``, in each process it
    starts): the settings from the environment ``serve`` prepared, the collector settled."""
    from hall import collector, logs

    logs.configure()
    api = create_app(Settings())
    collector.settle()
    return api
