"""PNG plots of benchmark rows (the `--json` output of bench/run), for docs/benchmarks.md.

    bench/run --json > rows.json && python -m bench.plots rows.json [docs/img]
    bench/run --plots             # measure, print the table, and write the plots

- targets.png: every row that has a numeric target, its ratio against the target (log scale);
  green where the target is met, red where it is missed.
- scaling.png: µs per span against attributes per span, input-message size and trace depth,
  for conversion (vs the OTLP encoder) and the hot path (vs BatchSpanProcessor + no-op).
- memory.png: peak RSS as the stream goes through (the rows' samples), half-way marked.

matplotlib is a benchmark-only dependency (the `bench` extra); without it no plot is written
and the caller is told why.
"""

from __future__ import annotations

import importlib
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

Row = dict[str, Any]

DEFAULT_DIR = Path(__file__).resolve().parent.parent / "docs" / "img"
_TARGET = re.compile(r"^\s*(<=|>=|<|>)\s*([0-9.]+)")
_MET, _MISSED, _BASE = "#2e7d32", "#c62828", "#9e9e9e"


def target_of(item: Row) -> tuple[str, float] | None:
    """The comparison and bound of a row's target ("<= 1.25" -> ("<=", 1.25)), if numeric."""
    match = _TARGET.match(str(item.get("target", "")))
    return (match.group(1), float(match.group(2))) if match else None


def meets(item: Row) -> bool | None:
    """Whether a measured row meets its numeric target; None without one."""
    target = target_of(item)
    if target is None or "ratio" not in item:
        return None
    sign, bound = target
    ratio = float(item["ratio"])
    return {
        "<=": ratio <= bound,
        "<": ratio < bound,
        ">=": ratio >= bound,
        ">": ratio > bound,
    }[sign]


def _pyplot() -> Any:
    matplotlib = importlib.import_module("matplotlib")
    matplotlib.use("Agg")  # files only, no display
    return importlib.import_module("matplotlib.pyplot")


def write(rows: Sequence[Row], out: Path = DEFAULT_DIR) -> list[Path]:
    """Write the plots the rows allow; returns the files written (none without matplotlib)."""
    try:
        plt = _pyplot()
    except ImportError:
        print("matplotlib is not installed: no plots (pip install -e '.[bench]')", file=sys.stderr)
        return []
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, draw in (("targets", _targets), ("scaling", _scaling), ("memory", _memory)):
        figure = draw(plt, rows)
        if figure is None:
            continue
        path = out / f"{name}.png"
        figure.savefig(path, dpi=110, bbox_inches="tight")
        plt.close(figure)
        written.append(path)
    return written


def _targets(plt: Any, rows: Sequence[Row]) -> Any:
    items = [item for item in rows if meets(item) is not None]
    if not items:
        return None
    figure, axes = plt.subplots(figsize=(10, 0.42 * len(items) + 1.2))
    labels = [item["benchmark"] for item in items]
    ratios = [float(item["ratio"]) for item in items]
    colors = [_MET if meets(item) else _MISSED for item in items]
    positions = range(len(items))
    axes.barh(positions, ratios, color=colors)
    for position, item in zip(positions, items, strict=True):
        target = target_of(item)
        assert target is not None
        axes.plot([target[1]] * 2, [position - 0.4, position + 0.4], color="black", lw=2)
    axes.set_yticks(list(positions), labels, fontsize=8)
    axes.invert_yaxis()
    axes.set_xscale("log")
    axes.axvline(1.0, color=_BASE, lw=0.8, ls=":")
    axes.set_xlabel("otel-runs / baseline (log scale); black tick = target; green met, red missed")
    axes.set_title("Each benchmark against its target")
    return figure


_DIMENSIONS = (
    ("attributes", "attributes per span", False),
    ("message_bytes", "gen_ai.input.messages bytes", True),
    ("depth", "trace depth (spans per chain)", False),
)


def _scaling(plt: Any, rows: Sequence[Row]) -> Any:
    scaled = [item for item in rows if "dimension" in item and "ratio" in item]
    if not scaled:
        return None
    figure, axes_row = plt.subplots(1, len(_DIMENSIONS), figsize=(14, 4.2))
    for axes, (dimension, label, log_x) in zip(axes_row, _DIMENSIONS, strict=True):
        for path, color in (("conversion", "#1565c0"), ("hot path", "#ef6c00")):
            points = sorted(
                (
                    item
                    for item in scaled
                    if item["dimension"] == dimension and item["path"] == path
                ),
                key=lambda item: item["x"],
            )
            if not points:
                continue
            xs = [item["x"] for item in points]
            axes.plot(
                xs,
                [item["otel_runs_us"] for item in points],
                "o-",
                color=color,
                label=f"{path}: otel-runs",
            )
            axes.plot(
                xs,
                [item["baseline_us"] for item in points],
                "s--",
                color=color,
                alpha=0.55,
                label=f"{path}: {_short(points[0]['baseline'])}",
            )
        axes.set_xlabel(label)
        axes.set_yscale("log")
        if log_x:
            axes.set_xscale("log")
        axes.grid(True, which="both", alpha=0.25)
    axes_row[0].set_ylabel("CPU µs per span (log scale)")
    axes_row[0].legend(fontsize=7)
    figure.suptitle("How costs grow with span shape")
    return figure


def _short(baseline: str) -> str:
    return "OTLP encoder" if "encode" in baseline else "BSP + no-op"


def _memory(plt: Any, rows: Sequence[Row]) -> Any:
    items = [item for item in rows if item.get("unit") == "MiB" and item.get("samples")]
    if not items:
        return None
    figure, axes = plt.subplots(figsize=(8, 4.2))
    for item, color in zip(items, ("#1565c0", "#ef6c00", "#6a1b9a"), strict=False):
        xs = [sample[0] for sample in item["samples"]]
        ys = [sample[1] for sample in item["samples"]]
        name = item["benchmark"].replace("memory: peak RSS, ", "").split(",")[0]
        axes.plot(xs, ys, "-", color=color, label=f"{name}: peak {item['otel_runs_us']:.0f} MiB")
        axes.axhline(item["baseline_us"], color=color, lw=0.8, ls=":")
    axes.set_xlabel("spans exported (RunExporter) / runs stored (otel-runs serve)")
    axes.set_ylabel("peak RSS so far, MiB")
    axes.set_ylim(bottom=0)
    axes.grid(True, alpha=0.25)
    axes.legend(fontsize=8)
    axes.set_title("Memory while spans stream through (half orphans); dotted: half-way peak")
    return figure


def main(argv: Sequence[str]) -> None:
    if not argv or len(argv) > 2:
        raise SystemExit("usage: python -m bench.plots ROWS.json [OUT_DIR]")
    rows = json.loads(Path(argv[0]).read_text())
    for path in write(rows, Path(argv[1]) if len(argv) > 1 else DEFAULT_DIR):
        print(path)


if __name__ == "__main__":
    main(sys.argv[1:])
