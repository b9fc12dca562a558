"""The public surface, the ring boundaries and the home of attribute names."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import otel_runs

SRC = Path(__file__).resolve().parents[1] / "src" / "otel_runs"


def test_public_names_are_pinned() -> None:
    assert sorted(otel_runs.__all__) == [
        "Conversion",
        "DottedOrderError",
        "EventRecord",
        "InvalidRunError",
        "InvalidSpanError",
        "LangSmithPropagator",
        "LinkRecord",
        "OtelRunsError",
        "OtlpDecodeError",
        "Rejection",
        "Run",
        "RunExporter",
        "RunSpanProcessor",
        "SpanRecord",
        "configure",
        "convert_spans",
        "render_tree",
        "runs_to_spans",
        "spans_to_runs",
        "use_prices",
    ]
    for name in otel_runs.__all__:
        assert getattr(otel_runs, name) is not None


def test_conversion_core_imports_no_network_library() -> None:
    code = (
        "import sys, otel_runs, otel_runs.convert.spans_to_runs;"
        "bad = [m for m in ('httpx', 'requests', 'urllib3', 'aiohttp', 'grpc', 'uvicorn')"
        " if m in sys.modules]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_conventions_import_only_the_standard_library() -> None:
    for path in (SRC / "conventions").glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert node.module.split(".")[0] in {"__future__", "typing"}, (path, node.module)
            if isinstance(node, ast.Import):
                raise AssertionError(f"{path} imports {[a.name for a in node.names]}")


LITERAL = re.compile(r"[\"'](gen_ai|llm|langsmith|openinference|traceloop|pydantic_ai)\.[a-z_]")


def test_attribute_names_live_only_in_conventions() -> None:
    offenders = []
    for path in SRC.rglob("*.py"):
        if "conventions" in path.parts:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if LITERAL.search(line):
                offenders.append(f"{path.relative_to(SRC)}:{number}: {line.strip()}")
    assert offenders == []


def test_every_convention_constant_is_documented() -> None:
    for path in (SRC / "conventions").glob("*.py"):
        tree = ast.parse(path.read_text())
        body = tree.body
        for index, node in enumerate(body):
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                following = body[index + 1] if index + 1 < len(body) else None
                documented = (
                    isinstance(following, ast.Expr)
                    and isinstance(following.value, ast.Constant)
                    and isinstance(following.value.value, str)
                )
                assert documented, f"{path.name}: {node.target.id} has no docstring"
