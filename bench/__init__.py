"""Benchmarks: ratios against baselines measured in the same process (see bench/run)."""
