"""General OpenTelemetry attribute and event names (semantic-conventions core)."""

from __future__ import annotations

from typing import Final

EVENT_EXCEPTION: Final = "exception"
"""Exception event name."""
EXCEPTION_TYPE: Final = "exception.type"
"""Exception class."""
EXCEPTION_MESSAGE: Final = "exception.message"
"""Exception message."""
EXCEPTION_STACKTRACE: Final = "exception.stacktrace"
"""Stack trace text."""
EXCEPTION_ESCAPED: Final = "exception.escaped"
"""Whether the exception left the span's scope."""
ERROR_TYPE: Final = "error.type"
"""Error class of a failed operation."""
SERVICE_NAME: Final = "service.name"
"""Resource: service name."""
DEPLOYMENT_ENVIRONMENT: Final = "deployment.environment"
"""Resource: environment (old name)."""
DEPLOYMENT_ENVIRONMENT_NAME: Final = "deployment.environment.name"
"""Resource: environment."""
LOG_BODY: Final = "body"
"""Our event attribute for an OTLP log record's body when it is not a map (LogRecord.body)."""
