"""Run ids -> OTel ids (the inverse of `otel_runs.ids`), and which `langsmith.*` ids to stamp.

Rules:

1. Span id = the last 8 bytes of the run UUID. For a zero-padded run id (a run that came from a
   span: 8 zero bytes + span id) this is exactly the span id it came from, so
   `run_id_from_span_id(span_id_of(u)) == u`. For a UUIDv7 the last 8 bytes are its random
   part, unlike the first 8 (a millisecond timestamp and 12 random bits, which collide for
   siblings started in the same millisecond).
2. Trace id = the 16 bytes of the run's trace UUID, unless the run came from a span and kept
   that span's OTel trace id in `extra.metadata.otel_trace_id`: then that one, so the span
   lands back in its original trace.
3. Parent span id = rule 1 applied to `parent_run_id` (or the kept `otel_parent_span_id`).
4. OTel forbids all-zero ids. A run UUID whose last 8 bytes are zero (the nil UUID included)
   uses 8 bytes of a BLAKE2b hash of the UUID instead (its first 8 bytes could equal another
   run's zero-padded span id); a nil trace UUID uses the run's span id. Such spans always carry
   `langsmith.span.id` / `langsmith.trace.id`, so the run ids still come back exactly.
"""

from __future__ import annotations

import hashlib
from typing import Final
from uuid import UUID

_MASK_64: Final = (1 << 64) - 1


def span_id_of(run_id: UUID) -> int:
    """Rule 1 (with rule 4's fallback): the OTel span id standing for a run id."""
    low = run_id.int & _MASK_64
    if low:
        return low
    return int.from_bytes(hashlib.blake2b(run_id.bytes, digest_size=8).digest(), "big") or 1


def trace_id_of(trace_id: UUID, run_id: UUID) -> int:
    """Rule 2 for a run born in LangSmith (rule 4's fallback for a nil trace UUID)."""
    return trace_id.int or span_id_of(run_id)


def parse_hex_id(value: object, bits: int) -> int | None:
    """A kept OTel id (`otel_trace_id`, `otel_span_id`...) in the canonical form spans -> runs
    writes (lower-case hex, full width, not zero); None for anything else."""
    if not isinstance(value, str) or len(value) != bits // 4:
        return None
    try:
        number = int(value, 16)
    except ValueError:
        return None
    if not number or f"{number:0{bits // 4}x}" != value:
        return None
    return number
