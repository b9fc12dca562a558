"""Items of one LangSmith API request <-> the bytes of one `run_batches` spool row.

`marshal` (format 4) of `(FORMAT, [(kind, run id, payload), ...])`: the payloads are what
`orjson` read (dicts, lists, str, int, float, bool, None) plus attachment bytes, all types
marshal writes exactly and loads without running code. Measured against re-encoding JSON,
marshal is the cheaper of the two both ways, on the path every run takes.
"""

from __future__ import annotations

import marshal
from collections.abc import Sequence
from typing import Final

from otel_runs.receiver.codec import CodecError
from otel_runs.receiver.langsmith_api.items import Item

FORMAT: Final = 1
"""Layout version of the rows below; stored in every blob."""
_MARSHAL_VERSION: Final = 4


def encode_items(items: Sequence[Item]) -> bytes:
    """One request's items as one blob."""
    return marshal.dumps((FORMAT, list(items)), _MARSHAL_VERSION)


def decode_items(blob: bytes) -> list[Item]:
    """The items of one blob. Raises CodecError for a blob of another format or a damaged one."""
    try:
        payload = marshal.loads(blob)
    except (ValueError, EOFError, TypeError) as exc:
        raise CodecError(f"spool blob is damaged: {exc}") from exc
    if not (isinstance(payload, tuple) and len(payload) == 2 and payload[0] == FORMAT):
        raise CodecError(f"spool blob is not a LangSmith API row of format {FORMAT}")
    items = payload[1]
    if not isinstance(items, list) or not all(
        isinstance(item, tuple) and len(item) == 3 for item in items
    ):
        raise CodecError("spool blob holds no item list")
    return items
