"""Every case of the oracle: a name, a digest of its inputs, and how to run it.

- `fixture/otlp/<name>/<path>`: tests/fixtures/otlp/*.json decoded with `decode_json_request`.
- `fixture/runs/langsmith_export/<path>`: the LangSmith export's runs as spans and back.
- `support/...`: span sets of tests/support (the SDK agent trace, a `records.record` tree) and
  examples drawn from the hypothesis strategies of tests/support/strategies.py and
  tests/fixtures/runs/roundtrip.py (kept in the recording: draws move with hypothesis).
- `generated/gNNN/<path>`: the seeded corpus (corpus.py); every group goes through
  `records-all`, and one more path in turn.

Case names are a function of constants only, so pytest can list them without running anything.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any, Final

from opentelemetry.sdk.trace import ReadableSpan

from otel_runs.conventions import genai as g
from otel_runs.model.run import Run
from otel_runs.model.span_record import SpanRecord
from otel_runs.otlp import decode_json_request
from otel_runs.privacy import Privacy
from tests.oracle import corpus, paths
from tests.oracle.draw import Draw
from tests.oracle.keys import Catalogue
from tests.oracle.outcome import Outcome
from tests.oracle.serial import record_from_json

ROOT: Final = Path(__file__).resolve().parents[2]
OTLP_FIXTURES: Final = ROOT / "tests" / "fixtures" / "otlp"
EXPORT_FIXTURE: Final = ROOT / "tests" / "fixtures" / "runs" / "langsmith_export.jsonl"

OTLP_NAMES: Final = (
    "genai_current", "genai_deprecated", "langsmith", "openinference", "openllmetry", "pydantic_ai",
)  # fmt: skip
FIXTURE_PATHS: Final = (
    "records-all", "records-genai", "records-predicate", "assembler", "exporter", "sdk",
    "roundtrip",
)  # fmt: skip
GENERATED_PATHS: Final = (
    "records-genai", "records-predicate", "assembler", "assembler-genai", "exporter",
    "exporter-privacy", "sdk", "roundtrip", "records-cap", "exporter-predicate",
)  # fmt: skip
"""Paths besides records-all; group i takes one of them in turn."""
EXAMPLE_STRATEGIES: Final = {
    "forests": 8, "stamped_forests": 8, "span_forests": 8, "langsmith_runs": 8,
}  # fmt: skip
"""Hypothesis strategies whose drawn examples are cases, and how many of each."""
CAP: Final = 200
"""max_value_chars of the records-cap path."""


def generated_paths(index: int) -> tuple[str, str]:
    """records-all, and one other path in turn (each path gets 15 groups, 300 traces)."""
    return ("records-all", GENERATED_PATHS[index % len(GENERATED_PATHS)])


def case_names() -> list[str]:
    names = [f"fixture/otlp/{n}/{p}" for n in OTLP_NAMES for p in FIXTURE_PATHS]
    names += [f"fixture/runs/langsmith_export/{p}" for p in ("records", "sdk", "exporter")]
    names += ["support/agent_spans/spans_to_runs", "support/agent_spans/exporter"]
    names += ["support/records/tree"]
    names += [
        f"support/strategies/{s}/{i:02d}" for s, n in EXAMPLE_STRATEGIES.items() for i in range(n)
    ]
    names += [
        f"generated/g{i:03d}/{p}" for i in range(corpus.GROUPS) for p in generated_paths(i)
    ]
    return names


def base_of(name: str) -> str | None:
    """The records-all case of the same spans, whose runs the recording stores this case's
    runs against; None for a case that is its own base."""
    if name.startswith(("generated/", "fixture/otlp/")) and not name.endswith("/records-all"):
        return name.rsplit("/", 1)[0] + "/records-all"
    return None


def digest(value: object) -> str:
    return hashlib.sha256(repr(value).encode("utf-8", "surrogatepass")).hexdigest()[:16]


def case_draw(name: str) -> Draw:
    """The case's own random choices (batch cuts, shuffles), from its name."""
    return Draw(zlib.crc32(name.encode()))


@dataclass(frozen=True)
class Case:
    name: str
    inputs: Callable[[], str]
    """Digest of the case's inputs: the recording is only comparable if they are the same."""
    run: Callable[[], Outcome]


def _span_digest(spans: Sequence[ReadableSpan]) -> str:
    """Digest of SDK spans read through their public properties only."""
    return digest([
        (s.name, s.context and (s.context.trace_id, s.context.span_id),
         s.parent and s.parent.span_id, s.start_time, s.end_time, dict(s.attributes or {}),
         [(e.name, e.timestamp, dict(e.attributes or {})) for e in s.events],
         s.status.status_code.name, s.status.description, dict(s.resource.attributes))
        for s in spans
    ])  # fmt: skip


class Inputs:
    """Everything the cases read, loaded once per process."""

    def __init__(self, catalogue: Catalogue, examples: dict[str, list[Any]]) -> None:
        self.catalogue = catalogue
        self.examples = examples

    @cache  # noqa: B019 - one Inputs per process
    def group(self, index: int) -> tuple[tuple[SpanRecord, ...], str]:
        records = corpus.group(index, self.catalogue).records
        return records, digest(records)

    @cache  # noqa: B019
    def otlp(self, name: str) -> tuple[list[SpanRecord], str]:
        body = (OTLP_FIXTURES / f"{name}.json").read_bytes()
        decoded = decode_json_request(body)
        assert decoded.rejected == [], decoded.rejected
        return decoded.records, hashlib.sha256(body).hexdigest()[:16]

    @cached_property
    def export_runs(self) -> tuple[list[dict[str, Any]], str]:
        text = EXPORT_FIXTURE.read_bytes()
        runs = [json.loads(line) for line in text.splitlines()]
        return runs, hashlib.sha256(text).hexdigest()[:16]

    def example(self, strategy: str, index: int) -> Any:
        return self.examples[strategy][index]


def _records_path(path: str, spans: Sequence[SpanRecord], d: Draw) -> Outcome:
    if path == "records-all":
        return paths.records(spans)
    if path == "records-genai":
        return paths.records(spans, keep="genai")
    if path == "records-predicate":
        return paths.records(spans, keep=corpus.keep_some)
    if path == "records-cap":
        return paths.records(spans, max_value_chars=CAP)
    if path == "assembler":
        return paths.assembler(spans, d)
    if path == "assembler-genai":
        return paths.assembler(spans, d, keep="genai")
    if path == "exporter":
        return paths.exporter(spans, d)
    if path == "exporter-predicate":
        return paths.exporter(spans, d, keep=corpus.keep_some)
    if path == "exporter-privacy":
        hide: Privacy = Privacy(hide_inputs=True, hide_outputs=True)
        if d.chance(0.3):  # a hide function keeps part of the content
            hide = Privacy(hide_inputs=_first_key, hide_outputs=True)
        return paths.exporter(spans, d, privacy=hide)
    if path == "sdk":
        return paths.sdk(spans, d)
    if path == "roundtrip":
        return paths.roundtrip(spans)
    raise ValueError(path)


def _first_key(values: dict[str, Any]) -> dict[str, Any]:
    """A hide function: keep only the alphabetically first key."""
    return {key: values[key] for key in sorted(values)[:1]}


def _agent_spans() -> list[ReadableSpan]:
    from tests.support.agent_spans import agent_spans

    return list(agent_spans(3))


def _records_tree() -> list[SpanRecord]:
    from tests.support.records import record

    llm = {g.OPERATION_NAME: "chat", g.PROVIDER_NAME: "openai", g.REQUEST_MODEL: "gpt-4o-mini",
           g.USAGE_INPUT_TOKENS: 120, g.USAGE_OUTPUT_TOKENS: 30}  # fmt: skip
    return [
        record(1, name="root"),
        record(2, 1, name="llm", start=1_000, attributes=llm),
        record(3, 2, name="after", start=2_000, status="ERROR", status_message="boom"),
        record(5, 4, name="orphan", start=3_000),
        record(2, 1, name="llm", start=1_000, attributes=llm),  # re-sent
    ]


def _example_case(name: str, inputs: Inputs, strategy: str, index: int) -> Case:
    data = inputs.example(strategy, index)
    if strategy == "langsmith_runs":
        return Case(
            name, lambda: digest(data), lambda: paths.back([Run.from_dict(r) for r in data])
        )
    spans = [record_from_json(r) for r in data]
    return Case(name, lambda: digest(data), lambda: paths.records(spans))


def case(name: str, inputs: Inputs) -> Case:
    parts = name.split("/")
    d = case_draw(name)
    if parts[0] == "generated":
        index, path = int(parts[1][1:]), parts[2]
        return Case(
            name,
            lambda: inputs.group(index)[1],
            lambda: _records_path(path, inputs.group(index)[0], d),
        )
    if parts[:2] == ["fixture", "otlp"]:
        fixture, path = parts[2], parts[3]
        return Case(
            name,
            lambda: inputs.otlp(fixture)[1],
            lambda: _records_path(path, inputs.otlp(fixture)[0], d),
        )
    if parts[:2] == ["fixture", "runs"]:
        path = parts[3]
        return Case(name, lambda: inputs.export_runs[1], lambda: _export_case(path, inputs, d))
    if parts[1] == "agent_spans":
        if parts[2] == "spans_to_runs":
            return Case(name, lambda: _span_digest(_agent_spans()),
                        lambda: paths.sdk_spans(_agent_spans()))  # fmt: skip
        return Case(name, lambda: _span_digest(_agent_spans()),
                    lambda: paths.exporter_of_spans(_agent_spans(), d))  # fmt: skip
    if parts[1] == "records":
        return Case(name, lambda: digest(_records_tree()), lambda: paths.records(_records_tree()))
    if parts[1] == "strategies":
        return _example_case(name, inputs, parts[2], int(parts[3]))
    raise ValueError(name)


def _export_case(path: str, inputs: Inputs, d: Draw) -> Outcome:
    from otel_runs.runs_to_spans import runs_to_records, runs_to_spans

    runs = inputs.export_runs[0]
    if path == "records":
        return paths.records(runs_to_records(runs))
    if path == "sdk":
        return paths.sdk_spans(runs_to_spans(runs))
    return paths.exporter_of_spans(runs_to_spans(runs), d)
