"""The generated corpus: seeded groups of traces as `SpanRecord`s, in the order they are sent.

A group is 20 traces of 1-12 spans in one batch. Each trace has a flavor (one convention's
instrumentation, a mix of all, pure catalogue noise or plain spans), a random parent structure,
and sometimes the damage real pipelines do: a parent never sent, a dangling or cross-trace
parent, re-sent spans (identical or changed), parent cycles, invalid ids and times (rejected),
Logfire pending-span placeholders, stamped `langsmith.*` lineages (consistent or not).

Everything is a function of (SEED, group index, catalogue): fixed ids, times from 2025-2026,
no clock, no SDK-generated ids.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Final

from otel_runs.conventions import genai as g
from otel_runs.conventions import langsmith as ls
from otel_runs.conventions import otel
from otel_runs.conventions import pydantic_ai as pa
from otel_runs.model.span_record import AttributeValue, EventRecord, LinkRecord, SpanRecord
from tests.oracle import spans as sp
from tests.oracle import values as v
from tests.oracle.draw import Draw
from tests.oracle.keys import Catalogue

SEED: Final = 20_251_122
GROUPS: Final = 150
TRACES_PER_GROUP: Final = 20

MS: Final = 1_000_000
DAYS: Final = tuple(
    int(datetime(*day, tzinfo=timezone.utc).timestamp()) * 10**9
    for day in ((2025, 3, 1), (2025, 9, 1), (2026, 2, 1), (2026, 8, 1))
)  # fmt: skip
"""Days a group's traces start on (prices are versioned by day)."""
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=timezone.utc)

FOREIGN_KEYS: Final = ("http.request.method", "db.system", "app.tenant", "x.y.z", "custom",
                       "service.x", "gen_ai_x", "llm_x", "peer.service", "thread.id")  # fmt: skip
"""Keys no convention reads (near misses of GenAI prefixes included)."""
SIZES: Final = tuple(zip(range(1, 13), (2, 2, 3, 3, 3, 3, 2, 2, 1, 1, 1, 1), strict=True))
"""Spans per trace, weighted."""
FLAVOR_WEIGHTS: Final = (("genai", 6), ("openinference", 3), ("openllmetry", 2), ("langsmith", 3),
                         ("pydantic_ai", 3), ("deprecated", 2), ("mixed", 4), ("noise", 1),
                         ("plain", 1))  # fmt: skip


@dataclass(frozen=True, slots=True)
class Group:
    """One batch of generated traces."""

    index: int
    records: tuple[SpanRecord, ...]
    """In send order."""


def keep_some(record: SpanRecord) -> bool:
    """The keep predicate of the `predicate` paths: a deterministic two spans in three, and
    every CLIENT span."""
    return record.span_id % 3 != 0 or record.kind == "CLIENT"


def segment(us: int, run_id: str) -> str:
    """A dotted_order segment, written by strftime (not by the library under test)."""
    return (_EPOCH + timedelta(microseconds=us)).strftime("%Y%m%dT%H%M%S%fZ") + run_id


def run_id_text(span_id: int) -> str:
    digits = f"{span_id:032x}"
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


# --- one trace -------------------------------------------------------------------------------


@dataclass
class _Span:
    """A span being built (mutable until it becomes a record)."""

    trace_id: Any
    span_id: Any
    parent: int | None
    """Index of the parent span in the trace, when it has one there."""
    parent_span_id: Any
    body: sp.Body
    start_ns: Any
    end_ns: Any
    events: list[EventRecord]
    links: tuple[LinkRecord, ...] = ()
    parent_is_remote: bool | None = None
    trace_state: str = ""
    dropped: tuple[int, int, int] = (0, 0, 0)


def _body(d: Draw, flavor: str, root: bool, catalogue: Catalogue) -> sp.Body:
    if flavor == "noise" or (flavor == "mixed" and d.chance(0.1)):
        return sp.noise_span(d, catalogue.keys, catalogue.values)
    if flavor == "mixed":
        return sp.ROLES[d.pick(tuple(sp.ROLES))](d)
    roots, children = sp.FLAVORS[flavor]
    return sp.ROLES[d.weighted(roots if root else children)](d)


def _extras(d: Draw, body: sp.Body, catalogue: Catalogue) -> None:
    """What any span may carry besides its role: catalogue keys, foreign keys, errors, events."""
    a = body.attributes
    if d.chance(0.3):
        for key in d.some(catalogue.keys, d.between(1, 3)):
            a[key] = sp.catalogue_value(d, key, catalogue.values)
    if d.chance(0.25):
        for key in d.some(FOREIGN_KEYS, d.between(1, 2)):
            a[key] = v.any_value(d)
    if d.chance(0.1):
        sp.openinference_context(d, a)
    if d.chance(0.05):
        sp.first_token_extras(d, a)
    if d.chance(0.1):
        body.status = ("ERROR", d.pick(("", "boom", "rate limited", v.text(d))))
        if d.chance(0.5):
            a[otel.ERROR_TYPE] = d.pick(("TimeoutError", "RateLimitError", ""))
    elif d.chance(0.1):
        body.status = ("OK", "")
    if d.chance(0.07):
        exc: sp.Attrs = {otel.EXCEPTION_TYPE: d.pick(("ValueError", "KeyError", ""))}
        if d.chance(0.8):
            exc[otel.EXCEPTION_MESSAGE] = d.pick(("bad input", "Traceback (most recent call last)"))
        if d.chance(0.6):
            exc[otel.EXCEPTION_STACKTRACE] = d.pick(
                ("Traceback (most recent call last):\n  File x\nValueError: bad input", "bad input")
            )
        if d.chance(0.3):
            exc[otel.EXCEPTION_ESCAPED] = True
        body.events.append((otel.EVENT_EXCEPTION, d.pick(v.FRACTIONS), exc))
    if d.chance(0.12):
        for _ in range(d.between(1, 3)):
            name = d.pick((*catalogue.event_names, "log", "retry", "gen_ai.x_oracle"))
            attrs: sp.Attrs = {}
            for key in d.some(("content", "role", "message", "index", "k", g.INPUT_MESSAGES),
                              d.between(0, 2)):  # fmt: skip
                attrs[key] = v.any_value(d)
            body.events.append((name, d.pick((*v.FRACTIONS, -0.1, 1.5)), attrs))
    if d.chance(0.25):
        body.kind = d.weighted(sp.KINDS)
    if d.chance(0.015):  # a value past the 16,384 characters kept
        key = d.pick((g.INPUT_MESSAGES, g.PROMPT, "app.payload", *catalogue.keys))
        a[key] = v.long_text(d)


def _times(d: Draw, parent: _Span | None, base_ns: int) -> tuple[int, int]:
    """Start and end: whole milliseconds mostly, sometimes with sub-microsecond digits."""
    residue = d.below(1_000_000) if d.chance(0.3) else 0
    if parent is None:
        start = base_ns + residue
        return start, start + d.between(20, 5000) * MS + residue
    span_ms = max(0, (parent.end_ns - parent.start_ns) // MS)
    start = parent.start_ns + d.below(span_ms * 8 // 10 + 1) * MS + residue
    if d.chance(0.08):
        start = parent.start_ns - d.between(1, 5000) * 1000  # clock skew: before its parent
    if d.chance(0.02):
        start = parent.start_ns  # same microsecond as the parent
    left_ms = max(0, (parent.end_ns - start) // MS)
    duration = 0 if d.chance(0.05) else d.below(left_ms + 1) * MS
    return start, start + duration


def _events(d: Draw, body: sp.Body, start: int, end: int) -> list[EventRecord]:
    out = []
    for name, fraction, attrs in body.events:
        jitter = d.below(1000) if d.chance(0.2) else 0
        when = start + int((end - start) // MS * fraction) * MS + jitter
        out.append(EventRecord(name, when, attrs))
    if d.chance(0.15):  # not in time order
        out = d.shuffled(out)
    return out


def _link(d: Draw, ids: _Ids) -> LinkRecord:
    attrs: dict[str, AttributeValue] = {}
    if d.chance(0.5):
        attrs["link.kind"] = d.pick(("follows_from", 1, True))
    return LinkRecord(ids.trace(d), ids.span(d), attrs)


@dataclass(frozen=True, slots=True)
class _Ids:
    """A group's id space: most ids share the group's high bits (real ids are random, but the
    converter treats them as opaque, and shared bits keep the recording small); a few are fully
    random or tiny (leading zero bytes)."""

    span_high: int
    trace_high: int
    taken: set[int]

    def span(self, d: Draw) -> int:
        while True:
            roll = d.real()
            if roll < 0.02:
                span_id = d.between(1, 40)
            elif roll < 0.05:
                span_id = d.bits(64)
            else:
                span_id = self.span_high << 24 | d.bits(24)
            if span_id and span_id not in self.taken:
                self.taken.add(span_id)
                return span_id

    def trace(self, d: Draw) -> int:
        return (d.bits(128) if d.chance(0.05) else self.trace_high << 32 | d.bits(32)) or 1


def _sweep(body: sp.Body, index: int, catalogue: Catalogue) -> None:
    """Group `index`'s share of the catalogue (every GROUPS-th name), on one span: the corpus
    uses every name whatever the draws, however the catalogue grows."""
    a = body.attributes
    for key in catalogue.keys[index::GROUPS]:
        a.setdefault(key, f"{key} value")
    for number, name in enumerate(catalogue.values[index::GROUPS]):
        a[f"x_oracle.sweep.{number}"] = name
    for name in catalogue.event_names[index::GROUPS]:
        body.events.append((name, 0.5, {}))


def _build_trace(
    d: Draw, base_ns: int, catalogue: Catalogue, ids: _Ids, sweep: int | None = None
) -> tuple[str, list[_Span]]:
    flavor = d.weighted(FLAVOR_WEIGHTS)
    size = d.weighted(SIZES)
    trace_id = ids.trace(d)
    spans: list[_Span] = []
    for index in range(size):
        parent = None if index == 0 else (index - 1 if d.chance(0.4) else d.below(index))
        above = spans[parent] if parent is not None else None
        body = _body(d, flavor, index == 0, catalogue)
        _extras(d, body, catalogue)
        if sweep is not None and index == 0:
            _sweep(body, sweep, catalogue)
        start, end = _times(d, above, base_ns)
        span = _Span(
            trace_id=trace_id,
            span_id=ids.span(d),
            parent=parent,
            parent_span_id=above.span_id if above is not None else None,
            body=body,
            start_ns=start,
            end_ns=end,
            events=_events(d, body, start, end),
        )
        if d.chance(0.1):
            span.links = tuple(_link(d, ids) for _ in range(d.between(1, 2)))
        if d.chance(0.03):
            span.dropped = (d.between(0, 3), d.between(0, 2), d.between(0, 1))
        if d.chance(0.04):
            span.trace_state = "vendor=abc,other=1"
        if above is not None and d.chance(0.05):
            span.parent_is_remote = True
        elif above is not None:
            span.parent_is_remote = False
        spans.append(span)
    return flavor, spans


# --- stamped lineages ----------------------------------------------------------------------------


def _stamp(d: Draw, spans: list[_Span]) -> None:
    """`langsmith.*` lineages as a stamping processor writes them; some of them wrong."""
    dotted: dict[int, tuple[str, int]] = {}
    foreign = [v.uuid_text(d) for _ in range(d.between(0, 2))]
    for index, span in enumerate(spans):
        start_us = span.start_ns // 1000
        own = run_id_text(span.span_id)
        if span.parent is None:
            prefix = ".".join(
                segment(start_us - 1000 * (len(foreign) - i), f) for i, f in enumerate(foreign)
            )
            order = f"{prefix}.{segment(start_us, own)}" if prefix else segment(start_us, own)
            seg_us = start_us
        else:
            above, above_us = dotted[span.parent]
            seg_us = max(start_us, above_us)
            order = f"{above}.{segment(seg_us, own)}"
        dotted[index] = (order, seg_us)
    for index, span in enumerate(spans):
        if d.chance(0.2):
            continue  # not every span is stamped
        order = dotted[index][0]
        a = span.body.attributes
        segments = order.split(".")
        trace = segments[0][22:]
        parent = segments[-2][22:] if len(segments) > 1 else None
        damage = d.pick(("none",) * 6 + ("own", "parent", "time", "garbage", "root", "trace",
                                         "is_root", "span_id"))  # fmt: skip
        if damage == "own":
            order = order[:-36] + v.uuid_text(d)
        elif damage == "parent" and parent is not None:
            order = ".".join([*segments[:-2], segments[-2][:22] + v.uuid_text(d), segments[-1]])
        elif damage == "time" and len(segments) > 1:
            order = ".".join([*segments[:-1], segment(10**15, segments[-1][22:])])
        elif damage == "garbage":
            order = d.pick(("not-a-dotted-order", "", order[:-5], order + "."))
        elif damage == "root":
            parent = None
        elif damage == "trace":
            trace = v.uuid_text(d)
        elif damage == "is_root":
            a[ls.IS_ROOT if d.chance(0.5) else ls.ROOT_SPAN] = d.pick((True, "true", "False"))
        elif damage == "span_id":
            a[ls.SPAN_ID] = d.pick((v.uuid_text(d), "not-a-uuid"))
        a[ls.SPAN_DOTTED_ORDER] = order
        if d.chance(0.8):
            a[ls.TRACE_ID] = trace
        if parent is not None and d.chance(0.9):
            a[ls.SPAN_PARENT_ID] = parent
        if span.parent is None and not foreign and d.chance(0.3):
            a[ls.IS_ROOT] = True


# --- damage ---------------------------------------------------------------------------------------


def _record(span: _Span) -> SpanRecord:
    body = span.body
    return SpanRecord(
        trace_id=span.trace_id,
        span_id=span.span_id,
        parent_span_id=span.parent_span_id,
        name=body.name,
        start_ns=span.start_ns,
        end_ns=span.end_ns,
        attributes=body.attributes,
        events=tuple(span.events),
        links=span.links,
        kind=body.kind,
        status_code=body.status[0],
        status_message=body.status[1],
        scope_name=body.scope[0],
        scope_version=body.scope[1],
        parent_is_remote=span.parent_is_remote,
        trace_state=span.trace_state,
        dropped_attributes=span.dropped[0],
        dropped_events=span.dropped[1],
        dropped_links=span.dropped[2],
    )


_INVALID: Final = (
    ("trace_id", 0), ("trace_id", 1 << 128), ("trace_id", -5), ("span_id", 0),
    ("span_id", 1 << 64), ("parent_span_id", 0), ("start_ns", 0), ("start_ns", 631_152_000 * 10**9),
    ("end_ns", -1), ("end_ns", 40_000_000_000 * 10**9), ("start_ns", 1.5e18), ("span_id", "abc"),
)  # fmt: skip
"""(field, value) that make a span invalid; end_ns -1 is before any start."""


def _damage(d: Draw, spans: list[_Span], flavor: str) -> list[SpanRecord]:
    """The records of a trace as sent: some spans missing, re-sent, broken, pending twins."""
    size = len(spans)
    if (flavor == "langsmith" and d.chance(0.5)) or d.chance(0.1):
        _stamp(d, spans)  # on the tree as it was: damage below may break the lineage
    if size > 2 and d.chance(0.04):  # a parent cycle among non-root spans (root sometimes lost)
        members = d.some(range(1, size), d.between(2, min(3, size - 1)))
        for i, member in enumerate(members):
            above = members[i - 1]
            spans[member].parent, spans[member].parent_span_id = above, spans[above].span_id
    if size > 1 and d.chance(0.05):
        spans[d.between(1, size - 1)].parent_span_id = d.bits(64) or 7  # dangling parent
    if size > 1 and d.chance(0.03):
        spans[d.between(1, size - 1)].trace_id = d.bits(128) or 3  # parent in another trace
    if size > 1 and d.chance(0.01):
        victim = spans[d.between(1, size - 1)]
        victim.parent_span_id = victim.span_id  # its own parent
    if d.chance(0.05):
        victim = spans[d.below(size)]
        field, value = d.pick(_INVALID)
        setattr(victim, field, value)
    records = [_record(span) for span in spans]
    sent = list(range(size))
    if size > 1 and d.chance(0.12):
        for lost in d.some(range(1, size), d.between(1, min(2, size - 1))):
            sent.remove(lost)
    if size > 2 and d.chance(0.02):
        sent.remove(0)  # the root never came
    out = [records[i] for i in sent]
    if sent and d.chance(0.1):  # re-sent as they were
        out.extend(records[i] for i in d.some(sent, d.between(1, min(2, len(sent)))))
    if sent and d.chance(0.05):  # re-sent with changes: the last copy wins
        i = d.pick(sent)
        out.append(replace(records[i], end_ns=records[i].end_ns + MS, status_code="ERROR",
                           attributes={**records[i].attributes, "app.retry": 1}))  # fmt: skip
    if sent and ((flavor == "pydantic_ai" and d.chance(0.6)) or d.chance(0.03)):
        for i in d.some(sent, d.between(1, min(2, len(sent)))):
            out.append(_pending(d, records[i]))
    return out


def _pending(d: Draw, real: SpanRecord) -> SpanRecord:
    """Logfire's placeholder for `real`: a zero-length child with the real parent named."""
    attributes: dict[str, AttributeValue] = {
        pa.LOGFIRE_SPAN_TYPE: pa.PENDING_SPAN,
        pa.LOGFIRE_MSG: real.name,
    }
    if real.parent_span_id is not None and isinstance(real.parent_span_id, int):
        attributes[pa.PENDING_PARENT_ID] = f"{real.parent_span_id:016x}"
    return replace(
        real,
        span_id=d.bits(64) or 9,
        parent_span_id=real.span_id,
        end_ns=real.start_ns,
        attributes=attributes,
        events=(),
    )


# --- groups ---------------------------------------------------------------------------------------


def _resources(d: Draw) -> list[dict[str, AttributeValue]]:
    """The group's resources (shared by the spans of a process, as SDK resources are)."""
    out: list[dict[str, AttributeValue]] = []
    for index in range(d.between(1, 3)):
        resource: dict[str, AttributeValue] = {
            otel.SERVICE_NAME: d.pick(("weather-agent", "api", "worker", "")),
        }
        if d.chance(0.5):
            resource[otel.DEPLOYMENT_ENVIRONMENT_NAME] = "prod"
        if d.chance(0.3):
            resource[otel.DEPLOYMENT_ENVIRONMENT] = "staging"
        if d.chance(0.3):
            resource["host.name"] = f"host-{index}"
            resource["process.pid"] = 4242 + index
        if d.chance(0.05):
            resource["telemetry.sdk.note"] = v.long_text(d)
        if d.chance(0.1):
            resource["k8s"] = v.to_attribute({"pod": "p-1", "labels": {"app": "x"}})
        if d.chance(0.05):
            out.append({})
            continue
        out.append(resource)
    return out


def group(index: int, catalogue: Catalogue) -> Group:
    """Group `index` of the corpus (independent of every other group)."""
    d = Draw(SEED * 1000 + index)
    resources = _resources(d)
    base = d.pick(DAYS) + d.below(20 * 3600) * 10**9
    ids = _Ids(d.bits(40), d.bits(96), set())
    traces: list[list[SpanRecord]] = []
    for number in range(TRACES_PER_GROUP):
        flavor, spans = _build_trace(
            d,
            base + number * d.between(0, 2000) * MS,
            catalogue,
            ids,
            sweep=index if number == 0 else None,
        )
        records = _damage(d, spans, flavor)
        resource = d.pick(resources)
        records = [replace(r, resource=resource) for r in records]
        order = d.pick(("shuffled", "end", "start"))
        if order == "shuffled":
            records = d.shuffled(records)
        elif order == "end":
            records.sort(key=lambda r: r.end_ns if isinstance(r.end_ns, int) else 0)
        traces.append(records)
    if d.chance(0.5):
        return Group(index, tuple(d.shuffled([r for trace in traces for r in trace])))
    return Group(index, tuple(r for trace in traces for r in trace))


def corpus(catalogue: Catalogue, groups: int = GROUPS) -> list[Group]:
    """Every group."""
    return [group(index, catalogue) for index in range(groups)]


def unused(catalogue: Catalogue, records: Iterable[SpanRecord]) -> list[str]:
    """Catalogue names the records never use: keys as attribute keys, event names as event
    names, value names as attribute values."""
    keys: set[str] = set()
    events: set[str] = set()
    values: set[object] = set()
    for record in records:
        keys.update(record.attributes)
        values.update(v for v in record.attributes.values() if isinstance(v, str))
        events.update(e.name for e in record.events)
    missing = [f"key {k}" for k in catalogue.keys if k not in keys]
    missing += [f"event {e}" for e in catalogue.event_names if e not in events]
    missing += [f"value {x}" for x in catalogue.values if x not in values]
    return missing
