"""Ingest payloads -> the bytes LangSmith's ingest endpoints take (pure: no network, no threads).

The payload itself is made in ring 1 (`model/ingest.py` for `Run` objects, `RunData.ingest`
for converted runs); this module splits it for the multipart endpoint and serializes it.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from decimal import Decimal
from typing import Any, Final
from uuid import UUID

import orjson

from otel_runs.model.ingest import IngestRun
from otel_runs.model.run import format_datetime

OUT_OF_BAND_FIELDS: Final = ("inputs", "outputs", "events", "extra", "error", "serialized")
"""Fields the multipart endpoint takes as their own parts (`post.<id>.<field>`), in SDK order."""


def split_out_of_band(payload: IngestRun) -> tuple[dict[str, Any], dict[str, Any]]:
    """(main part, {field: value}) as the multipart endpoint takes them; fields in SDK order."""
    main: dict[str, Any] = dict(payload)
    fields: dict[str, Any] = {name: main.pop(name) for name in OUT_OF_BAND_FIELDS if name in main}
    return main, fields


# Datetimes go through `_default` (our six-digit format), dataclasses too (as the stdlib
# path would); everything orjson writes natively it writes as the stdlib would, only ~8x faster.
_ORJSON_OPTIONS: Final = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def dumps(value: object) -> bytes:
    """Compact UTF-8 JSON. Non-finite floats become null (the server rejects NaN); UUIDs,
    datetimes and Decimals are written as LangSmith's SDK writes them."""
    try:
        return orjson.dumps(value, default=_default, option=_ORJSON_OPTIONS)
    except TypeError:  # non-str keys, lone surrogates, integers past 64 bits, deep nesting
        return _dumps_stdlib(value)


def _dumps_stdlib(value: object) -> bytes:
    """The slow path for what orjson refuses: same output, parsed."""
    try:
        text = json.dumps(
            value, default=_default, ensure_ascii=False, separators=(",", ":"), allow_nan=False
        )
    except ValueError:
        text = json.dumps(
            _finite(value), default=_default, ensure_ascii=False, separators=(",", ":")
        )
    return text.encode("utf-8", "replace")  # a lone surrogate cannot be UTF-8


def _default(value: object) -> object:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, Decimal):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    return repr(value)


def _finite(value: object) -> object:
    """A copy with NaN and infinities replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value
