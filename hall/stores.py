"""Where each service keeps its events: SQLite files by default, PostgreSQL when configured.

Each service (intake, billing, access, …) is its own ``eventsourcing`` application with its own
events table, so unrelated streams never queue behind one table lock.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from eventsourcing.cryptography import AESCipher

from hall.settings import Settings

CIPHER_TOPIC = "hall.cipher:EventCipher"  # the library's AES-GCM format (see hall/cipher.py)
TRANSCODER_TOPIC = "hall.transcoder:FastJSONTranscoder"  # the library's JSON, by orjson
KEYED_RECORDERS = {
    "sqlite": "hall.eventkeys:KeyedSQLiteRecorder",
    "postgres": "hall.eventkeys:KeyedPostgresRecorder",
}
TRACKED_RECORDER = "hall.pgevents:TrackedPostgresRecorder"  # supervision's, on PostgreSQL


def store_env(settings: Settings, service: str) -> dict[str, str]:
    """The ``eventsourcing`` environment for one service's application."""
    # The `cryptography` AES-GCM cipher: ~50x cheaper per event than building a pycryptodome one.
    env = {
        "CIPHER_TOPIC": CIPHER_TOPIC,
        "CIPHER_KEY": cipher_key(settings),
        "TRANSCODER_TOPIC": TRANSCODER_TOPIC,
    }
    env["CREATE_TABLE"] = "y" if settings.create_tables else "n"
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        env |= {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(settings.data_dir / f"{service}.sqlite"),
            "SQLITE_LOCK_TIMEOUT": "10",
            "APPLICATION_RECORDER_TOPIC": KEYED_RECORDERS["sqlite"],
        }
    else:
        env |= postgres_env(settings.database_url, settings.database_schema)
        env |= {
            # One connection kept open while idle, up to twice HALL_POOL_SIZE under load: with the
            # whole pool opened at start, hall serve and its two children held 62 connections
            # idle, and the test suite's two workers, each running one, ran PostgreSQL out of
            # its default 100.
            "POSTGRES_POOL_SIZE": "1",
            "POSTGRES_MAX_OVERFLOW": str(2 * settings.pool_size - 1),
            "APPLICATION_RECORDER_TOPIC": KEYED_RECORDERS["postgres"],
            "PROCESS_RECORDER_TOPIC": TRACKED_RECORDER,
        }
    return env


def postgres_env(url: str, schema: str) -> dict[str, str]:
    """Split a ``postgresql://user:password@host:port/db`` URL into the library's variables."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgresql", "postgres"} or not parts.path.strip("/"):
        raise ValueError(f"HALL_DATABASE_URL must look like postgresql://user@host:5432/db: {url}")
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": parts.path.strip("/"),
        "POSTGRES_HOST": parts.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_USER": unquote(parts.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        "POSTGRES_SCHEMA": schema,
        "POSTGRES_CONNECT_TIMEOUT": "5",
        "POSTGRES_LOCK_TIMEOUT": "10",
    }


def cipher_key(settings: Settings) -> str:
    """The configured key, or one generated once into the data folder (mode 0600)."""
    if settings.cipher_key:
        return settings.cipher_key
    return private_file(settings.data_dir / "cipher.key", lambda: AESCipher.create_key(32))


def admin_token(settings: Settings) -> str:
    """The configured admin token, or one generated once into the data folder (mode 0600)."""
    if settings.admin_token:
        return settings.admin_token
    return private_file(settings.data_dir / "admin.token", lambda: secrets.token_urlsafe(32))


def private_file(path: Path, make: Callable[[], str]) -> str:
    """Read a secret from ``path``, creating it (mode 0600) on first use."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two processes starting together must not each write a different secret.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as f:
                f.write(make() + "\n")
    # Read back: if another process won the race, its secret is the one on disk.
    return path.read_text().strip()
