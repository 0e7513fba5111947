"""Commits in another process, heard through PostgreSQL's LISTEN/NOTIFY.

Every insert into a service's events table sends ``NOTIFY <channel>`` in its transaction (the
event store does it), so a follower in another process than the writers can wake the moment
events commit instead of at its next poll.  A lost connection only costs latency: followers
keep polling meanwhile, and the listener reconnects.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping

import psycopg
from psycopg import sql

log = logging.getLogger(__name__)
RECONNECT_SECONDS = 2.0


class Listener:
    """Calls ``ring`` with a channel's stream whenever the channel is notified (``channels``:
    channel -> stream), and with None when it starts listening."""

    def __init__(
        self, conninfo: str, channels: Mapping[str, str], ring: Callable[[str | None], None]
    ) -> None:
        self.conninfo, self.channels, self.ring = conninfo, dict(channels), ring
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="listen", daemon=True)
        self.listening = threading.Event()  # set while subscribed (tests wait on it)

    def start(self) -> Listener:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._listen()
            except psycopg.Error as error:
                self.listening.clear()
                log.warning("not hearing commits (%s); retrying", error)
                self._stop.wait(RECONNECT_SECONDS)

    def _listen(self) -> None:
        with psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5) as conn:
            for channel in self.channels:
                conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
            self.listening.set()
            self.ring(None)  # whatever committed before we listened is read now
            while not self._stop.is_set():
                # A short timeout so that stop() is noticed; one ring per wake-up is enough,
                # as the followers read everything committed when they wake.
                for notify in conn.notifies(timeout=0.5, stop_after=1):
                    self.ring(self.channels.get(notify.channel))
