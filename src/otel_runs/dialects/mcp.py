"""Model Context Protocol spans (`mcp.*`): a `tools/call` is a tool run named by its tool.

The server's span carries `gen_ai.tool.name` (read by the genai rows); the client's carries only
the method, and names the tool in the span name (`{mcp.method.name} {target}`, which the MCP
Python SDK writes as `MCP send tools/call {target}`). The method stays in the leftovers: it is
read, not consumed, so the span comes back whole from runs -> spans.
"""

from __future__ import annotations

from otel_runs.conventions import mcp
from otel_runs.dialects.coerce import as_str
from otel_runs.dialects.view import SpanView


def run_type(v: SpanView) -> str | None:
    """`tools/call` -> tool; other MCP methods are left to the other rows (a chain)."""
    return "tool" if as_str(v.peek(mcp.METHOD_NAME)) == mcp.TOOLS_CALL else None


def tool_name(v: SpanView) -> str | None:
    """A tool run's tool: what follows the method in the span name."""
    if v.run_type != "tool":
        return None
    method = as_str(v.peek(mcp.METHOD_NAME))
    if method is None:
        return None
    _, found, target = v.record.name.partition(f"{method} ")
    target = target.strip()
    return target if found and target else None
