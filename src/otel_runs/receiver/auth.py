"""Optional bearer-token auth for the receiver's front ends.

The token is `--token`, else `$OTEL_RUNS_TOKEN`, else none (every request is let in). With a
token set, a request must carry `Authorization: Bearer <token>` (HTTP header or gRPC metadata).
Tokens are compared with `hmac.compare_digest`, so the time taken does not tell an attacker how
much of a guess was right. The token never appears in a repr, a log line or an error message.
"""

from __future__ import annotations

import hmac
import os
from typing import Final

TOKEN_ENV: Final = "OTEL_RUNS_TOKEN"
"""Environment variable holding the bearer token senders must present."""
_SCHEME: Final = "bearer"


class BearerAuth:
    """Checks `Authorization` values against one secret token (or lets all in when unset)."""

    __slots__ = ("_token",)

    def __init__(self, token: str | None = None) -> None:
        """`token` wins; None reads `$OTEL_RUNS_TOKEN`; empty or blank means no auth."""
        if token is None:
            token = os.environ.get(TOKEN_ENV)
        token = (token or "").strip()
        self._token: bytes | None = token.encode() if token else None

    def __repr__(self) -> str:
        return f"BearerAuth(enabled={self.enabled})"

    @property
    def enabled(self) -> bool:
        return self._token is not None

    def allows(self, authorization: str | bytes | None) -> bool:
        """True when auth is off, or the header value is `Bearer <the token>`."""
        if self._token is None:
            return True
        if authorization is None:
            return False
        if isinstance(authorization, str):
            authorization = authorization.encode("utf-8", "replace")
        scheme, _, presented = authorization.strip().partition(b" ")
        if scheme.lower() != _SCHEME.encode():
            return False
        return hmac.compare_digest(presented.strip(), self._token)
