"""Ring 2: files of runs and spans, read and written as streams.

    detect.py       which format a file holds, from its first bytes (gzip is opened too)
    source.py       a byte source that counts what was read (for progress) and can peek
    runs_jsonl.py   runs, one JSON object per line (LangSmith's export shape), or a JSON array
    otlp_json.py    OTLP/JSON: JSON lines of requests (the OTel file format), or one document
    otlp_proto.py   OTLP protobuf: length-delimited requests (varint as the OTel file-exporter
                    spec says, or 4-byte big-endian as the Collector writes), or one request
    progress.py     a progress line on stderr

Readers yield what they decoded and, separately, what they could not (`BadRecord`: where and
why), so one bad line never stops a file. Memory stays bounded by the largest single unit
(a line, a request, a resource's spans), not by the file.
"""

from __future__ import annotations

from otel_runs.errors import OtelRunsError


class FileFormatError(OtelRunsError):
    """A file whose content is none of the formats `convert` reads, or that ends mid-record."""


__all__ = ["FileFormatError"]
