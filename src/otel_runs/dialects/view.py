"""`SpanView`: read access to one span that remembers what the dialects consumed.

Consumption policy: a dialect marks a key consumed when the run now carries that key's
information. Whatever is not consumed ends up, size-capped, under `extra.metadata.otel`, so a
value no dialect understood is never lost.
"""

from __future__ import annotations

from collections.abc import Iterator

from otel_runs.model.span_record import AttributeValue, EventRecord, SpanRecord


class SpanView:
    """Attributes and events of one span, with a record of the keys used."""

    __slots__ = ("attrs", "event_names", "families", "record", "run_type", "used", "used_events")

    def __init__(self, record: SpanRecord) -> None:
        self.record = record
        self.attrs = record.attributes
        self.used: set[str] = set()
        self.used_events: set[int] = set()
        self.run_type = "chain"
        # First dotted segment of every key and event name: lets a dialect that cannot apply
        # be skipped with one set test instead of a dozen dict look-ups.
        self.families = {key.partition(".")[0] for key in record.attributes}
        self.event_names = {event.name for event in record.events}

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

    def has_prefix(self, prefix: str) -> bool:
        """Whether any key starts with prefix."""
        if prefix.partition(".")[0] not in self.families:
            return False
        for key in self.attrs:  # noqa: SIM110 (a loop: any() over a generator costs 2x here)
            if key.startswith(prefix):
                return True
        return False

    def prefixed(self, prefix: str) -> dict[str, AttributeValue]:
        """Keys under prefix, with the prefix removed; marks them consumed."""
        found: dict[str, AttributeValue] = {}
        cut = len(prefix)
        for key, value in self.attrs.items():
            if key.startswith(prefix) and value is not None:
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

    def leftovers(self) -> dict[str, AttributeValue]:
        """Attributes no dialect consumed."""
        used = self.used
        return {k: v for k, v in self.attrs.items() if k not in used}
