"""The one-pass reader of the Python SDK's own `/runs/multipart` bodies (`sdk_body.py`): for
bodies the SDK's real serializer writes it gives exactly the general reader's items, and for
anything else it steps aside (None), so the general reader answers alone, refusals and all."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import orjson
import pytest

from otel_runs.receiver.langsmith_api import items
from otel_runs.receiver.langsmith_api.bodies import BodyError, Route, read_body
from otel_runs.receiver.langsmith_api.items import Read
from otel_runs.receiver.langsmith_api.multipart import MultipartError, split_parts
from otel_runs.receiver.langsmith_api.sdk_body import read_sdk_body

BOUNDARY = "5dk-b0undary"
CT = f"multipart/form-data; boundary={BOUNDARY}"


def _run(name: str, parent: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    run_id = str(uuid.uuid4())
    start = "2025-03-01T00:00:00.010000+00:00"
    segment = "20250301T000000010000Z" + run_id
    run: dict[str, Any] = {
        "id": run_id,
        "trace_id": parent["trace_id"] if parent else run_id,
        "parent_run_id": parent["id"] if parent else None,
        "dotted_order": f"{parent['dotted_order']}.{segment}" if parent else segment,
        "name": name,
        "run_type": "chain",
        "start_time": start,
        "end_time": "2025-03-01T00:00:01+00:00",
        "inputs": {"question": "Où est la gare ?", "n": 3},
        "outputs": {"answer": "là", "scores": [0.5, 1e-7]},
        "extra": {"metadata": {"thread_id": "t-1", "depth": 1}},
        "events": [{"name": "new_token", "time": start}],
        "tags": ["a", "b"],
        "session_name": "project",
    }
    run.update(fields)
    return run


def _trace() -> list[dict[str, Any]]:
    root = _run("agent")
    model = _run("model", root, run_type="llm", serialized={"name": "ChatModel"})
    tool = _run("tool", root, run_type="tool", error="ValueError('no')", outputs=None)
    return [root, model, tool]


def sdk_body(operations: list[tuple[str, dict[str, Any]]]) -> bytes:
    """The multipart body the langsmith SDK itself writes for these (event, run) operations."""
    from langsmith._internal._operations import (
        serialize_run_dict,
        serialized_run_operation_to_multipart_parts_and_context,
    )

    out = b""
    for event, run in operations:
        operation = serialize_run_dict(event, dict(run))  # type: ignore[arg-type]
        parts, _ = serialized_run_operation_to_multipart_parts_and_context(operation)
        for name, (filename, data, media, headers) in parts.parts:
            assert filename is None and isinstance(data, bytes)
            head = (
                f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n'
                f"Content-Type: {media}\r\n"
                + "".join(f"{key}: {value}\r\n" for key, value in headers.items())
                + "\r\n"
            )
            out += head.encode() + data + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


def general(body: bytes) -> Read:
    return items.from_parts(split_parts(body, BOUNDARY))


def _posted() -> list[tuple[str, dict[str, Any]]]:
    return [("post", run) for run in _trace()]


def _post_and_patch() -> list[tuple[str, dict[str, Any]]]:
    ops: list[tuple[str, dict[str, Any]]] = []
    for run in _trace():
        later = ("end_time", "outputs", "events", "extra", "error")
        ops.append(("post", {k: v for k, v in run.items() if k not in later}))
        ids = {k: run[k] for k in ("id", "trace_id", "dotted_order", "parent_run_id")}
        ops.append(("patch", {**ids, **{k: run[k] for k in later if k in run}}))
    return ops


@pytest.mark.parametrize("shape", [_posted, _post_and_patch], ids=["posted-whole", "post+patch"])
def test_the_sdks_own_bodies_read_as_the_general_reader_reads_them(
    shape: Callable[[], list[tuple[str, dict[str, Any]]]],
) -> None:
    body = sdk_body(shape())
    fast = read_sdk_body(body, BOUNDARY)
    slow = general(body)
    assert fast is not None, "an SDK body must take the one-pass reader"
    assert not slow.rejected and slow.items
    assert fast.items == slow.items and not fast.rejected
    assert [type(item[2]) for item in fast.items] == [dict] * len(slow.items)
    assert read_body(Route.MULTIPART, body, CT).items == slow.items


def _edit(body: bytes, old: bytes, new: bytes) -> bytes:
    assert old in body
    return body.replace(old, new, 1)


def _swap_first_two_parts(body: bytes) -> bytes:
    delimiter = f"--{BOUNDARY}\r\n".encode()
    pieces = body.split(delimiter)
    pieces[1], pieces[2] = pieces[2], pieces[1]  # a run's field before the run's own part
    return delimiter.join(pieces)


def _field_after_another_run(body: bytes) -> bytes:
    delimiter = f"--{BOUNDARY}\r\n".encode()
    pieces = body.split(delimiter)
    # the tool's error part (the last) right after the root's own part (the root has none)
    close = f"--{BOUNDARY}--\r\n".encode()
    pieces = body.removesuffix(close).split(delimiter)
    pieces = [*pieces[:2], pieces[-1], *pieces[2:-1]]
    return delimiter.join(pieces) + close


def _non_canonical(body: bytes, root: str) -> bytes:
    # a spelling uuid.UUID reads (dashes anywhere): the general reader takes it as the root
    spelled = "-" + root.replace("-", "") + "---"  # as long as the canonical text
    return (
        body.replace(f'.{root}"'.encode(), f'.{spelled}"'.encode())
        .replace(f".{root}.".encode(), f".{spelled}.".encode())
        .replace(f'"id":"{root}"'.encode(), f'"id":"{spelled}"'.encode())
    )


def _not_an_object(body: bytes) -> bytes:
    # the root's own part (the first) holds a JSON array instead of the run
    head_end = body.index(b"\r\n\r\n") + 4
    data_end = body.index(f"\r\n--{BOUNDARY}".encode(), head_end)
    head = body[:head_end].replace(
        f"Content-Length: {data_end - head_end}".encode(), b"Content-Length: 5"
    )
    return head + b"[1,2]" + body[data_end:]


def _twice(body: bytes) -> bytes:
    delimiter = f"--{BOUNDARY}\r\n".encode()
    pieces = body.split(delimiter)
    return delimiter.join([*pieces[:2], pieces[1], *pieces[2:]])  # the same part again


DEVIATIONS: dict[str, Callable[[bytes, str], bytes]] = {
    "js-sdk-framing": lambda b, _: b.replace(b"\r\nContent-Length: ", b"; length="),
    "attachment": lambda b, root: _edit(
        b,
        f"--{BOUNDARY}--".encode(),
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="attachment.{root}.img"\r\n'
        f"Content-Type: image/png\r\nContent-Length: 2\r\n\r\nxy\r\n--{BOUNDARY}--".encode(),
    ),
    "parts-out-of-order": lambda b, _: _swap_first_two_parts(b),
    "a-part-twice": lambda b, _: _twice(b),
    "a-field-after-another-run": lambda b, _: _field_after_another_run(b),
    "a-non-canonical-id": _non_canonical,
    "a-field-of-the-other-event": lambda b, root: _edit(
        b, f'name="post.{root}.inputs"'.encode(), f'name="patch.{root}.inputs"'.encode()
    ),
    "a-run-not-an-object": lambda b, _: _not_an_object(b),
    "not-json": lambda b, _: _edit(b, b'{"question"', b'{"question}'),
    "no-closing-delimiter": lambda b, _: b[: -len(f"--{BOUNDARY}--\r\n")],
    "a-wrong-length": lambda b, _: _edit(b, b"Content-Length: ", b"Content-Length: 1"),
    "an-upper-case-id": lambda b, root: b.replace(
        f'name="post.{root}'.encode(), f'name="post.{root.upper()}'.encode()
    ),
}
"""Each: the SDK body of one trace posted whole (and its root's id), changed into something
the one-pass reader must leave to the general reader."""


@pytest.mark.parametrize("name", list(DEVIATIONS))
def test_other_bodies_are_left_to_the_general_reader(name: str) -> None:
    ops = _posted()
    body = sdk_body(ops)
    changed = DEVIATIONS[name](body, ops[0][1]["id"])
    assert changed != body
    assert read_sdk_body(changed, BOUNDARY) is None
    try:
        slow = general(changed)
    except MultipartError:  # framing the general reader refuses whole: the request's 400
        with pytest.raises(BodyError):
            read_body(Route.MULTIPART, changed, CT)
        return
    assert read_body(Route.MULTIPART, changed, CT) == slow


def _body_of(*runs: dict[str, Any]) -> bytes:
    return sdk_body([("post", run) for run in runs])


@pytest.mark.parametrize(
    ("name", "change", "reason"),
    [
        pytest.param("an-id-that-differs", {"id": str(uuid.uuid4())}, "holds run id", id="id"),
        pytest.param("a-bad-run-type", {"run_type": "agent"}, "invalid run_type", id="run-type"),
        pytest.param("no-trace-id", {"trace_id": None}, "trace_id", id="no-trace-id"),
        pytest.param("inputs-a-list", {"inputs": [1]}, "inputs must be an object", id="inputs"),
        pytest.param("bad-time", {"start_time": "soon"}, "start_time", id="time"),
    ],
)
def test_a_run_a_check_refuses_is_refused_with_the_general_readers_reason(
    name: str, change: dict[str, Any], reason: str
) -> None:
    good, bad = _trace()[:2]
    body = _body_of(good, bad)
    refused = _body_of(good, {**bad, **change} if name != "an-id-that-differs" else bad)
    if name == "an-id-that-differs":  # the part names one run, its JSON another
        refused = refused.replace(f'"id":"{bad["id"]}"'.encode(), f'"id":"{change["id"]}"'.encode())
    assert refused != body
    assert read_sdk_body(refused, BOUNDARY) is None
    read = read_body(Route.MULTIPART, refused, CT)
    assert [item[1] for item in read.items] == [good["id"]]
    [(where, why)] = read.rejected
    assert where == f"post.{bad['id']}" and reason in why
    assert read == general(refused)


def test_a_field_sent_inline_and_as_a_part_is_refused() -> None:
    run = _trace()[0]
    body = _body_of(run)
    main = orjson.dumps({k: v for k, v in run.items() if k not in items.OUT_OF_BAND})
    both = orjson.dumps({**orjson.loads(main), "inputs": {"x": 1}})
    changed = body.replace(
        f"Content-Length: {len(main)}\r\n\r\n".encode() + main,
        f"Content-Length: {len(both)}\r\n\r\n".encode() + both,
    )
    assert changed != body
    assert read_sdk_body(changed, BOUNDARY) is None
    read = read_body(Route.MULTIPART, changed, CT)
    assert not read.items and "both inline and as a part" in read.rejected[0][1]
