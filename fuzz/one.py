"""Fuzz one target in this process (atheris takes the process over): `python -m fuzz.one NAME
[libFuzzer flags...]`. Use fuzz/run rather than this directly."""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["otel_runs"]):
    from fuzz.targets import TARGETS


def main() -> None:
    name = sys.argv[1]
    target = TARGETS[name]
    atheris.Setup([sys.argv[0], *sys.argv[2:]], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
