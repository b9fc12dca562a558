"""The local stores' JSON writer: orjson where it can, the standard library where it cannot."""

from __future__ import annotations

import json
from typing import Any

import orjson


def json_text(value: dict[str, Any]) -> str:
    """Compact JSON of a run's dict.

    orjson is several times faster and writes NaN and infinities as null (valid JSON, unlike
    the standard library's `NaN`). A dict key that is not text (an integer an app put in a
    metadata dict) needs orjson's `OPT_NON_STR_KEYS`, which doubles its cost for every dict
    (2.1 against 1.0 us for a receiver benchmark run): it is asked for only when the plain call
    refuses, with the same output. What orjson refuses even then (lone surrogates, integers
    past 64 bits, nesting past its limit) goes through the standard library with non-ASCII text
    escaped, so a lone surrogate is stored as an escape and read back as it was. Raises
    TypeError or ValueError for what JSON cannot carry at all.
    """
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        pass
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return json.dumps(value)
