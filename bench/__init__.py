"""Benchmarks of a running hall (``python -m bench.ingest``); not part of the installed package."""

import sys

# httpcore tries `import sniffio` on every request; sniffio is not installed here, and each failed
# import walks sys.path: that was ~15% of the load generator's CPU, taken from the server's cores.
# A None entry makes that import fail at once; httpcore and anyio then assume asyncio (right).
sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]
