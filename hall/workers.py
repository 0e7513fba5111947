"""``hall serve --workers N``: N API processes on one port, each with a listening socket of its own.

Why not uvicorn's own ``--workers``: its processes share one listening socket, and whichever
is idle when connections arrive accepts all of them (asyncio accepts every one waiting).
Terminals keep their connections open, so the first burst of connections stayed on one worker
(5 of 6 in a trial) and the other sat idle.  With ``SO_REUSEPORT`` each worker listens on its
own socket and the kernel spreads new connections over them by their addresses.

The supervisor (this module, in ``hall serve``'s process) starts the workers, starts again one
that dies (after a pause that grows while it keeps dying), stops them all on SIGTERM or SIGINT
(each finishes its requests and drains its writers: uvicorn's graceful shutdown), and gives up
if a worker cannot start at all (port taken, store unreachable), as one process would.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Any

log = logging.getLogger(__name__)
CANNOT_START = 3  # a worker's exit status when its socket or its app cannot start (as uvicorn's)
FIRST_PAUSE, LONGEST_PAUSE = 1.0, 30.0
CALM_SECONDS = 60.0  # a worker that ran this long before dying is replaced after the first pause
STOP_SECONDS = 60.0  # graceful shutdown (30 s in uvicorn) plus the writers' drain


class WorkersFailed(RuntimeError):
    """A worker could not start: the whole server stops, as one process would."""


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket on ``host:port`` that other workers' sockets may share (``SO_REUSEPORT``)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def run_worker(served: dict[str, Any], supervisor: int) -> None:
    """One API worker (in a process of its own): its socket, then uvicorn on the app that
    ``hall.http.app:from_environment`` builds from the environment ``hall serve`` prepared.
    It ends (gracefully) when the supervisor is gone, even by ``kill -9``, rather than live on
    as an orphan holding the port."""
    import uvicorn

    end_when_gone(supervisor)
    try:
        sock = listening_socket(served["host"], served["port"])
    except OSError as error:
        print(f"cannot listen on {served['host']}:{served['port']}: {error}", file=sys.stderr)
        sys.exit(CANNOT_START)
    sock.listen(2048)
    options = {k: v for k, v in served.items() if k not in {"host", "port"}}
    config = uvicorn.Config("hall.http.app:from_environment", factory=True, **options)
    server = uvicorn.Server(config)
    server.run(sockets=[sock])
    if not server.started:  # the app failed in its start-up (e.g. the store is unreachable)
        sys.exit(CANNOT_START)


def end_when_gone(parent: int, every: float = 1.0) -> None:
    """SIGTERM this process (uvicorn's graceful stop) once ``parent`` is no longer its parent.

    The parent's id comes from the parent: read here, it could already be init's, had the
    parent died while this process was starting."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="end-when-gone", daemon=True).start()


class Workers:
    """The API workers of one ``hall serve``."""

    def __init__(self, count: int, served: dict[str, Any]) -> None:
        self.count = count
        self.served = served
        self.context = multiprocessing.get_context("spawn")  # a fresh interpreter each
        self.processes: list[BaseProcess] = []
        self.restarts = 0
        self._stopping = threading.Event()

    def run(self) -> None:
        """Serve until SIGTERM or SIGINT; raises WorkersFailed if a worker cannot start."""
        # Refuse a port that is taken now, before starting anything, with the reason.
        listening_socket(self.served["host"], self.served["port"]).close()
        previous = {sig: signal.signal(sig, self._stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            self.processes = [self._start() for _ in range(self.count)]
            log.info("%d API workers on port %d", self.count, self.served["port"])
            self._keep_running()
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _start(self) -> BaseProcess:
        process = self.context.Process(
            target=run_worker, args=(self.served, os.getpid()), name="hall-api"
        )
        process.start()
        return process

    def _stop(self, sig: int, _: FrameType | None) -> None:
        log.info("%s: stopping the API workers", signal.Signals(sig).name)
        self._stopping.set()

    def _keep_running(self) -> None:
        pauses = [FIRST_PAUSE] * self.count
        started = [time.monotonic()] * self.count
        due: dict[int, float] = {}  # worker slot -> when its replacement starts
        while not self._stopping.wait(0.5):
            now = time.monotonic()
            for index, process in enumerate(self.processes):
                if index in due or process.is_alive():
                    continue
                code = process.exitcode
                if code == CANNOT_START:
                    raise WorkersFailed(f"an API worker could not start (exit status {code})")
                if now - started[index] > CALM_SECONDS:
                    pauses[index] = FIRST_PAUSE  # it had run a while: no crash loop
                log.error(
                    "API worker %s exited with %s; starting another in %.0f s",
                    process.pid,
                    code,
                    pauses[index],
                )
                due[index] = now + pauses[index]
                pauses[index] = min(pauses[index] * 2, LONGEST_PAUSE)
            for index, when in list(due.items()):  # each slot waits out its own pause
                if when <= now:
                    del due[index]
                    self.processes[index] = self._start()
                    started[index] = now
                    self.restarts += 1

    def _stop_all(self) -> None:
        for process in self.processes:
            if process.is_alive() and process.pid is not None:
                process.terminate()  # SIGTERM: uvicorn's graceful shutdown
        deadline = time.monotonic() + STOP_SECONDS
        for process in self.processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                log.error("API worker %s did not stop in time; killing it", process.pid)
                process.kill()
                process.join()
