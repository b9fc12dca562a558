"""`kill -9` of the receiver at random points of a steady stream, many times over.

One spool, one fake LangSmith, a `Sender` that never stops producing, and a receiver that is
started, left up for a random time and killed with SIGKILL, again and again; a last receiver
then drains everything. What must hold:

- every span acknowledged by any of the receivers reaches LangSmith (`lost` = 0);
- a span reaches it as one run: no run id that was never sent (`extra_runs`), and a run
  delivered twice (its mark in the spool died with the process) is the same run both times
  (`changed_identity` = 0: same id, trace, parent, dotted order, name, type, start).

`redelivered` counts runs LangSmith got more than once (the fake keeps them all,
`conflict_on_duplicate=False`); `changed_content` counts those whose second copy differs
(documented: a parent's token roll-up may miss children delivered before a restart).
Requests in flight at a kill get no answer (`unanswered_requests`) and are sent again.

With `workers`, each receiver is started with a worker count drawn from it (`--workers`): a
front end killed with its worker processes, and a spool taken up by another number of workers
(split again by trace id) at the next start.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from tests.support.fake_langsmith import FakeLangSmith, running_fake_langsmith
from tests.support.receiver_proc import ServeProcess, start_serve

from reliability.common import Figures, wait_for
from reliability.payload import Payloads
from reliability.sender import Sender
from reliability.soak import run_ids

IDENTITY: Final = ("id", "trace_id", "parent_run_id", "dotted_order", "name", "run_type",
                   "start_time")  # fmt: skip
"""What makes a run the same run; none of it may change between deliveries."""
DRAIN_TIMEOUT_S: Final = 300.0


def crash_loop(
    kills: int,
    *,
    up_s: tuple[float, float] = (0.5, 4.0),
    rate_per_s: float = 20.0,
    traces_per_request: int = 2,
    spans_per_trace: int = 5,
    seed: int | None = None,
    workers: Sequence[int] = (1,),
) -> Figures:
    """Kill the receiver `kills` times, each after a random `up_s` seconds of service."""
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="otel-runs-crash-") as scratch, \
            running_fake_langsmith() as fake:  # fmt: skip
        fake.conflict_on_duplicate = False  # keep every delivery, to compare the copies
        quiet_connection_resets(fake)
        spool = Path(scratch) / "spool.sqlite"
        env = {
            "LANGSMITH_API_KEY": fake.api_key,
            "LANGSMITH_ENDPOINT": fake.url,
            "OTEL_RUNS_LOG_SETTLE_SECONDS": "0.2",
        }

        counts: list[int] = []

        def serve() -> ServeProcess:
            counts.append(rng.choice(workers))
            args = ("--spool", str(spool), "--workers", str(counts[-1]))
            return start_serve(Path(scratch) / "ls", *args, grpc=False, langsmith=True, env=env)

        current: list[str | None] = [None]
        payloads = Payloads(traces_per_request, spans_per_trace, split=True)
        sender = Sender(lambda: current[0], payloads.next_body, rate_per_s)
        sender.start()
        started = time.monotonic()
        uptimes: list[float] = []
        for _ in range(kills):
            served = serve()
            current[0] = f"{served.http_url}/v1/traces"
            uptime = rng.uniform(*up_s)
            uptimes.append(uptime)
            time.sleep(uptime)
            served.kill()
            current[0] = None
        served = serve()
        try:
            current[0] = f"{served.http_url}/v1/traces"
            sender.stop_producing(payloads.flush)
            sender.drained.wait(DRAIN_TIMEOUT_S)
            expected = run_ids(sender.acked_ids())
            arrived = wait_for(lambda: expected <= set(fake.runs), DRAIN_TIMEOUT_S, 0.5)
            sender.halt()
            exit_code = served.stop()
        finally:
            if served.process.poll() is None:
                served.kill()
        elapsed = time.monotonic() - started
        versions = fake.deliveries()
        delivered = set(versions)
        return {
            "scenario": "crash loop",
            "kills": kills,
            "workers": ",".join(map(str, counts)),
            "seconds": round(elapsed, 1),
            "mean_uptime_s": round(sum(uptimes) / len(uptimes), 2) if uptimes else 0.0,
            "rate_requests_per_s": rate_per_s,
            **sender.figures(),
            "runs_delivered": len(delivered),
            "lost": len(expected - delivered),
            "extra_runs": len(delivered - run_ids(sender.produced_ids())),
            "redelivered": sum(1 for copies in versions.values() if len(copies) > 1),
            "changed_identity": sum(1 for copies in versions.values() if _identity_changed(copies)),
            "changed_content": sum(
                1 for copies in versions.values() if any(c != copies[0] for c in copies)
            ),
            "all_arrived": arrived,
            "exit_code": exit_code,
        }


def quiet_connection_resets(fake: FakeLangSmith) -> None:
    """A killed receiver leaves its keep-alive connections to the fake reset; the fake's
    `http.server` would print a traceback for each. Everything else is still printed."""
    server = fake._server
    assert server is not None
    original = server.handle_error

    def handle_error(request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            original(request, client_address)

    setattr(server, "handle_error", handle_error)  # noqa: B010  # replaces a bound method




def _identity_changed(copies: list[dict[str, Any]]) -> bool:
    first = [copies[0].get(key) for key in IDENTITY]
    return any([copy.get(key) for key in IDENTITY] != first for copy in copies[1:])
