"""A run's attachments and feedback on its span (the way back of `convert/attachments.py` and
`convert/feedback.py`).

- Attachments (`attachments`: name -> `{"mime_type", "content"}`) go back into the GenAI parts
  they came from: a part of `gen_ai.input.messages` / `gen_ai.output.messages` that names an
  attachment (`"attachment": name`) becomes a `blob` part with the content again, when the name
  is the one spans -> runs gives that content. Every other attachment is written in
  `langsmith.attachments` (LangSmith's OTel ingest reads it: a JSON list of `{"name", "content",
  "mime_type"}`). spans -> runs takes them all back under the same names.
- Feedback the run carries (`feedback`: LangSmith feedback objects) becomes
  `gen_ai.evaluation.result` events, each with the whole object in `langsmith.feedback`.

Only values that come back exactly take this way (`clean_*`); anything else stays in the
`otel_runs.run_fields` residue, as before.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from otel_runs.convert.attachments import REFERENCE_KEY, part_name
from otel_runs.runs_to_spans.values import dumps

Parts = list[dict[str, Any]]


def _decode(text: object) -> bytes | None:
    if not isinstance(text, str):
        return None
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def clean_attachments(value: object) -> dict[str, dict[str, str]] | None:
    """The run's attachments when every one reads back exactly (a name without dots, a mime
    type, base64 content), else None."""
    if not isinstance(value, dict) or not value:
        return None
    for name, item in value.items():
        if not isinstance(name, str) or not name or "." in name:
            return None
        if not isinstance(item, dict) or set(item) != {"mime_type", "content"}:
            return None
        mime = item["mime_type"]
        if not isinstance(mime, str) or not mime or _decode(item["content"]) is None:
            return None
    return value


def clean_feedback(value: object) -> list[dict[str, Any]] | None:
    """The run's feedback when every item is an object with a key that JSON gives back."""
    if not isinstance(value, list) or not value:
        return None
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("key"), str) or not item["key"]:
            return None
        try:
            if json.loads(dumps(item)) != item:
                return None
        except (ValueError, RecursionError):
            return None
    return value


def _label(part: Mapping[str, Any], mime: str) -> str:
    modality = part.get("modality")
    return modality if isinstance(modality, str) and modality else mime.partition("/")[0]


def fill_parts(
    messages: list[dict[str, Any]], attachments: Mapping[str, Mapping[str, str]], side: str
) -> set[str]:
    """Put attachment content back into the parts of GenAI messages that name it (in place);
    returns the names used."""
    used: set[str] = set()
    for message in messages:
        parts = message.get("parts")
        if not isinstance(parts, list):
            continue
        for index, part in enumerate(parts):
            if not isinstance(part, dict) or "truncated" in part:
                continue
            name = part.get(REFERENCE_KEY)
            item = attachments.get(name) if isinstance(name, str) else None
            if item is None:
                continue
            data = _decode(item["content"])
            mime = item["mime_type"]
            if data is None or part_name(side, _label(part, mime), data) != name:
                continue  # not the name spans -> runs would give it: langsmith.attachments
            blob = {k: v for k, v in part.items() if k not in (REFERENCE_KEY, "uri", "type")}
            blob = {"type": "blob", **blob, "mime_type": mime, "content": item["content"]}
            blob.setdefault("modality", _label(part, mime))
            parts[index] = blob
            used.add(name)
    return used


def listed(attachments: Mapping[str, Mapping[str, str]], used: set[str]) -> str | None:
    """`langsmith.attachments` for the attachments no part carries."""
    rest = [
        {"name": name, "content": item["content"], "mime_type": item["mime_type"]}
        for name, item in attachments.items()
        if name not in used
    ]
    return dumps(rest) if rest else None

