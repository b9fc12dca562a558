"""Functions written as Python text at run time, compiled once per text.

Three steps are written out per shape as straight-line code (spans -> runs' mappers,
`convert/map_span.py`; runs -> spans' born mappers, `runs_to_spans/born_mapper.py`; the run
reader, `model/run_reader.py`; why in docs/design.md). Each keeps a `CodeCache`: the code is
cached by its text, so writers that bind what varies as global names share one compilation
(~1 ms) among shapes; each text gets a file name and a `linecache` entry, so a traceback through
it shows the generated line; a full cache is emptied, and its texts leave `linecache` too.
The runs -> spans two keep what they wrote per shape in a `ShapeTable`.
"""

from __future__ import annotations

import itertools
import linecache
from collections.abc import Callable, Hashable
from types import CodeType
from typing import Any, Final, Generic, TypeVar

MAX_TEXTS: Final = 256

_NUMBERS: Final = itertools.count()
"""Numbers of the texts' file names, shared by every cache: a name is never given twice in a
process, so a cache emptying itself (or a second cache of the same label) never takes another
text's lines out of `linecache`."""

Shape = TypeVar("Shape", bound=Hashable)
Written = TypeVar("Written")


class CodeCache:
    """Compiled texts of one kind of generated function (`label` names them in tracebacks)."""

    def __init__(self, label: str, max_texts: int = MAX_TEXTS) -> None:
        self.label = label
        self.max_texts = max_texts
        self.codes: dict[str, CodeType] = {}

    def define(self, text: str, names: dict[str, Any], function: str) -> Any:
        """Run `text` (compiled once) over `names` and return the function it defines."""
        code = self.codes.get(text)
        if code is None:
            if len(self.codes) >= self.max_texts:
                dropped = list(self.codes.values())  # (one call: other threads may compile)
                self.codes.clear()
                for old in dropped:
                    linecache.cache.pop(old.co_filename, None)
            filename = f"<otel-runs {self.label} {next(_NUMBERS)}>"
            code = self.codes[text] = compile(text, filename, "exec")
            linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
        exec(code, names)  # our own text, written by the caller over these names
        return names[function]


class ShapeTable(Generic[Shape, Written]):
    """What `write` made of each shape (None: the shape takes the general path), written for a
    shape's second sighting: the first takes the general path, so a stream whose every item has
    a new shape (ids in key names) never pays a writing. At most `limit` shapes in each of the
    two tables; a full one is emptied."""

    def __init__(self, write: Callable[[Shape], Written | None], limit: int) -> None:
        self.write = write
        self.limit = limit
        self.written: dict[Shape, Written | None] = {}
        self.seen: dict[Shape, None] = {}

    def get(self, shape: Shape) -> Written | None:
        written = self.written
        found = written.get(shape)
        if found is not None or shape in written:
            return found
        seen = self.seen
        if shape not in seen:
            if len(seen) >= self.limit:
                seen.clear()
            seen[shape] = None
            return None
        if len(written) >= self.limit:
            written.clear()
        found = written[shape] = self.write(shape)
        return found
