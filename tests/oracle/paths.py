"""The ways spans reach the converter, each run on a list of `SpanRecord`s: the only module of
the oracle that calls the spans -> runs code (adapt it here if the entry points move).

- `records`: `convert_records(records, keep=..., max_value_chars=...)`.
- `assembler`: `TraceAssembler` fed the spans shuffled, in random batches, with a fake clock
  that passes the 30 s TTL between some batches (orphans), then a flush.
- `exporter`: `RunExporter.export` on `ReadableSpan`s built directly, shuffled, in random
  batches, into a capturing sink; optionally with privacy; then `shutdown`.
- `sdk`: `convert_spans` on `ReadableSpan`s, with an unfinished span among them (rejected).
- `roundtrip`: the runs of `convert_records` -> `runs_to_records` -> `convert_records` (the
  restore step).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, replace
from typing import Any, TypeVar

from opentelemetry.sdk.trace import ReadableSpan

from otel_runs.convert.assembler import TraceAssembler
from otel_runs.convert.spans_to_runs import Conversion, Keep, convert_records, convert_spans
from otel_runs.errors import InvalidRunError, OtelRunsError
from otel_runs.exporter import RunExporter
from otel_runs.model.run import Run
from otel_runs.model.span_record import SpanRecord
from otel_runs.privacy import Privacy
from otel_runs.runs_to_spans import runs_to_records
from tests.oracle.draw import Draw
from tests.oracle.outcome import CaptureSink, Outcome
from tests.oracle.sdk_spans import SpanFactory, sdk_compatible

T = TypeVar("T")

TTL_S = 30.0
CLOCK_STEPS_S = (0.0, 0.0, 0.5, 5.0, 20.0, 31.0)
"""How far the fake clock moves between two batches (31 s: everything waiting expires)."""


def _from_conversion(conversion: Conversion) -> Outcome:
    return Outcome(
        runs=list(conversion.runs),
        rejected=list(conversion.rejected),
        filtered=conversion.filtered,
        pending=conversion.pending,
    )


def batches(d: Draw, items: Sequence[T]) -> list[list[T]]:
    """The items shuffled and cut into 1..n/3-sized batches."""
    shuffled = d.shuffled(items)
    out = []
    while shuffled:
        size = d.between(1, max(1, len(items) // 3))
        out.append(shuffled[:size])
        del shuffled[:size]
    return out


def records(
    spans: Sequence[SpanRecord], keep: Keep = "all", max_value_chars: int | None = None
) -> Outcome:
    if max_value_chars is None:
        return _from_conversion(convert_records(spans, keep=keep))
    # Resource conversions are cached per resource object; fresh copies keep this case's cap
    # from depending on which case converted the same resource first (see README: findings).
    copies: dict[int, Any] = {}
    fresh = [
        replace(s, resource=copies.setdefault(id(s.resource), dict(s.resource))) for s in spans
    ]
    return _from_conversion(convert_records(fresh, keep=keep, max_value_chars=max_value_chars))


def assembler(spans: Sequence[SpanRecord], d: Draw, keep: Keep = "all") -> Outcome:
    now = [0.0]
    assembly = TraceAssembler(
        ttl_s=TTL_S,
        max_waiting=d.pick((10_000, 10_000, 10_000, 8)),
        keep=keep,
        clock=lambda: now[0],
    )
    out = Outcome(filtered=0, pending=0, batches=[])
    for batch in [*batches(d, spans), None]:
        try:
            result = assembly.add(batch or [], flush=batch is None)
        except OtelRunsError as exc:  # recorded as it is; the assembler is not used again
            out.error = f"{type(exc).__name__}: {exc}"
            break
        out.runs.extend(result.runs)
        out.rejected.extend(result.rejected)
        out.filtered = (out.filtered or 0) + result.filtered
        out.pending = (out.pending or 0) + result.pending
        assert out.batches is not None
        out.batches.append(len(result.runs))
        now[0] += d.pick(CLOCK_STEPS_S)
    out.stats = {**asdict(assembly.counts), "waiting": assembly.waiting}
    return out


def readable_spans(spans: Sequence[SpanRecord], d: Draw) -> list[ReadableSpan]:
    """The records the SDK can hold, as ReadableSpans (half SDK-shaped)."""
    factory = SpanFactory()
    return [factory.span(s, sdk_shaped=d.chance(0.5)) for s in spans if sdk_compatible(s)]


def exporter(
    spans: Sequence[SpanRecord], d: Draw, keep: Keep = "all", privacy: Privacy | None = None
) -> Outcome:
    return exporter_of_spans(readable_spans(spans, d), d, keep, privacy)


def exporter_of_spans(
    spans: Sequence[ReadableSpan], d: Draw, keep: Keep = "all", privacy: Privacy | None = None
) -> Outcome:
    sink = CaptureSink()
    export = RunExporter(
        sink,
        keep=keep,
        assembly_ttl_s=3600.0,  # the exporter's clock is real: nothing may expire here
        max_waiting_spans=d.pick((10_000, 10_000, 10_000, 6)),
        max_buffered_runs=10_000,
        privacy=privacy or Privacy(),
    )
    results = [export.export(batch).name for batch in batches(d, spans)]
    export.shutdown()
    assert sink.closed
    return Outcome(runs=sink.runs, stats=export.stats(), batches=sink.writes, results=results)


def sdk(spans: Sequence[SpanRecord], d: Draw) -> Outcome:
    readable = readable_spans(spans, d)
    first = next((s for s in spans if sdk_compatible(s)), None)
    if first is not None:
        unfinished = SpanFactory().span(first, sdk_shaped=False, ended=False)
        readable.insert(d.below(len(readable) + 1), unfinished)
    return _from_conversion(convert_spans(readable))


def sdk_spans(spans: Sequence[ReadableSpan], keep: Keep = "all") -> Outcome:
    return _from_conversion(convert_spans(spans, keep=keep))


def roundtrip(spans: Sequence[SpanRecord]) -> Outcome:
    first = convert_records(spans)
    return back(first.runs)


def back(runs: Sequence[Run]) -> Outcome:
    """Runs -> span records -> runs."""
    try:
        again = runs_to_records(runs)
    except InvalidRunError as exc:
        return Outcome(error=f"InvalidRunError: {exc}")
    return _from_conversion(convert_records(again))
