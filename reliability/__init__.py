"""Reliability runs of otel-runs: soak, LangSmith outage, kill -9 loop, limits (see main.py)."""
