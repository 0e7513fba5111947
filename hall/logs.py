"""The log format of every hall process (API, its workers, the followers, the bus roles)."""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def configure() -> None:
    """INFO and above to stderr, one line each, timestamped."""
    logging.basicConfig(level=logging.INFO, format=FORMAT)
