"""JSON text of encoded trees and back, with orjson when it is installed and the stdlib otherwise.

Measured (bench/bench_spill.py, docs/performance.md): ``orjson.dumps`` of an encoded trace tree
costs ~0.7 µs per span against ~5.7 µs for ``json.dumps``, and ``orjson.loads`` ~4 µs against
~20 µs. ``loads`` looks for runs of 19 digits first, which costs more than orjson's parse (7 µs
per span of the LangChain workload, 25 of a LlamaIndex query): the full-text index, which
re-reads every tree it writes, parses with orjson directly and notices large numbers itself
(``store.derived._parse``). Both functions give the same parsed JSON as the stdlib calls they replace; whatever
orjson refuses goes to the stdlib, which decides:

* ``dumps``: ints beyond 64 bits, lone surrogates, non-string keys, nesting past orjson's 255
  levels -> ``json.dumps(ensure_ascii=False, separators=(",", ":"), allow_nan=False)``. One
  difference, on purpose: a non-finite float becomes ``null`` (valid JSON) where the stdlib
  raises. ``payloads.Converter`` never returns one; a float computed later (a cost) that
  overflowed keeps its trace readable instead of failing the whole trace.
* ``loads``: ``NaN``/``Infinity``, numbers beyond a double, escaped lone surrogates ->
  ``json.loads``; so does any text with a run of 19 digits, because orjson reads an integer
  beyond 64 bits as a float where the stdlib keeps it exact.
"""

from __future__ import annotations

import json
import re
from typing import Any

try:  # optional at run time: a platform without its wheel keeps the stdlib path
    import orjson as _orjson
except ImportError:  # pragma: no cover - orjson is a dependency; exercised by forcing STDLIB
    _orjson = None

STDLIB = _orjson is None  # tests set this to compare both paths in one process
# A possible integer beyond 64 bits (orjson would read it as a float); inside a string it only
# costs the slower path.
_LONG_DIGITS = re.compile(r"[0-9]{19}")
_LONG_DIGITS_BYTES = re.compile(rb"[0-9]{19}")


def dumps(value: Any) -> str:
    """Compact JSON text of a JSON-safe value, UTF-8 kept (non-ASCII not escaped)."""
    if not STDLIB and _orjson is not None:
        try:
            return _orjson.dumps(value).decode("utf-8")
        except TypeError:  # orjson.JSONEncodeError is a TypeError: something only the stdlib takes
            pass
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def loads(text: str | bytes) -> Any:
    """The value of a JSON text (``ValueError`` when it is not JSON, as ``json.loads``)."""
    long_digits = _LONG_DIGITS_BYTES if isinstance(text, (bytes, bytearray)) else _LONG_DIGITS
    if not STDLIB and _orjson is not None and long_digits.search(text) is None:  # type: ignore[arg-type]
        try:
            return _orjson.loads(text)
        except ValueError:  # orjson.JSONDecodeError: NaN, huge numbers, lone surrogates, or not JSON
            pass
    return json.loads(text)
