"""JSON-safe conversion of whatever a framework hands us: size limits, cycles, secrets masked.

Runs off the hot path (in the encoding worker or at flush). It is total: any Python value
becomes a JSON value that encodes as UTF-8, or a short typed description of it. It never
raises and never drops a value; a value it cannot read (a ``__repr__`` that raises, a property
that raises) is described by its type, and only that value is. Secrets are masked by the rules
of ``chaintracer.redact``.
"""

from __future__ import annotations

import base64
import dataclasses
import enum
import json
import math
from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from decimal import Decimal
from itertools import islice
from pathlib import PurePath
from typing import Any
from uuid import UUID

from chaintracer.redact import MASK, Mask, Redactor, clean, has_surrogates, is_secret_key
from chaintracer.truncate import MAX_ITEMS, ClippedBytes, ClippedDict, ClippedList, ClippedText

__all__ = ["MASK", "NOT_SIMPLIFIED", "Converter", "is_secret_key"]

MAX_DEPTH = 24
ARRAY_PREVIEW = 10  # values shown of an array, a series, an index
FRAME_PREVIEW = 3  # rows shown of a data frame (at most 20 of its columns)
# Ints beyond this stay exact but are stored as text: JSON readers turn them into floats or
# infinity, and Python's own json refuses more than 4,300 digits.
BIG_INT = 10**300
SHORT_CHARS = 64  # texts up to this length are cached with their masked form (they repeat)
CACHE_SIZE = 4096  # entries per cache; a full cache starts over
# Longer texts are cached too, up to this many characters in all (a full cache starts over): a
# chain hands one retrieved context or prompt from span to span, and masking is a scan of it.
LONG_CACHE_CHARS = 256 * 1024
LABEL_CHARS = 256  # longer keys and span names are texts: cut to the byte limit, not cached
SURROGATES_NOTE = "invalid Unicode (lone surrogates) replaced by U+FFFD"
# Libraries whose array-likes are summarised rather than walked or printed whole.
ARRAY_MODULES = frozenset({"numpy", "pandas", "torch", "tensorflow", "jax", "jaxlib", "cupy", "polars", "pyarrow"})
# A key that is a secret elsewhere but not beside this sibling: OpenAI logprobs entries
# ({"token": "Hello", "logprob": -0.1}) hold generated text under "token".
KEPT_BESIDE = {"token": "logprob"}

Simplifier = Callable[[Any], Any]


class _Walk:
    """State of one conversion: containers on the current path (cycles), a size bound, notes."""

    __slots__ = ("notes", "seen", "size")

    def __init__(self, notes: set[str] | None) -> None:
        self.seen: set[int] = set()
        # Characters of text and structure so far. The JSON is at most 6 bytes per such
        # character (a \u00XX escape; UTF-8 needs at most 4), so a small walk needs no dumps.
        self.size = 0
        self.notes = notes


class _NotSimplified:
    pass


NOT_SIMPLIFIED: Any = _NotSimplified()


class Converter:
    """Turns arbitrary objects into JSON values under a byte budget, secrets masked.

    ``simplify`` is the adapter's hook: it turns a framework object (a message, a document)
    into plain data, or returns ``NOT_SIMPLIFIED``. It must not raise; if it does, the value is
    described by its type instead. ``mask`` is the user's extra masking function (see
    ``chaintracer.redact``).
    """

    def __init__(self, max_payload_bytes: int, simplify: Simplifier | None = None, mask: Mask | None = None) -> None:
        self.max_payload_bytes = max_payload_bytes
        self.simplify = simplify
        self.redactor = Redactor(mask)
        # Keys and span names repeat a lot: their masked form and whether they name a secret.
        self._labels: dict[str, tuple[str, bool]] = {}
        self._short: dict[str, str] = {}  # short texts and their masked form
        self._long: dict[str, str] = {}  # longer texts (up to the byte limit) and their masked form
        self._long_chars = 0

    def convert(self, value: Any, notes: set[str] | None = None) -> Any:
        """A JSON-safe, masked copy of ``value``; oversized results carry a visible marker.

        What was changed silently on the way (invalid Unicode) is added to ``notes``.
        """
        walk = _Walk(notes)
        result = self._convert(value, 0, walk)
        if isinstance(result, (dict, list)) and walk.size * 6 + 64 > self.max_payload_bytes:
            size = len(json.dumps(result, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
            if size > self.max_payload_bytes:
                text = json.dumps(result, ensure_ascii=False)
                return {
                    "_truncated": True,
                    "original_bytes": size,
                    "preview": text[: self.max_payload_bytes],
                }
        return result

    def text(self, value: str) -> str:
        """``value`` valid as UTF-8 and masked, whole (for the texts metrics are computed from)."""
        return self.redactor.text(value)

    def string(self, value: str) -> str:
        """``value`` valid as UTF-8, masked and cut to ``max_payload_bytes`` (messages, tracebacks)."""
        return self._string(value, _Walk(None))

    def label(self, value: str) -> str:
        """A short, repeated text (a span name, a key) valid and masked; cached."""
        return self._label(value)[0]

    def _label(self, name: str) -> tuple[str, bool]:
        hit = self._labels.get(name)
        if hit is None:
            if len(name) > LABEL_CHARS:  # a text, not a name: cut, never cached, never a credential's name
                return self.string(name), False
            hit = (self.redactor.text(name), is_secret_key(name))
            if len(self._labels) >= CACHE_SIZE:
                self._labels.clear()
            self._labels[name] = hit
        return hit

    def _convert(self, value: Any, depth: int, walk: _Walk) -> Any:
        if value is None or value is True or value is False:
            walk.size += 5
            return value
        kind = type(value)
        if kind is str:
            length = len(value)
            walk.size += length + 2
            if length <= SHORT_CHARS:  # short texts repeat (tags, labels, enum-like values)
                hit = self._short.get(value)
            else:  # never hash a text too long to be cached: a huge one is cut before it is read
                hit = self._long.get(value) if length <= self.max_payload_bytes else None
            if hit is not None:
                return hit
            return self._text(value, walk)
        if kind is int:
            walk.size += 24
            return value if -BIG_INT < value < BIG_INT else self._string(_int_text(value), walk)
        if kind is float:
            walk.size += 24
            return value if math.isfinite(value) else repr(value)
        try:
            if depth >= MAX_DEPTH:
                return f"<{_type_name(value)}: nested too deep>"
            ident = id(value)
            if ident in walk.seen:
                return f"<cycle: {_type_name(value)}>"
            # Concrete dicts and lists first: most payloads are made of them, and the abstract
            # isinstance checks below cost several times more.
            if kind is dict or (kind is not list and kind is not tuple and isinstance(value, Mapping)):
                walk.seen.add(ident)
                try:
                    return self._mapping(value, depth, walk)
                finally:
                    walk.seen.discard(ident)
            if kind is list or kind is tuple or isinstance(value, (list, tuple, set, frozenset)):
                walk.seen.add(ident)
                try:
                    return self._sequence(value, depth, walk)
                finally:
                    walk.seen.discard(ident)
            return self._scalar_or_object(value, kind, depth, walk)
        except Exception as exc:  # a hostile value: describe it, keep everything around it
            return {"_type": _type_name(value), "error": f"could not be read: {type(exc).__name__}"}

    def _scalar_or_object(self, value: Any, kind: type, depth: int, walk: _Walk) -> Any:
        if kind is ClippedText:  # cut when queued (chaintracer.truncate): the marker counts the whole
            walk.size += len(value) + 2
            return self._text(str.__str__(value), walk, value.total)
        if isinstance(value, enum.Enum):
            return self._convert(value.value, depth + 1, walk)
        if isinstance(value, (str, int, float)):  # subclasses, read without their overrides
            return self._convert(_base(value), depth, walk)
        walk.size += 64  # the short descriptions below
        if isinstance(value, (bytes, bytearray, memoryview)):
            view = memoryview(value).cast("B")
            preview = base64.b64encode(view[:48].tobytes()).decode()
            length = value.total if isinstance(value, ClippedBytes) else view.nbytes
            return {"_type": "bytes", "length": length, "base64_preview": preview}
        if isinstance(value, (datetime, date, time)):
            return self._string(value.isoformat(), walk)
        if isinstance(value, (UUID, PurePath, Decimal)):
            return self._string(str(value), walk)
        if isinstance(value, BaseException):
            return {"_type": _type_name(value), "message": self._string(safe_str(value), walk)}
        if kind.__name__ in ("SecretStr", "SecretBytes"):
            return MASK
        ident = id(value)
        walk.seen.add(ident)
        try:
            return self._object(value, depth, walk)
        finally:
            walk.seen.discard(ident)

    def _string(self, value: str, walk: _Walk) -> str:
        walk.size += len(value) + 2
        return self._text(value, walk)

    def _text(self, value: str, walk: _Walk, original_chars: int | None = None) -> str:
        """``value`` made valid, masked and cut to the byte limit (its size already counted)."""
        limit = self.max_payload_bytes
        if original_chars is None:
            original_chars = len(value)
        # Cut before masking so a huge string is not scanned whole; the margin keeps a key that
        # straddles the limit whole for the mask, and the byte cut below is exact.
        if original_chars > limit + 256:
            value = value[: limit + 256]
        # Whole texts only (not cut above, not a clipped one): the cache maps a text to its result.
        cacheable = original_chars == len(value) <= limit
        if not value.isascii() and has_surrogates(value):
            value = clean(value)
            cacheable = False  # the note must be taken each time
            if walk.notes is not None:
                walk.notes.add(SURROGATES_NOTE)
        masked = self.redactor.mask_clean(value)
        if len(masked) > limit // 4 and len(masked.encode("utf-8")) > limit:
            kept = masked.encode("utf-8")[:limit].decode("utf-8", "ignore")
            masked = kept + f"... [truncated: {original_chars - len(kept)} more chars]"
        if cacheable:
            self._remember(value, masked)
        return masked

    def _remember(self, text: str, masked: str) -> None:
        if len(text) <= SHORT_CHARS:
            if len(self._short) >= CACHE_SIZE:
                self._short.clear()
            self._short[text] = masked
        # A text is counted once: string() and tracebacks come here without a lookup first.
        elif len(text) <= LONG_CACHE_CHARS and text not in self._long:
            if self._long_chars + len(text) > LONG_CACHE_CHARS:
                self._long.clear()
                self._long_chars = 0
            self._long[text] = masked
            self._long_chars += len(text)

    def _mapping(self, value: Mapping[Any, Any], depth: int, walk: _Walk) -> dict[str, Any]:
        out: dict[str, Any] = {}
        total = value.total if type(value) is ClippedDict else len(value)
        walk.size += 2
        labels = self._labels
        convert = self._convert
        for key, item in value.items() if len(value) <= MAX_ITEMS else islice(value.items(), MAX_ITEMS):
            hit = labels.get(key) if type(key) is str else None
            name, secret = hit if hit is not None else self._label(key if type(key) is str else _key_text(key))
            walk.size += len(name) + 4
            if secret and _maskable(item) and not (name in KEPT_BESIDE and KEPT_BESIDE[name] in value):
                out[name] = MASK
            else:
                out[name] = convert(item, depth + 1, walk)
        if total > MAX_ITEMS:
            out["_truncated_items"] = total - MAX_ITEMS
        return out

    def _sequence(self, value: Any, depth: int, walk: _Walk) -> list[Any]:
        count = len(value)
        total = value.total if type(value) is ClippedList else count
        if isinstance(value, (set, frozenset)):
            # Sorted for a stable order; by a repr that cannot raise, as members need not compare.
            items = sorted(value, key=safe_repr) if count <= MAX_ITEMS else list(islice(value, MAX_ITEMS))
        else:
            items = value if count <= MAX_ITEMS else value[:MAX_ITEMS]
        walk.size += 2 + total
        out = [self._convert(item, depth + 1, walk) for item in items]
        if total > MAX_ITEMS:
            out.append(f"... [truncated: {total - MAX_ITEMS} more items]")
        return out

    def _object(self, value: Any, depth: int, walk: _Walk) -> Any:
        if self.simplify is not None:
            try:
                simple = self.simplify(value)
            except Exception:
                simple = NOT_SIMPLIFIED
            if simple is not NOT_SIMPLIFIED and simple is not value:
                return self._convert(simple, depth + 1, walk)
        if type(value).__module__.partition(".")[0] in ARRAY_MODULES:
            summary = _array_summary(value)
            if summary is not None:
                return self._convert(summary, depth + 1, walk)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            fields = {f.name: getattr(value, f.name, None) for f in dataclasses.fields(value)}
            return self._convert(fields, depth + 1, walk)
        dump = getattr(value, "model_dump", None)
        if callable(dump) and not isinstance(value, type):
            try:
                return self._convert(dump(), depth + 1, walk)
            except Exception:
                pass
        return {"_type": _type_name(value), "repr": self._string(safe_repr(value), walk)}


def _maskable(item: Any) -> bool:
    """Whether a secret key's value is worth masking: not ``None`` nor an empty string."""
    return item is not None and not (type(item) is str and not item)


def _array_summary(value: Any) -> Any:
    """Shape, dtype and the first few values of a numpy/pandas/torch... object; a scalar's value.

    Duck-typed (numpy and pandas are never imported here). ``None`` for objects of those
    libraries that are not array-like: they are described by their repr.
    """
    shape = getattr(value, "shape", None)
    dtype = getattr(value, "dtype", None)
    if shape is None:
        return None
    shape = [int(size) for size in shape]
    if not shape and callable(getattr(value, "item", None)):
        return value.item()  # numpy scalars and 0-d arrays: the Python number or string
    summary: dict[str, Any] = {"_type": type(value).__name__, "shape": shape}
    iloc = getattr(value, "iloc", None)
    columns = getattr(value, "columns", None)
    if iloc is not None and columns is not None:  # a pandas DataFrame
        dtypes = getattr(value, "dtypes", None)
        summary["columns"] = list(columns[:20])
        if dtypes is not None:
            summary["dtypes"] = [str(kind) for kind in list(dtypes)[:20]]
        summary["head"] = iloc[:FRAME_PREVIEW, :20].to_dict(orient="records")
        return summary
    if dtype is None:
        return None
    summary["dtype"] = str(dtype)
    if iloc is not None:  # a pandas Series
        summary["name"] = getattr(value, "name", None)
    try:
        summary["head"] = _head(value, iloc)
    except Exception:  # the summary stands without its values
        summary["head"] = "<values could not be read>"
    return summary


def _head(value: Any, iloc: Any) -> list[Any]:
    """The first ``ARRAY_PREVIEW`` values of a one- or many-dimensional array-like, flattened."""
    if iloc is not None:
        head = iloc[:ARRAY_PREVIEW]
    elif getattr(value, "flat", None) is not None:  # numpy: slicing .flat copies only the slice
        head = value.flat[:ARRAY_PREVIEW]
    elif callable(getattr(value, "reshape", None)):  # torch, tensorflow, jax
        head = value.reshape(-1)[:ARRAY_PREVIEW]
    else:  # a pandas Index
        head = value[:ARRAY_PREVIEW]
    return head.tolist() if callable(getattr(head, "tolist", None)) else list(head)


def _base(value: Any) -> Any:
    # The base type's own conversion: a subclass's __str__/__int__ override may raise or lie.
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int.__int__(value)
    if isinstance(value, float):
        return float.__float__(value)
    return str.__str__(value)


def _int_text(value: int) -> str:
    """A huge int as text: its digits, or (past Python's digit limit) its magnitude."""
    try:
        return str(value)
    except ValueError:
        digits = int(value.bit_length() * math.log10(2)) + 1
        if value.bit_length() > 1_000_000:  # even the magnitude would cost seconds
            return f"<int: about {digits} digits>"
        return f"<int: about {digits} digits, {Decimal(value):.12e}>"


def _key_text(key: Any) -> str:
    if isinstance(key, enum.Enum):
        key = key.value
    if isinstance(key, str):
        return str.__str__(key)
    if isinstance(key, (bool, float)):
        return str(key)
    if isinstance(key, int):
        return _int_text(int.__int__(key))
    return safe_repr(key)


def _type_name(value: Any) -> str:
    return clean(type(value).__name__)


def safe_str(value: Any) -> str:
    """``str(value)``, or a description naming its type when its ``__str__`` raises."""
    try:
        text = str(value)
    except Exception as exc:
        return f"<{_type_name(value)}: str() failed with {type(exc).__name__}>"
    return text if type(text) is str else str.__str__(text)


def safe_repr(value: Any) -> str:
    """``repr(value)`` cut to 2,000 characters, or a description when its ``__repr__`` raises."""
    try:
        text = repr(value)
    except Exception as exc:  # a user's __repr__ may raise; describe it instead
        return f"<{_type_name(value)}: repr failed with {type(exc).__name__}>"
    if len(text) > 2000:
        text = text[:2000] + "..."
    return text
