"""Run context across processes, in LangSmith's own header convention.

`LangSmithPropagator` injects `langsmith-trace: <dotted_order of the current run>` and
`langsmith-project` / `langsmith-metadata` (thread and user ids) as W3C baggage members, exactly
as the `langsmith` SDK's `RunTree.to_headers()` does, and extracts the same (from our services
or from the SDK's). A `RunSpanProcessor` in the receiving service then continues the caller's run
tree: its server span becomes a child of the caller's run, in the caller's trace and project.
Combine it with the W3C trace-context propagator (see `configure(propagate=True)`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from opentelemetry import trace
from opentelemetry.context import Context, create_key, get_value, set_value
from opentelemetry.propagators.textmap import (
    CarrierT,
    Getter,
    Setter,
    TextMapPropagator,
    default_getter,
    default_setter,
)

from otel_runs.conventions import langsmith as ls
from otel_runs.dotted_order import parse
from otel_runs.errors import DottedOrderError

_logger = logging.getLogger(__name__)
_CONTEXT_KEY = create_key("otel-runs-remote-run")
_META_KEYS = (ls.META_THREAD_ID, ls.META_USER_ID)


@dataclass(frozen=True, slots=True)
class RemoteRun:
    """The caller's run, as received in headers."""

    dotted_order: str
    segment_us: int
    trace_id: str
    project: str | None = None
    metadata: tuple[tuple[str, str], ...] = ()


def remote_run(context: Context | None) -> RemoteRun | None:
    """The caller's run extracted into this context, if any."""
    value = get_value(_CONTEXT_KEY, context)
    return value if isinstance(value, RemoteRun) else None


def _baggage_members(header: str) -> dict[str, str]:
    members = {}
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if sep:
            members[key.strip()] = value.split(";")[0].strip()
    return members


class LangSmithPropagator(TextMapPropagator):
    """`langsmith-trace` + LangSmith baggage members, interoperable with the langsmith SDK."""

    @property
    def fields(self) -> set[str]:
        return {ls.HEADER_TRACE, ls.HEADER_BAGGAGE}

    def inject(
        self,
        carrier: CarrierT,
        context: Context | None = None,
        setter: Setter[CarrierT] = default_setter,
    ) -> None:
        span = trace.get_current_span(context)
        attributes: Any = getattr(span, "attributes", None) or {}
        dotted = attributes.get(ls.SPAN_DOTTED_ORDER)
        if not isinstance(dotted, str):
            return
        setter.set(carrier, ls.HEADER_TRACE, dotted)
        members = []
        project = attributes.get(ls.SESSION_NAME)
        if isinstance(project, str):
            members.append(f"{ls.BAGGAGE_PROJECT}={quote(project)}")
        meta = {
            key: str(value)
            for key in _META_KEYS
            if (value := attributes.get(ls.METADATA_PREFIX + key)) is not None
        }
        if meta:
            members.append(f"{ls.BAGGAGE_METADATA}={quote(json.dumps(meta))}")
        if members:
            existing = (
                carrier.get(ls.HEADER_BAGGAGE) if isinstance(carrier, MutableMapping) else None
            )
            value = ",".join([existing, *members] if existing else members)
            setter.set(carrier, ls.HEADER_BAGGAGE, value)

    def extract(
        self,
        carrier: CarrierT,
        context: Context | None = None,
        getter: Getter[CarrierT] = default_getter,
    ) -> Context:
        context = context if context is not None else Context()
        values = getter.get(carrier, ls.HEADER_TRACE)
        if not values:
            return context
        dotted = values[0].strip()
        try:
            segments = parse(dotted)
        except DottedOrderError:
            _logger.debug("ignoring a malformed %s header", ls.HEADER_TRACE)
            return context
        project = None
        metadata: dict[str, str] = {}
        for header in getter.get(carrier, ls.HEADER_BAGGAGE) or []:
            members = _baggage_members(header)
            if ls.BAGGAGE_PROJECT in members:
                project = unquote(members[ls.BAGGAGE_PROJECT])
            if ls.BAGGAGE_METADATA in members:
                try:
                    decoded = json.loads(unquote(members[ls.BAGGAGE_METADATA]))
                except ValueError:
                    decoded = None
                if isinstance(decoded, dict):
                    metadata.update({k: str(decoded[k]) for k in _META_KEYS if k in decoded})
        run = RemoteRun(
            dotted_order=dotted,
            segment_us=segments[-1].time_us,
            trace_id=str(segments[0].run_id),
            project=project,
            metadata=tuple(metadata.items()),
        )
        return set_value(_CONTEXT_KEY, run, context)
