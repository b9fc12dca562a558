"""The local stores' JSON writer: orjson where it can, the standard library where it cannot."""

from __future__ import annotations

import json
from typing import Any

import orjson


def json_text(value: dict[str, Any]) -> str:
    """Compact JSON of a run's dict.

    orjson is several times faster and writes NaN and infinities as null (valid JSON, unlike
    the standard library's `NaN`). What it refuses (lone surrogates, integers past 64 bits,
    nesting past its limit) goes through the standard library with non-ASCII text escaped, so
    a lone surrogate is stored as an escape and read back as it was. Raises TypeError or
    ValueError for what JSON cannot carry at all.
    """
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return json.dumps(value)
