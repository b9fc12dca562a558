"""Errors raised by otel-runs' public, explicit calls.

    OtelRunsError
    ├── InvalidSpanError      a span cannot become a run (bad ids, impossible times)
    ├── InvalidRunError       a run dict or Run breaks the run data format
    ├── DottedOrderError      a dotted_order string breaks LangSmith's rules
    ├── OtlpDecodeError       an OTLP request body cannot be decoded at all
    │   └── TooManySpansError a request carries more spans than the caller allows
    ├── StoreError            a local run store cannot be opened or read (missing, locked, corrupt)
    ├── ConfigError           a constructor's configuration is missing or unusable
    ├── FileFormatError       (files/) a file `otel-runs convert` cannot read; names the line
    ├── LangSmithApiError     (langsmith_api/) LangSmith refused a request or kept failing
    ├── CheckpointError       (pull/) a pull checkpoint that is unreadable or of another pull
    ├── SpoolFullError        (receiver/intake.py) the spool is at its size limit: retry later
    └── SpoolUnavailableError (receiver/intake.py) the spool cannot write (disk, permissions)

Telemetry hooks (processor, exporter, receiver) never raise these into user code: they count
and log them instead.
"""

from __future__ import annotations


class OtelRunsError(Exception):
    """Base class of every error otel-runs raises on purpose."""


class InvalidSpanError(OtelRunsError):
    """A span that cannot become a run; the message says why."""


class InvalidRunError(OtelRunsError):
    """A run that breaks the run data format; the message names the field."""


class DottedOrderError(InvalidRunError):
    """A dotted_order that breaks LangSmith's format or invariants."""


class OtlpDecodeError(OtelRunsError):
    """An OTLP request body that is not decodable at all (one bad span is a rejection instead)."""


class TooManySpansError(OtlpDecodeError):
    """An OTLP request with more spans than the decoder was allowed to build (receiver: 413)."""


class StoreError(OtelRunsError):
    """A local run store (SQLite or JSONL file) that cannot be opened or read; names the path."""


class ConfigError(OtelRunsError):
    """Missing or unusable configuration (an API key, an endpoint); the message says which."""
