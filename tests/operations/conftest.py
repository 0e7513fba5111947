"""Fixtures of the tests that run ``hall serve`` as a process: one store each, chosen by name."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hall.settings import Settings
from tests.conftest import store_settings


@pytest.fixture
def on_postgres(tmp_path: Path) -> Iterator[Settings]:
    yield from store_settings("postgres", tmp_path)


@pytest.fixture
def on_sqlite(tmp_path: Path) -> Iterator[Settings]:
    yield from store_settings("sqlite", tmp_path)
