"""Model Context Protocol spans (OTel semantic conventions 1.39, since then in
open-telemetry/semantic-conventions-genai `model/mcp/`).

An MCP span carries `mcp.method.name`; a `tools/call` span also `gen_ai.tool.name` (server side)
and may carry `gen_ai.operation.name = execute_tool` and the tool's arguments and result under
the GenAI keys (conventions/genai.py). Its name is `{mcp.method.name} {target}`, the target
being the tool or prompt name.
"""

from __future__ import annotations

from typing import Final

METHOD_NAME: Final = "mcp.method.name"
"""The JSON-RPC method of the request or notification (`tools/call`, `resources/read`, ...)."""
SESSION_ID: Final = "mcp.session.id"
"""The `Mcp-Session-Id` of a connection (protocol revisions before 2026-07-28)."""
RESOURCE_URI: Final = "mcp.resource.uri"
"""The resource a `resources/*` request names."""
PROTOCOL_VERSION: Final = "mcp.protocol.version"
"""The MCP protocol revision in use."""
PREFIX: Final = "mcp."
"""Every MCP attribute starts so (the GenAI-only span filter keeps such spans)."""

TOOLS_CALL: Final = "tools/call"
"""The method of a tool call: such a span is a tool run."""
