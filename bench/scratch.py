"""A scratch PostgreSQL schema, and hall's services opened on it in process, for the in-process
benchmarks (``bench.writer``, ``bench.followers``)."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from fastapi.testclient import TestClient
from psycopg import sql

from hall.http.app import create_app
from hall.runtime import Hall
from hall.settings import Settings
from tests.support import ADMIN_TOKEN, Desk


@contextmanager
def scratch_schema(url: str) -> Iterator[str]:
    """A new schema ``bench_<random>``, dropped with everything in it on the way out."""
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield schema
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


@contextmanager
def catalogued_hall(url: str, schema: str, **settings: Any) -> Iterator[Hall]:
    """hall's services on ``schema``, no follower running (``Hall.start(follow=False)``), with
    the test catalogue published; closed on the way out.  ``settings`` override the rest."""
    with tempfile.TemporaryDirectory() as data_dir:
        hall = Hall.start(
            Settings(
                data_dir=Path(data_dir),
                admin_token=ADMIN_TOKEN,
                database_url=url,
                database_schema=schema,
                **settings,
            ),
            follow=False,
        )
        try:
            with TestClient(create_app(hall=hall)) as client:
                Desk(client).with_catalogue()
            yield hall
        finally:
            hall.close()
