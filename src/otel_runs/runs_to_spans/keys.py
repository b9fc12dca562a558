"""Every attribute key `runs_to_spans` may write, so spans -> runs can tell them from the
attributes a span kept from before it was a run."""

from __future__ import annotations

from typing import Final

from otel_runs.conventions import genai as g
from otel_runs.conventions import langsmith as ls
from otel_runs.conventions import openinference as oi

WRITTEN: Final = frozenset(
    {
        # langsmith.*
        ls.SPAN_KIND, ls.TRACE_NAME, ls.SESSION_ID, ls.SESSION_NAME, ls.SPAN_TAGS,
        ls.USAGE_METADATA, ls.REFERENCE_EXAMPLE_ID, ls.REQUEST_STREAMING, ls.REQUEST_HEADERS,
        ls.SPAN_ID, ls.TRACE_ID, ls.SPAN_PARENT_ID, ls.SPAN_DOTTED_ORDER, ls.RUN_FIELDS,
        ls.ATTACHMENTS,
        # GenAI
        g.OPERATION_NAME, g.PROVIDER_NAME, g.SYSTEM, g.REQUEST_MODEL, g.RESPONSE_MODEL,
        g.REQUEST_MAX_TOKENS, g.REQUEST_TEMPERATURE, g.REQUEST_TOP_P, g.REQUEST_TOP_K,
        g.REQUEST_FREQUENCY_PENALTY, g.REQUEST_PRESENCE_PENALTY, g.REQUEST_SEED,
        g.REQUEST_STOP_SEQUENCES, g.REQUEST_EXTRA_QUERY, g.REQUEST_EXTRA_BODY,
        g.TOOL_DEFINITIONS, g.RESPONSE_ID, g.RESPONSE_SERVICE_TIER,
        g.RESPONSE_SYSTEM_FINGERPRINT, g.RESPONSE_FINISH_REASONS,
        g.USAGE_INPUT_TOKENS, g.USAGE_OUTPUT_TOKENS, g.USAGE_TOTAL_TOKENS,
        g.USAGE_CACHE_READ_INPUT_TOKENS, g.USAGE_CACHE_CREATION_INPUT_TOKENS,
        g.USAGE_AUDIO_INPUT_TOKENS, g.USAGE_REASONING_OUTPUT_TOKENS, g.USAGE_AUDIO_OUTPUT_TOKENS,
        g.USAGE_INPUT_TOKEN_DETAILS, g.USAGE_OUTPUT_TOKEN_DETAILS,
        g.INPUT_MESSAGES, g.OUTPUT_MESSAGES, g.SYSTEM_INSTRUCTIONS,
        g.TOOL_NAME, g.TOOL_CALL_ID, g.TOOL_CALL_ARGUMENTS, g.TOOL_CALL_RESULT,
        g.SERIALIZED_NAME, g.SERIALIZED_SIGNATURE, g.SERIALIZED_DOC,
        g.CONVERSATION_ID, g.RESPONSE_TIME_TO_FIRST_CHUNK, g.PROMPT, g.COMPLETION,
        # OpenInference
        oi.SPAN_KIND, oi.INPUT_VALUE, oi.INPUT_MIME_TYPE, oi.OUTPUT_VALUE, oi.OUTPUT_MIME_TYPE,
        oi.LLM_MODEL_NAME, oi.LLM_INVOCATION_PARAMETERS, oi.EMBEDDING_MODEL_NAME,
        oi.TOKEN_COUNT_PROMPT, oi.TOKEN_COUNT_COMPLETION, oi.TOKEN_COUNT_TOTAL,
        oi.TOKEN_COUNT_CACHE_READ, oi.TOKEN_COUNT_CACHE_WRITE, oi.TOKEN_COUNT_PROMPT_AUDIO,
        oi.TOKEN_COUNT_REASONING, oi.TOKEN_COUNT_COMPLETION_AUDIO,
        oi.SESSION_ID, oi.USER_ID, oi.TAG_TAGS,
    }
)  # fmt: skip
"""Fixed keys."""

WRITTEN_PREFIXES: Final = (ls.METADATA_PREFIX,)
"""Key families written whole."""


def is_written(key: str) -> bool:
    """Whether `runs_to_spans` may have written this key."""
    return key in WRITTEN or key.startswith(WRITTEN_PREFIXES)
