"""What one LangSmith API request carries, as items: run posts, run patches, feedback and
attachments, each checked on its own so a bad one is refused with a reason while its
neighbours go through.

    Item = (kind, run id, payload)
      POST        the run dict as sent (out-of-band fields merged back in)
      PATCH       the same for an update of the run
      FEEDBACK    the feedback dict (its `run_id` is the item's run id)
      ATTACHMENT  (name, media type, bytes)

Where each shape comes from (LangSmith's ingest API, docs/langsmith-api.md):

- `/runs/multipart` parts `post.<id>`, `patch.<id>` (the run without its big fields),
  `post.<id>.<field>` / `patch.<id>.<field>` (inputs, outputs, events, extra, error,
  serialized), `feedback.<id>` and `attachment.<run id>.<name>`;
- `/runs/batch` `{"post": [run...], "patch": [run...]}`;
- `POST /runs` one run, `PATCH /runs/{id}` one update, `POST /feedback` one feedback.

The checks are LangSmith's own where it has them (required fields, the seven run types, no
dots in attachment names, an id in the part name matching the body's) and otherwise what the
way to a span needs (times that parse, objects where objects go). Pure: no I/O.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import orjson
from orjson import loads

from otel_runs.model.run import parse_datetime
from otel_runs.receiver.langsmith_api.multipart import Part

POST: Final = 0
PATCH: Final = 1
FEEDBACK: Final = 2
ATTACHMENT: Final = 3
KIND_NAMES: Final = ("post", "patch", "feedback", "attachment")

Item = tuple[int, str, Any]
"""(kind, run id as canonical UUID text, payload)."""

RUN_TYPES: Final = frozenset({"llm", "chain", "tool", "retriever", "embedding", "prompt", "parser"})
OUT_OF_BAND: Final = frozenset({"inputs", "outputs", "events", "extra", "error", "serialized"})
"""Run fields a multipart request may carry in parts of their own."""
_ID, _TIME, _TAGS, _RUN_TYPE, _EVENTS = range(5)
_KINDS: Final[dict[str, type | int]] = {
    "name": str, "dotted_order": str, "session_name": str, "session_id": str, "error": str,
    "inputs": dict, "outputs": dict, "extra": dict, "serialized": dict,
    "start_time": _TIME, "end_time": _TIME, "trace_id": _ID, "parent_run_id": _ID,
    "reference_example_id": _ID, "run_type": _RUN_TYPE, "events": _EVENTS, "tags": _TAGS,
}  # fmt: skip
"""How each checked run field is checked (other fields are taken as they are): the type a
text or object field must have exactly, or what else to check."""
_IDS: Final = ("trace_id", "dotted_order")
_POSTED: Final = ("name", "run_type", "start_time")
_POSTED_IDS: Final = _POSTED + _IDS
_JSON_TYPES: Final = frozenset({"application/json", ""})
_NO_IDS: Final[Mapping[str, str | None]] = {}
is_canonical: Final = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
).fullmatch
"""Whether a text is a UUID in canonical form (lower case, dashed): a match, else None."""


@dataclass(slots=True)
class Read:
    """The items of one request, and what was refused, with where and why."""

    items: list[Item] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    """(where, reason), e.g. ("post.8a1...", "start_time: ...")."""


def run_key(raw: object) -> str | None:
    """A run id as canonical UUID text, or None when it is not a UUID."""
    if isinstance(raw, str):
        if is_canonical(raw):
            return raw
        try:
            return str(uuid.UUID(raw))
        except ValueError:
            return None
    if isinstance(raw, uuid.UUID):
        return str(raw)
    return None


def run_problem(
    run: Mapping[str, Any],
    *,
    post: bool,
    need_ids: bool,
    known: Mapping[str, str | None] | None = None,
) -> str | None:
    """Why a run dict (a post, or a patch when `post` is False) cannot be taken, or None.

    `need_ids`: the batch paths (multipart, batch) require `trace_id` and `dotted_order`, as
    LangSmith does; the single-run path lets the server derive them. `known`: id texts
    already read as `run_key` reads them (a trace's runs name their root again and again)."""
    known = known or _NO_IDS
    required: tuple[str, ...] = (
        (_POSTED_IDS if post else _IDS) if need_ids else (_POSTED if post else ())
    )
    get = run.get
    for name in required:
        value = get(name)
        if value is None or value == "":  # (`in (None, "")` compares with None: 3x slower)
            extra = " (required by batch ingestion)" if name in _IDS else ""
            return f"missing required field {name!r}{extra}"
    # One pass over the fields present, each checked by its kind (every run has ~15).
    # (a text or object of its exact type, most fields, passes on the first test)
    for name, value in run.items():
        kind = _KINDS.get(name)
        if kind is None or value is None or type(value) is kind:
            continue
        if kind == _ID:
            if (type(value) is not str or known.get(value) is None) and run_key(value) is None:
                return f"{name} is not a UUID: {value!r}"
        elif kind == _TIME:
            try:
                parse_datetime(value)
            except (TypeError, ValueError, OverflowError) as exc:
                return f"{name}: {exc}"
        elif kind == _TAGS:
            if type(value) is not list or not _all_of(str, value):
                return "tags must be a list of strings"
        elif kind == _RUN_TYPE:
            if value not in RUN_TYPES:
                types = ", ".join(sorted(RUN_TYPES))
                return f"invalid run_type {value!r}; expected one of {types}"
        elif kind == _EVENTS:
            if type(value) is not list or not _all_of(dict, value):
                return "events must be a list of objects"
        elif kind is str:
            return f"{name} must be a string, got {type(value).__name__}"
        else:
            return f"{name} must be an object, got {type(value).__name__}"
    return None


def _all_of(kind: type, values: list[Any]) -> bool:
    """Whether every value is of exactly this type (a loop: `all()` of a generator costs
    twice as much on the one or two events or tags a run has)."""
    for value in values:
        if type(value) is not kind:
            break
    else:
        return True
    return False


def feedback_problem(feedback: object) -> str | None:
    """Why a feedback dict cannot be taken, or None."""
    if not isinstance(feedback, dict):
        return f"feedback must be an object, got {type(feedback).__name__}"
    key = feedback.get("key")
    if not isinstance(key, str) or not key:
        return "feedback needs a key (a non-empty string)"
    if feedback.get("run_id") is None:
        return "feedback without a run_id (project-level feedback) has no run to go with"
    if run_key(feedback["run_id"]) is None:
        return f"run_id is not a UUID: {feedback['run_id']!r}"
    if feedback.get("id") is not None and run_key(feedback["id"]) is None:
        return f"id is not a UUID: {feedback['id']!r}"
    score = feedback.get("score")
    if score is not None and not isinstance(score, (int, float)):
        return f"score must be a number or a boolean, got {type(score).__name__}"
    return None


# --- one request shape each ---------------------------------------------------------------


def from_run(value: object, kind: int, *, path_id: str | None = None) -> Read:
    """`POST /runs` (kind POST) or `PATCH /runs/{id}` (kind PATCH, `path_id` from the path)."""
    read = Read()
    where = KIND_NAMES[kind]
    if not isinstance(value, dict):
        read.rejected.append((where, f"a run must be a JSON object, got {type(value).__name__}"))
        return read
    if path_id is not None:
        if value.get("id") is not None and run_key(value["id"]) != path_id:
            read.rejected.append((where, f"the body's id {value['id']!r} is not the path's"))
            return read
        value["id"] = path_id
    _take_run(read, value, kind, where, need_ids=False)
    return read


def from_batch(value: object) -> Read:
    """`/runs/batch`: `{"post": [...], "patch": [...]}`."""
    read = Read()
    if not isinstance(value, dict):
        read.rejected.append(("body", 'expected {"post": [...], "patch": [...]}'))
        return read
    for kind, key in ((POST, "post"), (PATCH, "patch")):
        runs = value.get(key) or []
        if not isinstance(runs, list):
            read.rejected.append((key, f"{key} must be a list of runs"))
            continue
        for index, run in enumerate(runs):
            where = f"{key}[{index}]"
            if not isinstance(run, dict):
                read.rejected.append((where, "a run must be a JSON object"))
                continue
            _take_run(read, run, kind, where, need_ids=True)
    return read


def from_feedback(value: object) -> Read:
    """`POST /feedback`, or one `feedback.<id>` part."""
    read = Read()
    _take_feedback(read, value, "feedback")
    return read


def from_parts(parts: Iterable[Part]) -> Read:
    """`/runs/multipart`: parts grouped by run, their JSON read, every run checked."""
    read = Read()
    groups: dict[tuple[int, str], dict[str | None, bytes]] = {}
    bad: set[tuple[int, str]] = set()
    attachments: list[tuple[str, str, str, bytes]] = []
    keys: dict[str, str | None] = {}  # raw id text -> canonical (a run's parts repeat it)
    # The SDKs send a run's parts one after the other (`post.<id>`, `post.<id>.inputs`...):
    # while names keep the last run part's `<event>.<id>`, its group is the one.
    prefix = "\0"  # no name starts with it
    cut = 1
    kind = POST
    key = ""
    group: dict[str | None, bytes] = {}
    for part in parts:
        name, media, data = part
        if name.startswith(prefix) and (len(name) == cut or name[cut] == "."):
            field_name = name[cut + 1 :]
        else:
            event, _, rest = name.partition(".")
            found_kind = POST if event == "post" else PATCH if event == "patch" else None
            if found_kind is None:
                if event == "feedback":
                    _take_feedback_part(read, part)
                elif event == "attachment":
                    _take_attachment(read, attachments, part, rest)
                else:
                    read.rejected.append((name, "not a part name LangSmith ingestion knows"))
                continue
            raw_id, _, field_name = rest.partition(".")
            found_key = keys.get(raw_id, "")
            if found_key == "":
                found_key = keys[raw_id] = run_key(raw_id)
            if found_key is None:
                read.rejected.append((name, "not a part name LangSmith ingestion knows"))
                continue
            kind, key = found_kind, found_key
            found_group = groups.get((kind, key))
            if found_group is None:
                found_group = groups[(kind, key)] = {}
            group = found_group
            prefix = f"{event}.{raw_id}"
            cut = len(prefix)
        field: str | None = field_name or None
        if field is not None and field not in OUT_OF_BAND:
            read.rejected.append((name, f"unknown run field {field!r}"))
            bad.add((kind, key))
        elif field in group:
            read.rejected.append((name, "the same part twice in one request"))
            bad.add((kind, key))
        elif media not in _JSON_TYPES:
            read.rejected.append((name, f"must be application/json, got {media}"))
            bad.add((kind, key))
        else:
            group[field] = data
    for (kind, key), group in groups.items():
        if (kind, key) not in bad:
            _take_group(read, kind, key, group, keys)
    for key, filename, media, data in attachments:
        read.items.append((ATTACHMENT, key, (filename, media, data)))
    return read


def _take_attachment(
    read: Read, attachments: list[tuple[str, str, str, bytes]], part: Part, rest: str
) -> None:
    raw_id, _, filename = rest.partition(".")
    key = run_key(raw_id)
    if key is None or not filename or "." in filename:
        read.rejected.append(
            (part.name, "expected attachment.<run id>.<name>, the name without dots")
        )
        return
    attachments.append((key, filename, part.media_type or "application/octet-stream", part.data))


def _take_group(
    read: Read, kind: int, key: str, group: dict[str | None, bytes], known: Mapping[str, str | None]
) -> None:
    main = group.pop(None, None)
    if main is None:
        where = f"{KIND_NAMES[kind]}.{key}"
        read.rejected.append((where, f"fields {sorted(n for n in group if n)} without {where}"))
        return
    try:
        run = loads(main)
        if type(run) is not dict:
            read.rejected.append((f"{KIND_NAMES[kind]}.{key}", "a run must be a JSON object"))
            return
        for name, data in group.items():
            if name in run:
                read.rejected.append(
                    (f"{KIND_NAMES[kind]}.{key}", f"{name} sent both inline and as a part")
                )
                return
            run[name] = loads(data)
    except orjson.JSONDecodeError as exc:
        read.rejected.append((f"{KIND_NAMES[kind]}.{key}", f"not valid JSON: {exc}"))
        return
    found = run.get("id")
    if found is not None and found != key and run_key(found) != key:
        read.rejected.append((f"{KIND_NAMES[kind]}.{key}", f"the part holds run id {found!r}"))
        return
    run["id"] = key
    reason = run_problem(run, post=kind == POST, need_ids=True, known=known)
    if reason is not None:
        read.rejected.append((f"{KIND_NAMES[kind]}.{key}", reason))
        return
    read.items.append((kind, key, run))


def _take_run(read: Read, run: dict[str, Any], kind: int, where: str, *, need_ids: bool) -> None:
    key = run_key(run.get("id"))
    if key is None:
        read.rejected.append((where, f"id is missing or not a UUID: {run.get('id')!r}"))
        return
    reason = run_problem(run, post=kind == POST, need_ids=need_ids)
    if reason is not None:
        read.rejected.append((where, reason))
        return
    run["id"] = key
    read.items.append((kind, key, run))


def _take_feedback_part(read: Read, part: Part) -> None:
    try:
        value = orjson.loads(part.data)
    except orjson.JSONDecodeError as exc:
        read.rejected.append((part.name, f"not valid JSON: {exc}"))
        return
    _take_feedback(read, value, part.name)


def _take_feedback(read: Read, value: object, where: str) -> None:
    reason = feedback_problem(value)
    if reason is not None:
        read.rejected.append((where, reason))
        return
    assert isinstance(value, dict)
    key = run_key(value["run_id"])
    assert key is not None
    value["run_id"] = key
    value["id"] = run_key(value.get("id")) or str(uuid.uuid4())
    read.items.append((FEEDBACK, key, value))
