"""Provider names: OTel GenAI values (current and legacy) to LangChain's `ls_provider` and to
genai-prices' provider ids."""

from __future__ import annotations

from typing import Final

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
