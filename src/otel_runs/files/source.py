"""A binary input stream that can be peeked at and knows how many bytes it has given out."""

from __future__ import annotations

import gzip
import io
from typing import IO, Final

GZIP_MAGIC: Final = b"\x1f\x8b"
_CHUNK: Final = 1 << 16


class Source:
    """Reads a binary stream in order; `peek` looks ahead without consuming.

    `consumed` counts bytes of the underlying file (compressed bytes for gzip input), so a
    progress bar can compare it with the file size.
    """

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self._counted = _Counting(raw)
        head = self._counted.peek_start(2)
        self._stream: IO[bytes] = (
            gzip.GzipFile(fileobj=self._counted, mode="rb") if head == GZIP_MAGIC else self._counted  # type: ignore[assignment]
        )
        self.compressed = head == GZIP_MAGIC
        self._buffer = b""

    @property
    def consumed(self) -> int:
        """Bytes of the underlying file read so far."""
        return self._counted.count

    def peek(self, size: int) -> bytes:
        """Up to `size` bytes ahead (fewer only at the end of the input)."""
        while len(self._buffer) < size:
            chunk = self._stream.read(max(size - len(self._buffer), _CHUNK))
            if not chunk:
                break
            self._buffer += chunk
        return self._buffer[:size]

    def read(self, size: int) -> bytes:
        """Up to `size` bytes (fewer only at the end of the input)."""
        data = self.peek(size)
        self._buffer = self._buffer[len(data) :]
        return data

    def read_chunk(self) -> bytes:
        """Whatever comes next (empty at the end)."""
        if self._buffer:
            data, self._buffer = self._buffer, b""
            return data
        return self._stream.read(_CHUNK)

    def lines(self) -> _Lines:
        """An iterator over the remaining lines (with their line ends)."""
        return _Lines(self)


class _Lines:
    def __init__(self, source: Source) -> None:
        self._source = source
        self._pending = b""
        self._searched = 0  # bytes of _pending known to hold no line end

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> bytes:
        while True:
            end = self._pending.find(b"\n", self._searched)
            if end >= 0:
                line, self._pending = self._pending[: end + 1], self._pending[end + 1 :]
                self._searched = 0
                return line
            self._searched = len(self._pending)
            chunk = self._source.read_chunk()
            if not chunk:
                if self._pending:
                    line, self._pending = self._pending, b""
                    return line
                raise StopIteration
            self._pending += chunk


class _Counting(io.RawIOBase):
    """A file-like wrapper counting the bytes read through it."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self.count = 0
        self._head = b""

    def peek_start(self, size: int) -> bytes:
        while len(self._head) < size:
            chunk = self._raw.read(size - len(self._head))
            if not chunk:
                break
            self._head += chunk
        return self._head[:size]

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._head:
            data = self._head if size < 0 else self._head[:size]
            self._head = self._head[len(data) :]
        else:
            data = self._raw.read(size)
        self.count += len(data)
        return data

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
