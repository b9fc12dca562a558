"""Provider names: OTel GenAI values (current and legacy) to LangChain's `ls_provider` and to
genai-prices' provider ids."""

from __future__ import annotations

from typing import Final

AI_SDK_PROVIDERS: Final = {
    "openai.chat": "openai",
    "openai.responses": "openai",
    "openai.completion": "openai",
    "openai.embedding": "openai",
    "openai.image": "openai",
    "openai.transcription": "openai",
    "openai.speech": "openai",
    "azure.chat": "azure",
    "azure.responses": "azure",
    "azure.completion": "azure",
    "azure.embeddings": "azure",
    "azure-openai": "azure",
    "anthropic.messages": "anthropic",
    "google.generative-ai": "google_genai",
    "google.vertex.chat": "google_vertexai",
    "google.vertex.embedding": "google_vertexai",
    "vertex.anthropic.messages": "anthropic",
    "amazon-bedrock": "amazon_bedrock",
    "mistral.chat": "mistralai",
    "mistral.embedding": "mistralai",
    "groq.chat": "groq",
    "xai.chat": "xai",
    "xai.responses": "xai",
    "deepseek.chat": "deepseek",
    "cohere.chat": "cohere",
    "cohere.textEmbedding": "cohere",
    "ollama.chat": "ollama",
    "ollama.responses": "ollama",
    "ollama.embedding": "ollama",
}
"""Vercel AI SDK provider ids (`ai.model.provider`, and `gen_ai.system` on AI SDK 4-6 spans, and
Mastra's `gen_ai.provider.name`): `<provider>.<api>` as the `@ai-sdk/*` packages name them,
lower-cased -> LangChain's provider names."""

TO_LS_PROVIDER: Final = {
    "openai": "openai",
    "anthropic": "anthropic",
    "azure.ai.openai": "azure",
    "az.ai.openai": "azure",
    "azure.ai.inference": "azure",
    "az.ai.inference": "azure",
    "azure": "azure",
    "aws.bedrock": "amazon_bedrock",
    "bedrock": "amazon_bedrock",
    "gcp.vertex_ai": "google_vertexai",
    "vertex_ai": "google_vertexai",
    "gcp.gemini": "google_genai",
    "gcp.gen_ai": "google_genai",
    "gemini": "google_genai",
    "google": "google_genai",
    "mistral_ai": "mistralai",
    "mistralai": "mistralai",
    "x_ai": "xai",
    "xai": "xai",
    "groq": "groq",
    "cohere": "cohere",
    "deepseek": "deepseek",
    "perplexity": "perplexity",
    "ibm.watsonx.ai": "ibm",
    "moonshot_ai": "moonshot",
    "ollama": "ollama",
    **{key.lower(): value for key, value in AI_SDK_PROVIDERS.items()},
}
"""Lower-cased GenAI provider/system values -> LangChain's provider names."""

TO_PRICE_PROVIDER: Final = {
    "openai": "openai",
    "anthropic": "anthropic",
    "azure": "azure",
    "amazon_bedrock": "aws",
    "google_vertexai": "google",
    "google_genai": "google",
    "mistralai": "mistral",
    "xai": "x-ai",
    "groq": "groq",
    "cohere": "cohere",
    "deepseek": "deepseek",
    "perplexity": "perplexity",
    "moonshot": "moonshotai",
}
"""ls_provider -> genai-prices provider id; providers not listed are not priced."""

# --- written by runs -> spans ------------------------------------------------------------------
FROM_LS_PROVIDER: Final = {
    "openai": ("openai", "openai"),
    "anthropic": ("anthropic", "anthropic"),
    "azure": ("az.ai.openai", "azure.ai.openai"),
    "azure_openai": ("az.ai.openai", "azure.ai.openai"),
    "amazon_bedrock": ("aws.bedrock", "aws.bedrock"),
    "bedrock": ("aws.bedrock", "aws.bedrock"),
    "google_vertexai": ("vertex_ai", "gcp.vertex_ai"),
    "google_genai": ("gemini", "gcp.gemini"),
    "mistralai": ("mistral_ai", "mistral_ai"),
    "xai": ("xai", "x_ai"),
    "groq": ("groq", "groq"),
    "cohere": ("cohere", "cohere"),
    "deepseek": ("deepseek", "deepseek"),
    "perplexity": ("perplexity", "perplexity"),
    "ibm": ("ibm.watsonx.ai", "ibm.watsonx.ai"),
}
"""ls_provider -> (`gen_ai.system` as the langsmith SDK writes it, `gen_ai.provider.name`)."""

MODEL_NAME_HINTS: Final = (
    (("anthropic",), ("claude",), "anthropic"),
    (("bedrock",), (), "aws.bedrock"),
    (("azure+openai",), (), "az.ai.openai"),
    (("azure+inference",), (), "az.ai.inference"),
    (("cohere",), (), "cohere"),
    (("deepseek",), (), "deepseek"),
    (("gemini",), (), "gemini"),
    (("groq",), (), "groq"),
    (("watson", "ibm"), (), "ibm.watsonx.ai"),
    (("mistral",), (), "mistral_ai"),
    (("gpt", "openai"), (), "openai"),
    (("perplexity", "sonar"), (), "perplexity"),
    (("vertex",), (), "vertex_ai"),
    (("xai", "grok"), (), "xai"),
    (("qwen",), (), "qwen"),
)
"""The langsmith SDK exporter's model-name rules, in order: (substrings, prefixes, gen_ai.system);
`a+b` means both substrings. Used when a run names no ls_provider."""

LEGACY_TO_CURRENT: Final = {
    "az.ai.openai": "azure.ai.openai",
    "az.ai.inference": "azure.ai.inference",
    "gemini": "gcp.gemini",
    "vertex_ai": "gcp.vertex_ai",
    "xai": "x_ai",
}
"""`gen_ai.system` spellings the SDK writes -> current `gen_ai.provider.name` values."""

FRAMEWORK_SYSTEMS: Final = frozenset(
    {
        "langchain",
        "langgraph",
        "strands-agents",
        "llama_index",
        "llamaindex",
        "crewai",
        "smolagents",
        "openai_agents",
        "openai-agents",
        "autogen",
        "semantic_kernel",
        "haystack",
        "dspy",
        "agno",
        # i14pyb: Google ADK 1's model-call spans
        "gcp.vertex.agent",
    }
)
"""`gen_ai.system` / `gen_ai.provider.name` values that name an agent framework rather than the
model's provider (Strands, LangChain's `gen_ai.system=langchain` on chain spans...): not an
`ls_provider`, which would stop costs and mislabel the run."""
