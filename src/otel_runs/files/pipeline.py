"""One input stream to one output, in batches: runs -> spans (OTLP files or an OTLP endpoint),
spans -> runs (runs JSON lines), or spans -> spans (another OTLP encoding or an endpoint).

Bounded memory: runs -> spans holds one batch. spans -> runs goes through `TraceAssembler`,
which emits each span as soon as its parent is known and holds at most `max_waiting` spans
whose parent has not come yet (children usually come before their parents in OTLP files: they
end first); at the end of the input, spans still waiting become roots of their subtrees. Time
does not pass while a file is read, so only that cap, never a clock, releases a span early.

Bad input never stops the stream: every record that cannot be read, converted or written is
reported through `on_bad` with where it was, and the rest goes on.

`Output` and `write_runs` are shared with `otel-runs pull`, which writes runs page by page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any, Final, Literal, TypeVar

from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from otel_runs.convert.assembler import TraceAssembler
from otel_runs.convert.run_data import RunData
from otel_runs.convert.validate import problem
from otel_runs.errors import OtelRunsError
from otel_runs.files.detect import Format
from otel_runs.files.otlp_json import json_line, read_otlp_json
from otel_runs.files.otlp_proto import delimited_request, read_otlp_proto
from otel_runs.files.records import BadRecord
from otel_runs.files.runs_jsonl import RunsWriter, read_runs
from otel_runs.files.source import Source
from otel_runs.ids import span_id_hex
from otel_runs.model.run import Run
from otel_runs.model.span_record import SpanRecord
from otel_runs.runs_to_spans.record import run_to_record
from otel_runs.runs_to_spans.sdk import to_readable_span

T = TypeVar("T")
DEFAULT_BATCH: Final = 512
MAX_WAITING: Final = 50_000

BadHandler = Callable[[BadRecord], None]
Tick = Callable[[int], None]
"""Called after each batch with the number of items written so far."""


@dataclass(slots=True)
class Outcome:
    """What one conversion did."""

    read: int = 0
    """Records read from the input (runs or spans)."""
    written: int = 0
    """Records written or sent."""
    bad: int = 0
    """Records that could not be read, converted, written or sent."""


def _batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class _SpanRequests:
    """Writes span records to a file as OTLP export requests, one per batch, each framed by
    `frame` (a JSON line, or a varint-delimited protobuf message)."""

    def __init__(
        self, out: IO[bytes], frame: Callable[[Sequence[SpanRecord]], bytes], name: str
    ) -> None:
        self._out = out
        self._frame = frame
        self.name = name

    def write(self, records: Sequence[SpanRecord]) -> None:
        if records:
            self._out.write(self._frame(records))

    def close(self) -> None:
        self._out.flush()


_SPAN_FRAMES: dict[str, tuple[Callable[[Sequence[SpanRecord]], bytes], str]] = {
    Format.OTLP_JSON.value: (json_line, "OTLP/JSON"),
    Format.OTLP_PROTO.value: (delimited_request, "OTLP protobuf"),
}


class ExportRefusedError(OtelRunsError):
    """An OTLP endpoint did not accept a batch of spans (after its exporter's own retries)."""


class Output:
    """Where converted records go: a writer of runs, span records or SDK spans, or an exporter.

    Spans an endpoint does not accept are reported one by one through `on_bad`, or, with
    `refused="raise"`, raise ExportRefusedError (the caller keeps the batch to send again)."""

    def __init__(
        self,
        target: str,
        out: IO[bytes] | None,
        exporter: SpanExporter | None,
        *,
        refused: Literal["report", "raise"] = "report",
    ):
        self.target = target
        self.refused = refused
        self.runs = RunsWriter(out) if target == Format.RUNS.value and out is not None else None
        frame = _SPAN_FRAMES.get(target)
        self.requests = _SpanRequests(out, *frame) if frame and out else None
        self.exporter = exporter

    def spans(self, items: list[tuple[str, SpanRecord]], on_bad: BadHandler) -> int:
        """Write span records; returns how many were written."""
        if self.requests is not None:
            why = f"cannot be written as {self.requests.name}"
            return _each(items, self.requests.write, on_bad, why)
        assert self.exporter is not None
        sdk = [(where, to_readable_span(record)) for where, record in items]
        result = self.exporter.export([span for _, span in sdk])
        if result is SpanExportResult.SUCCESS:
            return len(sdk)
        if self.refused == "raise":
            raise ExportRefusedError(f"the {self.target} endpoint did not accept {len(sdk)} spans")
        for where, _ in sdk:
            on_bad(BadRecord(where, f"the {self.target} endpoint did not accept the span"))
        return 0

    def close(self) -> None:
        for writer in (self.runs, self.requests):
            if writer is not None:
                writer.close()
        if self.exporter is not None:
            self.exporter.shutdown()


def _each(
    items: Sequence[tuple[str, Any]],
    write: Callable[[Sequence[Any]], None],
    on_bad: BadHandler,
    why: str,
) -> int:
    """Write a batch; if it fails, write item by item and report the ones that fail."""
    try:
        write([item for _, item in items])
        return len(items)
    except (ValueError, TypeError, OverflowError, OtelRunsError):
        written = 0
        for where, item in items:
            try:
                write([item])
                written += 1
            except (ValueError, TypeError, OverflowError, OtelRunsError) as exc:
                on_bad(BadRecord(where, f"{why}: {exc}"))
        return written


def write_runs(output: Output, items: Sequence[tuple[str, Run]], on_bad: BadHandler) -> int:
    """Write runs to `output`: as runs, or as spans to a file or an endpoint. Returns how many
    were written; a run that cannot become a span or be written is reported through `on_bad`."""
    if output.runs is not None:
        output.runs.write([run for _, run in items])
        return len(items)
    records = []
    for where, run in items:
        try:
            records.append((where, run_to_record(run)))
        except (ValueError, TypeError, OverflowError, OtelRunsError) as exc:
            on_bad(BadRecord(where, f"run {run.id} cannot become a span: {exc}"))
    return output.spans(records, on_bad)


def runs_to_output(
    source: Source, output: Output, *, on_bad: BadHandler, tick: Tick, batch: int
) -> Outcome:
    """Runs file -> spans."""
    outcome = Outcome()

    def good() -> Iterator[tuple[str, Run]]:
        for where, item in read_runs(source):
            if isinstance(item, BadRecord):
                outcome.bad += 1
                on_bad(item)
            else:
                outcome.read += 1
                yield where, item

    def bad(record: BadRecord) -> None:
        outcome.bad += 1
        on_bad(record)

    for chunk in _batches(good(), batch):
        outcome.written += write_runs(output, chunk, bad)
        tick(outcome.written)
    return outcome


def spans_to_output(
    source: Source, kind: Format, output: Output, *, on_bad: BadHandler, tick: Tick, batch: int
) -> Outcome:
    """OTLP file -> runs, or -> spans again."""
    outcome = Outcome()
    reader = read_otlp_json(source) if kind is Format.OTLP_JSON else read_otlp_proto(source)

    def bad(record: BadRecord) -> None:
        outcome.bad += 1
        on_bad(record)

    def good() -> Iterator[tuple[str, SpanRecord]]:
        for where, item in reader:
            if isinstance(item, BadRecord):
                bad(item)
                continue
            reason = problem(item)
            if reason is not None:
                bad(BadRecord(where, f"span {_span_id(item)}: {reason}"))
                continue
            outcome.read += 1
            yield where, item

    if output.runs is None:
        for chunk in _batches(good(), batch):
            outcome.written += output.spans(chunk, bad)
            tick(outcome.written)
        return outcome
    assembler = TraceAssembler(ttl_s=float("inf"), max_waiting=MAX_WAITING, clock=lambda: 0.0)
    for chunk in _batches(good(), batch):
        _emit(assembler.take([record for _, record in chunk]).runs, output, outcome)
        tick(outcome.written)
    _emit(assembler.take([], flush=True).runs, output, outcome)
    tick(outcome.written)
    return outcome


def _emit(runs: list[RunData], output: Output, outcome: Outcome) -> None:
    assert output.runs is not None
    output.runs.write(runs)
    outcome.written += len(runs)


def _span_id(record: SpanRecord) -> str:
    span_id = record.span_id
    return span_id_hex(span_id) if isinstance(span_id, int) and span_id >= 0 else repr(span_id)


def convert(
    source: Source,
    kind: Format,
    target: str,
    *,
    out: IO[bytes] | None = None,
    exporter: SpanExporter | None = None,
    on_bad: BadHandler,
    tick: Tick,
    batch: int = DEFAULT_BATCH,
) -> Outcome:
    """Convert everything `source` holds (already detected as `kind`) to `target`: a format
    name written to `out`, or a protocol sent through `exporter`."""
    output = Output(target, out, exporter)
    try:
        if kind is Format.RUNS:
            return runs_to_output(source, output, on_bad=on_bad, tick=tick, batch=batch)
        return spans_to_output(source, kind, output, on_bad=on_bad, tick=tick, batch=batch)
    finally:
        output.close()
