"""Who may choose the LangSmith project a received span's run goes to.

Two senders can name a project: the application, with a span attribute
(`langsmith.trace.session_name` or `langsmith.trace.session_id`, spread over its trace), and
whoever sends the request, with the `Langsmith-Project` header (gRPC: `langsmith-project`
metadata). The receiver's setting (`--project-from`, `OTEL_RUNS_PROJECT_FROM`,
`ReceiverService(project_from=...)`) says which of them it listens to:

| setting         | span attribute | header  | otherwise                                    |
|-----------------|----------------|---------|----------------------------------------------|
| `any` (default) | wins           | used    | the sink's default project                   |
| `span`          | used           | ignored | the sink's default project                   |
| `header`        | ignored        | used    | the sink's default project                   |
| `none`          | ignored        | ignored | the sink's default project, for every run    |

The sink's default is `LANGSMITH_PROJECT` (or `default`) for LangSmith; the local store keeps
what it is given. `any` matches LangSmith's own OTLP endpoint; `header` suits a Collector in
front that sets the header per tenant; `none` pins every run to the receiver's own project.
The choice is applied as a request is spooled: an ignored attribute is removed from the spans
and an ignored header is dropped, so nothing downstream can bring them back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Final, Literal

from otel_runs.conventions import langsmith as ls
from otel_runs.model.span_record import SpanRecord

ProjectFrom = Literal["any", "span", "header", "none"]
CHOICES: Final = ("any", "span", "header", "none")
_PROJECT_KEYS: Final = (ls.SESSION_NAME, ls.SESSION_ID)


def route(
    records: Sequence[SpanRecord], header: str | None, source: ProjectFrom
) -> tuple[Sequence[SpanRecord], str | None]:
    """The records and header project as the setting lets them through."""
    if source in ("header", "none"):
        records = [_without_project(record) for record in records]
    if source in ("span", "none"):
        header = None
    return records, header


def _without_project(record: SpanRecord) -> SpanRecord:
    attributes = record.attributes
    if not any(key in attributes for key in _PROJECT_KEYS):
        return record
    kept = {key: value for key, value in attributes.items() if key not in _PROJECT_KEYS}
    return dataclasses.replace(record, attributes=kept)
