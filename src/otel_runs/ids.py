"""Id rules between OTel spans and LangSmith runs.

Rules (LangSmith's own OTel ingest; `langsmith_run_id_from_otel_span_id` in the langsmith SDK):

1. A run's id is the UUID of 8 zero bytes followed by the span's 8-byte span id, big-endian:
   span `ff5d02ce52aea886` is run `00000000-0000-0000-ff5d-02ce52aea886`. The same span therefore
   gets the same run id whichever way it reaches LangSmith, and a re-sent span maps to the same
   run (idempotent ingest).
2. `parent_run_id` is the same transform of the parent span id.
3. `trace_id` is the root run's id (LangSmith requires `trace_id == root.id`), not the OTel
   trace id.
4. The way back is the exact inverse of rule 1: the span id is the last 8 bytes of the run UUID.
   For a zero-padded id, `run_id_from_span_id(span_id_from_run_id(u)) == u`; for any span id s,
   `span_id_from_run_id(run_id_from_span_id(s)) == s`.

OTel ids are valid when non-zero and within their width (128 bits for traces, 64 for spans).
"""

from __future__ import annotations

from typing import Final
from uuid import UUID

TRACE_ID_BITS: Final = 128
SPAN_ID_BITS: Final = 64
_SPAN_MASK: Final = (1 << SPAN_ID_BITS) - 1


def run_id_from_span_id(span_id: int) -> UUID:
    """Rule 1: 8 zero bytes then the span id. The UUID's integer value is the span id itself."""
    return UUID(int=span_id)


def run_id_text_from_span_id(span_id: int) -> str:
    """`str(run_id_from_span_id(span_id))` without building a UUID (the processor's hot path)."""
    digits = f"{span_id:016x}"
    return f"00000000-0000-0000-{digits[:4]}-{digits[4:]}"


def span_id_from_run_id(run_id: UUID) -> int:
    """Rule 4: the last 8 bytes of the run UUID."""
    return run_id.int & _SPAN_MASK


def is_span_derived(run_id: UUID) -> bool:
    """True when the run id has the zero-padded form of rule 1 (first 8 bytes zero)."""
    return run_id.int >> SPAN_ID_BITS == 0 and run_id.int != 0


def valid_trace_id(trace_id: int) -> bool:
    """A trace id is non-zero and fits 16 bytes."""
    return 0 < trace_id < (1 << TRACE_ID_BITS)


def valid_span_id(span_id: int) -> bool:
    """A span id is non-zero and fits 8 bytes."""
    return 0 < span_id <= _SPAN_MASK


def trace_id_hex(trace_id: int) -> str:
    """OTel's lower-case 32-hex form."""
    return f"{trace_id:032x}"


def span_id_hex(span_id: int) -> str:
    """OTel's lower-case 16-hex form."""
    return f"{span_id:016x}"


def parse_uuid(value: object) -> UUID | None:
    """A UUID from a UUID or its string form; None for anything else."""
    if isinstance(value, UUID):
        return value
    if isinstance(value, str):
        try:
            return UUID(value)
        except ValueError:
            return None
    return None
