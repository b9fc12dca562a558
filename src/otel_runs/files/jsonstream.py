"""JSON read in pieces: JSON lines one line at a time, and the items of one big array (a whole
document of runs, or the `resourceSpans` of an OTLP/JSON document) one item at a time.

Memory is bounded by the largest line or item. Line numbers are 1-based and point at the line
where a line or item starts.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from typing import Any, Final

from otel_runs.files import FileFormatError
from otel_runs.files.source import Source

_DECODER: Final = json.JSONDecoder()
_SPACE: Final = re.compile(r"[ \t\r\n]*")


def json_lines(source: Source) -> Iterator[tuple[int, bytes]]:
    """(line number, line) for every line that is not blank."""
    for number, raw in enumerate(source.lines(), 1):
        if raw.strip():
            yield number, raw


class _Text:
    """Decoded text of a source, read on demand, with the line number of its start."""

    def __init__(self, source: Source) -> None:
        self._source = source
        self._decode = codecs.getincrementaldecoder("utf-8-sig")("strict")
        self.text = ""
        self.pos = 0
        self.line = 1
        self.ended = False

    def more(self) -> bool:
        """Read another chunk; False at the end of the input."""
        if self.ended:
            return False
        chunk = self._source.read_chunk()
        try:
            decoded = self._decode.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            raise FileFormatError(f"line {self.line}: not UTF-8 text: {exc}") from None
        self.line += self.text.count("\n", 0, self.pos)
        self.text = self.text[self.pos :] + decoded
        self.pos = 0
        self.ended = not chunk
        return True

    def skip_space(self) -> str:
        """The next character that is not white space ("" at the end)."""
        while True:
            self.pos = _SPACE.match(self.text, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.text):
                return self.text[self.pos]
            if not self.more():
                return ""

    def line_at(self, pos: int) -> int:
        return self.line + self.text.count("\n", 0, pos)

    def value(self) -> Any:
        """Decode the JSON value that starts here, reading more input as long as it is cut."""
        last: tuple[int, str] | None = None
        while True:
            try:
                value, end = _DECODER.raw_decode(self.text, self.pos)
            except json.JSONDecodeError as exc:
                # A value cut by the chunk end fails differently once more text arrives; a
                # malformed one fails the same way at the same place.
                where = (exc.pos - self.pos, exc.msg)
                cut = exc.msg.startswith("Unterminated string") or exc.pos >= len(self.text) - 1
                if (cut or where != last) and self.more():
                    last = where
                    continue
                raise FileFormatError(f"line {self.line_at(exc.pos)}: {exc.msg}") from None
            self.pos = end
            return value


def array_items(source: Source, key: tuple[str, ...] = ()) -> Iterator[tuple[int, Any]]:
    """(line number, item) for the items of the document's top-level array, or of the array
    under one of the names in `key` in its top-level object.

    A malformed item ends the reading (FileFormatError): past it the document's structure
    cannot be trusted."""
    text = _Text(source)
    opening = text.skip_space()
    if key:
        if opening != "{":
            raise FileFormatError(f"line {text.line_at(text.pos)}: expected a JSON object")
        if not _seek_key(text, key):
            return
    elif opening != "[":
        raise FileFormatError(f"line {text.line_at(text.pos)}: expected a JSON array")
    text.pos += 1
    while True:
        char = text.skip_space()
        if char == "]":
            return
        if char == ",":
            text.pos += 1
            continue
        if char == "":
            raise FileFormatError(f"line {text.line_at(text.pos)}: the input ends inside an array")
        line = text.line_at(text.pos)
        yield line, text.value()


def _seek_key(text: _Text, key: tuple[str, ...]) -> bool:
    """Move to the `[` of the array under `key` (top level); False when the object has none."""
    text.pos += 1
    while True:
        char = text.skip_space()
        if char in ("}", ""):
            return False
        if char == ",":
            text.pos += 1
            continue
        name = text.value()
        if text.skip_space() != ":":
            raise FileFormatError(f"line {text.line_at(text.pos)}: expected ':' after a key")
        text.pos += 1
        if name in key and text.skip_space() == "[":
            return True
        text.value()  # another member: skip its value
