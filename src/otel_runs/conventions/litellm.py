"""LiteLLM calls as openinference-instrumentation-litellm exports them (Arize-ai/openinference
`python/instrumentation/openinference-instrumentation-litellm`).

OpenInference LLM spans (conventions/openinference.py) whose `llm.model_name` is LiteLLM's
routing string, `<provider>/<model>` (`openai/gpt-4o-mini`), beside `llm.provider`.
"""

from __future__ import annotations

from typing import Final

SCOPE: Final = "openinference.instrumentation.litellm"
"""Instrumentation scope of the LiteLLM instrumentor's spans."""
