"""JavaScript frameworks' real OTLP exports (tests/fixtures/frameworks/<name>/), converted the
ways a user would, checked field by field against expected.json.

Each recording is what a real program (program.mjs, pinned by package-lock.json) sent to a
loopback collector while it called a fake OpenAI API (tests/fixtures/frameworks/_js/). Its
expected.json holds the facts from the program and from the fake's fixed answers (exchanges.jsonl
is the fake's log of them), never from otel-runs' output:

- `runs`: one entry per run checked, selected by OTel span name and its rank among spans of that
  name in dotted_order order (`"span#2"`); `parent` names the parent the same way (null: a root);
  `fields` maps a dotted path of the run's JSON (`Run.to_dict()`) to its value; `absent` lists
  paths that must not exist; `error` is how the run's error text starts (the run then has status
  error); `priced` says a cost was computed; `first_token` that a first-token time lies within
  the run.
- `run_count`: how many runs the recording makes; `roll_ups`: for a root, the tokens it must
  sum from the LLM calls below it.

Recordings are converted in process (decode + convert, as `otel-runs convert` does) for every
framework, and through a real `otel-runs serve` for one.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from otel_runs.convert.spans_to_runs import convert_records
from otel_runs.errors import StoreError
from otel_runs.files.detect import Format, detect
from otel_runs.files.otlp_json import read_otlp_json
from otel_runs.files.otlp_proto import read_otlp_proto
from otel_runs.files.records import BadRecord
from otel_runs.files.source import Source
from otel_runs.model.span_record import SpanRecord
from otel_runs.sinks.sqlite import read_runs
from tests.support.receiver_proc import serving

FRAMEWORKS = Path(__file__).parent / "fixtures" / "frameworks"
JS_NAMES = sorted(
    path.parent.name
    for path in FRAMEWORKS.glob("*/package.json")
    if (path.parent / "expected.json").exists()
)
_MISSING = object()

RunDict = dict[str, Any]


def _recording(name: str) -> Path:
    [path] = [p for p in (FRAMEWORKS / name).glob("recording.otlp.*")]
    return path


def _records(name: str) -> list[SpanRecord]:
    """Every span of the recording, decoded as `otel-runs convert` reads the file."""
    with _recording(name).open("rb") as raw:
        source = Source(raw)
        reader = read_otlp_json if detect(source) is Format.OTLP_JSON else read_otlp_proto
        found = [item for _, item in reader(source)]
    bad = [item for item in found if isinstance(item, BadRecord)]
    assert bad == [], bad
    return [item for item in found if isinstance(item, SpanRecord)]


def _expected(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FRAMEWORKS / name / "expected.json").read_text())
    return data


def _span_name(run: RunDict) -> str:
    otel = run["extra"]["metadata"].get("otel", {})
    return str(otel.get("span_name", run["name"]))


def _labelled(runs: list[RunDict]) -> dict[str, RunDict]:
    """Runs by `span#n`: n counts spans of that name in dotted_order order, from 1."""
    seen: Counter[str] = Counter()
    out = {}
    for run in sorted(runs, key=lambda r: str(r["dotted_order"])):
        span = _span_name(run)
        seen[span] += 1
        out[f"{span}#{seen[span]}"] = run
    return out


def _label(selector: str) -> str:
    return selector if "#" in selector else f"{selector}#1"


def at(data: Any, path: str) -> Any:
    """`data` followed along a dotted path (integer segments index lists); _MISSING if absent."""
    for segment in path.split("."):
        if isinstance(data, list) and segment.isdigit() and int(segment) < len(data):
            data = data[int(segment)]
        elif isinstance(data, dict) and segment in data:
            data = data[segment]
        else:
            return _MISSING
    return data


def _time(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def check_runs(name: str, runs: list[RunDict]) -> None:
    """Every expectation of the framework's expected.json, on these runs."""
    expected = _expected(name)
    by_label = _labelled(runs)
    by_id = {str(run["id"]): label for label, run in by_label.items()}
    assert len(runs) == expected["run_count"], sorted(by_label)
    problems: list[str] = []
    for entry in expected["runs"]:
        label = _label(entry["span"])
        run = by_label.get(label)
        if run is None:
            problems.append(f"{label}: no such run among {sorted(by_label)}")
            continue
        parent = run.get("parent_run_id")
        got_parent = by_id.get(str(parent)) if parent else None
        want_parent = _label(entry["parent"]) if entry.get("parent") else None
        if got_parent != want_parent:
            problems.append(f"{label}: parent {got_parent}, expected {want_parent}")
        for path, want in entry.get("fields", {}).items():
            got = at(run, path)
            if got != want:
                shown = "absent" if got is _MISSING else json.dumps(got, default=str)
                problems.append(f"{label}: {path} = {shown}, expected {json.dumps(want)}")
        for path in entry.get("absent", []):
            if at(run, path) is not _MISSING and at(run, path) is not None:
                problems.append(f"{label}: {path} = {at(run, path)!r}, expected absent")
        error = entry.get("error")
        if error is not None:
            if not str(run.get("error") or "").startswith(error) or run["status"] != "error":
                problems.append(f"{label}: error {run.get('error')!r}, expected {error!r}...")
        elif run.get("error") is not None:
            problems.append(f"{label}: unexpected error {run['error']!r}")
        if entry.get("priced"):
            cost = run.get("total_cost")
            if cost is None or Decimal(str(cost)) <= 0:
                problems.append(f"{label}: no cost computed (total_cost {cost!r})")
        if entry.get("first_token"):
            first = run.get("first_token_time")
            if first is None or not (
                _time(run["start_time"]) <= _time(first) <= _time(run["end_time"])
            ):
                problems.append(f"{label}: first_token_time {first!r} not within the run")
        for field, want in entry.get("roll_ups", {}).items():
            if run.get(field) != want:
                problems.append(f"{label}: {field} = {run.get(field)!r}, expected {want}")
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("name", JS_NAMES)
def test_recording_converts_in_process_to_the_expected_runs(name: str) -> None:
    conversion = convert_records(_records(name))
    assert conversion.rejected == []
    check_runs(name, [run.to_dict() for run in conversion.runs])


def test_every_js_framework_has_a_checked_recording() -> None:
    """The frameworks of issue 14's JavaScript part, each with its program, lockfile and
    recording next to expected.json."""
    assert set(JS_NAMES) == {
        "langsmith-js",
        "mastra",
        "openai-agents-js",
        "vercel-ai-5",
        "vercel-ai-6",
        "vercel-ai-7",
    }
    for name in JS_NAMES:
        for file in ("program.mjs", "package-lock.json", "README.md", "exchanges.jsonl"):
            assert (FRAMEWORKS / name / file).is_file(), (name, file)


def _bodies(name: str) -> tuple[str, list[bytes]]:
    """The recorded request bodies, as the exporter sent them, and their content type."""
    path = _recording(name)
    if path.suffix == ".jsonl":
        return "application/json", [line for line in path.read_bytes().splitlines() if line]
    data, bodies, at_byte = path.read_bytes(), [], 0
    while at_byte < len(data):
        size = shift = 0
        while True:
            byte = data[at_byte]
            at_byte += 1
            size |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        bodies.append(data[at_byte : at_byte + size])
        at_byte += size
    return "application/x-protobuf", bodies


@pytest.mark.parametrize("name", ["vercel-ai-6", "langsmith-js"])
def test_recording_sent_to_otel_runs_serve_stores_the_expected_runs(
    name: str, tmp_path: Path
) -> None:
    """The exporter's own bodies, posted to a real `otel-runs serve` as the exporter did."""
    store = tmp_path / "runs.sqlite"
    content_type, bodies = _bodies(name)
    expected_count = _expected(name)["run_count"]
    with serving(store, grpc=False, env={"OTEL_RUNS_LOG_SETTLE_SECONDS": "0.1"}) as served:
        for body in bodies:
            response = httpx.post(
                f"{served.http_url}/v1/traces",
                content=body,
                headers={"content-type": content_type},
                timeout=30,
            )
            assert response.status_code == 200, response.text
        deadline = time.monotonic() + 60
        runs: list[RunDict] = []
        while time.monotonic() < deadline:
            try:
                runs = [run.to_dict() for run in read_runs(store)]
            except StoreError:  # not created yet, or its schema not yet written
                runs = []
            if len(runs) >= expected_count:
                break
            time.sleep(0.2)
    check_runs(name, runs)
