"""Hypothesis strategies for the property tests: ids, times, and random span forests.

A forest is drawn as a model first (parents by index, OTel trace ids, skewed start times,
attributes), then turned into `SpanRecord`s. The tests compute what the runs must be from the
model alone (`expected_runs`), with their own dotted_order formatter, so the converter is never
its own oracle.

Runs are deterministic by default (fixed seed per test, no example database); set
`OTEL_RUNS_RANDOM_PROPERTIES=1` (say, in a nightly CI job) to draw fresh examples.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Final
from uuid import UUID

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from otel_runs.conventions import langsmith as ls
from otel_runs.conventions import openinference as oi
from otel_runs.conventions.families import GENAI_EVENT_PREFIXES, GENAI_KEY_PREFIXES
from otel_runs.model.span_record import AttributeValue, EventRecord, SpanRecord

PROPERTIES: Final = settings(
    derandomize=os.environ.get("OTEL_RUNS_RANDOM_PROPERTIES") != "1",
    database=None,
    deadline=None,
    suppress_health_check=(HealthCheck.too_slow, HealthCheck.data_too_large),
    # No explain phase: on a 40-span forest it costs more than the shrinking it annotates.
    phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink),
)
"""Shared settings; each test adds its own `max_examples`."""

# --- ids and times ---------------------------------------------------------------------------

SPAN_MAX: Final = (1 << 64) - 1
TRACE_MAX: Final = (1 << 128) - 1
YEAR_2000_US: Final = 946_684_800_000_000
YEAR_3000_US: Final = 32_503_680_000_000_000
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=timezone.utc)

span_ids: Final = st.integers(1, SPAN_MAX)
"""Valid OTel span ids: non-zero, 64-bit."""
trace_ids: Final = st.integers(1, TRACE_MAX)
"""Valid OTel trace ids: non-zero, 128-bit."""
any_uuids: Final = st.integers(0, TRACE_MAX).map(lambda i: UUID(int=i))
"""Any UUID at all, nil and zero-padded ones included (shrinks, unlike `st.uuids`)."""
zero_padded_uuids: Final = span_ids.map(lambda s: UUID(int=s))
"""UUIDs whose first 8 bytes are zero and last 8 are not all zero."""
times_us: Final = st.integers(YEAR_2000_US, YEAR_3000_US - 1)
"""Any microsecond from 2000-01-01 to 2999-12-31T23:59:59.999999 UTC."""


def oracle_time(us: int) -> str:
    """A segment's time part, by strftime: the oracle for `dotted_order.format_time`."""
    return (_EPOCH + timedelta(microseconds=us)).strftime("%Y%m%dT%H%M%S%fZ")


def oracle_segment(us: int, run_id: UUID) -> str:
    """A dotted_order segment, by strftime and `str(UUID)`."""
    return oracle_time(us) + str(run_id)


def oracle_split(dotted_order: str) -> list[tuple[int, UUID]]:
    """(microseconds, run id) of each segment, parsed without the library."""
    out = []
    for part in dotted_order.split("."):
        assert len(part) == 22 + 36, part
        when = datetime.strptime(part[:22], "%Y%m%dT%H%M%S%fZ").replace(tzinfo=timezone.utc)
        out.append(((when - _EPOCH) // timedelta(microseconds=1), UUID(part[22:])))
    return out


# --- attributes ------------------------------------------------------------------------------

GENAI_KEYS: Final = tuple(
    prefix + "x_test" if prefix.endswith(".") else prefix for prefix in GENAI_KEY_PREFIXES
)
"""One attribute key per GenAI family prefix (`conventions/families.py`)."""
PLAIN_KEYS: Final = (
    "http.request.method",
    "db.system",
    "service.x_test",
    "x.gen_ai.x_test",
    *(prefix[:-1] + "_x_test" for prefix in GENAI_KEY_PREFIXES),
)
"""Keys outside every GenAI family, near misses (`gen_ai_x_test`, `llm_x_test`) included."""
assert not any(key.startswith(GENAI_KEY_PREFIXES) for key in PLAIN_KEYS)
GENAI_EVENT: Final = GENAI_EVENT_PREFIXES[0] + "x_test"
PLAIN_EVENT: Final = "log"
SESSIONS: Final = ("thread-a", "thread-b")


# --- forests ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Node:
    """One generated span and where it sits in the generated forest."""

    index: int
    span_id: int
    parent: int | None
    """Index of the parent node, None for a generated root."""
    parent_span_id: int | None
    trace_id: int
    start_ns: int
    end_ns: int
    session: str | None
    """OpenInference `session.id`, when the span carries one."""
    genai: bool
    """Whether the span carries a GenAI-family attribute or event, by construction."""
    attributes: Mapping[str, AttributeValue] = field(default_factory=dict)
    events: tuple[EventRecord, ...] = ()

    @property
    def run_id(self) -> UUID:
        """The run id the span must get: 8 zero bytes, then the span id."""
        return UUID(bytes=bytes(8) + self.span_id.to_bytes(8, "big"))

    @property
    def start_us(self) -> int:
        return self.start_ns // 1000

    def record(self) -> SpanRecord:
        return SpanRecord(
            trace_id=self.trace_id,
            span_id=self.span_id,
            parent_span_id=self.parent_span_id,
            name=f"span-{self.index}",
            start_ns=self.start_ns,
            end_ns=self.end_ns,
            attributes=dict(self.attributes),
            events=self.events,
        )


@dataclass(frozen=True, slots=True)
class Stamp:
    """A `langsmith.*` lineage stamped on a span whose ancestors are not in the batch."""

    ancestors: tuple[UUID, ...]
    dotted_order: str
    own_us: int
    """Time of the span's own (last) segment."""


@dataclass(frozen=True, slots=True)
class Forest:
    """Generated spans; `sent` reach the converter (once, plus `resent` again), the rest not."""

    nodes: tuple[Node, ...]
    sent: tuple[int, ...]
    resent: tuple[int, ...] = ()
    stamps: Mapping[int, Stamp] = field(default_factory=dict)

    @property
    def missing(self) -> frozenset[int]:
        return frozenset(range(len(self.nodes))) - frozenset(self.sent)

    def records(self) -> list[SpanRecord]:
        """The batch, in generation order: every sent span once, then the re-sent copies."""
        return [self.nodes[i].record() for i in (*self.sent, *self.resent)]


_SKEWS: Final = st.one_of(
    st.sampled_from([0, 0, 1, -1, 999, -999, 1000, -1000, 1_000_000, -1_000_000]),
    st.integers(-(10**10), 10**10),
)
"""A child's start minus its parent's, ns: children may start before their parent (clock skew),
and a skew of 0 gives siblings identical start times."""
_ROOT_STARTS_NS: Final = st.integers(YEAR_2000_US * 1000 + 10**12, YEAR_3000_US * 1000 - 10**12)


@dataclass(frozen=True, slots=True)
class _Spec:
    """The draws for one span; `forests` resolves them against the spans drawn before it."""

    span_id: int
    shape: str
    back: int
    trace_id: int
    root_start_ns: int
    skew_ns: int
    duration_ns: int
    keys: list[str]
    session: str | None
    event_names: list[str]
    sent: bool
    copies: int


_SPECS: Final = st.builds(
    _Spec,
    span_id=span_ids,
    shape=st.sampled_from(["root", "deep", "deep", "any", "any"]),
    back=st.integers(0, 63),
    trace_id=trace_ids,
    root_start_ns=_ROOT_STARTS_NS,
    skew_ns=_SKEWS,
    duration_ns=st.one_of(st.just(0), st.integers(0, 10**10)),
    keys=st.lists(st.sampled_from(GENAI_KEYS + PLAIN_KEYS), max_size=2, unique=True),
    session=st.one_of(st.none(), st.sampled_from(SESSIONS)),
    event_names=st.lists(st.sampled_from([GENAI_EVENT, PLAIN_EVENT]), max_size=1),
    sent=st.sampled_from([True, True, True, True, False]),
    copies=st.sampled_from([0, 0, 0, 0, 0, 0, 1, 2]),
)


def _forest(specs: list[_Spec], *, missing: bool, resend: bool) -> Forest:
    nodes: list[Node] = []
    for i, spec in enumerate(specs):
        parent: int | None = None
        if i > 0 and spec.shape != "root":
            parent = i - 1 - spec.back % (min(i, 2) if spec.shape == "deep" else i)
        if parent is None:
            trace_id, start = spec.trace_id, spec.root_start_ns
        else:
            trace_id, start = nodes[parent].trace_id, nodes[parent].start_ns + spec.skew_ns
        attributes: dict[str, AttributeValue] = dict.fromkeys(spec.keys, "v")
        if spec.session is not None:
            attributes[oi.SESSION_ID] = spec.session
        nodes.append(
            Node(
                index=i,
                span_id=spec.span_id,
                parent=parent,
                parent_span_id=None if parent is None else specs[parent].span_id,
                trace_id=trace_id,
                start_ns=start,
                end_ns=start + spec.duration_ns,
                session=spec.session,
                genai=any(k in GENAI_KEYS for k in spec.keys) or GENAI_EVENT in spec.event_names,
                attributes=attributes,
                events=tuple(EventRecord(name, start) for name in spec.event_names),
            )
        )
    sent = tuple(i for i, spec in enumerate(specs) if spec.sent or i == 0 or not missing)
    resent = tuple(i for i in sent for _ in range(specs[i].copies)) if resend else ()
    return Forest(nodes=tuple(nodes), sent=sent, resent=resent)


def forests(
    *, max_spans: int = 40, missing: bool = True, resend: bool = True
) -> st.SearchStrategy[Forest]:
    """1..max_spans spans in several trees and OTel traces.

    With `missing`, about one span in five (never the first) is left out of the batch, so its
    children arrive without their parent; with `resend`, some spans are sent two or three times.
    Drawn as one list of per-span draws, so a failing forest shrinks by deleting spans.
    """

    def spans(low: int) -> st.SearchStrategy[list[_Spec]]:
        return st.lists(
            _SPECS, min_size=low, max_size=max_spans, unique_by=lambda spec: spec.span_id
        )

    # Plain lists are small on average: half the forests are drawn from the upper half.
    specs = st.one_of(spans(1), spans(max(1, max_spans // 2)))
    return specs.map(lambda drawn: _forest(drawn, missing=missing, resend=resend))


@st.composite
def stamped_forests(draw: st.DrawFn) -> Forest:
    """A forest where spans whose parent is not in the batch carry a `langsmith.*` lineage.

    As a processor upstream would stamp it: 1..4 ancestors from another service (its clock
    possibly ahead of ours) with non-decreasing times, the direct parent either the zero-padded
    id of the OTel parent span or an unrelated UUID, and the span's own segment last, clamped.
    """
    forest = draw(forests(resend=False))
    missing = forest.missing
    candidates = [
        i
        for i in forest.sent
        if forest.nodes[i].parent is None or forest.nodes[i].parent in missing
    ]
    chosen = sorted(draw(st.sets(st.sampled_from(candidates), min_size=1)))
    taken = {node.run_id for node in forest.nodes}
    nodes = list(forest.nodes)
    stamps: dict[int, Stamp] = {}
    for i in chosen:
        node = nodes[i]
        depth = draw(st.integers(1, 4))
        ancestors = draw(
            st.lists(
                any_uuids.filter(lambda u: u not in taken),
                min_size=depth,
                max_size=depth,
                unique=True,
            )
        )
        if node.parent_span_id is not None and draw(st.booleans()):
            ancestors[-1] = UUID(int=node.parent_span_id)
        taken.update(ancestors)
        times = sorted(
            draw(
                st.lists(
                    st.integers(node.start_us - 10**7, node.start_us + 10**6),
                    min_size=depth,
                    max_size=depth,
                )
            )
        )
        own_us = max(times[-1], node.start_us)
        dotted = ".".join(
            oracle_segment(us, run_id)
            for us, run_id in [*zip(times, ancestors, strict=True), (own_us, node.run_id)]
        )
        attributes = {
            **node.attributes,
            ls.SPAN_DOTTED_ORDER: dotted,
            ls.SPAN_PARENT_ID: str(ancestors[-1]),
            ls.TRACE_ID: str(ancestors[0]),
        }
        nodes[i] = replace(node, attributes=attributes, genai=True)
        stamps[i] = Stamp(ancestors=tuple(ancestors), dotted_order=dotted, own_us=own_us)
    return replace(forest, nodes=tuple(nodes), stamps=stamps)
