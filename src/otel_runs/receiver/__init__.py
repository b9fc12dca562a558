"""Ring 2: `otel-runs serve`, an OTLP endpoint that spools spans durably and forwards them as runs.

    intake.py     the contract between wire front ends and the spool
"""
