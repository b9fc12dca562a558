"""A program traced with the `langsmith` SDK the ordinary way (runs sent to
`LANGSMITH_ENDPOINT`), run as a subprocess by tests: once against the fake LangSmith, once
against `otel-runs serve`. Nothing in it knows about otel-runs.

What it traces: a `@traceable` agent twice in one thread (`thread_id` metadata), with a
retriever, a chat model call reporting token usage, a tool that succeeds and one that raises, and
a function taking an `Attachment` (the second run slow, so its post and patch travel in different
requests); feedback on the first agent run; a LangChain runnable chain
around a fake chat model (with usage), and a runnable that fails.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.runnables import RunnableLambda
from langchain_core.tracers.langchain import wait_for_all_tracers
from langsmith import traceable
from langsmith.run_helpers import get_current_run_tree
from langsmith.run_trees import get_cached_client
from langsmith.schemas import Attachment

USAGE = {
    "input_tokens": 21,
    "output_tokens": 7,
    "total_tokens": 28,
    "input_token_details": {"cache_read": 5},
}
PICTURE = bytes(range(256)) * 4
SLOW_S = 1.5
FIRST_RUNS: list[str] = []


@traceable(run_type="retriever")
def search(query: str) -> list[dict[str, Any]]:
    return [{"page_content": f"notes about {query}", "type": "Document",
             "metadata": {"source": "wiki"}}]  # fmt: skip


@traceable(
    run_type="llm",
    metadata={"ls_provider": "openai", "ls_model_name": "gpt-4o-mini", "ls_temperature": 0.1},
)
def chat(messages: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": "It is sunny."}}],
        "usage_metadata": USAGE,
    }  # fmt: skip


@traceable(run_type="tool")
def weather(city: str) -> str:
    if city == "Atlantis":
        raise LookupError(f"no weather station in {city}")
    return f"sunny in {city}"


@traceable
def describe(photo: Attachment, caption: str) -> dict[str, Any]:
    return {"bytes": len(bytes(photo.data)), "caption": caption}


@traceable(name="agent", tags=["prod", "v2"])
def agent(question: str, *, slow: bool = False) -> dict[str, Any]:
    run = get_current_run_tree()
    if slow:  # long enough for the SDK to send the posts before the patches
        time.sleep(SLOW_S)
    docs = search(question)
    reply = chat([{"role": "system", "content": "Be brief."},
                  {"role": "user", "content": f"{question} ({docs[0]['page_content']})"}])  # fmt: skip
    weather("Paris")
    with contextlib.suppress(LookupError):
        weather("Atlantis")
    describe(Attachment(mime_type="image/png", data=PICTURE), caption="a map")
    if run is not None:
        FIRST_RUNS.append(str(run.id))
    return {"answer": reply["choices"][0]["message"]["content"]}


def fails(value: dict[str, Any]) -> str:
    raise ValueError(f"cannot handle {sorted(value)}")


def main() -> None:
    client = get_cached_client()
    agent("weather in Paris?", langsmith_extra={"metadata": {"thread_id": "thread-1"}})
    client.create_feedback(
        FIRST_RUNS[0], key="user_score", score=1, value="good", comment="short and right"
    )
    agent("and tomorrow?", slow=True, langsmith_extra={"metadata": {"thread_id": "thread-1"}})

    model = GenericFakeChatModel(
        messages=iter([AIMessage(content="42", usage_metadata={
            "input_tokens": 9, "output_tokens": 1, "total_tokens": 10})])
    )  # fmt: skip
    chain: Any = (
        RunnableLambda(lambda x: [("human", x["question"])]).with_config(run_name="prompt")
        | model
        | RunnableLambda(lambda message: message.content).with_config(run_name="parse")
    )
    chain.invoke(
        {"question": "meaning of life?"},
        config={"run_name": "lc_chain", "metadata": {"thread_id": "thread-2"}, "tags": ["lc"]},
    )
    with contextlib.suppress(ValueError):
        RunnableLambda(fails).invoke({"x": 1}, config={"run_name": "lc_fails"})
    wait_for_all_tracers()
    client.flush()


if __name__ == "__main__":
    main()
