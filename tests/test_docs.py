"""Docs that must not drift from the code, and the examples they point to."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from otel_runs.dialects.precedence import render_markdown

ROOT = Path(__file__).resolve().parents[1]


def test_mapping_doc_embeds_the_precedence_tables_of_the_code() -> None:
    doc = (ROOT / "docs" / "mapping.md").read_text()
    found = re.search(
        r"<!-- BEGIN GENERATED: precedence -->\n(.*)<!-- END GENERATED: precedence -->", doc, re.S
    )
    assert found is not None
    assert found.group(1) == render_markdown() + "\n", "run: python scripts/mapping_doc.py"


def test_agent_example_prints_a_tree_and_json_runs(tmp_path: Path) -> None:
    script = ROOT / "examples" / "agent_app.py"
    store = str(tmp_path / "demo.sqlite")
    tree = subprocess.run(
        [sys.executable, str(script), "--store", store], capture_output=True, text=True, check=True
    )
    assert "invoke_agent agent [chain]" in tree.stdout
    assert "get_weather [tool]" in tree.stdout
    lines = subprocess.run(
        [sys.executable, str(script), "--store", store, "--json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    runs = [json.loads(line) for line in lines]
    assert {r["run_type"] for r in runs} == {"chain", "llm", "tool"}
    assert len({r["trace_id"] for r in runs}) == 1
