"""The pure pieces under the front ends: OTLP logs decoding, bounded inflation, bearer auth."""

from __future__ import annotations

import gzip
import json
import zlib
from typing import Any

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

from otel_runs.conventions import genai as g
from otel_runs.conventions.otel import LOG_BODY
from otel_runs.errors import ConfigError, OtlpDecodeError
from otel_runs.model.span_record import EventRecord
from otel_runs.otlp.decode_logs import (
    DecodedLogs,
    SpanEvent,
    decode_logs_json_request,
    decode_logs_request,
)
from otel_runs.receiver.auth import TOKEN_ENV, BearerAuth
from otel_runs.receiver.limits import (
    BadEncodingError,
    BodyTooLargeError,
    UnsupportedEncodingError,
    inflate,
)

TRACE = 0x0102030405060708090A0B0C0D0E0F10
TRACE_HEX = "0102030405060708090a0b0c0d0e0f10"


# --- logs -------------------------------------------------------------------------------------


def _json_logs(*records: dict[str, Any]) -> bytes:
    return json.dumps({"resourceLogs": [{"scopeLogs": [{"logRecords": list(records)}]}]}).encode()


def _pb_logs(*records: dict[str, Any]) -> bytes:
    request = ExportLogsServiceRequest()
    log_records = request.resource_logs.add().scope_logs.add().log_records
    for fields in records:
        record = log_records.add()
        body = fields.pop("body", None)
        for key, value in fields.items():
            setattr(record, key, value)
        if isinstance(body, str):
            record.body.string_value = body
        elif isinstance(body, dict):
            for key, value in body.items():
                record.body.kvlist_value.values.add(key=key).value.string_value = value
    data: bytes = request.SerializeToString()
    return data


def test_protobuf_and_json_logs_decode_to_the_same_events() -> None:
    as_pb = decode_logs_request(
        _pb_logs(
            {"trace_id": TRACE.to_bytes(16, "big"), "span_id": (7).to_bytes(8, "big"),
             "event_name": g.EVENT_USER_MESSAGE, "time_unix_nano": 5, "body": {"content": "hi"}},
        )
    )  # fmt: skip
    as_json = decode_logs_json_request(
        _json_logs(
            {"traceId": TRACE_HEX, "spanId": "0000000000000007", "eventName": g.EVENT_USER_MESSAGE,
             "timeUnixNano": "5",
             "body": {"kvlistValue": {"values": [{"key": "content", "value": {"stringValue": "hi"}}]}}},
        )
    )  # fmt: skip
    expected = DecodedLogs(
        [SpanEvent(TRACE, 7, EventRecord(g.EVENT_USER_MESSAGE, 5, {"content": "hi"}))], 0, []
    )
    assert as_pb == as_json == expected


@pytest.mark.parametrize(
    "record, outcome",
    [
        pytest.param(
            {
                "trace_id": TRACE_HEX,
                "span_id": "0000000000000007",
                "observed_time_unix_nano": "9",
                "attributes": [
                    {"key": g.EVENT_NAME_ATTR, "value": {"stringValue": g.EVENT_CHOICE}},
                    {"key": "index", "value": {"intValue": "0"}},
                ],
                "body": {"stringValue": "sunny"},
            },
            SpanEvent(TRACE, 7, EventRecord(g.EVENT_CHOICE, 9, {LOG_BODY: "sunny", "index": 0})),
            id="snake-case-event-name-attribute-observed-time-string-body",
        ),
        pytest.param({"body": {"stringValue": "a log line"}}, "unbound", id="no-span-context"),
        pytest.param(
            {"traceId": TRACE_HEX, "spanId": "0000000000000007", "body": {"stringValue": "x"}},
            "unbound",
            id="span-context-but-no-event-name",
        ),
        pytest.param(
            {"traceId": "0" * 32, "spanId": "0" * 16, "eventName": g.EVENT_CHOICE},
            "unbound",
            id="all-zero-ids-mean-none",
        ),
        pytest.param(
            {"traceId": TRACE_HEX, "eventName": g.EVENT_CHOICE},
            "log record 0: traceId is set but spanId is missing",
            id="one-id-only",
        ),
        pytest.param(
            {"traceId": "xyz", "spanId": "0000000000000007", "eventName": g.EVENT_CHOICE},
            "log record 0: traceId must be 32 hex characters, got 3",
            id="bad-hex",
        ),
        pytest.param(
            "not an object", "log record 0: must be a JSON object, got string", id="not-object"
        ),
    ],
)
def test_json_log_record_rules(record: Any, outcome: SpanEvent | str) -> None:
    decoded = decode_logs_json_request(_json_logs(record))
    if isinstance(outcome, SpanEvent):
        assert decoded == DecodedLogs([outcome], 0, [])
    elif outcome == "unbound":
        assert decoded == DecodedLogs([], 1, [])
    else:
        assert decoded == DecodedLogs([], 0, [(0, outcome)])


@pytest.mark.parametrize(
    "body, message",
    [
        pytest.param(b"\xff\x00", "not an OTLP protobuf ExportLogsServiceRequest", id="protobuf"),
        pytest.param(b"[]", "must be a JSON object", id="json-array"),
        pytest.param(b'{"resourceLogs": {}}', "resourceLogs must be an array", id="json-shape"),
    ],
)
def test_undecodable_logs_raise(body: bytes, message: str) -> None:
    with pytest.raises(OtlpDecodeError, match=message):
        if body.startswith((b"[", b"{")):
            decode_logs_json_request(body)
        else:
            decode_logs_request(body)


# --- inflate -------------------------------------------------------------------------------------


def _raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(wbits=-15)
    return packer.compress(data) + packer.flush()


@pytest.mark.parametrize(
    "encoding, body",
    [
        pytest.param("", b"payload", id="identity-empty"),
        pytest.param("identity", b"payload", id="identity"),
        pytest.param("GZIP", gzip.compress(b"payload"), id="gzip-any-case"),
        pytest.param("x-gzip", gzip.compress(b"payload"), id="x-gzip"),
        pytest.param("gzip", gzip.compress(b"pay") + gzip.compress(b"load"), id="gzip-two-members"),
        pytest.param("deflate", zlib.compress(b"payload"), id="deflate-zlib"),
        pytest.param("deflate", _raw_deflate(b"payload"), id="deflate-raw"),
    ],
)
def test_inflate_accepts_the_encodings_we_speak(encoding: str, body: bytes) -> None:
    assert inflate(body, encoding, limit=7) == b"payload"


@pytest.mark.parametrize(
    "encoding, body, error",
    [
        pytest.param("", b"x" * 8, BodyTooLargeError, id="identity-over"),
        pytest.param("gzip", gzip.compress(b"x" * 8), BodyTooLargeError, id="gzip-over"),
        pytest.param("gzip", gzip.compress(b"xxxx") * 2, BodyTooLargeError, id="members-over"),
        pytest.param("gzip", gzip.compress(b"payload")[:-3], BadEncodingError, id="truncated"),
        pytest.param("gzip", gzip.compress(b"pay") + b"junk", BadEncodingError, id="trailing-junk"),
        pytest.param(
            "deflate", zlib.compress(b"pay") + b"junk", BadEncodingError, id="deflate-junk"
        ),
        pytest.param("br", b"x", UnsupportedEncodingError, id="brotli"),
    ],
)
def test_inflate_refuses(encoding: str, body: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        inflate(body, encoding, limit=7)


# --- auth ----------------------------------------------------------------------------------------


def test_bearer_auth(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, "from-env")
    assert BearerAuth().allows("Bearer from-env")
    auth = BearerAuth("t0ken")
    assert (
        auth.allows("Bearer t0ken") and auth.allows("bearer t0ken") and auth.allows(b"Bearer t0ken")
    )
    for wrong in (None, "", "t0ken", "Basic t0ken", "Bearer t0ke", "Bearer t0kenX", "Bearer é"):
        assert not auth.allows(wrong)
    assert "t0ken" not in repr(auth) and repr(auth) == "BearerAuth(enabled=True)"
    monkeypatch.delenv(TOKEN_ENV)
    assert BearerAuth().allows(None) and not BearerAuth().enabled
    assert BearerAuth.off().allows(None)


@pytest.mark.parametrize("blank", ["", "  ", "\t\n"])
def test_an_empty_or_blank_token_is_an_error_never_no_auth(
    monkeypatch: pytest.MonkeyPatch, blank: str
) -> None:
    monkeypatch.setenv(TOKEN_ENV, "from-env")
    with pytest.raises(ConfigError, match="the bearer token is empty"):
        BearerAuth(blank)  # `--token ""` with a token in the environment
    monkeypatch.setenv(TOKEN_ENV, blank)
    with pytest.raises(ConfigError, match=f"\\${TOKEN_ENV} is empty"):
        BearerAuth()
