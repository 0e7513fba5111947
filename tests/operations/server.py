"""A real ``hall serve`` process for tests that stop it the hard way."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from hall.settings import Settings
from tests.support import ADMIN_TOKEN


def children(pid: int) -> dict[int, list[bytes]]:
    """The child processes of ``pid``, each with its command line's parts."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError, ValueError):
            continue  # ended meanwhile
        if ppid == pid:
            found[int(entry.name)] = command
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``hall serve`` in a subprocess, configured like the ``settings`` fixture."""

    def __init__(self, settings: Settings, *args: str) -> None:
        self.settings = settings
        self.args = list(args)  # more of ``hall serve``'s options, e.g. ``--workers 2``
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HALL_")}
        env |= {"HALL_ADMIN_TOKEN": ADMIN_TOKEN, "HALL_DATA_DIR": str(self.settings.data_dir)}
        if self.settings.database_url:
            env |= {
                "HALL_DATABASE_URL": self.settings.database_url,
                "HALL_DATABASE_SCHEMA": self.settings.database_schema,
                "HALL_POOL_SIZE": str(self.settings.pool_size),  # two workers share PostgreSQL
            }
        return env

    def start(self, timeout: float = 30.0) -> Server:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hall", "serve", "--port", str(self.port), *self.args],
            env=self.env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.process.stderr.read().decode()}")  # type: ignore[union-attr]
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.05)  # polling a condition, with a deadline
        raise TimeoutError("server did not become healthy")

    def kill(self, sig: int = signal.SIGKILL, timeout: float = 60.0) -> str:
        """Send ``sig``, wait for the exit, and return what the server logged."""
        assert self.process is not None and self.process.stderr is not None
        self.process.send_signal(sig)
        _, stderr = self.process.communicate(timeout=timeout)
        return stderr.decode(errors="replace")

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **kwargs)
