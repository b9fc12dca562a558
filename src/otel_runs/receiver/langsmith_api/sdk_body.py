"""A `/runs/multipart` body exactly as the Python SDK writes it, read in one pass.

The general reader (`multipart.split_parts`, then `items.from_parts`) makes a `Part` per part,
groups the parts by run, then parses and checks each group: right for any body, and most of
the door's CPU for the SDK's own bodies. Those always have the same shape: each run's parts
one after the other (`post.<id>`, then `post.<id>.inputs`...), JSON, every header block
byte-for-byte the same but for the name and the `Content-Length`. Here one regex match per
part (the delimiter before it included) reads its name and length, the JSON goes straight
into its run's dict, and the runs are checked once the body is read.

Anything else gives None and the general reader reads the body from the start: another
header layout (the JS SDK's), feedback or attachment parts, a run's parts not together or
sent twice, a field both inline and as a part, JSON that does not parse, a run a check
refuses, a body that does not end with the closing delimiter. So every request with
something to refuse, and every shape not listed, is answered by the general reader alone;
for the rest this gives the very items it gives (tests/test_langsmith_api_sdk_body.py).
Pure: bytes in, items out.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final

from orjson import JSONDecodeError, loads

from otel_runs.receiver.langsmith_api.items import (
    PATCH,
    POST,
    Item,
    Read,
    is_canonical,
    run_problem,
)

_Match = Callable[[bytes, int], "re.Match[bytes] | None"]
_PARTS: dict[bytes, _Match] = {}
"""The part reader of each boundary (an SDK process uses one boundary)."""
_MAX_BOUNDARIES: Final = 64


def _part_reader(boundary: bytes) -> _Match:
    """Matches a delimiter and the header block after it: (event, run id, field, length)."""
    found = _PARTS.get(boundary)
    if found is None:
        if len(_PARTS) >= _MAX_BOUNDARIES:
            _PARTS.clear()
        found = _PARTS[boundary] = re.compile(
            rb"\r\n--" + re.escape(boundary) + rb"\r\n"
            rb'Content-Disposition: form-data; name="(post|patch)\.([0-9a-f-]{36})'
            rb'(?:\.(inputs|outputs|events|extra|error|serialized))?"\r\n'
            rb"Content-Type: application/json\r\nContent-Length: ([0-9]+)\r\n\r\n"
        ).match
    return found


def read_sdk_body(body: bytes, boundary: str) -> Read | None:
    """The items of a body in the Python SDK's own shape, or None for any other body."""
    delimiter = boundary.encode("latin-1")
    text = b"\r\n" + body  # every delimiter then has the line break before it
    match = _part_reader(delimiter)
    parsed: list[Item] = []  # checked once the body is read: one loop, not a call per run
    append = parsed.append
    known: dict[str, str | None] = {}  # run id texts of the part names (all canonical)
    seen: set[tuple[int, str]] = set()
    run: dict[str, Any] | None = None
    kind, key, current = POST, "", b""
    pos = 0
    try:
        while (found := match(text, pos)) is not None:
            event, raw_id, field, length = found.groups()
            start = found.end()
            pos = start + int(length)
            if field is None:  # a run's own part: its fields follow
                key = raw_id.decode()
                kind = POST if event == b"post" else PATCH
                if (kind, key) in seen or not is_canonical(key):
                    return None
                seen.add((kind, key))
                known[key] = key
                value = loads(text[start:pos])
                if type(value) is not dict:
                    return None
                run, current = value, event + raw_id
                append((kind, key, run))
            else:
                name = field.decode()
                if run is None or event + raw_id != current or name in run:
                    return None
                run[name] = loads(text[start:pos])
    except JSONDecodeError:
        return None
    if not text.startswith(b"\r\n--" + delimiter + b"--", pos) or run is None:
        return None
    # Each run checked as `items.from_parts` checks it: one it would refuse gives None.
    for kind, key, run in parsed:
        given = run.get("id")
        if given is not None and given != key:
            return None
        run["id"] = key
        if run_problem(run, post=kind == POST, need_ids=True, known=known) is not None:
            return None
    return Read(parsed)
