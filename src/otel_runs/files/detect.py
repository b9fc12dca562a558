"""Which format a file holds, decided from its first bytes, never from its name.

- Text starting with `{` or `[` is JSON. Its first value decides: an object with
  `resourceSpans` (or `resource_spans`) is OTLP/JSON, an object with run fields (`run_type`,
  `dotted_order` or `trace_id` next to an `id`) is runs, and so is an array of such objects.
  The first value is read from the first line when it is a whole JSON value (JSON lines), else
  from the start of the document.
- Anything else is OTLP protobuf (its framing is worked out by `otlp_proto.framing`).
- gzip input is decompressed first (`Source`), whatever it holds.
"""

from __future__ import annotations

import enum
import json
import re
from typing import Final

from otel_runs.files import FileFormatError
from otel_runs.files.source import Source

_PEEK: Final = 1 << 20
_OTLP_KEY: Final = re.compile(rb'"resource_?[sS]pans"\s*:')
_RUN_KEYS: Final = (b'"run_type"', b'"dotted_order"')
_RUN_FIELDS: Final = ("run_type", "dotted_order", "trace_id", "start_time")


class Format(enum.Enum):
    """A file format `otel-runs convert` reads and writes."""

    RUNS = "runs"
    OTLP_JSON = "otlp-json"
    OTLP_PROTO = "otlp-proto"


def _json_kind(value: object) -> Format | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if not isinstance(value, dict):
        return None
    if "resourceSpans" in value or "resource_spans" in value:
        return Format.OTLP_JSON
    if "id" in value and any(key in value for key in _RUN_FIELDS):
        return Format.RUNS
    return None


def detect(source: Source) -> Format:
    """The format of what `source` holds, without consuming it; FileFormatError if none."""
    head = source.peek(_PEEK)
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text:
        raise FileFormatError("the input is empty")
    if text[:1] not in (b"{", b"["):
        return Format.OTLP_PROTO
    first_line = text.split(b"\n", 1)[0]
    try:
        kind = _json_kind(json.loads(first_line))
    except (ValueError, UnicodeDecodeError):
        kind = None  # a document spread over lines: look at its opening instead
        if _OTLP_KEY.search(text[:4096]):
            kind = Format.OTLP_JSON
        elif any(key in text[:65536] for key in _RUN_KEYS):
            kind = Format.RUNS
    if kind is None:
        raise FileFormatError(
            "JSON that is neither OTLP/JSON (no resourceSpans) nor runs (no run fields)"
        )
    return kind
