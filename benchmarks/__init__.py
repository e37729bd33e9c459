"""Benchmarks of ``routes`` against named baselines; run with ``python -m benchmarks.run [name]``."""
