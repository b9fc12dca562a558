"""Optional bearer-token auth for the receiver's front ends.

The token is `--token`, else `$OTEL_RUNS_TOKEN`, else none (every request is let in). An empty
or blank token, given or in the environment, is a `ConfigError`, never "no auth": a variable
that expanded to nothing must not open the receiver. With a token set, a request must carry
`Authorization: Bearer <token>` (HTTP header or gRPC metadata).
Tokens are compared with `hmac.compare_digest`, so the time taken does not tell an attacker how
much of a guess was right. The token never appears in a repr, a log line or an error message.
"""

from __future__ import annotations

import hmac
import os
from typing import Final

from otel_runs.errors import ConfigError

TOKEN_ENV: Final = "OTEL_RUNS_TOKEN"
"""Environment variable holding the bearer token senders must present."""
_SCHEME: Final = "bearer"


class BearerAuth:
    """Checks `Authorization` values against one secret token (or lets all in when unset)."""

    __slots__ = ("_token",)

    def __init__(self, token: str | None = None) -> None:
        """`token` wins; None reads `$OTEL_RUNS_TOKEN`, and no auth when it is unset. An empty
        or blank token raises ConfigError."""
        where = "the bearer token"
        if token is None:
            token = os.environ.get(TOKEN_ENV)
            where = f"${TOKEN_ENV}"
        self._token: bytes | None = None
        if token is not None:
            token = token.strip()
            if not token:
                raise ConfigError(
                    f"{where} is empty: give a token, or leave it unset for no auth"
                )
            self._token = token.encode()

    @classmethod
    def off(cls) -> BearerAuth:
        """No auth, whatever the environment says."""
        auth = cls.__new__(cls)
        auth._token = None
        return auth

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
