"""OTLP/JSON files: JSON lines, one `ExportTraceServiceRequest` per line (the format of the OTel
file exporter spec and the Collector's file exporter), or one JSON document.

Decoding is `otlp.decode.decode_json_request`: a line that is not a request is a BadRecord, a
malformed span inside a good request is a BadRecord too, and its neighbours still decode.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

from otel_runs.files.jsonstream import array_items, json_lines
from otel_runs.files.records import BadRecord, decoded_spans
from otel_runs.files.source import Source
from otel_runs.model.span_record import SpanRecord
from otel_runs.otlp.decode import decode_json_request
from otel_runs.otlp.encode_json import encode_json_request


def read_otlp_json(source: Source) -> Iterator[tuple[str, SpanRecord | BadRecord]]:
    """(where, span) for the spans of an OTLP/JSON file, in file order; a line or span that
    does not decode gives a BadRecord instead."""
    first = source.peek(1 << 20).lstrip(b"\xef\xbb\xbf \t\r\n").split(b"\n", 1)[0]
    try:
        json.loads(first)
        whole_lines = True
    except (ValueError, UnicodeDecodeError):
        whole_lines = False
    if whole_lines:
        for line, raw in json_lines(source):
            yield from decoded_spans(decode_json_request, raw, f"line {line}")
        return
    # One document over many lines: decode its resourceSpans one at a time.
    for line, item in array_items(source, ("resourceSpans", "resource_spans")):
        body = json.dumps({"resourceSpans": [item]})
        yield from decoded_spans(decode_json_request, body, f"line {line}")


def json_line(records: Sequence[SpanRecord]) -> bytes:
    """One OTLP/JSON export request of the records, as a line of an OTLP/JSON lines file."""
    request = encode_json_request(records)
    return json.dumps(request, separators=(",", ":")).encode() + b"\n"
