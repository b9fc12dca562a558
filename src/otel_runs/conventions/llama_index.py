"""LlamaIndex as openinference-instrumentation-llama-index exports it (Arize-ai/openinference
`python/instrumentation/openinference-instrumentation-llama-index`; `ToolOutput` from
run-llama/llama_index `llama-index-core/llama_index/core/tools/types.py`).

The spans follow OpenInference (conventions/openinference.py); what is LlamaIndex's own is the
JSON a tool span's `input.value` and `output.value` hold.
"""

from __future__ import annotations

from typing import Final

SCOPE: Final = "openinference.instrumentation.llama_index"
"""Instrumentation scope of every span the LlamaIndex instrumentor writes."""
CALL_ARGS: Final = "args"
"""A tool span's `input.value` field: the positional arguments (left out when there are none)."""
CALL_KWARGS: Final = "kwargs"
"""A tool span's `input.value` field: the keyword arguments."""
TOOL_OUTPUT_FIELDS: Final = frozenset({"tool_name", "raw_input", "raw_output"})
"""Fields a tool span's `output.value` holds when it is a serialized `ToolOutput`."""
TOOL_RAW_OUTPUT: Final = "raw_output"
"""The `ToolOutput` field holding what the tool function itself returned."""
