"""Benchmarks (``python -m bench.<name>``) and the harness they share (``bench.benchlib``); results go to
docs/BENCHMARKS.md."""
