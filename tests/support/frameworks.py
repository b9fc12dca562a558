"""Framework fixtures: load a recording and its expected.json, convert it, check runs field by field.

Layout (see tests/fixtures/frameworks/record.py): `tests/fixtures/frameworks/<name>/` holds
`program.py`, `requirements.txt`, `recording.otlp.pb` or `.jsonl` (what the exporter sent),
`expected.json` and a README.

`expected.json` states what the program did and what the fake answered, never otel-runs' output:

    {"runs": [{"select": {"name": "get_weather"}, "run_type": "tool", ...}, ...],
     "run_types": {"llm": 3, "tool": 1}}       # optional: how many runs of each type

Each expected run has a `select` (SELECTOR) and any of these facts (EXPECTED_KEYS):

- `run_type`, `name`: exact.
- `parent`: a selector of the parent run, or null for a root.
- `model`, `provider`: `extra.metadata.ls_model_name` / `ls_provider`, exact.
- `messages`: the LLM prompt, `inputs["messages"]`: as many messages, each with the given keys:
  `role`, `content` (the text; text parts are joined), `tool_calls` (`[{"name", "arguments"
  (an object), "id"?}]`), `tool_call_id`.
- `tools`: the names of the tools offered (`inputs["tools"]`, OpenAI's shape).
- `completion`: the first choice's message, `outputs["choices"][0]`: `content`, `tool_calls`,
  `finish_reason` as above.
- `inputs` / `outputs`: exact objects (a tool run: its arguments / its result).
- `inputs_contain` / `outputs_contain`: texts that must appear in the inputs / outputs JSON
  (runs whose shape is free, such as an agent's).
- `usage`: the run's own tokens: `input_tokens`, `output_tokens`, `total_tokens` (the run's
  `prompt_tokens` / `completion_tokens` / `total_tokens`) and `input_token_details` /
  `output_token_details` (in `extra.metadata.usage_metadata`); a run that must carry none:
  `"usage": null`.
- `total_tokens`: the run's total, for roll-ups (a chain's is the sum of the LLM calls below).
- `cost`: true when the run must have a `total_cost`, false when it must have none;
  `total_cost`: the exact amount (a decimal string), for costs the program itself reported.
- `error`: a text the run's error must contain; null when the run must have succeeded.
- `first_token`: true when `first_token_time` must lie within the run, false when unset.
- `streaming`: `extra.invocation_params.stream`.
- `metadata`: key/values `extra.metadata` must hold.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import httpx

from otel_runs import Run
from otel_runs.errors import StoreError
from otel_runs.files.detect import Format, detect
from otel_runs.files.otlp_proto import Framing, framing
from otel_runs.files.pipeline import convert
from otel_runs.files.records import BadRecord
from otel_runs.files.source import Source
from otel_runs.sinks.sqlite import read_runs
from tests.support.receiver_proc import serving
from tests.support.run_tree import assert_one_tree

ROOT: Final = Path(__file__).resolve().parents[2]
FRAMEWORKS: Final = ROOT / "tests" / "fixtures" / "frameworks"

SELECTOR: Final = frozenset({"name", "run_type", "nth"})
"""`name` (run name), optional `run_type`, and `nth` (0-based, in dotted_order order) when
several runs match."""
EXPECTED_KEYS: Final = frozenset(
    {
        "select", "run_type", "name", "parent", "model", "provider", "messages", "tools",
        "completion", "inputs", "outputs", "inputs_contain", "outputs_contain", "usage",
        "total_tokens", "cost", "total_cost", "error", "first_token", "streaming", "metadata",
        "note",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Fixture:
    """One framework's fixture directory."""

    name: str
    path: Path
    expected: dict[str, Any]

    @property
    def recording(self) -> Path:
        found = sorted(self.path.glob("recording.otlp.*"))
        assert len(found) == 1, f"{self.path}: expected one recording, found {found}"
        return found[0]

    @property
    def expected_runs(self) -> list[dict[str, Any]]:
        runs: list[dict[str, Any]] = self.expected["runs"]
        return runs


def load(name: str) -> Fixture:
    """The fixture `tests/fixtures/frameworks/<name>/`."""
    path = FRAMEWORKS / name
    expected = json.loads((path / "expected.json").read_text())
    return Fixture(name, path, expected)


# --- conversion -----------------------------------------------------------------------------------


def convert_file(path: Path) -> list[Run]:
    """The recording converted as `otel-runs convert FILE` does (same reader, same pipeline),
    in-process; every span must convert."""
    bad: list[BadRecord] = []
    out = io.BytesIO()
    with path.open("rb") as raw:
        source = Source(raw)
        kind = detect(source)
        assert kind in (Format.OTLP_PROTO, Format.OTLP_JSON), f"{path}: {kind}"
        outcome = convert(
            source, kind, Format.RUNS.value, out=out, on_bad=bad.append, tick=_no_tick
        )
    assert not bad, f"{path}: {[str(b) for b in bad]}"
    assert outcome.bad == 0
    runs = [Run.from_dict(json.loads(line)) for line in out.getvalue().splitlines()]
    assert len(runs) == outcome.read, "every span becomes one run"
    return runs


def _no_tick(written: int) -> None:
    return


def request_bodies(path: Path) -> tuple[str, list[bytes]]:
    """The recorded export requests (content type, bodies), in the order they were sent."""
    if path.suffix == ".jsonl":
        lines = [line for line in path.read_bytes().splitlines() if line.strip()]
        return "application/json", lines
    with path.open("rb") as raw:
        source = Source(raw)
        assert framing(source) is Framing.VARINT, f"{path}: not varint-delimited"
        data = source.read(path.stat().st_size + 1)
    bodies = []
    at = 0
    while at < len(data):
        size, shift = 0, 0
        while True:
            byte = data[at]
            at += 1
            size |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        bodies.append(data[at : at + size])
        at += size
    return "application/x-protobuf", bodies


def send_recording(path: Path, http_url: str) -> None:
    """POST the recorded requests to an OTLP/HTTP endpoint (`otel-runs serve`), as sent."""
    content_type, bodies = request_bodies(path)
    with httpx.Client(timeout=30) as client:
        for body in bodies:
            reply = client.post(
                f"{http_url}/v1/traces", content=body, headers={"content-type": content_type}
            )
            assert reply.status_code == 200, reply.text


def wait_for_runs(store: Path, count: int, timeout: float = 60.0) -> list[Run]:
    """The store's runs once it holds `count` of them."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            runs = read_runs(store)
        except StoreError:  # not created yet, or its schema not written yet
            runs = []
        if len(runs) >= count or time.monotonic() > deadline:
            return runs
        time.sleep(0.1)


# --- selecting runs -------------------------------------------------------------------------------


def select(runs: list[Run], selector: dict[str, Any]) -> Run:
    """The run a selector names (see SELECTOR)."""
    unknown = set(selector) - SELECTOR
    assert not unknown, f"unknown selector keys {unknown}"
    found = [
        run
        for run in runs
        if run.name == selector["name"]
        and ("run_type" not in selector or run.run_type == selector["run_type"])
    ]
    nth = selector.get("nth")
    if nth is None:
        assert len(found) == 1, (
            f"{selector}: expected one run, found {len(found)} among "
            f"{[(r.name, r.run_type) for r in runs]}"
        )
        return found[0]
    assert isinstance(nth, int)
    assert nth < len(found), f"{selector}: only {len(found)} runs match"
    chosen: Run = found[nth]
    return chosen


def by_type(runs: list[Run]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for run in runs:
        counts[run.run_type] = counts.get(run.run_type, 0) + 1
    return counts


# --- checking -------------------------------------------------------------------------------------


def text_of(content: Any) -> Any:
    """A message content as text when it is text (a string, or text parts joined)."""
    if isinstance(content, list) and all(
        isinstance(p, dict) and p.get("type") == "text" for p in content
    ):
        return "".join(str(p.get("text", "")) for p in content)
    return content


def _calls(calls: Any) -> list[dict[str, Any]]:
    out = []
    for call in calls or []:
        function = call.get("function") or {}
        arguments = function.get("arguments")
        try:
            parsed = json.loads(arguments) if isinstance(arguments, str) else arguments
        except ValueError:
            parsed = arguments
        entry = {"name": function.get("name"), "arguments": parsed}
        if "id" in call:
            entry["id"] = call["id"]
        out.append(entry)
    return out


def _message_problems(where: str, got: dict[str, Any], want: dict[str, Any]) -> list[str]:
    problems = []
    for key, value in want.items():
        if key == "content":
            actual: Any = text_of(got.get("content"))
        elif key == "tool_calls":
            calls = _calls(got.get("tool_calls"))
            # Only the keys the expectation names (an id is not always known in advance).
            actual = [
                {k: v for k, v in call.items() if k in wanted}
                for call, wanted in zip(calls, value, strict=False)
            ] + calls[len(value) :]
        else:
            actual = got.get(key)
        if actual != value:
            problems.append(f"{where}.{key}: {actual!r} != {value!r}")
    return problems


def _usage_problems(run: Run, want: dict[str, Any] | None) -> list[str]:
    if want is None:
        usage = run.metadata.get("usage_metadata")
        return [f"usage: expected none, got {usage}"] if usage else []
    problems = []
    tops = {
        "input_tokens": run.prompt_tokens,
        "output_tokens": run.completion_tokens,
        "total_tokens": run.total_tokens,
    }
    carried = run.metadata.get("usage_metadata") or {}
    for key, value in want.items():
        actual = tops[key] if key in tops else carried.get(key)
        if actual != value:
            problems.append(f"usage.{key}: {actual!r} != {value!r}")
    return problems


def problems(runs: list[Run], run: Run, want: dict[str, Any]) -> list[str]:
    """Every way `run` differs from the expected facts `want` (empty when it matches)."""
    unknown = set(want) - EXPECTED_KEYS
    assert not unknown, f"unknown expected keys {unknown}"
    out: list[str] = []
    meta = run.metadata

    def same(label: str, actual: Any, value: Any) -> None:
        if actual != value:
            out.append(f"{label}: {actual!r} != {value!r}")

    checks: dict[str, Callable[[Any], None]] = {
        "run_type": lambda v: same("run_type", run.run_type, v),
        "name": lambda v: same("name", run.name, v),
        "model": lambda v: same("model", meta.get("ls_model_name"), v),
        "provider": lambda v: same("provider", meta.get("ls_provider"), v),
        "inputs": lambda v: same("inputs", run.inputs, v),
        "outputs": lambda v: same("outputs", run.outputs, v),
        "total_tokens": lambda v: same("total_tokens", run.total_tokens, v),
        "total_cost": lambda v: same("total_cost", run.total_cost, Decimal(v)),
        "streaming": lambda v: same(
            "streaming", (run.extra.get("invocation_params") or {}).get("stream"), v
        ),
    }
    for key, value in want.items():
        if key in checks:
            checks[key](value)
        elif key == "parent":
            parent = next((r for r in runs if r.id == run.parent_run_id), None)
            if value is None:
                same("parent", parent and parent.name, None)
            else:
                same("parent", parent and parent.id, select(runs, value).id)
        elif key == "messages":
            got = run.inputs.get("messages")
            if not isinstance(got, list) or len(got) != len(value):
                out.append(f"messages: {got!r} has not {len(value)} messages")
                continue
            for index, (message, expected) in enumerate(zip(got, value, strict=True)):
                out.extend(_message_problems(f"messages[{index}]", message, expected))
        elif key == "tools":
            tools = run.inputs.get("tools") or []
            same("tools", [(t.get("function") or t).get("name") for t in tools], value)
        elif key == "completion":
            choices = (run.outputs or {}).get("choices") or []
            if not choices:
                out.append(f"completion: no choices in {run.outputs!r}")
                continue
            choice = choices[0]
            message = dict(choice.get("message") or {})
            message["finish_reason"] = choice.get("finish_reason")
            out.extend(_message_problems("completion", message, value))
        elif key in ("inputs_contain", "outputs_contain"):
            data = run.inputs if key == "inputs_contain" else run.outputs
            dumped = json.dumps(data, ensure_ascii=False)
            out.extend(f"{key}: {text!r} not in {dumped}" for text in value if text not in dumped)
        elif key == "usage":
            out.extend(_usage_problems(run, value))
        elif key == "cost":
            has_cost = run.total_cost is not None and run.total_cost > Decimal(0)
            same("cost", has_cost, value)
        elif key == "error":
            if value is None:
                same("error", run.error, None)
            elif run.error is None or value not in run.error:
                out.append(f"error: {run.error!r} does not contain {value!r}")
        elif key == "first_token":
            first = run.first_token_time
            if not value:
                same("first_token_time", first, None)
            elif first is None or not (run.start_time <= first <= (run.end_time or first)):
                out.append(f"first_token_time {first} not within {run.start_time}..{run.end_time}")
        elif key == "metadata":
            for meta_key, meta_value in value.items():
                same(f"metadata.{meta_key}", meta.get(meta_key), meta_value)
    return out


def check(runs: list[Run], fixture: Fixture) -> None:
    """Every expected run of the fixture, and the run-type counts, against `runs`."""
    found: list[str] = []
    for want in fixture.expected_runs:
        run = select(runs, want["select"])
        found.extend(f"{want['select']}: {p}" for p in problems(runs, run, want))
    counts = fixture.expected.get("run_types")
    if counts is not None and by_type(runs) != counts:
        found.append(f"run types {by_type(runs)} != {counts}")
    assert not found, "\n".join(found)


def check_recording(name: str) -> None:
    """The fixture's recording, converted in process, against its expected runs."""
    fixture = load(name)
    check(convert_file(fixture.recording), fixture)


def check_one_tree_per_trace(name: str) -> None:
    """Every trace of the fixture's recording converts to one tree."""
    runs = convert_file(load(name).recording)
    for trace_id in {run.trace_id for run in runs}:
        assert_one_tree([run for run in runs if run.trace_id == trace_id])


def check_through_serve(fixture: Fixture, converted: list[Run], tmp_path: Path) -> None:
    """The recording sent to a real `otel-runs serve` stores the expected runs, with the ids
    of the in-process conversion (`converted`)."""
    store = tmp_path / "runs.sqlite"
    with serving(store, grpc=False, env={"OTEL_RUNS_LOG_SETTLE_SECONDS": "0.1"}) as served:
        send_recording(fixture.recording, served.http_url)
        stored = wait_for_runs(store, len(converted))
    check(stored, fixture)
    assert sorted(r.to_dict()["id"] for r in stored) == sorted(str(r.id) for r in converted)
