"""The LangSmith API's request reading: multipart framing as both SDKs write it, bodies in every
Content-Encoding (bombs bounded), and items checked one by one: a bad run, part or feedback is
refused with its reason while its neighbours go through."""

from __future__ import annotations

import gzip
import io
import marshal
import uuid
from typing import Any

import orjson
import pytest
import zstandard
from hypothesis import given
from hypothesis import strategies as st

from otel_runs.receiver.codec import CodecError
from otel_runs.receiver.langsmith_api import items
from otel_runs.receiver.langsmith_api.bodies import (
    BodyError,
    Route,
    SpooledRequest,
    decode_body,
    read_body,
    read_request,
)
from otel_runs.receiver.langsmith_api.codec import decode_request, encode_request
from otel_runs.receiver.langsmith_api.multipart import (
    MultipartError,
    Part,
    boundary_of,
    split_parts,
)
from otel_runs.receiver.limits import BadEncodingError, BodyTooLargeError, UnsupportedEncodingError

BOUNDARY = "b0undary"
CT = f"multipart/form-data; boundary={BOUNDARY}"
RUN_ID = "0192f0a0-0000-7000-8000-000000000001"
TRACE_ID = RUN_ID
DOTTED = "20250301T000000000000Z" + RUN_ID
PATCH_IDS = {"id": RUN_ID, "trace_id": TRACE_ID, "dotted_order": DOTTED}


def python_part(name: str, data: bytes, media: str = "application/json") -> bytes:
    """A part as the Python SDK frames it (Content-Length header)."""
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n'
        f"Content-Type: {media}\r\nContent-Length: {len(data)}\r\n\r\n"
    )
    return head.encode() + data + b"\r\n"


def js_part(name: str, data: bytes, media: str = "application/json") -> bytes:
    """A part as the JS SDK frames it (`length=` in the Content-Type, no Content-Length)."""
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n'
        f"Content-Type: {media}; length={len(data)}\r\n\r\n"
    )
    return head.encode() + data + b"\r\n"


def body(*parts: bytes) -> bytes:
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def post(run_id: str = RUN_ID, **fields: Any) -> dict[str, Any]:
    run = {
        "id": run_id, "name": "agent", "run_type": "chain",
        "start_time": "2025-03-01T00:00:00.000000+00:00", "trace_id": run_id,
        "dotted_order": "20250301T000000000000Z" + run_id, "session_name": "p",
    }  # fmt: skip
    run.update(fields)
    return run


def dumps(value: object) -> bytes:
    return orjson.dumps(value)


# --- multipart framing ------------------------------------------------------------------------


@pytest.mark.parametrize("frame", [python_part, js_part], ids=["python-sdk", "js-sdk"])
def test_parts_are_split_by_their_declared_lengths(frame: Any) -> None:
    binary = b"\x00\r\n--" + BOUNDARY.encode() + b"\r\n\xff"  # holds the delimiter itself
    data = body(
        frame(f"post.{RUN_ID}", dumps({"name": "x"})),
        frame(f"attachment.{RUN_ID}.image", binary, "image/png"),
    )
    parts = split_parts(data, boundary_of(CT))
    assert [(p.name, p.media_type, p.data) for p in parts] == [
        (f"post.{RUN_ID}", "application/json", b'{"name":"x"}'),
        (f"attachment.{RUN_ID}.image", "image/png", binary),
    ]


def test_a_part_without_a_length_ends_at_the_next_delimiter() -> None:
    data = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="a"\r\n\r\nhello\r\n'
        f"--{BOUNDARY}--\r\n"
    ).encode()
    [part] = split_parts(data, BOUNDARY)
    assert (part.name, part.data) == ("a", b"hello")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(b"garbage", "does not start", id="no-boundary"),
        pytest.param(python_part("a", b"xy")[:-10], "no end of headers|length", id="truncated"),
        pytest.param(
            f"--{BOUNDARY}\r\nContent-Disposition: form-data\r\n\r\nx\r\n--{BOUNDARY}--".encode(),
            "no form-data name",
            id="no-name",
        ),
        pytest.param(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="a"\r\nContent-Length: 9\r\n'
            f"\r\nxy\r\n--{BOUNDARY}--".encode(),
            "length 9 does not match",
            id="wrong-length",
        ),
        pytest.param(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="a"\r\n'
            f"Content-Encoding: gzip\r\n\r\nxy\r\n--{BOUNDARY}--".encode(),
            "per-part Content-Encoding",
            id="part-encoding",
        ),
    ],
)
def test_broken_framing_is_refused_whole(data: bytes, message: str) -> None:
    with pytest.raises(MultipartError, match=message):
        split_parts(data, BOUNDARY)


@pytest.mark.parametrize(
    "content_type", ["application/json", "multipart/form-data", "multipart/form-data; x=1"]
)
def test_a_content_type_without_a_boundary_is_refused(content_type: str) -> None:
    with pytest.raises(MultipartError):
        boundary_of(content_type)


# --- items ------------------------------------------------------------------------------------


def test_out_of_band_parts_are_merged_back_into_their_run() -> None:
    main = post()
    data = body(
        python_part(f"post.{RUN_ID}", dumps(main)),
        python_part(f"post.{RUN_ID}.inputs", dumps({"q": "hi"})),
        python_part(f"post.{RUN_ID}.outputs", dumps({"a": "yo"})),
        python_part(f"post.{RUN_ID}.error", dumps("ValueError('x')")),
        python_part(f"patch.{RUN_ID}", dumps(PATCH_IDS)),
        python_part(f"patch.{RUN_ID}.outputs", dumps({"a": "later"})),
        python_part(f"attachment.{RUN_ID}.photo", b"\x89PNG", "image/png"),
    )
    read = read_body(Route.MULTIPART, data, CT)
    assert read.rejected == []
    assert read.items == [
        (items.POST, RUN_ID, {**main, "inputs": {"q": "hi"}, "outputs": {"a": "yo"},
                              "error": "ValueError('x')"}),
        (items.PATCH, RUN_ID, {**PATCH_IDS, "outputs": {"a": "later"}}),
        (items.ATTACHMENT, RUN_ID, ("photo", "image/png", b"\x89PNG")),
    ]  # fmt: skip


def test_feedback_parts_name_their_run() -> None:
    feedback_id = str(uuid.uuid4())
    data = body(
        js_part(f"feedback.{feedback_id}",
                dumps({"id": feedback_id, "run_id": RUN_ID.upper(), "key": "ok", "score": 1})),
    )  # fmt: skip
    read = read_body(Route.MULTIPART, data, CT)
    assert read.items == [
        (items.FEEDBACK, RUN_ID, {"id": feedback_id, "run_id": RUN_ID, "key": "ok", "score": 1})
    ]


def _from_parts_one_by_one(parts: list[Part]) -> items.Read:
    """`from_parts` as it was before consecutive parts shared their run's group: every name
    split on its dots, on its own (run parts only)."""
    read = items.Read()
    groups: dict[tuple[int, str], dict[str | None, bytes]] = {}
    bad = set()
    for name, _, data in parts:
        event, _, rest = name.partition(".")
        raw_id, _, field_name = rest.partition(".")
        kind = {"post": items.POST, "patch": items.PATCH}[event]
        key = items.run_key(raw_id)
        if key is None:
            read.rejected.append((name, "not a part name LangSmith ingestion knows"))
            continue
        group = groups.setdefault((kind, key), {})
        field = field_name or None
        if field is not None and field not in items.OUT_OF_BAND:
            read.rejected.append((name, f"unknown run field {field!r}"))
            bad.add((kind, key))
        elif field in group:
            read.rejected.append((name, "the same part twice in one request"))
            bad.add((kind, key))
        else:
            group[field] = data
    for (kind, key), group in groups.items():
        if (kind, key) not in bad:
            items._take_group(read, kind, key, group, {})
    return read


_OTHER_ID = "0192f0a0-0000-7000-8000-0000000000fe"


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["post", "patch"]),
            st.sampled_from([RUN_ID, _OTHER_ID, RUN_ID.upper(), RUN_ID + "0", RUN_ID[:-1]]),
            st.sampled_from(["", ".inputs", ".outputs", ".", ".inputs.x", ".extra", ".colour"]),
        ),
        max_size=14,
    )
)
def test_parts_group_by_run_in_any_order(names: list[tuple[str, str, str]]) -> None:
    """Consecutive parts of a run share its group without their names being split again;
    in any order (runs interleaved, names that only start like another's, odd fields) the
    parts read exactly as when every name is split on its own."""
    parts = []
    for event, raw_id, field in names:
        key = items.run_key(raw_id) or raw_id
        data = dumps(post(key) if event == "post" else PATCH_IDS) if field in ("", ".") else b"{}"
        parts.append(Part(f"{event}.{raw_id}{field}", "application/json", data))
    assert items.from_parts(parts) == _from_parts_one_by_one(parts)


OTHER = "0192f0a0-0000-7000-8000-0000000000ff"


@pytest.mark.parametrize(
    ("bad_parts", "where", "reason"),
    [
        pytest.param([python_part(f"post.{OTHER}", b"{not json")], f"post.{OTHER}",
                     "not valid JSON", id="bad-json"),
        pytest.param([python_part(f"post.{OTHER}", dumps(post(OTHER, run_type="agent")))],
                     f"post.{OTHER}", "invalid run_type 'agent'", id="run-type"),
        pytest.param([python_part(f"post.{OTHER}", dumps(post(OTHER, start_time="yesterday")))],
                     f"post.{OTHER}", "start_time", id="start-time"),
        pytest.param([python_part(f"post.{OTHER}", dumps(post(OTHER, name=None)))],
                     f"post.{OTHER}", "missing required field 'name'", id="no-name"),
        pytest.param([python_part(f"post.{OTHER}", dumps(post(OTHER, dotted_order=None)))],
                     f"post.{OTHER}", "'dotted_order'", id="no-dotted-order"),
        pytest.param([python_part(f"post.{OTHER}", dumps(post(OTHER, inputs=[1])))],
                     f"post.{OTHER}", "inputs must be an object", id="inputs-list"),
        pytest.param([python_part(f"post.{OTHER}", dumps(post(OTHER, tags=["a", 1])))],
                     f"post.{OTHER}", "tags must be a list of strings", id="tags"),
        pytest.param([python_part(f"post.{OTHER}", dumps(post(OTHER, parent_run_id="p")))],
                     f"post.{OTHER}", "parent_run_id is not a UUID", id="parent"),
        pytest.param([python_part(f"post.{OTHER}", dumps(post(RUN_ID)))],
                     f"post.{OTHER}", "holds run id", id="id-mismatch"),
        pytest.param([python_part(f"post.{OTHER}.inputs", dumps({}))],
                     f"post.{OTHER}", f"without post.{OTHER}", id="field-alone"),
        pytest.param([python_part(f"post.{OTHER}", dumps(post(OTHER))),
                      python_part(f"post.{OTHER}.colour", dumps({}))],
                     f"post.{OTHER}.colour", "unknown run field", id="unknown-field"),
        pytest.param([python_part(f"post.{OTHER}", dumps(post(OTHER, inputs={}))),
                      python_part(f"post.{OTHER}.inputs", dumps({}))],
                     f"post.{OTHER}", "both inline and as a part", id="inline-and-part"),
        pytest.param([python_part(f"attachment.{OTHER}.a.png", b"x", "image/png")],
                     f"attachment.{OTHER}.a.png", "without dots", id="dotted-attachment"),
        pytest.param([python_part(f"upsert.{OTHER}", dumps({}))],
                     f"upsert.{OTHER}", "not a part name", id="unknown-event"),
        pytest.param([python_part("feedback.f", dumps({"key": "k"}))],
                     "feedback.f", "without a run_id", id="feedback-no-run"),
        pytest.param([python_part("feedback.f", dumps({"run_id": OTHER}))],
                     "feedback.f", "needs a key", id="feedback-no-key"),
        pytest.param([python_part("feedback.f", dumps({"run_id": OTHER, "key": "k",
                                                        "score": "high"}))],
                     "feedback.f", "score must be a number", id="feedback-score"),
    ],
)  # fmt: skip
def test_a_bad_item_is_refused_with_its_reason_and_its_neighbours_go_through(
    bad_parts: list[bytes], where: str, reason: str
) -> None:
    good = post()
    data = body(python_part(f"post.{RUN_ID}", dumps(good)), *bad_parts)
    read = read_body(Route.MULTIPART, data, CT)
    assert read.items == [(items.POST, RUN_ID, good)]
    [(refused_where, refused_reason)] = read.rejected
    assert refused_where == where
    assert reason in refused_reason


def test_batch_bodies_check_each_run() -> None:
    good, patch = post(), {"id": RUN_ID, "trace_id": TRACE_ID, "dotted_order": DOTTED,
                           "end_time": "2025-03-01T00:00:01+00:00"}  # fmt: skip
    value = {"post": [good, {"id": "nope"}], "patch": [patch, 3]}
    read = read_body(Route.BATCH, dumps(value), "application/json")
    assert read.items == [(items.POST, RUN_ID, good), (items.PATCH, RUN_ID, patch)]
    assert [where for where, _ in read.rejected] == ["post[1]", "patch[1]"]


def test_single_runs_need_no_trace_id_or_dotted_order_and_take_the_path_id() -> None:
    bare = {"id": RUN_ID, "name": "a", "run_type": "llm", "start_time": "2025-03-01T00:00:00Z"}
    assert read_body(Route.CREATE_RUN, dumps(bare), "").items == [(items.POST, RUN_ID, bare)]
    read = read_body(Route.UPDATE_RUN, dumps({"outputs": {"a": 1}}), "", RUN_ID)
    assert read.items == [(items.PATCH, RUN_ID, {"outputs": {"a": 1}, "id": RUN_ID})]
    wrong = read_body(Route.UPDATE_RUN, dumps({"id": OTHER}), "", RUN_ID)
    assert wrong.items == [] and "not the path's" in wrong.rejected[0][1]


def test_feedback_gets_an_id_when_it_has_none() -> None:
    [(kind, run_id, feedback)] = read_body(
        Route.FEEDBACK, dumps({"run_id": RUN_ID, "key": "k"}), ""
    ).items
    assert (kind, run_id) == (items.FEEDBACK, RUN_ID)
    assert uuid.UUID(feedback["id"])


@pytest.mark.parametrize(
    ("route", "data", "content_type"),
    [
        pytest.param(Route.BATCH, b"{", "application/json", id="batch-json"),
        pytest.param(Route.CREATE_RUN, b"nope", "application/json", id="run-json"),
        pytest.param(Route.MULTIPART, body(), "application/json", id="not-multipart"),
        pytest.param(Route.MULTIPART, b"junk", CT, id="no-delimiter"),
    ],
)
def test_a_body_unreadable_as_a_whole_is_a_body_error(
    route: Route, data: bytes, content_type: str
) -> None:
    with pytest.raises(BodyError):
        read_body(route, data, content_type)


# --- bodies -----------------------------------------------------------------------------------


def zstd_stream(data: bytes) -> bytes:
    """A frame without a content size, as the Python SDK's streaming compressor writes."""
    out = io.BytesIO()
    with zstandard.ZstdCompressor().stream_writer(out, closefd=False) as writer:
        writer.write(data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        pytest.param("zstd", lambda b: zstandard.ZstdCompressor().compress(b), id="zstd"),
        pytest.param("zstd", zstd_stream, id="zstd-stream"),
        pytest.param("gzip", gzip.compress, id="gzip"),
        pytest.param("", lambda b: b, id="identity"),
    ],
)
def test_bodies_are_inflated_per_their_encoding(encoding: str, compress: Any) -> None:
    data = b"x" * 10_000 + bytes(range(256))
    assert decode_body(compress(data), encoding, 1 << 20) == data


@pytest.mark.parametrize("encoding", ["zstd", "gzip"])
def test_a_compression_bomb_stops_at_the_limit(encoding: str) -> None:
    bomb = b"\0" * (50 << 20)
    packed = zstandard.ZstdCompressor().compress(bomb) if encoding == "zstd" else gzip.compress(bomb)
    assert len(packed) < 100_000
    with pytest.raises(BodyTooLargeError):
        decode_body(packed, encoding, 1 << 20)


def test_corrupt_and_unknown_encodings_are_told_apart() -> None:
    with pytest.raises(BadEncodingError):
        decode_body(b"not zstd at all", "zstd", 1 << 20)
    with pytest.raises(UnsupportedEncodingError, match="zstd, gzip"):
        decode_body(b"x", "br", 1 << 20)


# --- the spool codec --------------------------------------------------------------------------


@given(
    st.sampled_from(list(Route)), st.binary(), st.text(), st.text(), st.none() | st.uuids().map(str)
)
def test_a_request_round_trips_through_a_spool_row(
    route: Route, data: bytes, content_type: str, encoding: str, run_id: str | None
) -> None:
    request = SpooledRequest(route, data, content_type, encoding, run_id)
    assert decode_request(encode_request(request)) == request


def test_a_spooled_request_reads_back_as_the_same_items() -> None:
    data = zstandard.ZstdCompressor().compress(
        body(python_part(f"post.{RUN_ID}", dumps(post())), python_part("bad.x", b"{}"))
    )
    request = SpooledRequest(Route.MULTIPART, data, CT, "zstd")
    first = read_request(request, 1 << 20)
    again = read_request(decode_request(encode_request(request)), 1 << 20)
    assert first.items == again.items == [(items.POST, RUN_ID, post())]


@pytest.mark.parametrize(
    "blob",
    [b"", b"\x00garbage", encode_request(SpooledRequest(Route.BATCH, b"{}"))[:-1],
     marshal.dumps((2, "/nowhere", "", "", None, b""))],
)  # fmt: skip
def test_rows_that_are_not_ours_are_refused(blob: bytes) -> None:
    with pytest.raises(CodecError):
        decode_request(blob)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        pytest.param({"name": ""}, "missing required field 'name'", id="empty-name"),
        pytest.param({"trace_id": ""}, "missing required field 'trace_id'", id="empty-trace"),
        pytest.param({"name": 0}, "name must be a string, got int", id="name-zero"),
        pytest.param({"events": [{"name": "e"}, 1]}, "events must be a list of objects", id="ev"),
        pytest.param({"events": {"name": "e"}}, "events must be a list of objects", id="ev-obj"),
        pytest.param({"tags": ["a", None]}, "tags must be a list of strings", id="tag-none"),
        pytest.param({"events": [], "tags": []}, None, id="empty-lists"),
    ],
)
def test_run_checks_read_empty_texts_as_missing_and_look_inside_lists(
    change: dict[str, Any], reason: str | None
) -> None:
    found = items.run_problem({**post(), **change}, post=True, need_ids=True)
    assert found == reason if reason is None else found is not None and found.startswith(reason)
