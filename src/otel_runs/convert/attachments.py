"""A run's attachments: inline binary content moved out of its inputs and outputs.

LangSmith keeps files, images and audio of a run as attachments (the multipart ingest's
`attachment.<run id>.<name>` parts, each with its content type), not as base64 inside `inputs`.
What becomes an attachment here:

- GenAI `blob` parts (semantic conventions 1.38+: `{"type": "blob", "modality", "mime_type",
  "content": <base64>}`) in a run's messages (the OpenAI-shaped messages every convention's
  messages become: `inputs.messages`, `outputs.choices[].message`, `outputs.messages`);
- `uri` parts and OpenAI `image_url` parts whose URI is a base64 `data:` URL (inline data
  under another name; the conventions ask for a `blob` part instead);
- the entries of `langsmith.attachments` (LangSmith's own attribute: a JSON list of
  `{"name", "content" (base64), "mime_type"}`).

A part keeps its place in the message, with `"attachment": <name>` instead of its data, so the
run still shows where the content was, and runs -> spans can put the data back. `uri` parts
that point elsewhere (`https://`, `gs://`) and `file` parts (a provider's file id) carry no
bytes: they stay as they are (otel-runs fetches nothing).

Names: a part's attachment is named `<side>_<kind>_<first 16 hex of the SHA-256 of its bytes>`
(`input_image_3f2a...`): the same content gets the same name wherever and however often it
appears, and converting the same span again gives the same names. `langsmith.attachments` keep
their names (a dot, which LangSmith refuses in a name, becomes `_`).

Caps (`MAX_ATTACHMENT_BYTES` per attachment, `MAX_RUN_ATTACHMENT_BYTES` per run, decoded
bytes, in the order the parts come): content over a cap is not kept. What is kept instead is a
marker, never a silent loss: the part keeps `"attachment"` and gains `"truncated": {"bytes",
"sha256", "limit"}`, and the run's metadata lists every attachment left out under
`ls_attachments_truncated` (name, mime_type, bytes, sha256, limit).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from typing import Any, Final

MAX_ATTACHMENT_BYTES: Final = 10 * 1024 * 1024
"""Largest attachment kept (decoded bytes); LangSmith's SDK sends at most 20 MiB a request."""
MAX_RUN_ATTACHMENT_BYTES: Final = 16 * 1024 * 1024
"""Largest total of one run's attachments, leaving room for the run itself in a 20 MiB
request (the LangSmith sink's `max_batch_bytes`)."""
TRUNCATED_KEY: Final = "ls_attachments_truncated"
"""Metadata key listing the attachments a cap left out."""
OUTPUT_SIDE: Final = "output_"
"""Name prefix of the attachments taken from a run's outputs (the rest are of its inputs)."""
REFERENCE_KEY: Final = "attachment"
"""Key a part gets, in place of its data, naming its attachment."""

Attachments = dict[str, dict[str, str]]
"""name -> {"mime_type", "content" (base64)}: the shape of a run's `attachments` field (what
the LangSmith API of `otel-runs serve` keeps, and LangSmith's OTel ingest reads)."""

_DATA: Final = "data:"
_OCTET: Final = "application/octet-stream"


class Found:
    """Attachments taken from one run, and the markers of those a cap left out."""

    __slots__ = ("items", "total", "truncated")

    def __init__(self) -> None:
        self.items: Attachments = {}
        self.truncated: list[dict[str, Any]] = []
        self.total = 0

    def add(self, name: str, mime_type: str, data: bytes, text: str) -> dict[str, Any] | None:
        """Keep an attachment; returns the truncation marker when a cap left it out."""
        if name in self.items:
            return None  # the same content again: one attachment
        size = len(data)
        limit = None
        if size > MAX_ATTACHMENT_BYTES:
            limit = f"{MAX_ATTACHMENT_BYTES} bytes per attachment"
        elif self.total + size > MAX_RUN_ATTACHMENT_BYTES:
            limit = f"{MAX_RUN_ATTACHMENT_BYTES} bytes of attachments per run"
        if limit is not None:
            marker = {"bytes": size, "sha256": hashlib.sha256(data).hexdigest(), "limit": limit}
            self.truncated.append({"name": name, "mime_type": mime_type, **marker})
            return marker
        self.items[name] = {"mime_type": mime_type, "content": text}
        self.total += size
        return None


def _decode(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def part_name(side: str, kind: str, data: bytes) -> str:
    """The attachment name of a part's content (see the module docstring)."""
    safe = "".join(c if c.isalnum() else "_" for c in kind) or "file"
    return f"{side}_{safe}_{hashlib.sha256(data).hexdigest()[:16]}"


def _data_url(url: str) -> tuple[str, str] | None:
    """(mime type, base64 text) of a base64 `data:` URL."""
    head, comma, body = url.partition(",")
    if not comma or not head.endswith(";base64"):
        return None
    mime = head[len(_DATA) : -len(";base64")].split(";")[0]
    return (mime or _OCTET), body


def _take(found: Found, side: str, part: dict[str, Any]) -> dict[str, Any] | None:
    """The part with its inline data moved out, or None when it has none."""
    kind = part.get("type")
    if kind == "blob":
        text = part.get("content")
        mime = part.get("mime_type")
        if not isinstance(text, str):
            return None
        mime_type = mime if isinstance(mime, str) and mime else _OCTET
    elif kind in ("uri", "image_url"):
        holder = part if kind == "uri" else part.get("image_url")
        url = holder.get("uri" if kind == "uri" else "url") if isinstance(holder, dict) else None
        if not isinstance(url, str) or not url.startswith(_DATA):
            return None
        inline = _data_url(url)
        if inline is None:
            return None
        mime_type, text = inline
    else:
        return None
    data = _decode(text)
    if data is None:
        return None  # not base64: left as it is
    modality = part.get("modality")
    label = modality if isinstance(modality, str) and modality else mime_type.partition("/")[0]
    name = part_name(side, label, data)
    marker = found.add(name, mime_type, data, text)
    if kind == "blob":
        out = {k: v for k, v in part.items() if k != "content"}
    elif kind == "uri":
        out = {k: v for k, v in part.items() if k != "uri"}
        out.setdefault("mime_type", mime_type)
    else:
        image = {k: v for k, v in part["image_url"].items() if k != "url"}
        out = {**part, "image_url": image}
    out[REFERENCE_KEY] = name
    if marker is not None:
        out["truncated"] = marker
    return out


def _walk(found: Found, side: str, value: Any) -> Any:
    """`value` with every inline part moved out; the same object when nothing changed."""
    if isinstance(value, list):
        changed = None
        for index, item in enumerate(value):
            new = _walk(found, side, item)
            if new is not item:
                if changed is None:
                    changed = list(value)
                changed[index] = new
        return value if changed is None else changed
    if isinstance(value, dict):
        if "type" in value:
            taken = _take(found, side, value)
            if taken is not None:
                return taken
        out = None
        for key, item in value.items():
            new = _walk(found, side, item)
            if new is not item:
                if out is None:
                    out = dict(value)
                out[key] = new
        return value if out is None else out
    return value


def from_content(found: Found, side: str, value: Any) -> Any:
    """`value` (a run's inputs or outputs) with its inline parts moved into `found`."""
    return _walk(found, side, value)


def from_listed(found: Found, raw: object) -> bool:
    """Take `langsmith.attachments` (a JSON list of {name, content, mime_type}); False when
    it is not one (the attribute is then left to the leftovers)."""
    items = raw
    if isinstance(raw, str):
        try:
            items = json.loads(raw)
        except (ValueError, RecursionError):
            return False
    if not isinstance(items, list):
        return False
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            continue
        text = item.get("content")
        data = _decode(text) if isinstance(text, str) else None
        if data is None or not isinstance(text, str):
            continue
        name = item.get("name")
        name = str(name).replace(".", "_") if name else f"attachment_{index}"
        mime = item.get("mime_type")
        found.add(name, mime if isinstance(mime, str) and mime else _OCTET, data, text)
    return True


_INLINE_TYPES: Final = frozenset({"blob", "uri", "image_url"})


def _inline_in(content: object) -> bool:
    if type(content) is not list:
        return False
    return any(type(part) is dict and part.get("type") in _INLINE_TYPES for part in content)


def _inline_in_messages(messages: object) -> bool:
    if type(messages) is not list:
        return False
    return any(type(m) is dict and _inline_in(m.get("content")) for m in messages)


def may_hold_inline(inputs: Mapping[str, Any], outputs: Mapping[str, Any] | None) -> bool:
    """Whether a run's messages have a part that may hold inline data: a cheap look at the
    OpenAI-shaped messages every convention's messages become (`inputs.messages`,
    `outputs.choices[].message`, `outputs.messages`), before the walk that moves them out.
    (Scanning the attribute text instead costs about 1 ns a character: microseconds a span.)"""
    if _inline_in_messages(inputs.get("messages")):
        return True
    if not outputs:
        return False
    choices = outputs.get("choices")
    if type(choices) is list:
        for choice in choices:
            message = choice.get("message") if type(choice) is dict else None
            if type(message) is dict and _inline_in(message.get("content")):
                return True
    return _inline_in_messages(outputs.get("messages"))


def decoded(attachments: Mapping[str, Any]) -> list[tuple[str, str, bytes]]:
    """(name, mime type, bytes) of a run's `attachments` field; entries that are not
    `{"mime_type", "content" (base64)}` are skipped."""
    out = []
    for name, item in attachments.items():
        if not isinstance(item, Mapping):
            continue
        text = item.get("content")
        data = _decode(text) if isinstance(text, str) else None
        if data is None:
            continue
        mime = item.get("mime_type")
        out.append((str(name), mime if isinstance(mime, str) and mime else _OCTET, data))
    return out
