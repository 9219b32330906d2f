"""Benchmarks of the event store, each reported as a ratio to a baseline measured in the same run.

Run with `python -m bench [--quick] [--json PATH]`; see bench/README.md.
"""
