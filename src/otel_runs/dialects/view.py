"""`SpanView`: read access to one span that remembers what the dialects consumed.

Consumption policy: a dialect marks a key consumed when the run now carries that key's
information. Whatever is not consumed ends up, size-capped, under `extra.metadata.otel`, so a
value no dialect understood is never lost.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from otel_runs.model.span_record import AttributeValue, EventRecord, SpanRecord


class Shape:
    """What a span's keys and event names decide, shared by every span with the same ones.

    Spans from one instrumentation point carry the same keys, so what the dialects look up by
    key prefix is worked out once per shape, not once per span (and a `convert.plan.Plan`
    holds the rest of what the shape decides).
    """

    __slots__ = ("event_names", "families", "under")

    def __init__(self, keys: tuple[str, ...], event_names: frozenset[str]) -> None:
        # First dotted segment of every key: lets a dialect that cannot apply be skipped with
        # one set test instead of a dozen dict look-ups.
        self.families = frozenset(key.partition(".")[0] for key in keys)
        self.event_names = event_names
        self.under: dict[str, tuple[str, ...]] = {}
        """Per key prefix: the keys that start with it, in span order."""


_NO_NAMES: Final = frozenset[str]()
_SHAPES: dict[tuple[tuple[str, ...], frozenset[str]], Shape] = {}
_MAX_SHAPES: Final = 1024


def shape_of(record: SpanRecord) -> Shape:
    """The record's shape, from the cache when a span with the same keys came before."""
    events = record.events
    key = (tuple(record.attributes), frozenset([e.name for e in events]) if events else _NO_NAMES)
    shape = _SHAPES.get(key)
    if shape is None:
        if len(_SHAPES) >= _MAX_SHAPES:  # high-cardinality keys must not grow memory
            _SHAPES.clear()
        shape = _SHAPES[key] = Shape(*key)
    return shape


class SpanView:
    """Attributes and events of one span, with a record of the keys used."""

    __slots__ = (
        "attrs", "event_names", "families", "record", "run_type", "shape", "used",
    )  # fmt: skip

    def __init__(self, record: SpanRecord, shape: Shape | None = None) -> None:
        self.record = record
        self.attrs = record.attributes
        self.used: set[str] = set()
        self.run_type = "chain"
        self.shape = shape = shape or shape_of(record)
        self.families = shape.families
        self.event_names = shape.event_names

    def get(self, key: str) -> AttributeValue:
        """The value (None when absent), and mark the key consumed when present."""
        value = self.attrs.get(key)
        if value is not None:
            self.used.add(key)
        return value

    def peek(self, key: str) -> AttributeValue:
        """The value without consuming it."""
        return self.attrs.get(key)

    def consume(self, *keys: str) -> None:
        """Mark keys consumed whose information another key already carried."""
        for key in keys:
            if key in self.attrs:
                self.used.add(key)

    def keys_under(self, prefix: str) -> tuple[str, ...]:
        """Keys starting with prefix, in span order (worked out once per shape)."""
        under = self.shape.under
        keys = under.get(prefix)
        if keys is None:
            if prefix.partition(".")[0] not in self.families:
                keys = ()
            else:
                keys = tuple(key for key in self.attrs if key.startswith(prefix))
            under[prefix] = keys
        return keys

    def has_prefix(self, prefix: str) -> bool:
        """Whether any key starts with prefix."""
        return bool(self.keys_under(prefix))

    def prefixed(self, prefix: str) -> dict[str, AttributeValue]:
        """Keys under prefix, with the prefix removed; marks them consumed."""
        found: dict[str, AttributeValue] = {}
        cut = len(prefix)
        attrs = self.attrs
        for key in self.keys_under(prefix):
            value = attrs[key]
            if value is not None:
                found[key[cut:]] = value
                self.used.add(key)
        return found

    def events_named(self, *names: str) -> Iterator[tuple[int, EventRecord]]:
        """Events with one of the names, with their index."""
        if self.event_names.isdisjoint(names):
            return
        for index, event in enumerate(self.record.events):
            if event.name in names:
                yield index, event

    def first_event(self, name: str) -> EventRecord | None:
        """The first event with that name."""
        for event in self.record.events:
            if event.name == name:
                return event
        return None
