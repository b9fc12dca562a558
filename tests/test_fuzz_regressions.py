"""Fuzzing: the smoke run of every target, and replays of seeds and of past crashers.

The fuzzer writes crashers to `fuzz.main.CRASHERS` (tests/fixtures/fuzz/<target>/) and this
module replays the same directory: one place, so a crasher is replayed from the moment it is
found."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from fuzz.main import CRASHERS
from fuzz.seeds import seeds
from fuzz.targets import TARGETS

ROOT = Path(__file__).resolve().parent.parent


def _replays() -> list[object]:
    cases: list[object] = []
    for name in TARGETS:
        cases += [pytest.param(name, seed, id=f"{name}-seed{i}") for i, seed in enumerate(seeds(name))]
        for path in sorted((CRASHERS / name).glob("*")) if (CRASHERS / name).is_dir() else []:
            cases.append(pytest.param(name, path.read_bytes(), id=f"{name}-{path.name}"))
    return cases


@pytest.mark.parametrize(("target", "data"), _replays())
def test_replay(target: str, data: bytes) -> None:
    TARGETS[target](data)


def test_seeds_are_real_inputs() -> None:
    """The protobuf seeds decode to the same spans as their JSON originals (else the fuzzer
    would start from garbage)."""
    from otel_runs.otlp.decode import decode_json_request, decode_request

    for as_json, as_proto in zip(seeds("otlp_json"), seeds("otlp_protobuf"), strict=True):
        from_json, from_proto = decode_json_request(as_json), decode_request(as_proto)
        assert not from_json.rejected and not from_proto.rejected
        assert from_json.records == from_proto.records


def test_every_target_survives_a_short_fuzz_run() -> None:
    pytest.importorskip("atheris")
    done = subprocess.run(
        [sys.executable, "-m", "fuzz.main", "--runs", "2000"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count(" ok ") == len(TARGETS)


def test_the_replayed_directory_is_the_one_the_fuzzer_writes() -> None:
    assert CRASHERS == ROOT / "tests" / "fixtures" / "fuzz"
    assert (CRASHERS / "README.md").is_file()  # the directory is in the repository


def test_log_seeds_are_real_inputs() -> None:
    """The log seeds decode the same from JSON and protobuf, and carry span-bound events."""
    from otel_runs.otlp.decode_logs import decode_logs_json_request, decode_logs_request

    events = 0
    for as_json, as_proto in zip(seeds("otlp_logs_json"), seeds("otlp_logs_protobuf"), strict=True):
        from_json, from_proto = decode_logs_json_request(as_json), decode_logs_request(as_proto)
        assert not from_json.rejected and from_json.events == from_proto.events
        events += len(from_json.events)
    assert events > 0
