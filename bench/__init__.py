"""Benchmarks of a running hall (``python -m bench.ingest``); not part of the installed package."""
