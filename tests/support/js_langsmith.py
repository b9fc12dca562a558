"""The LangSmith JS SDK program (`tests/js/langsmith_sdk/app.mjs`) under node, and a recording
of what it sends, for machines without node.

    python -m tests.support.js_langsmith        re-record tests/js/langsmith_sdk/recording.json

`install()` runs `npm ci` from the committed lockfile when node_modules is missing (npm is
reachable wherever the suite runs; offline, the live test is skipped and the recording still
runs). `run_app(endpoint, key)` runs the program against any LangSmith endpoint. Recording
runs it against the fake LangSmith and keeps every request it made (method, path, the headers
that matter, the body exactly as sent, base64), so `replay` can send the same bytes to the fake
and to `otel-runs serve`.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, Final

import httpx

from tests.support.fake_langsmith import running_fake_langsmith

APP_DIR: Final = Path(__file__).resolve().parents[1] / "js" / "langsmith_sdk"
RECORDING: Final = APP_DIR / "recording.json"
_KEPT_HEADERS: Final = ("content-type", "content-encoding")
_TIMEOUT_S: Final = 120


def node_available() -> bool:
    return shutil.which("node") is not None and shutil.which("npm") is not None


def install() -> None:
    """`npm ci` from the lockfile, once (node_modules stays in the app directory)."""
    if (APP_DIR / "node_modules" / "langsmith" / "package.json").exists():
        return
    subprocess.run(
        ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
        cwd=APP_DIR, check=True, capture_output=True, timeout=300,
    )  # fmt: skip


def run_app(endpoint: str, api_key: str) -> subprocess.CompletedProcess[str]:
    """The program, configured only by LANGSMITH_* as an unmodified app would be."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LANGSMITH_")}
    env.update(
        LANGSMITH_TRACING="true", LANGSMITH_ENDPOINT=endpoint, LANGSMITH_API_KEY=api_key,
        LANGSMITH_PROJECT="js-sdk",
    )  # fmt: skip
    return subprocess.run(
        ["node", "app.mjs"], cwd=APP_DIR, env=env, capture_output=True, text=True,
        timeout=_TIMEOUT_S, check=False,
    )  # fmt: skip


def record() -> list[dict[str, Any]]:
    """Run the program against the fake LangSmith; its requests, in order."""
    install()
    with running_fake_langsmith() as fake:
        done = run_app(fake.url, fake.api_key)
        if done.returncode != 0 or "Failed" in done.stderr:
            raise RuntimeError(f"the JS program failed:\n{done.stderr}")
        requests = [
            {
                "method": r.method,
                "path": r.path,
                "headers": {k: v for k, v in r.headers.items() if k in _KEPT_HEADERS},
                "body": base64.b64encode(r.raw_body).decode(),
            }
            for r in fake.requests
        ]
    version = json.loads((APP_DIR / "node_modules" / "langsmith" / "package.json").read_text())
    RECORDING.write_text(
        json.dumps({"langsmith_js": version["version"], "requests": requests}, indent=1) + "\n"
    )
    return requests


def replay(url: str, api_key: str) -> None:
    """Send the recorded requests to `url`, in order, as the SDK sent them."""
    recorded = json.loads(RECORDING.read_text())["requests"]
    with httpx.Client(timeout=30) as client:
        for request in recorded:
            headers = {**request["headers"], "x-api-key": api_key}
            response = client.request(
                request["method"], url + request["path"], headers=headers,
                content=base64.b64decode(request["body"]),
            )  # fmt: skip
            if response.status_code >= 300:
                raise AssertionError(f"{request['path']}: {response.status_code} {response.text}")


if __name__ == "__main__":
    made = record()
    print(f"recorded {len(made)} requests to {RECORDING}")
