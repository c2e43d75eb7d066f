"""JSON-safe conversion of whatever a framework hands us: size limits, cycles, secrets masked.

Runs off the hot path (in the encoding worker or at flush). It never raises and never drops a
value: what cannot be represented becomes a short, typed description of it.
"""

from __future__ import annotations

import base64
import dataclasses
import enum
import json
import math
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import PurePath
from typing import Any
from uuid import UUID

MASK = "***"

# Key names whose values are credentials. Deliberately does not match token *counts*
# ("max_tokens", "total_tokens", "token_usage").
_SECRET_KEY = re.compile(
    r"(api[_-]?key|apikey|secret|passw(or)?d|authorization|credential|private[_-]?key|"
    r"access[_-]?key|(access|auth|bearer|session|refresh|api)[_-]?token|^token$|^key$|cookie)",
    re.IGNORECASE,
)
# Text that looks like a provider key or a bearer token, wherever it stands in a string.
_SECRET_IN_TEXT = re.compile(
    r"(?<![A-Za-z0-9])(?:sk-|sk_|rk_|pk_live_|ghp_|gho_|ghs_|github_pat_|hf_|xox[abpr]-|AKIA|AIza|glpat-)[A-Za-z0-9_\-]{16,}"
    r"|(?<=Bearer )[A-Za-z0-9\-._~+/]{16,}=*"
)

MAX_DEPTH = 24
MAX_ITEMS = 1000

Simplifier = Callable[[Any], Any]


def is_secret_key(key: str) -> bool:
    """True when a mapping key names a credential."""
    return bool(_SECRET_KEY.search(key))


# Every match of _SECRET_IN_TEXT contains one of these; testing for them first is ~4x cheaper
# than running the regex (a lookbehind at every position) over text that holds no key.
_SECRET_HINTS = (
    "sk-",
    "sk_",
    "rk_",
    "pk_live_",
    "ghp_",
    "gho_",
    "ghs_",
    "github_pat_",
    "hf_",
    "xox",
    "AKIA",
    "AIza",
    "glpat-",
    "Bearer ",
)


def mask_string(value: str) -> str:
    """Masks provider keys and bearer tokens inside a string."""
    # Exact and cheap: every pattern above is at least 19 characters and contains "_" or "-"
    # or is AKIA/AIza/"Bearer "; most text fails this before any substring search runs.
    if len(value) < 19 or not (
        "_" in value or "-" in value or "AKIA" in value or "AIza" in value or "Bearer " in value
    ):
        return value
    if not any(hint in value for hint in _SECRET_HINTS):
        return value
    return _SECRET_IN_TEXT.sub(MASK, value)


_KEY_CACHE: dict[str, tuple[str, bool]] = {}
_KEY_CACHE_MAX = 4096


def _key(name: str) -> tuple[str, bool]:
    """The stored form of a mapping key and whether its value is a secret (keys repeat a lot)."""
    hit = _KEY_CACHE.get(name)
    if hit is None:
        masked = mask_string(name)
        hit = (masked, is_secret_key(masked))
        if len(_KEY_CACHE) < _KEY_CACHE_MAX:
            _KEY_CACHE[name] = hit
    return hit


class _Walk:
    """State of one conversion: containers on the current path (cycles) and a size bound."""

    __slots__ = ("seen", "size")

    def __init__(self) -> None:
        self.seen: set[int] = set()
        # Characters of text and structure so far. The JSON is at most 6 bytes per such
        # character (a \u00XX escape; UTF-8 needs at most 4), so a small walk needs no dumps.
        self.size = 0


class _NotSimplified:
    pass


NOT_SIMPLIFIED: Any = _NotSimplified()


class Converter:
    """Turns arbitrary objects into JSON values under a byte budget.

    ``simplify`` is the adapter's hook: it turns a framework object (a message, a document)
    into plain data, or returns ``NOT_SIMPLIFIED``. It must not raise; if it does, the value is
    described by its type instead.
    """

    def __init__(self, max_payload_bytes: int, simplify: Simplifier | None = None) -> None:
        self.max_payload_bytes = max_payload_bytes
        self.simplify = simplify

    def convert(self, value: Any) -> Any:
        """A JSON-safe, masked copy of ``value``; oversized results carry a visible marker."""
        walk = _Walk()
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

    def _convert(self, value: Any, depth: int, walk: _Walk) -> Any:
        if value is None or value is True or value is False:
            walk.size += 5
            return value
        kind = type(value)
        if kind is str:
            return self._string(value, walk)
        if kind is int or kind is float:
            walk.size += 24
            return value if kind is int or math.isfinite(value) else repr(value)
        if depth >= MAX_DEPTH:
            return f"<{type(value).__name__}: nested too deep>"
        ident = id(value)
        if ident in walk.seen:
            return f"<cycle: {type(value).__name__}>"
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
                items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
                walk.size += 2 + len(items)
                out = [self._convert(item, depth + 1, walk) for item in items[:MAX_ITEMS]]
                if len(items) > MAX_ITEMS:
                    out.append(f"... [truncated: {len(items) - MAX_ITEMS} more items]")
                return out
            finally:
                walk.seen.discard(ident)
        if isinstance(value, enum.Enum):
            return self._convert(value.value, depth + 1, walk)
        if isinstance(value, (str, int, float)):  # subclasses
            return self._convert(_base(value), depth, walk)
        walk.size += 64  # the short descriptions below
        if isinstance(value, (bytes, bytearray, memoryview)):
            raw = bytes(value)
            preview = base64.b64encode(raw[:48]).decode()
            return {"_type": "bytes", "length": len(raw), "base64_preview": preview}
        if isinstance(value, (datetime, date, time)):
            return value.isoformat()
        if isinstance(value, (UUID, PurePath, Decimal)):
            return str(value)
        if isinstance(value, BaseException):
            return {"_type": type(value).__name__, "message": self._string(str(value), walk)}
        if type(value).__name__ in ("SecretStr", "SecretBytes"):
            return MASK
        walk.seen.add(ident)
        try:
            return self._object(value, depth, walk)
        finally:
            walk.seen.discard(ident)

    def _string(self, value: str, walk: _Walk | None = None) -> str:
        if walk is not None:
            walk.size += len(value) + 2
        limit = self.max_payload_bytes
        original_chars = len(value)
        # Cut before masking so a huge string is not scanned whole; the margin keeps a key that
        # straddles the limit whole for the mask, and the byte cut below is exact.
        if original_chars > limit + 256:
            value = value[: limit + 256]
        value = mask_string(value)
        if len(value) > limit // 4 and len(value.encode("utf-8")) > limit:
            kept = value.encode("utf-8")[:limit].decode("utf-8", "ignore")
            value = kept + f"... [truncated: {original_chars - len(kept)} more chars]"
        return value

    def _mapping(self, value: Mapping[Any, Any], depth: int, walk: _Walk) -> dict[str, Any]:
        out: dict[str, Any] = {}
        try:
            items = list(value.items())
        except Exception:
            return {"_type": type(value).__name__, "repr": self._string(_safe_repr(value), walk)}
        walk.size += 2
        for index, (key, item) in enumerate(items):
            if index >= MAX_ITEMS:
                out["_truncated_items"] = len(items) - MAX_ITEMS
                break
            name, secret = _key(key if type(key) is str else _key_text(key))
            walk.size += len(name) + 4
            if secret and item is not None and item != "":
                out[name] = MASK
            else:
                out[name] = self._convert(item, depth + 1, walk)
        return out

    def _object(self, value: Any, depth: int, walk: _Walk) -> Any:
        if self.simplify is not None:
            try:
                simple = self.simplify(value)
            except Exception:
                simple = NOT_SIMPLIFIED
            if simple is not NOT_SIMPLIFIED and simple is not value:
                return self._convert(simple, depth + 1, walk)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            fields = {f.name: getattr(value, f.name, None) for f in dataclasses.fields(value)}
            return self._convert(fields, depth + 1, walk)
        dump = getattr(value, "model_dump", None)
        if callable(dump) and not isinstance(value, type):
            try:
                return self._convert(dump(), depth + 1, walk)
            except Exception:
                pass
        return {"_type": type(value).__name__, "repr": self._string(_safe_repr(value), walk)}


def _base(value: Any) -> Any:
    for base in (bool, int, float, str):
        if isinstance(value, base):
            return base(value)
    return value


def _key_text(key: Any) -> str:
    if isinstance(key, enum.Enum):
        key = key.value
    return key if isinstance(key, str) else _safe_repr(key) if not isinstance(key, (int, float)) else str(key)


def _safe_repr(value: Any) -> str:
    try:
        text = repr(value)
    except Exception as exc:  # a user's __repr__ may raise; describe it instead
        return f"<{type(value).__name__}: repr failed with {type(exc).__name__}>"
    if len(text) > 2000:
        text = text[:2000] + "..."
    return text
