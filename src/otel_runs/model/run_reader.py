"""`run_sharing_input`'s reading written out per *key sequence* of the input, as straight-line
Python.

The runs an app sends through the LangSmith API come with the same keys in the same order, run
after run; the table-driven reader (`run._read`) looks every key up, unpacks its table entry and
stores its value in a dict, then calls `Run(**values)`. `reader_for(keys)` writes what that
loop does for one key sequence (which field each key fills, its decoder, the type taken as it
is, whether an alias loses to its field) as one function that ends in a positional `Run(...)`
call, compiles it (text cached by text) and keeps it per key sequence. Values are still tested
where the loop tests them (a null is the field's default, a value of another type goes to the
decoder, whose error names the key), so the run and every refusal are the same
(tests/test_run_reader.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, fields
from typing import TYPE_CHECKING, Any, Final

from otel_runs.generated_code import CodeCache, ShapeTable

if TYPE_CHECKING:
    from otel_runs.model.run import Run

Reader = Callable[[dict[str, Any]], "Run"]

MAX_KEYS: Final = 64
"""Inputs with more keys are read by the table (a new sequence of many keys each time would
cost a compilation each)."""
_CODE: Final = CodeCache("run reader")


def reader_for(keys: tuple[str, ...]) -> Reader | None:
    """The compiled reader of inputs with these keys, in this order; None the first time a
    key sequence is seen (read by the table then: a stream whose every run has new keys, ids
    in key names, would pay a reader's writing, ~30 µs, per run)."""
    return _READERS.get(keys)


_CACHES: Final = {"uuid": "_UUIDS", "datetime": "_PARSED"}
"""The decoders' own caches of texts (`_dec_uuid`, `parse_datetime`), by field kind: a text
found there is what the decoder returns for it."""


class _Missing:
    """A field no key gave a value (a decoded None is a value, as in `run._read`)."""


_NOT_GIVEN: Final = _Missing()


def _compile(keys: tuple[str, ...]) -> Reader:
    from decimal import InvalidOperation

    from otel_runs.dotted_order import datetime_to_us, format_segment
    from otel_runs.errors import InvalidRunError
    from otel_runs.model import run as model

    names: dict[str, Any] = {
        "NOT_GIVEN": _NOT_GIVEN,
        "InvalidRunError": InvalidRunError,
        "ERRORS": (TypeError, ValueError, InvalidOperation, OverflowError),
        "Run": model.Run,
        "format_segment": format_segment,
        "datetime_to_us": datetime_to_us,
    }
    table = model._SHARING_READERS
    lines = ["unmapped = {}"]
    given: set[str] = set()
    for index, key in enumerate(keys):
        k = f"k_{index}"
        names[k] = key
        entry = table.get(key)
        if entry is None:
            lines.append(f"unmapped[{k}] = data[{k}]")
            continue
        name, decode, alias, as_is = entry
        if name not in given:
            lines.insert(0, f"f_{name} = NOT_GIVEN")
            given.add(name)
        names[f"dec_{name}"] = decode
        lines.append(f"raw = data[{k}]")
        depth = ""
        if alias and name in keys:  # the field itself, when not null, wins over its alias
            names[f"n_{index}"] = name
            lines += [f"if data[n_{index}] is not None:", f"    unmapped[{k}] = raw", "else:"]
            depth = "    "
        decoded = [
            "try:",
            f"    f_{name} = dec_{name}(raw)",
            "except ERRORS as exc:",
            f"    raise InvalidRunError(f'field {{{k}!r}}: {{exc}}') from exc",
        ]
        cache = _CACHES.get(model.FIELD_KINDS[name])
        if cache is not None:  # texts the decoder read lately: its answer, without the call
            names["cache_" + cache] = getattr(model, cache)
            decoded = [
                f"f_{name} = cache_{cache}.get(raw) if type(raw) is str else None",
                f"if f_{name} is None:",
                *("    " + line for line in decoded),
            ]
        block = ["if raw is not None:"]
        if as_is is not None:
            names[f"t_{name}"] = as_is
            block += [f"    if type(raw) is t_{name}:", f"        f_{name} = raw", "    else:"]
            block += ["        " + line for line in decoded]
        else:
            block += ["    " + line for line in decoded]
        lines += [depth + line for line in block]
    for required in model._REQUIRED:
        refusal = f"raise InvalidRunError({_required(required)!r})"
        if required in given:
            lines += [f"if f_{required} is NOT_GIVEN:", "    " + refusal]
        else:
            lines.append(refusal)
            break
    else:
        if "trace_id" in given:
            lines += ["if f_trace_id is NOT_GIVEN:", "    f_trace_id = f_id"]
        else:
            lines.append("f_trace_id = f_id")
        if "dotted_order" in given:
            lines += [
                "if f_dotted_order is NOT_GIVEN or not f_dotted_order:",
                "    f_dotted_order = format_segment(datetime_to_us(f_start_time), f_id)",
            ]
        else:
            lines.append("f_dotted_order = format_segment(datetime_to_us(f_start_time), f_id)")
        arguments = []
        for item in fields(model.Run):
            name = item.name
            if name == "unmapped":
                arguments.append("unmapped")
            elif name in model._REQUIRED or name in ("trace_id", "dotted_order"):
                arguments.append(f"f_{name}")  # (given: checked or filled above)
            elif name in given:
                default = _default(item.default, item.default_factory)
                arguments.append(f"f_{name} if f_{name} is not NOT_GIVEN else {default}")
            else:
                arguments.append(_default(item.default, item.default_factory))
        lines.append("return Run(" + ", ".join(arguments) + ")")
    text = "def read(data):\n" + "".join(f"    {line}\n" for line in lines)
    return _define(text, names)


def _required(name: str) -> str:
    return f"field {name!r} is required"


def _default(value: object, factory: object) -> str:
    if value is not MISSING:
        if value is not None and not isinstance(value, str):
            raise TypeError(f"no literal for the default {value!r}")
        return repr(value)
    if factory is dict:
        return "{}"
    if factory is list:
        return "[]"
    raise TypeError(f"no literal for the default factory {factory!r}")


def _define(text: str, names: dict[str, Any]) -> Reader:
    read: Reader = _CODE.define(text, names, "read")
    return read


_READERS: Final[ShapeTable[tuple[str, ...], Reader]] = ShapeTable(_compile, 256)
"""Reader per key sequence (written for a sequence's second run)."""
