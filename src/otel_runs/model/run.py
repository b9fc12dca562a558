"""`Run`: one LangSmith run, one field per field of the run data format.

`to_dict()` gives exactly the run-format field names, JSON-ready: UUIDs as strings, datetimes as
ISO 8601 UTC with six fractional digits, costs as decimal strings. `from_dict()` reads LangSmith's
API and export JSON (ISO strings with `Z`, an offset or none; epoch numbers; aliases such as
`input_tokens`); keys outside the format are kept in `unmapped`, so nothing read is lost.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Final, TypeVar
from uuid import UUID, SafeUUID

from otel_runs.dotted_order import datetime_to_us, us_to_datetime
from otel_runs.errors import InvalidRunError
from otel_runs.model.run_reader import MAX_KEYS, reader_for

JsonDict = dict[str, Any]


@dataclass(slots=True)
class Run:
    """A LangSmith run. Field order and names follow the run data format."""

    id: UUID
    name: str
    run_type: str
    start_time: datetime
    trace_id: UUID
    dotted_order: str
    inputs: JsonDict = field(default_factory=dict)
    end_time: datetime | None = None
    extra: JsonDict = field(default_factory=dict)
    error: str | None = None
    outputs: JsonDict | None = None
    events: list[JsonDict] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    status: str = "success"
    child_run_ids: list[UUID] = field(default_factory=list)
    direct_child_run_ids: list[UUID] = field(default_factory=list)
    parent_run_ids: list[UUID] = field(default_factory=list)
    feedback_stats: JsonDict | None = None
    reference_example_id: UUID | None = None
    total_tokens: int | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_cost: Decimal | None = None
    prompt_cost: Decimal | None = None
    completion_cost: Decimal | None = None
    first_token_time: datetime | None = None
    session_id: str | None = None
    in_dataset: bool | None = None
    parent_run_id: UUID | None = None
    execution_order: int | None = None
    serialized: JsonDict | None = None
    manifest_id: UUID | None = None
    manifest_s3_id: UUID | None = None
    inputs_s3_urls: JsonDict | None = None
    outputs_s3_urls: JsonDict | None = None
    price_model_id: UUID | None = None
    app_path: str | None = None
    last_queued_at: datetime | None = None
    share_token: str | None = None
    unmapped: JsonDict = field(default_factory=dict)
    """Keys read by from_dict that are not run-format fields (session_name, token details...)."""

    @property
    def metadata(self) -> JsonDict:
        """`extra["metadata"]`, created on first use."""
        meta = self.extra.get("metadata")
        if not isinstance(meta, dict):
            meta = self.extra["metadata"] = {}
        return meta

    def to_dict(self) -> JsonDict:
        """JSON-ready dict with exactly the run-format field names, in the format's order."""
        # Written out field by field: a table-driven loop cost twice as much, and this is on
        # every run's way to a sink. tests/test_run_model.py checks it against FIELD_KINDS.
        return {
            "id": str(self.id),
            "name": self.name,
            "inputs": self.inputs,
            "run_type": self.run_type,
            "start_time": format_datetime(self.start_time),
            "end_time": _enc_datetime(self.end_time),
            "extra": self.extra,
            "error": self.error,
            "outputs": self.outputs,
            "events": _stored_list(_events_of(self)),
            "tags": _stored_list(_tags_of(self)),
            "trace_id": str(self.trace_id),
            "dotted_order": self.dotted_order,
            "status": self.status,
            "child_run_ids": [str(item) for item in _child_run_ids_of(self) or ()],
            "direct_child_run_ids": [str(item) for item in _direct_child_run_ids_of(self) or ()],
            "parent_run_ids": [str(item) for item in _parent_run_ids_of(self) or ()],
            "feedback_stats": self.feedback_stats,
            "reference_example_id": _enc_str(self.reference_example_id),
            "total_tokens": self.total_tokens,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_cost": _enc_str(self.total_cost),
            "prompt_cost": _enc_str(self.prompt_cost),
            "completion_cost": _enc_str(self.completion_cost),
            "first_token_time": _enc_datetime(self.first_token_time),
            "session_id": self.session_id,
            "in_dataset": self.in_dataset,
            "parent_run_id": _enc_str(self.parent_run_id),
            "execution_order": self.execution_order,
            "serialized": self.serialized,
            "manifest_id": _enc_str(self.manifest_id),
            "manifest_s3_id": _enc_str(self.manifest_s3_id),
            "inputs_s3_urls": self.inputs_s3_urls,
            "outputs_s3_urls": self.outputs_s3_urls,
            "price_model_id": _enc_str(self.price_model_id),
            "app_path": self.app_path,
            "last_queued_at": _enc_datetime(self.last_queued_at),
            "share_token": self.share_token,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Run:
        """A Run from LangSmith API or export JSON; raises InvalidRunError naming a bad field."""
        return cls(**_read(data, _READERS))


# --- containers made on first read ----------------------------------------------------------
#
# A converted batch returns thousands of runs, and most of their list fields are empty (no
# events, no tags, a leaf's children, a root's parents), as is `unmapped`. Each empty container
# is one more object that counts towards the next garbage collection and is walked by every
# full one while the runs live: ~2-4 us a span of the public API on the AMD host
# (docs/benchmarks.md). So a run built by the engine (`new_run`) leaves an empty list field and
# `unmapped` None, and the field's first read makes and keeps the container: callers get one of
# their own to change, as before. (A None a caller stores in one reads back as a new empty
# container too.)

_Container = TypeVar("_Container", list[Any], dict[str, Any])


def _made_on_first_read(
    name: str, make: Callable[[], _Container]
) -> Callable[[Run], _Container | None]:
    """Turns `Run.<name>` into a property over its slot that replaces None by `make()` on the
    first read; returns the slot's raw reader (None or the container), for `to_dict`."""
    slot = Run.__dict__[name]  # the slot's member descriptor, made by @dataclass(slots=True)
    raw: Callable[[Run], _Container | None] = slot.__get__
    store = slot.__set__

    def read(run: Run) -> _Container:
        value = raw(run)
        if value is None:
            value = make()
            store(run, value)
        return value

    setattr(Run, name, property(read, store, doc=f"The run's {name}."))
    return raw


def _new_dict() -> JsonDict:
    return {}


_events_of: Final = _made_on_first_read("events", list)
_tags_of: Final = _made_on_first_read("tags", list)
_child_run_ids_of: Final = _made_on_first_read("child_run_ids", list)
_direct_child_run_ids_of: Final = _made_on_first_read("direct_child_run_ids", list)
_parent_run_ids_of: Final = _made_on_first_read("parent_run_ids", list)
_made_on_first_read("unmapped", _new_dict)


def _stored_list(value: list[Any] | None) -> list[Any]:
    return [] if value is None else value


def id_lists_empty(run: Run) -> bool:
    """Whether the run's child, direct child and parent id lists are all empty, read without
    making them (cheaper than three property reads, for runs -> spans' shape check)."""
    return not (_child_run_ids_of(run) or _direct_child_run_ids_of(run) or _parent_run_ids_of(run))


new_run: Final[Callable[..., Run]] = Run
"""`Run(...)` for the engine, which may pass None for an empty list field (events, tags and the
id lists) or `unmapped`: the container is made on the field's first read (see above). Typed
loosely for that."""


def run_sharing_input(data: Mapping[str, Any]) -> Run:
    """`Run.from_dict(data)`, except that the run holds the input's own dicts and lists
    (inputs, outputs, extra, events...) instead of copies: for code that reads a run once,
    changes nothing in it and lets it go (runs -> spans), which saves a copy of each.

    A dict is read by the reader compiled for its key sequence (`run_reader.py`): the same run,
    or the same refusal."""
    if type(data) is dict and len(data) <= MAX_KEYS:
        reader = reader_for(tuple(data))
        if reader is not None:
            return reader(data)
    return Run(**_read(data, _SHARING_READERS))


def _read(data: Mapping[str, Any], readers: _Readers) -> dict[str, Any]:
    """Run constructor arguments from run JSON (see from_dict)."""
    if type(data) is not dict and not isinstance(data, Mapping):  # (the ABC check costs more)
        raise InvalidRunError(f"a run must be a JSON object, got {type(data).__name__}")
    # One walk over the input's keys with one table lookup each (field name, decoder, and
    # whether the key is an alias). A null is the field's default, so it is simply not passed
    # on (and a null alias never hides the field's value).
    values: dict[str, Any] = {}
    unmapped: JsonDict = {}
    for key, raw in data.items():
        reader = readers.get(key)
        if reader is None:
            unmapped[key] = raw
            continue
        name, decode, alias, as_is = reader
        if alias and data.get(name) is not None:
            unmapped[key] = raw  # the field itself is given: the alias is kept as read
            continue
        if raw is None:
            continue
        if type(raw) is as_is:
            values[name] = raw  # (text given as text...): what the decoder would return
            continue
        try:
            values[name] = decode(raw)
        except (TypeError, ValueError, InvalidOperation, OverflowError) as exc:
            raise InvalidRunError(f"field {key!r}: {exc}") from exc
    for required in _REQUIRED:
        if required not in values:
            raise InvalidRunError(f"field {required!r} is required")
    if "trace_id" not in values:
        values["trace_id"] = values["id"]
    if not values.get("dotted_order"):
        # Loaded roots sometimes come without one; a root's is derivable.
        from otel_runs.dotted_order import format_segment

        values["dotted_order"] = format_segment(datetime_to_us(values["start_time"]), values["id"])
    values["unmapped"] = unmapped
    return values


# --- field table: one entry per run-format field, in the format's order -----------------------

FIELD_KINDS: Final[dict[str, str]] = {
    "id": "uuid",
    "name": "str",
    "inputs": "dict",
    "run_type": "str",
    "start_time": "datetime",
    "end_time": "datetime",
    "extra": "dict",
    "error": "str",
    "outputs": "dict",
    "events": "list",
    "tags": "strlist",
    "trace_id": "uuid",
    "dotted_order": "str",
    "status": "str",
    "child_run_ids": "uuidlist",
    "direct_child_run_ids": "uuidlist",
    "parent_run_ids": "uuidlist",
    "feedback_stats": "dict",
    "reference_example_id": "uuid",
    "total_tokens": "int",
    "prompt_tokens": "int",
    "completion_tokens": "int",
    "total_cost": "decimal",
    "prompt_cost": "decimal",
    "completion_cost": "decimal",
    "first_token_time": "datetime",
    "session_id": "str",
    "in_dataset": "bool",
    "parent_run_id": "uuid",
    "execution_order": "int",
    "serialized": "dict",
    "manifest_id": "uuid",
    "manifest_s3_id": "uuid",
    "inputs_s3_urls": "dict",
    "outputs_s3_urls": "dict",
    "price_model_id": "uuid",
    "app_path": "str",
    "last_queued_at": "datetime",
    "share_token": "str",
}
"""Every field of the run data format and how it is encoded."""

RUN_FORMAT_FIELDS: Final = tuple(FIELD_KINDS)

_ALIASES: Final = {
    "input_tokens": "prompt_tokens",
    "output_tokens": "completion_tokens",
    "input_cost": "prompt_cost",
    "output_cost": "completion_cost",
}
_REQUIRED: Final = ("id", "name", "run_type", "start_time")

assert set(FIELD_KINDS) == {f.name for f in fields(Run)} - {"unmapped"}


_ISO_LENGTHS: Final = frozenset({19, 25, 26, 32})
"""Lengths of `YYYY-MM-DDTHH:MM:SS`, with `.ffffff`, `+HH:MM` or both."""
_fromisoformat: Final = datetime.fromisoformat


def format_datetime(value: datetime) -> str:
    """ISO 8601 in UTC with exactly six fractional digits."""
    tz = value.tzinfo
    if tz is timezone.utc:  # what this library builds: no conversion needed
        return value.isoformat(timespec="microseconds")
    if tz is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat(timespec="microseconds")


_PARSED: dict[str, datetime] = {}
"""Time texts of the fast path below, read lately: a run's times are read more than once on
their way through (the LangSmith API's door checks them, then the run is built from the same
texts), and a datetime is immutable, so one object serves every reading."""
_MAX_PARSED: Final = 4096


def parse_datetime(raw: object) -> datetime:
    """ISO 8601 (Z, offset or naive-as-UTC, 0-9 fractional digits) or epoch seconds/millis."""
    if type(raw) is str and len(raw) in _ISO_LENGTHS and raw[0].isdigit() and raw[-1].isdigit():
        found = _PARSED.get(raw)
        if found is not None:
            return found
        # The forms LangSmith and this library write (no `Z`, no fraction or six digits, an
        # offset or none, nothing to strip) go to fromisoformat as they are; this is what the
        # general path below would hand it too. Anything it refuses takes that path.
        try:
            value = _fromisoformat(raw)
        except ValueError:
            pass
        else:
            tz = value.tzinfo
            if tz is None:
                value = value.replace(tzinfo=timezone.utc)
            elif tz is not timezone.utc:
                value = value.astimezone(timezone.utc)
            if len(_PARSED) >= _MAX_PARSED:
                _PARSED.clear()
            _PARSED[raw] = value
            return value
    if isinstance(raw, datetime):
        return raw if raw.tzinfo else raw.replace(tzinfo=timezone.utc)
    if isinstance(raw, bool):
        raise TypeError("a time cannot be a boolean")
    if isinstance(raw, (int, float)):
        # Epoch numbers: the JS SDK uses milliseconds; anything past year 5138 in seconds is ms.
        us = int(raw * 1000) if abs(raw) > 1e11 else int(raw * 1_000_000)
        return us_to_datetime(us)
    if not isinstance(raw, str):
        raise TypeError(f"a time must be a string or number, got {type(raw).__name__}")
    text = raw.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    # Python < 3.11 takes only 3 or 6 fractional digits: normalize to 6 (truncating nanoseconds).
    head, dot, rest = text.partition(".")
    if dot:
        digits = len(rest) - len(rest.lstrip("0123456789"))
        frac, tail = rest[:digits], rest[digits:]
        text = f"{head}.{(frac + '000000')[:6]}{tail}"
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


_UUIDS: dict[str, UUID] = {}
"""UUID texts already read: the runs of a trace repeat their trace and parent ids."""
_TEXTS: dict[int, str] = {}
"""The other way: canonical texts of UUIDs read or written lately."""
_MAX_UUIDS: Final = 4096
"""Enough for a batch of runs read, then written (the LangSmith API's outbox sends 500)."""


def _dec_uuid(raw: object) -> UUID | None:
    if raw is None:
        return None
    if isinstance(raw, UUID):
        return raw
    if not isinstance(raw, str):
        raise TypeError(f"expected a UUID string, got {type(raw).__name__}")
    found = _UUIDS.get(raw)
    if found is None:
        # UUIDs are immutable, so one object may serve every run.
        found = parse_uuid(raw)
        if _canonical(raw) is not None:  # str(found) will be raw: remember that too
            _remember_text(found.int, raw)
        if len(_UUIDS) >= _MAX_UUIDS:
            _UUIDS.clear()
        _UUIDS[raw] = found
    return found


_canonical: Final = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
).fullmatch
"""The text str(UUID) writes."""
_new_object: Final = object.__new__


def _slot_setter(name: str) -> Callable[[UUID, Any], None]:
    """How to set one of UUID's slots (object.__setattr__, should a Python version have none)."""
    slot = UUID.__dict__.get(name)
    setter = getattr(slot, "__set__", None)
    if setter is None:
        return lambda value, field: _set_slot(value, name, field)
    return setter  # type: ignore[no-any-return]


_set_slot: Final = object.__setattr__
_set_int: Final = _slot_setter("int")
_set_is_safe: Final = _slot_setter("is_safe")
_UNKNOWN_SAFETY: Final = SafeUUID.unknown
"""(An enum member read through its class costs a property call, ~0.5 us, on Python 3.11.)"""


def _uuid_of_int(number: int) -> UUID:
    """`UUID(int=number)` for a number read from canonical text (so in range): the two slots
    `UUID.__init__` sets (through their slot descriptors), without its argument parsing,
    which costs as much again."""
    value: UUID = _new_object(UUID)
    _set_int(value, number)
    _set_is_safe(value, _UNKNOWN_SAFETY)
    return value


def _fast_uuid_works() -> bool:
    """Whether `_uuid_of_int` makes the very UUID the constructor makes (checked once, in
    case a Python version stores UUIDs differently)."""
    sample = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
    try:
        made = _uuid_of_int(int(sample.replace("-", ""), 16))
        reference = UUID(sample)
        return (
            made == reference
            and hash(made) == hash(reference)
            and str(made) == sample
            and made.is_safe is reference.is_safe
        )
    except (AttributeError, TypeError):
        return False


_FAST_UUID: Final = _fast_uuid_works()


_UUID_DIGITS: Final = 32


def parse_uuid(text: str) -> UUID:
    """`UUID(text)`, the same value or the same ValueError, about twice as fast for the texts
    ids come as (32 hex digits, hyphens anywhere): `UUID()` itself strips the hyphens and
    reads the rest with `int(hex, 16)`; only its other forms (braces, `urn:uuid:`) and its
    errors take the constructor."""
    digits = text.replace("-", "")
    if _FAST_UUID and len(digits) == _UUID_DIGITS:
        try:
            return _uuid_of_int(int(digits, 16))
        except ValueError:
            pass
    return UUID(text)


def _remember_text(number: int, text: str) -> None:
    if len(_TEXTS) >= _MAX_UUIDS:
        _TEXTS.clear()
    _TEXTS[number] = text


def uuid_text(value: UUID) -> str:
    """`str(value)`, remembered for a while (formatting a UUID costs ten dictionary look-ups):
    runs of a trace repeat the trace id and parent ids, and a run read from JSON gives its
    own id's text."""
    number = value.int
    found = _TEXTS.get(number)
    if found is None:
        found = str(value)
        _remember_text(number, found)
    return found


def _dec_str(raw: object) -> str | None:
    if raw is None or isinstance(raw, str):
        return raw
    if isinstance(raw, (int, float, UUID)) and not isinstance(raw, bool):
        return str(raw)
    raise TypeError(f"expected a string, got {type(raw).__name__}")


def _dec_dict(raw: object) -> JsonDict | None:
    if type(raw) is dict:
        return raw.copy()
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise TypeError(f"expected an object, got {type(raw).__name__}")
    return dict(raw)


def _dec_list(raw: object) -> list[Any] | None:
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise TypeError(f"expected a list, got {type(raw).__name__}")
    return list(raw)


def _dec_strlist(raw: object) -> list[str] | None:
    items = _dec_list(raw)
    return None if items is None else [str(item) for item in items]


def _dec_uuidlist(raw: object) -> list[UUID] | None:
    items = _dec_list(raw)
    return None if items is None else [UUID(str(item)) for item in items]


def _dec_int(raw: object) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise TypeError("expected an integer, got a boolean")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, str):
        return int(raw)
    raise TypeError(f"expected an integer, got {type(raw).__name__}")


def _dec_decimal(raw: object) -> Decimal | None:
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise TypeError("expected a number, got a boolean")
    if isinstance(raw, (int, str, Decimal)):
        return Decimal(raw)
    if isinstance(raw, float):
        return Decimal(repr(raw))
    raise TypeError(f"expected a number, got {type(raw).__name__}")


def _dec_bool(raw: object) -> bool | None:
    if raw is None or isinstance(raw, bool):
        return raw
    raise TypeError(f"expected a boolean, got {type(raw).__name__}")


def _dec_datetime(raw: object) -> datetime | None:
    return None if raw is None else parse_datetime(raw)


def _enc_plain(value: Any) -> Any:
    return value


def _enc_str(value: Any) -> Any:
    return None if value is None else str(value)


def _enc_datetime(value: datetime | None) -> str | None:
    return None if value is None else format_datetime(value)


def _enc_uuidlist(value: list[UUID]) -> list[str]:
    return [str(item) for item in value]


_DECODERS: Final[dict[str, Callable[[Any], Any]]] = {
    "uuid": _dec_uuid,
    "str": _dec_str,
    "dict": _dec_dict,
    "list": _dec_list,
    "strlist": _dec_strlist,
    "uuidlist": _dec_uuidlist,
    "int": _dec_int,
    "decimal": _dec_decimal,
    "bool": _dec_bool,
    "datetime": _dec_datetime,
}
_Readers = dict[str, tuple[str, Callable[[Any], Any], bool, type | None]]
# Values of these exact types are what the decoder of their kind returns them as.
_AS_IS: Final[dict[str, type]] = {"str": str, "uuid": UUID, "int": int, "bool": bool}
_READERS: Final[_Readers] = {
    **{name: (name, _DECODERS[kind], False, _AS_IS.get(kind))
       for name, kind in FIELD_KINDS.items()},
    **{alias: (name, _DECODERS[FIELD_KINDS[name]], True, _AS_IS.get(FIELD_KINDS[name]))
       for alias, name in _ALIASES.items()},
}  # fmt: skip
"""Input key (field name or alias) -> field name, decoder, alias or not, and the type taken as
it is."""


def _share_strlist(raw: object) -> list[str] | None:
    if type(raw) is list:
        for item in raw:  # (a loop: all() and a generator cost more on one or two tags)
            if type(item) is not str:
                break
        else:
            return raw
    return _dec_strlist(raw)


_SHARED_AS_IS: Final[dict[str, type]] = {**_AS_IS, "dict": dict, "list": list}
_SHARING_READERS: Final[_Readers] = {
    key: (name, _share_strlist if decode is _dec_strlist else decode, alias,
          _SHARED_AS_IS.get(FIELD_KINDS[name]))
    for key, (name, decode, alias, _) in _READERS.items()
}  # fmt: skip
"""`_READERS` for run_sharing_input: containers are taken as they are."""

_ENCODERS: Final[dict[str, Callable[[Any], Any]]] = {
    "uuid": _enc_str,
    "str": _enc_plain,
    "dict": _enc_plain,
    "list": _enc_plain,
    "strlist": _enc_plain,
    "uuidlist": _enc_uuidlist,
    "int": _enc_plain,
    "decimal": _enc_str,
    "bool": _enc_plain,
    "datetime": _enc_datetime,
}
