"""LangSmith's own span attributes (docs: trace-with-opentelemetry; langsmith-sdk OTel code)."""

from __future__ import annotations

from typing import Final

SPAN_KIND: Final = "langsmith.span.kind"
"""Run type: llm, chain, tool, retriever, embedding, prompt, parser."""
TRACE_NAME: Final = "langsmith.trace.name"
"""Run name, overrides the span name."""
SPAN_ID: Final = "langsmith.span.id"
"""Run id (UUID string); overrides the id derived from the span id."""
TRACE_ID: Final = "langsmith.trace.id"
"""Trace id (UUID string): the root run's id."""
SPAN_PARENT_ID: Final = "langsmith.span.parent_id"
"""Parent run id (UUID string)."""
SPAN_DOTTED_ORDER: Final = "langsmith.span.dotted_order"
"""Full dotted_order of the run."""
IS_ROOT: Final = "langsmith.is_root"
"""Forces the span to be the root of its trace (collector-proxy, JS processor)."""
ROOT_SPAN: Final = "langsmith.root_span"
"""Same meaning as IS_ROOT, written by the SDK's voice processors."""
SESSION_ID: Final = "langsmith.trace.session_id"
"""LangSmith project id (not a thread id)."""
SESSION_NAME: Final = "langsmith.trace.session_name"
"""LangSmith project name."""
SPAN_TAGS: Final = "langsmith.span.tags"
"""Tags: comma-separated string or string array."""
METADATA_PREFIX: Final = "langsmith.metadata."
"""Prefix of per-key run metadata."""
USAGE_METADATA: Final = "langsmith.usage_metadata"
"""Whole usage_metadata object as JSON."""
REFERENCE_EXAMPLE_ID: Final = "langsmith.reference_example_id"
"""Dataset example the run evaluates."""
REQUEST_STREAMING: Final = "langsmith.request.streaming"
"""Whether the request streamed (SDK exporter)."""
TRACEABLE: Final = "langsmith.traceable"
"""Marks spans started by the JS SDK's traceable."""

RUN_TYPES: Final = frozenset({"llm", "chain", "tool", "retriever", "embedding", "prompt", "parser"})
"""Run types the LangSmith server accepts."""

# Metadata keys LangSmith gives meaning to (docs: log-llm-trace, threads, cost tracking).
META_MODEL_NAME: Final = "ls_model_name"
"""Model used for pricing and the playground."""
META_PROVIDER: Final = "ls_provider"
"""Provider used for pricing and the playground."""
META_MODEL_TYPE: Final = "ls_model_type"
"""chat, llm or embedding."""
META_TEMPERATURE: Final = "ls_temperature"
"""Sampling temperature."""
META_MAX_TOKENS: Final = "ls_max_tokens"
"""Max output tokens requested."""
META_STOP: Final = "ls_stop"
"""Stop sequences."""
META_USAGE: Final = "usage_metadata"
"""Usage object, read by LangSmith's ingest."""
META_COST_SOURCE: Final = "ls_cost_source"
"""Where a run's costs came from: "span" (the span carried them), "genai-prices", or
"custom-prices" (`OTEL_RUNS_PRICES`)."""
META_AGGREGATED_USAGE: Final = "ls_aggregated_usage"
"""Usage rolled up by a framework onto a non-LLM run: kept, never counted."""
META_THREAD_ID: Final = "thread_id"
"""Thread (conversation) id; LangSmith threads also read session_id and conversation_id."""
META_THREAD_KEYS: Final = ("thread_id", "session_id", "conversation_id")
"""Metadata keys LangSmith groups threads by."""
META_USER_ID: Final = "user_id"
"""End-user id."""
META_OTEL_TRACE_ID: Final = "otel_trace_id"
"""Original OTel trace id, 32 hex."""
META_OTEL_SPAN_ID: Final = "otel_span_id"
"""Original OTel span id, 16 hex."""
META_OTEL_PARENT_SPAN_ID: Final = "otel_parent_span_id"
"""Original OTel parent span id, 16 hex."""
META_OTEL: Final = "otel"
"""Namespace for everything of the span no dialect consumed."""
META_INVOCATION_PARAMS: Final = "invocation_params"
"""Model request parameters."""

EVENT_NEW_TOKEN: Final = "new_token"
"""Run event LangSmith reads first_token_time from."""

HEADER_TRACE: Final = "langsmith-trace"
"""HTTP header carrying the parent run's dotted_order (the langsmith SDK's RunTree.to_headers)."""
BAGGAGE_PROJECT: Final = "langsmith-project"
"""Baggage member: project name (URL-encoded)."""
BAGGAGE_METADATA: Final = "langsmith-metadata"
"""Baggage member: run metadata as URL-encoded JSON."""
HEADER_BAGGAGE: Final = "baggage"
"""W3C baggage header."""

# --- written by runs -> spans (langsmith SDK exporter names, and otel-runs' own) ---------------
REQUEST_HEADERS: Final = "langsmith.request.headers"
"""Extra request headers of a model call (SDK exporter: `inputs.extra_headers`)."""
RUN_FIELDS: Final = "otel_runs.run_fields"
"""otel-runs' own: JSON object of the run-format fields no other attribute carries exactly
(server-side fields, nulls, exact forms); its presence marks a span made by `runs_to_spans`."""
FEEDBACK: Final = "langsmith.feedback"
"""otel-runs' own: the whole LangSmith feedback object as JSON, on the `gen_ai.evaluation.result`
event its run's span carries (feedback sent to `otel-runs serve`'s LangSmith API)."""

ATTACHMENTS: Final = "langsmith.attachments"
"""A run's attachments: JSON list of `{"name", "content" (base64), "mime_type"}` (LangSmith's OTel
ingest, `trace-with-opentelemetry.mdx`; the SDK's `base_span_processor.py` writes it)."""
RUN_ATTACHMENTS: Final = "attachments"
"""Run key of a run's attachments: name -> `{"mime_type", "content" (base64)}`."""
RUN_FEEDBACK: Final = "feedback"
"""Run key (outside the run format) of feedback a run carries: a list of LangSmith feedback
objects, written as evaluation events by runs -> spans."""

# Content: what `LANGSMITH_HIDE_INPUTS` / `LANGSMITH_HIDE_OUTPUTS` hide (otel_runs.privacy).
INPUT_CONTENT: Final = (ATTACHMENTS, FEEDBACK)
"""Content: attachments (LangSmith's SDK takes them from a traced call's inputs), and the whole
feedback object on an evaluation event (its comment and correction quote what was judged)."""
OUTPUT_CONTENT: Final = (FEEDBACK,)
"""The feedback object is content of either side: hidden when inputs or outputs are."""
RUN_CONTENT: Final = (RUN_FIELDS,)
"""Attributes holding a JSON object in the run format (events, extra, ...): content in it is
hidden as in a run, the rest is kept."""
