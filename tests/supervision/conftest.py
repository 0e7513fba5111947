"""Fixtures of the supervision stories: a test clock, supervision over the test hall, a teller."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, tzinfo

import pytest
from fastapi.testclient import TestClient

import services.ingest
from hall.http.app import create_app
from hall.runtime import Hall
from hall.settings import Settings
from services.supervision.api import router
from tests.supervision.harness import StoryClock, Teller, Watch, hall_sources, open_supervision
from tests.support import Desk


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> StoryClock:
    """The story's clock; the hall stamps what it records with it."""
    clock = StoryClock("2026-09-28T08:00:00+08:00")

    class StampedByTheStory(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> StampedByTheStory:  # type: ignore[override]
            return clock.now.astimezone(tz)  # type: ignore[return-value]

    monkeypatch.setattr(services.ingest, "datetime", StampedByTheStory)
    return clock


@pytest.fixture
def watch(settings: Settings, hall: Hall, clock: StoryClock) -> Iterator[Watch]:
    """Supervision over the hall's stores (the hall's own, once the runtime builds one)."""
    running = getattr(hall, "supervisor", None)
    if running is not None:  # the hall's own follower runs on the real clock: the story drives
        running.stop()
    app = getattr(hall, "supervision", None)
    mine = app is None
    if mine:
        app = open_supervision(settings, hall)
        hall.supervision = app  # type: ignore[attr-defined]
    yield Watch(app, hall_sources(hall), clock)
    if mine:
        app.close()


@pytest.fixture
def client(hall: Hall, watch: Watch) -> Iterator[TestClient]:
    app = create_app(hall=hall)
    if not any(getattr(r, "path", "") == "/v1/supervision/flags" for r in app.routes):
        app.include_router(router)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def teller(desk: Desk, clock: StoryClock) -> Teller:
    return Teller(desk, clock)
