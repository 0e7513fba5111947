"""The garbage collector's settings for hall's long-running processes.

CPython collects its youngest generation every 700 net container allocations.  Under 32 busy
terminals, the objects of requests still in flight survived those young collections, were
promoted, and kept triggering *full* collections: measured with ``python -m bench.ingest``
(PostgreSQL, 2 cores), the API ran about two full collections a second, ~90 ms each — a quarter
of its CPU, and the whole of its p99 latency.  Young collections every 50,000 allocations let
those objects die first; freezing what start-up built (modules, routes, schemas) keeps it out
of every later full collection.  Memory stayed the same (peak RSS ~130 MB in both runs).
"""

from __future__ import annotations

import gc

YOUNG = 50_000  # net container allocations between young collections (CPython: 700)
MIDDLE, OLD = 20, 10  # young collections per middle one, middle per full (CPython: 10, 10)


def settle() -> None:
    """Call once a process has started up, before it takes work."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG, MIDDLE, OLD)
