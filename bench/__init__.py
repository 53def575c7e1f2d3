"""Benchmarks: `python bench/run.py` (make bench) and the load test (`bench/load_test.py`)."""
