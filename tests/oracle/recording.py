"""The recording (tests/oracle/recording/): its layout, writing and reading.

`index.json`, small and readable (a re-record's diff shows which cases changed):

    {"format", "written_by", "genai_prices", "catalogue", "examples",
     "cases": {name: {"inputs": digest of the inputs, "runs": count,
                      "digest": digest of every run's two texts, "summary": text}}}

`runs.json.xz`, the runs themselves, read only to say what differs:

    {"cases": {name: {"base": name or null, "runs": [entry, ...]}}}

A run is two texts: `to_dict()` with `unmapped` (canonical JSON) and the ingest JSON. The same
spans go through several paths, and a path's runs mostly equal the `records-all` runs of the
same spans (its `base` case), so an entry is one of:

- `[to_dict text, ingest]`: the ingest text, or a delta from the to_dict value to it;
- `i`: exactly the texts of run `i` of the base case;
- `[i, to_dict delta, ingest delta]`: run `i` of the base case with these changes.

A delta is null (unchanged), `{"=": value}` (replaced), `{"{": {key: delta}, "keys": [...]}`
(an object, with its new key order when that changed) or `{"[": {index: delta}}` (a list of the
same length). The writer keeps a delta only when applying it and encoding the result gives back,
character for character, the text the code produced, and checks that every case's runs rebuild
into its digest. xz (the standard library's lzma), not gzip: one path's runs repeat another's
far beyond gzip's 32 KB window, and xz makes the file less than half as big.
"""

from __future__ import annotations

import hashlib
import json
import lzma
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from importlib.metadata import version
from pathlib import Path
from typing import Any, Final

from otel_runs.sinks.ingest import dumps
from tests.oracle.outcome import Outcome, canonical, ingest_text, run_value

DIRECTORY: Final = Path(__file__).with_name("recording")
INDEX: Final = "index.json"
RUNS: Final = "runs.json.xz"
FORMAT: Final = 1

Texts = tuple[str, str]
"""(to_dict + unmapped text, ingest text) of one run."""


def prices_version() -> str:
    return version("genai-prices")


def environment() -> dict[str, str]:
    """What else the recorded output may depend on; shown next to a difference."""
    import platform

    found = {"python": platform.python_version()}
    for package in ("opentelemetry-sdk", "orjson", "genai-prices"):
        found[package] = version(package)
    return found


def _ingest_encode(value: object) -> str:
    return dumps(value).decode("utf-8")


ENCODERS: Final[tuple[Callable[[Any], str], Callable[[Any], str]]] = (canonical, _ingest_encode)
"""How each of a run's two texts is written."""


def run_texts(outcome: Outcome) -> list[Texts]:
    return [(canonical(run_value(run)), ingest_text(run)) for run in outcome.runs]


def digest(texts: Iterable[Texts]) -> str:
    """One digest of every run's texts, in order."""
    found = hashlib.sha256()
    for run, ingest in texts:
        found.update(run.encode("utf-8", "surrogatepass"))
        found.update(b"\x00")
        found.update(ingest.encode("utf-8", "surrogatepass"))
        found.update(b"\x01")
    return found.hexdigest()[:32]


# --- deltas ------------------------------------------------------------------------------------


def delta(old: Any, new: Any) -> Any:
    """What turns `old` into `new` (JSON values); None when they are the same."""
    if isinstance(old, dict) and isinstance(new, dict):
        changes = {}
        for key, value in new.items():
            change = delta(old[key], value) if key in old else {"=": value}
            if change is not None:
                changes[key] = change
        if list(old) != list(new):
            return {"{": changes, "keys": list(new)}
        return {"{": changes} if changes else None
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        changes = {
            str(i): d
            for i, (a, b) in enumerate(zip(old, new, strict=True))
            if (d := delta(a, b)) is not None
        }
        return {"[": changes} if changes else None
    if type(old) is type(new) and old == new:  # (a NaN is replaced by itself: harmless)
        return None
    return {"=": new}


def apply(old: Any, change: Any) -> Any:
    """`old` with `change` (from `delta`) applied. `old` may be modified; `change` never is."""
    if change is None:
        return old
    if "=" in change:
        return change["="]
    if "{" in change:
        changes = change["{"]
        keys = change.get("keys")
        if keys is None:
            for key, inner in changes.items():
                old[key] = apply(old[key], inner)
            return old
        return {
            key: apply(old[key], changes.get(key)) if key in old else changes[key]["="]
            for key in keys
        }
    for index, inner in change["["].items():
        old[int(index)] = apply(old[int(index)], inner)
    return old


_NO_DELTA: Final = object()


def _exact_delta(old: str, new: str, encode: Callable[[Any], str]) -> Any:
    """A delta from text `old` to text `new` (written by `encode`), if it rebuilds `new`."""
    if old == new:
        return None
    change = delta(json.loads(old), json.loads(new))
    if encode(apply(json.loads(old), change)) != new:
        return _NO_DELTA
    return change


def _own(run: str, ingest: str) -> list[Any]:
    """A run by its own texts; the ingest JSON, which repeats most of to_dict, as a delta from
    it when that rebuilds it exactly."""
    change = _exact_delta(run, ingest, _ingest_encode)
    return [run, ingest if change is _NO_DELTA else change]


# --- writing -----------------------------------------------------------------------------------


@dataclass
class Writer:
    """Builds a recording case by case (a base case before the cases that refer to it)."""

    header: dict[str, Any]
    index: dict[str, Any] = field(default_factory=dict)
    runs: dict[str, Any] = field(default_factory=dict)
    _bases: dict[str, list[Texts]] = field(default_factory=dict)

    def add_case(self, name: str, inputs: str, outcome: Outcome, base: str | None) -> None:
        texts = run_texts(outcome)
        if base is None:
            self._bases[name] = texts
            entries: list[Any] = [_own(run, ingest) for run, ingest in texts]
        else:
            entries = self._entries(texts, self._bases[base])
        self.index[name] = {
            "inputs": inputs,
            "runs": len(texts),
            "digest": digest(texts),
            "summary": canonical(outcome.summary()),
        }
        self.runs[name] = {"base": base, "runs": entries}

    def _entries(self, texts: list[Texts], base: list[Texts]) -> list[Any]:
        by_id = {json.loads(run)["id"]: i for i, (run, _) in enumerate(base)}
        entries: list[Any] = []
        for run, ingest in texts:
            index = by_id.get(json.loads(run)["id"])
            if index is None:
                entries.append(_own(run, ingest))
                continue
            if base[index] == (run, ingest):
                entries.append(index)
                continue
            changes = [
                _exact_delta(old, new, encode)
                for old, new, encode in zip(base[index], (run, ingest), ENCODERS, strict=True)
            ]
            if any(c is _NO_DELTA for c in changes):
                entries.append(_own(run, ingest))
            else:
                entries.append([index, *changes])
        return entries

    def save(self, directory: Path = DIRECTORY) -> None:
        runs = Runs(self.runs)
        for name, entry in self.index.items():  # the stored runs rebuild exactly
            texts = [runs.texts(name, i) for i in range(entry["runs"])]
            assert digest(texts) == entry["digest"], name
        directory.mkdir(exist_ok=True)
        (directory / INDEX).write_text(_index_text(self.header, self.index), encoding="utf-8")
        data = json.dumps({"cases": self.runs}, ensure_ascii=False, separators=(",", ":"))
        raw = data.encode("utf-8", "surrogatepass")
        (directory / RUNS).write_bytes(lzma.compress(raw, preset=9 | lzma.PRESET_EXTREME))


def _index_text(header: dict[str, Any], cases: dict[str, Any]) -> str:
    """index.json with one line per header field and per case, so that a re-record's diff lists
    exactly the cases that changed."""

    def compact(value: object) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    lines = [f"{compact(key)}:{compact(value)}," for key, value in header.items()]
    lines.append('"cases":{')
    lines.extend(f"{compact(name)}:{compact(entry)}," for name, entry in cases.items())
    lines[-1] = lines[-1].rstrip(",")
    return "{\n" + "\n".join(lines) + "\n}}\n"


# --- reading -----------------------------------------------------------------------------------


@dataclass
class Runs:
    """The recorded runs (runs.json.xz's cases)."""

    cases: dict[str, Any]

    def texts(self, name: str, index: int) -> Texts:
        """The exact texts recorded for run `index` of case `name`."""
        case = self.cases[name]
        entry = case["runs"][index]
        if isinstance(entry, int):
            return self.texts(case["base"], entry)
        if isinstance(entry[0], str):
            run, ingest = entry
            if isinstance(ingest, str):
                return run, ingest
            return run, _ingest_encode(apply(json.loads(run), ingest))
        base = self.texts(case["base"], entry[0])
        rebuilt = [
            old if change is None else encode(apply(json.loads(old), change))
            for old, change, encode in zip(base, entry[1:], ENCODERS, strict=True)
        ]
        return rebuilt[0], rebuilt[1]


@dataclass
class Recording:
    """A loaded recording: the index now, the runs when first needed."""

    doc: dict[str, Any]
    directory: Path = DIRECTORY

    @classmethod
    def load(cls, directory: Path = DIRECTORY) -> Recording:
        return cls(json.loads((directory / INDEX).read_text(encoding="utf-8")), directory)

    @property
    def cases(self) -> dict[str, Any]:
        return self.doc["cases"]  # type: ignore[no-any-return]

    @cached_property
    def runs(self) -> Runs:
        packed = (self.directory / RUNS).read_bytes()
        return Runs(json.loads(lzma.decompress(packed).decode("utf-8", "surrogatepass"))["cases"])
