"""A converted run's list fields (events, tags, child, direct child and parent ids) and its
`unmapped`: an empty one is made on first read (`model/run.py`), and callers still get
containers of their own."""

from __future__ import annotations

import copy
import gc
import pickle
from dataclasses import asdict, replace
from uuid import UUID

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_runs import Run, spans_to_runs
from otel_runs.model.run import parse_uuid

LIST_FIELDS = ("events", "tags", "child_run_ids", "direct_child_run_ids", "parent_run_ids")


def _converted() -> tuple[Run, Run]:
    """A root with one child, converted by the public API: (root, child)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("agent"), tracer.start_as_current_span("chat gpt-4o") as llm:
        llm.set_attribute("gen_ai.operation.name", "chat")
        llm.set_attribute("gen_ai.request.model", "gpt-4o")
    provider.shutdown()
    root, child = spans_to_runs(exporter.get_finished_spans())
    return root, child


def _lists_held(run: Run) -> list[object]:
    return [item for item in gc.get_referents(run) if type(item) is list]


def test_a_converted_run_holds_no_list_for_its_empty_list_fields() -> None:
    root, child = _converted()
    # The root has a child, the child a parent; nothing else is a list until read.
    assert _lists_held(root) == [[child.id], [child.id]]
    assert _lists_held(child) == [[root.id]]


def test_an_empty_list_field_reads_as_a_list_that_keeps_changes() -> None:
    root, child = _converted()
    for name in LIST_FIELDS:
        value = getattr(child, name)
        assert type(value) is list
        assert getattr(child, name) is value  # made once, then kept
    child.tags.append("kept")
    child.events.append({"name": "new_token"})
    root.parent_run_ids.append(UUID(int=7))
    assert child.tags == ["kept"]
    assert child.to_dict()["tags"] == ["kept"]
    assert child.to_dict()["events"] == [{"name": "new_token"}]
    assert root.to_dict()["parent_run_ids"] == [str(UUID(int=7))]


def test_to_dict_gives_empty_lists_without_making_them_on_the_run() -> None:
    root, child = _converted()
    data = child.to_dict()
    for name in LIST_FIELDS[:-1]:
        assert data[name] == []
    assert data["parent_run_ids"] == [str(root.id)]
    assert _lists_held(child) == [[root.id]]


def test_a_converted_run_equals_its_json_read_back_and_survives_copies() -> None:
    root, child = _converted()
    for run in (root, child):
        assert Run.from_dict(run.to_dict()) == run
        assert copy.deepcopy(run) == run
        assert pickle.loads(pickle.dumps(run)) == run
        assert asdict(run)["tags"] == []
        assert replace(run, name="renamed").events == []


def test_an_empty_unmapped_is_made_on_first_read_and_keeps_changes() -> None:
    root, child = _converted()
    empty = [item for item in gc.get_referents(child) if type(item) is dict and not item]
    assert all(item is child.inputs for item in empty)  # (the chat had no input)
    assert child.unmapped == {}
    assert child.unmapped is child.unmapped
    child.unmapped["session_name"] = "kept"
    assert child.unmapped == {"session_name": "kept"}
    assert Run.from_dict(root.to_dict()) == root  # read back, `unmapped` is an empty dict


def test_a_converted_run_keeps_its_session_name_in_unmapped() -> None:
    provider = TracerProvider()
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with provider.get_tracer("test").start_as_current_span("agent") as span:
        span.set_attribute("langsmith.trace.session_name", "my-project")
    provider.shutdown()
    (run,) = spans_to_runs(exporter.get_finished_spans())
    assert run.unmapped == {"session_name": "my-project"}


def test_a_list_field_can_be_replaced() -> None:
    _, child = _converted()
    child.tags = ["a", "b"]
    assert child.tags == ["a", "b"]
    assert child.to_dict()["tags"] == ["a", "b"]


@pytest.mark.parametrize(
    "text",
    [
        "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
        "0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0",
        "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
        "{0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0}",
        "urn:uuid:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
        "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f",
        "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1fg",
        "",
    ],
)
def test_parse_uuid_reads_what_the_uuid_constructor_reads(text: str) -> None:
    try:
        expected = UUID(text)
    except ValueError:
        with pytest.raises(ValueError):
            parse_uuid(text)
        return
    made = parse_uuid(text)
    assert made == expected and str(made) == str(expected) and made.is_safe is expected.is_safe
