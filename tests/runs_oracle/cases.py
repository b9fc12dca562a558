"""The cases of the runs -> spans oracle: run dicts, and how each case is turned into spans.

Every case is a list of run dicts (as LangSmith's API, its export files or the SDK write them)
kept in the recording itself, so a re-draw never changes what is compared; the export fixture
alone is read from tests/fixtures/ (its digest is recorded). Families:

- `export`: tests/fixtures/runs/langsmith_export.jsonl;
- `sdk`: the runs of tests/fixtures/runs/langsmith_sdk.py as the SDK sends them (random ids and
  clock, hence recorded);
- `bench/NN`: the agent traces of bench/runs_to_spans.py (chain, chat model, tool), as the
  SDK's serializer writes them, which `otel-runs serve` receives in bench/langsmith_api.py;
- `drawn/NNN`: examples of `langsmith_runs()` (tests/fixtures/runs/roundtrip.py), runs born in
  LangSmith with every field set or not;
- `span_born/NN`: runs that came from spans (they keep `extra.metadata.otel`): the runs of
  groups of the spans -> runs oracle's generated corpus (tests/oracle/corpus.py), and of
  `span_forests()` examples.

Each case is converted per run with `run_to_record` from `Run.from_dict` (a run that cannot
become a span records its error), the same through `runs_to_records` on the dicts (the path
that shares the dicts' containers), once with a `resource` given, and the records are encoded
with `encode_request` (the bytes' digest is recorded, or the encoder's error).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from otel_runs.files.encode_proto import encode_request
from otel_runs.model.run import Run
from otel_runs.model.span_record import AttributeValue, SpanRecord
from otel_runs.runs_to_spans import runs_to_records
from otel_runs.runs_to_spans.record import run_to_record
from tests.oracle.serial import record_to_json

EXPORT_FIXTURE: Final = Path(__file__).parents[1] / "fixtures" / "runs" / "langsmith_export.jsonl"
RESOURCE: Final[dict[str, AttributeValue]] = {"service.name": "oracle", "deployment": "test"}
"""The `resource` argument of the cases named in `WITH_RESOURCE`."""
WITH_RESOURCE: Final = ("export", "bench/00")


def export_runs() -> tuple[list[dict[str, Any]], str]:
    text = EXPORT_FIXTURE.read_bytes()
    return [json.loads(line) for line in text.splitlines()], hashlib.sha256(text).hexdigest()


def _error(exc: BaseException) -> dict[str, str]:
    return {"error": f"{type(exc).__name__}: {exc}"}


def outcome(name: str, dicts: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """What today's code makes of one case, as JSON (see the module docstring)."""
    records: list[SpanRecord] = []
    per_run: list[Any] = []
    for item in dicts:
        try:
            record = run_to_record(Run.from_dict(item))
        except Exception as exc:  # an error is an outcome like any other
            per_run.append(_error(exc))
            continue
        records.append(record)
        per_run.append(record_to_json(record))
    out: dict[str, Any] = {"runs": per_run, "encoded": _encoded(records)}
    try:  # the path that shares the dicts' containers; a copy, as the run may keep them
        shared = runs_to_records(json.loads(json.dumps(list(dicts))))
        out["shared"] = (
            "same"
            if [record_to_json(r) for r in shared] == [r for r in per_run if "error" not in r]
            else [record_to_json(r) for r in shared]
        )
    except Exception as exc:
        out["shared"] = _error(exc)
    if name in WITH_RESOURCE:
        given = runs_to_records(dicts, resource=RESOURCE)
        out["with_resource"] = [record_to_json(r) for r in given]
    return out


def _encoded(records: list[SpanRecord]) -> Any:
    try:
        return hashlib.sha256(encode_request(records)).hexdigest()
    except Exception as exc:
        return _error(exc)
