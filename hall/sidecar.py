"""``hall serve``'s child processes: the read models, and supervision, kept running beside the API.

On PostgreSQL they need not share the API's process: ``hall follow`` reads the same stores and
hears commits through LISTEN/NOTIFY.  A child that dies is started again (after a pause that
grows while it keeps dying), so the read models catch up by themselves; each child also ends
itself when the API's process goes away, even by ``kill -9``.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import FrameType

from hall.settings import Settings

log = logging.getLogger(__name__)
FIRST_PAUSE, LONGEST_PAUSE = 1.0, 30.0
CALM_SECONDS = 60.0  # a child that ran this long before dying is restarted at once


def child_env(settings: Settings, part: str) -> dict[str, str]:
    """What a ``hall follow --part`` child of ``hall serve`` runs with: the parent made the
    tables; supervision, one thread, needs no more than two connections per store (each store
    opens its whole pool at start: ~23 idle connections a process at the default size)."""
    env = {"HALL_CREATE_TABLES": "false"}
    if part == "supervision":
        env["HALL_POOL_SIZE"] = str(min(settings.pool_size, 2))
    return env


class Sidecar:
    """Starts ``hall follow`` and keeps it running until :meth:`stop`."""

    def __init__(
        self, data_dir: Path | None, parent: int, env: dict[str, str], part: str | None = None
    ) -> None:
        self.env = os.environ | env
        self.command = [sys.executable, "-m", "hall", "follow", "--parent", str(parent)]
        self.name = "hall follow" + (f" --part {part}" if part else "")
        if part is not None:
            self.command += ["--part", part]
        if data_dir is not None:
            self.command += ["--data-dir", str(data_dir)]
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self._stopping = threading.Event()
        self._lock = threading.Lock()  # stop() and a restart never cross
        self._watch = threading.Thread(target=self._keep_running, name="sidecar", daemon=True)

    def start(self) -> Sidecar:
        self.process = subprocess.Popen(self.command, env=self.env)  # noqa: S603 (ours)
        self._watch.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Let the child finish its current batch and end; kill it if it takes too long."""
        with self._lock:
            self._stopping.set()
            process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def _keep_running(self) -> None:
        pause = FIRST_PAUSE
        while not self._stopping.is_set():
            assert self.process is not None
            started = time.monotonic()
            code = self.process.wait()
            if self._stopping.is_set():
                return
            if time.monotonic() - started > CALM_SECONDS:
                pause = FIRST_PAUSE
            log.error("%s exited with %s; starting it again in %.0f s", self.name, code, pause)
            if self._stopping.wait(pause):
                return
            pause = min(pause * 2, LONGEST_PAUSE)
            with self._lock:
                if self._stopping.is_set():
                    return
                self.restarts += 1
                self.process = subprocess.Popen(self.command, env=self.env)  # noqa: S603


def stop_on_signals(sidecars: list[Sidecar]) -> None:
    """Stop the children when this process is told to end by SIGTERM or SIGINT.

    uvicorn handles those signals while it serves, then re-raises the one it got once it has
    shut down; these handlers are what it re-raises into: they stop the children, then end this
    process by the same signal, as it would have ended without children.
    """

    def stop_then_end(sig: int, _: FrameType | None) -> None:
        for sidecar in sidecars:
            sidecar.stop()
        signal.signal(sig, signal.SIG_DFL)
        signal.raise_signal(sig)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, stop_then_end)
