"""Fixtures shared by every behavioural test: the same tests run on SQLite and on PostgreSQL.

PostgreSQL must be running at ``HALL_TEST_DATABASE_URL`` (default: the local ``test``
database); each test gets a schema of its own, dropped afterwards.  Nothing is mocked.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from hall.http.app import create_app
from hall.runtime import Hall
from hall.settings import Settings
from tests.support import ADMIN_TOKEN, Desk

PG_URL = os.environ.get("HALL_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(params=["sqlite", "postgres"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Settings for a fresh, empty hall on one of the two stores."""
    yield from store_settings(request.param, tmp_path)


def store_settings(store: str, tmp_path: Path) -> Iterator[Settings]:
    """Settings of a fresh hall on ``store`` ("sqlite", or "postgres" in a schema of its own)."""
    base = Settings(
        data_dir=tmp_path / "data",
        admin_token=ADMIN_TOKEN,
        token_cache_seconds=0,
        database_url=None,
        cipher_key=None,
        holidays_file=None,
    )
    if store == "sqlite":
        yield base
        return
    with fresh_schema() as schema:
        yield base.model_copy(
            update={"database_url": PG_URL, "database_schema": schema, "pool_size": 2}
        )


class fresh_schema:
    """A new PostgreSQL schema for one test, dropped when the test ends."""

    def __enter__(self) -> str:
        self.name = f"t_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{self.name}"')
        return self.name

    def __exit__(self, *_: object) -> None:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE')


@pytest.fixture
def hall(settings: Settings) -> Iterator[Hall]:
    # No background projectors: tests bring read models up to date with an explicit catch-up,
    # so what they assert never races a follower thread.
    running = Hall.start(settings, follow=False)
    yield running
    running.close()


@pytest.fixture
def client(hall: Hall) -> Iterator[TestClient]:
    with TestClient(create_app(hall=hall)) as test_client:
        yield test_client


@pytest.fixture
def desk(client: TestClient) -> Desk:
    """A hall with a catalogue (LAND, CIVIL departments) and a window terminal for each."""
    return Desk(client).with_catalogue()
