"""What a run that came from a span kept of it: `extra.metadata.otel` and the `otel_*` ids.

spans -> runs keeps a span's kind, exact times, scope, resource, status, links, the attributes
no convention consumed, and its OTel ids (`convert/leftovers.py`); it also keeps the
original span name and event times when they cannot be read off the run. This module reads
that namespace back, tolerantly: a part with the wrong shape is ignored (and the run's own
fields are used instead), a namespace without its times or kind means the run did not come
from a span.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from otel_runs.conventions import langsmith as ls
from otel_runs.convert.leftovers import EVENT_TIMES, SPAN_NAME
from otel_runs.model.span_record import AttributeValue, LinkRecord, new_link_record
from otel_runs.runs_to_spans.ids import parse_hex_id
from otel_runs.runs_to_spans.values import any_value

SPAN_KINDS: Final = frozenset({"INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER"})
STATUS_CODES: Final = frozenset({"UNSET", "OK", "ERROR"})

# Keys of the namespace (written by convert/leftovers.py, which also defines SPAN_NAME and
# EVENT_TIMES).
KIND: Final = "kind"
START_NS: Final = "start_time_unix_nano"
END_NS: Final = "end_time_unix_nano"
SCOPE: Final = "scope"
STATUS: Final = "status"
ATTRIBUTES: Final = "attributes"
RESOURCE: Final = "resource"
LINKS: Final = "links"
DROPPED: Final = "dropped"
PARENT_IS_REMOTE: Final = "parent_is_remote"
TRACE_STATE: Final = "trace_state"

OTEL_ID_KEYS: Final = (ls.META_OTEL_TRACE_ID, ls.META_OTEL_SPAN_ID, ls.META_OTEL_PARENT_SPAN_ID)


@dataclass(frozen=True, slots=True)
class Origin:
    """The span a run came from, as far as the run remembers it."""

    kind: str
    start_ns: int
    end_ns: int
    scope_name: str = ""
    scope_version: str = ""
    status_code: str = "UNSET"
    status_message: str = ""
    attributes: dict[str, AttributeValue] = field(default_factory=dict)
    resource: dict[str, AttributeValue] = field(default_factory=dict)
    links: tuple[LinkRecord, ...] = ()
    dropped_attributes: int = 0
    dropped_events: int = 0
    dropped_links: int = 0
    parent_is_remote: bool = False
    trace_state: str = ""
    event_times: tuple[int, ...] | None = None
    span_name: str | None = None


@dataclass(frozen=True, slots=True)
class KeptIds:
    """The OTel ids spans -> runs kept in metadata (None when absent or malformed)."""

    trace_id: int | None
    span_id: int | None
    parent_span_id: int | None


def kept_ids(metadata: Mapping[str, Any]) -> KeptIds:
    """`otel_trace_id`, `otel_span_id`, `otel_parent_span_id` of a run's metadata."""
    return KeptIds(
        parse_hex_id(metadata.get(ls.META_OTEL_TRACE_ID), 128),
        parse_hex_id(metadata.get(ls.META_OTEL_SPAN_ID), 64),
        parse_hex_id(metadata.get(ls.META_OTEL_PARENT_SPAN_ID), 64),
    )


def _int(value: object) -> int | None:
    return value if type(value) is int and value >= 0 else None


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _attributes(value: object) -> dict[str, AttributeValue]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k): any_value(v) for k, v in value.items()}


def _links(value: object) -> tuple[LinkRecord, ...]:
    if not isinstance(value, list):
        return ()
    links = []
    for item in value:
        if not isinstance(item, Mapping):
            continue
        trace_id = parse_hex_id(item.get("trace_id"), 128)
        span_id = parse_hex_id(item.get("span_id"), 64)
        if trace_id is None or span_id is None:
            continue
        links.append(new_link_record(trace_id, span_id, _attributes(item.get(ATTRIBUTES))))
    return tuple(links)


def _event_times(value: object) -> tuple[int, ...] | None:
    if not isinstance(value, list) or not all(_int(t) is not None for t in value):
        return None
    return tuple(value)


def origin_of(metadata: Mapping[str, Any]) -> Origin | None:
    """The span the run came from, or None when it did not (no usable `otel` namespace)."""
    space = metadata.get(ls.META_OTEL)
    if not isinstance(space, Mapping):
        return None
    kind, start, end = space.get(KIND), _int(space.get(START_NS)), _int(space.get(END_NS))
    if kind not in SPAN_KINDS or start is None or end is None:
        return None
    scope = space.get(SCOPE)
    scope = scope if isinstance(scope, Mapping) else {}
    status = space.get(STATUS)
    status = status if isinstance(status, Mapping) else {}
    code = status.get("code")
    dropped = space.get(DROPPED)
    dropped = dropped if isinstance(dropped, Mapping) else {}
    span_name = space.get(SPAN_NAME)
    return Origin(
        kind=str(kind),
        start_ns=start,
        end_ns=end,
        scope_name=_str(scope.get("name")),
        scope_version=_str(scope.get("version")),
        status_code=code if isinstance(code, str) and code in STATUS_CODES else "UNSET",
        status_message=_str(status.get("message")),
        attributes=_attributes(space.get(ATTRIBUTES)),
        resource=_attributes(space.get(RESOURCE)),
        links=_links(space.get(LINKS)),
        dropped_attributes=_int(dropped.get("attributes")) or 0,
        dropped_events=_int(dropped.get("events")) or 0,
        dropped_links=_int(dropped.get("links")) or 0,
        parent_is_remote=space.get(PARENT_IS_REMOTE) is True,
        trace_state=_str(space.get(TRACE_STATE)),
        event_times=_event_times(space.get(EVENT_TIMES)),
        span_name=span_name if isinstance(span_name, str) else None,
    )
