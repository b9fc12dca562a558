"""`otel-runs convert`: runs files <-> OTLP files (detected by content, streamed), replay into
OTLP endpoints through the OTel SDK exporters, and bad input reported by line while the good
records still convert."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from collections.abc import Iterable, Iterator
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import pytest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

from otel_runs import Run
from otel_runs.cli import main
from otel_runs.files.otlp_proto import encode_varint
from otel_runs.files.runs_jsonl import run_line
from otel_runs.otlp.decode import decode_json_request, decode_request
from otel_runs.runs_to_spans import runs_to_records
from tests.fixtures.runs.roundtrip import back_to_runs, differences
from tests.support.otlp_collector import Collector, otlp_collector

FIXTURES = Path(__file__).parent / "fixtures"
EXPORT = FIXTURES / "runs" / "langsmith_export.jsonl"
SCRIPT = Path(sys.executable).with_name("otel-runs")


def read_run_file(path: Path) -> list[Run]:
    return [Run.from_dict(json.loads(line)) for line in path.read_text().splitlines() if line]


@pytest.fixture
def runs() -> list[Run]:
    return read_run_file(EXPORT)


def convert(*args: str | Path) -> int:
    return main(["convert", *map(str, args)])


# --- files, both ways ----------------------------------------------------------------------------


@pytest.mark.parametrize("middle", ["otlp-json", "otlp-proto"])
def test_a_runs_file_survives_the_trip_through_an_otlp_file(
    tmp_path: Path, runs: list[Run], middle: str
) -> None:
    otlp, back = tmp_path / "spans.otlp", tmp_path / "back.jsonl"
    assert convert(EXPORT, "--to", middle, "-o", otlp) == 0
    assert convert(otlp, "-o", back) == 0
    assert _differences_in_order(read_run_file(back), runs) == {}


def test_otlp_json_output_is_json_lines_of_requests(tmp_path: Path, runs: list[Run]) -> None:
    out = tmp_path / "spans.jsonl"
    assert convert(EXPORT, "-o", out, "--batch", "3") == 0
    lines = out.read_text().splitlines()
    assert len(lines) == 3  # 8 runs in batches of 3
    records = [r for line in lines for r in decode_json_request(line).records]
    assert sorted(r.name for r in records) == sorted(r.name for r in runs)


def test_otlp_json_documents_from_instrumentations_become_runs(tmp_path: Path) -> None:
    for fixture in sorted((FIXTURES / "otlp").glob("*.json")):
        out = tmp_path / f"{fixture.stem}.jsonl"
        assert convert(fixture, "-o", out) == 0, fixture
        expected = back_to_runs(decode_json_request(fixture.read_bytes()).records)
        got = {run.id: run for run in read_run_file(out)}
        assert sorted(got) == sorted(run.id for run in expected)
        assert differences([got[run.id] for run in expected], expected) == {}


def _differences_in_order(got: Iterable[Run], want: Iterable[Run]) -> dict[str, Any]:
    """`differences` of two sets of runs, each put in dotted_order order first."""

    def in_order(runs: Iterable[Run]) -> list[Run]:
        return sorted(runs, key=lambda r: r.dotted_order)

    return differences(in_order(got), in_order(want))


def _requests(runs: list[Run]) -> list[bytes]:
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

    from otel_runs.runs_to_spans import runs_to_spans

    return [
        encode_spans(runs_to_spans(runs[i : i + 3])).SerializeToString()
        for i in range(0, len(runs), 3)
    ]


@pytest.mark.parametrize("framing", ["varint", "fixed32", "single"])
def test_every_protobuf_framing_is_read(tmp_path: Path, runs: list[Run], framing: str) -> None:
    bodies = _requests(runs)
    if framing == "varint":
        data = b"".join(encode_varint(len(b)) + b for b in bodies)
    elif framing == "fixed32":
        data = b"".join(len(b).to_bytes(4, "big") + b for b in bodies)
    else:
        data = b"".join(bodies)  # concatenated requests parse as one request
    source, out = tmp_path / "spans.bin", tmp_path / "runs.jsonl"
    source.write_bytes(data)
    assert convert(source, "-o", out) == 0
    assert _differences_in_order(read_run_file(out), runs) == {}


def test_format_is_read_from_content_not_names(tmp_path: Path, runs: list[Run]) -> None:
    misnamed = tmp_path / "spans.json"
    misnamed.write_bytes(gzip.compress(EXPORT.read_bytes()))  # runs, gzipped, named like spans
    out = tmp_path / "out.txt"
    assert convert(misnamed, "-o", out) == 0
    assert len(decode_json_request(out.read_text().splitlines()[0]).records) == len(runs)


def test_a_json_array_of_runs_is_read(tmp_path: Path, runs: list[Run]) -> None:
    array = tmp_path / "runs.json"
    array.write_text(
        json.dumps([json.loads(line) for line in EXPORT.read_text().splitlines()], indent=2)
    )
    out = tmp_path / "spans.jsonl"
    assert convert(array, "-o", out) == 0
    assert sum(
        len(decode_json_request(line).records) for line in out.read_text().splitlines()
    ) == len(runs)


# --- bad input -------------------------------------------------------------------------------------


def test_bad_lines_are_reported_by_number_and_the_rest_converts(
    tmp_path: Path, runs: list[Run], capsys: pytest.CaptureFixture[str]
) -> None:
    lines = EXPORT.read_text().splitlines()
    lines.insert(1, "{not json")
    lines.insert(
        3,
        json.dumps(
            {
                "id": "not-a-uuid",
                "name": "x",
                "run_type": "chain",
                "start_time": "2024-01-01T00:00:00Z",
            }
        ),
    )
    lines.insert(5, "")
    source, out = tmp_path / "mixed.jsonl", tmp_path / "spans.jsonl"
    source.write_text("\n".join(lines) + "\n")
    assert convert(source, "-o", out) == 1
    err = capsys.readouterr().err
    assert f"{source}:line 2: not JSON" in err
    assert f"{source}:line 4: field 'id'" in err
    assert f"{len(runs)} written, 2 not converted" in err
    assert sum(
        len(decode_json_request(line).records) for line in out.read_text().splitlines()
    ) == len(runs)


def test_bad_otlp_lines_and_spans_are_reported_and_the_rest_converts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = json.dumps(json.loads((FIXTURES / "otlp" / "langsmith.json").read_text()))
    broken_span = json.loads(good)
    broken_span["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["traceId"] = "00"
    source, out = tmp_path / "spans.jsonl", tmp_path / "runs.jsonl"
    source.write_text("\n".join([good, "[1, 2", json.dumps(broken_span)]) + "\n")
    assert convert(source, "-o", out) == 1
    err = capsys.readouterr().err
    assert f"{source}:line 2: body is not OTLP/JSON" in err
    assert f"{source}:line 3, span 0: " in err
    assert "trace" in err.split("line 3, span 0: ")[1]
    assert len(read_run_file(out)) > 0


def test_unreadable_content_is_one_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x07\x07 this is not a trace file")
    assert convert(junk) == 1
    assert "not OTLP" in capsys.readouterr().err
    assert convert(tmp_path / "missing.jsonl") == 1
    assert "no such file" in capsys.readouterr().err


def test_a_truncated_protobuf_file_keeps_what_came_before(
    tmp_path: Path, runs: list[Run], capsys: pytest.CaptureFixture[str]
) -> None:
    bodies = _requests(runs)
    data = b"".join(encode_varint(len(b)) + b for b in bodies)
    source, out = tmp_path / "cut.pb", tmp_path / "runs.jsonl"
    source.write_bytes(data[:-10])
    assert convert(source, "-o", out) == 1
    assert "ends 10 bytes early" in capsys.readouterr().err


# --- progress --------------------------------------------------------------------------------------


def test_progress_only_when_asked_or_on_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "spans.jsonl"
    assert convert(EXPORT, "-o", out) == 0
    assert capsys.readouterr().err == ""  # stderr is not a terminal under pytest
    assert convert(EXPORT, "-o", out, "--progress") == 0
    err = capsys.readouterr().err
    assert "100%" in err and "8 spans" in err


# --- replay into OTLP endpoints --------------------------------------------------------------------


@pytest.fixture
def collector() -> Iterator[Collector]:
    with otlp_collector() as running:
        yield running


def test_runs_replay_into_an_otlp_http_endpoint(collector: Collector, runs: list[Run]) -> None:
    assert convert(EXPORT, "--to", "otlp-http", collector.url, "--header", "x-api-key=secret") == 0
    records = [r for body in collector.bodies for r in decode_request(body).records]
    assert differences(back_to_runs(records), runs) == {}
    assert all(h.get("x-api-key") == "secret" for h, _ in collector.requests)


def test_a_refusing_endpoint_is_reported(
    collector: Collector, capsys: pytest.CaptureFixture[str]
) -> None:
    collector.status = 400
    assert convert(EXPORT, "--to", "otlp-http", collector.url) == 1
    assert "did not accept the span" in capsys.readouterr().err


class _TraceService(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self) -> None:
        self.requests: list[trace_service_pb2.ExportTraceServiceRequest] = []

    def Export(self, request: Any, context: Any) -> Any:
        self.requests.append(request)
        return trace_service_pb2.ExportTraceServiceResponse()


def test_runs_replay_into_an_otlp_grpc_endpoint(runs: list[Run]) -> None:
    service = _TraceService()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(service, server)  # type: ignore[no-untyped-call]
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        assert convert(EXPORT, "--to", "otlp-grpc", f"http://127.0.0.1:{port}") == 0
    finally:
        server.stop(None)
    records = [
        r for req in service.requests for r in decode_request(req.SerializeToString()).records
    ]
    assert differences(back_to_runs(records), runs) == {}


def test_otlp_files_replay_too(collector: Collector, tmp_path: Path) -> None:
    otlp = tmp_path / "spans.jsonl"
    assert convert(EXPORT, "-o", otlp) == 0
    assert convert(otlp, "--to", "otlp-http", collector.url) == 0
    sent = [r for body in collector.bodies for r in decode_request(body).records]
    assert sorted(r.span_id for r in sent) == sorted(
        r.span_id for r in runs_to_records(read_run_file(EXPORT))
    )


# --- usage ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to", "otlp-http"], "needs the endpoint URL"),
        (["--to", "otlp-json", "http://x"], "takes no URL"),
        (["--to", "csv"], "expected one of"),
        (["--to", "runs"], "already holds runs"),
        (["--header", "novalue"], "expected KEY=VALUE"),
    ],
)
def test_usage_errors_say_what_is_wrong(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert convert(EXPORT, *args) == 1
    assert message in capsys.readouterr().err


def test_stdin_to_stdout_through_the_installed_command(runs: list[Run]) -> None:
    spans = subprocess.run(
        [str(SCRIPT), "convert", "-"], input=EXPORT.read_bytes(), capture_output=True, check=True
    )
    back = subprocess.run(
        [str(SCRIPT), "convert", "-"], input=spans.stdout, capture_output=True, check=True
    )
    got = [Run.from_dict(json.loads(line)) for line in back.stdout.decode().splitlines()]
    assert _differences_in_order(got, runs) == {}
    assert spans.stderr == back.stderr == b""


def test_memory_stays_bounded_on_large_files(tmp_path: Path, runs: list[Run]) -> None:
    """Peak memory of a conversion does not grow with the file (the batch bounds it)."""
    import tracemalloc

    def peak(copies: int) -> int:
        source = tmp_path / f"runs{copies}.jsonl"
        with source.open("wb") as handle:
            for index in range(copies):
                for run in runs:
                    clone = Run.from_dict(json.loads(run_line(run)))
                    clone.name = f"{run.name}-{index}"
                    handle.write(run_line(clone))
        tracemalloc.start()
        try:
            assert convert(source, "-o", tmp_path / "out.jsonl", "--batch", "64") == 0
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(50), peak(400)  # 400 and 3,200 runs
    assert large < small * 1.5
