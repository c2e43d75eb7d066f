"""Huge payloads cut when a finished trace is queued, so the queue never keeps them alive.

Runs on the caller's thread when a trace is handed to the encoding worker (``Tracer._submit``):
it must stay cheap. A text longer than the payload limit (plus a margin that keeps a secret
straddling the cut whole for masking) is replaced by its head; a list, tuple, set or dict of more
than ``MAX_ITEMS`` members by its first ones; large bytes by their first ones. The stand-ins
remember the original length, and ``payloads.Converter`` writes the same truncation marker it
writes for an uncut value. Only a few container levels are visited; nothing is masked or encoded
here. The user's objects are never changed: a container holding a cut value is copied (shallow).

The walk also estimates the trace's raw size in bytes, for the queue's byte budget.
"""

from __future__ import annotations

from itertools import islice
from typing import Any

from chaintracer.spans import Span

MAX_ITEMS = 1000  # members kept of a container (as payloads.MAX_ITEMS)
MARGIN_CHARS = 256  # kept past the limit: a key straddling the cut stays whole for the mask
MAX_LEVELS = 4  # container levels visited: huge values hide in a dict of a dict of a list
OTHER_BYTES = 64  # the estimate for an object the walk does not open
SPAN_BYTES = 256


class ClippedText(str):
    """The head of a longer text; ``total`` is the original length in characters."""

    total: int


class ClippedList(list):  # type: ignore[type-arg]
    """The first members of a longer list, tuple or set; ``total`` is the original count."""

    total: int


class ClippedDict(dict):  # type: ignore[type-arg]
    """The first entries of a larger mapping; ``total`` is the original count."""

    total: int


class ClippedBytes(bytes):
    """The first bytes of longer bytes; ``total`` is the original length."""

    total: int


def clip_tree(root: Span, max_payload_bytes: int) -> int:
    """Cuts every span's oversized inputs, outputs and attributes; returns the trace's rough size in bytes."""
    size = 0
    stack = [root]
    while stack:
        span = stack.pop()
        size += SPAN_BYTES
        for name in ("inputs", "outputs", "attributes"):
            value = getattr(span, name)
            if value is not None:
                clipped, value_size = clip(value, max_payload_bytes)
                size += value_size
                if clipped is not value:
                    setattr(span, name, clipped)
        if span.children:
            stack.extend(span.children)
    return size


def clip(value: Any, max_payload_bytes: int, levels: int = MAX_LEVELS) -> tuple[Any, int]:
    """``value`` with oversized members cut (the same object when nothing was), and its rough size."""
    kind = type(value)
    if kind is str:
        if len(value) > max_payload_bytes + MARGIN_CHARS:
            return _text(value, max_payload_bytes), max_payload_bytes
        return value, len(value)
    if kind is bytes or kind is bytearray:
        if len(value) > max_payload_bytes:
            head = ClippedBytes(value[:64])
            head.total = len(value)
            return head, 64
        return value, len(value)
    if levels <= 0:
        return value, OTHER_BYTES
    if kind is dict:
        return _mapping(value, max_payload_bytes, levels - 1)
    if kind is list or kind is tuple or kind is set or kind is frozenset:
        return _sequence(value, max_payload_bytes, levels - 1)
    return value, OTHER_BYTES


def _text(value: str, max_payload_bytes: int) -> ClippedText:
    head = ClippedText(value[: max_payload_bytes + MARGIN_CHARS])
    head.total = len(value)
    return head


def _mapping(value: dict[Any, Any], limit: int, levels: int) -> tuple[Any, int]:
    total = len(value)
    out: dict[Any, Any] | None = None
    if total > MAX_ITEMS:
        out = ClippedDict(islice(value.items(), MAX_ITEMS))
        out.total = total
    size = 2
    for key, item in (out if out is not None else value).items():
        clipped, item_size = clip(item, limit, levels)
        size += item_size + (len(key) if type(key) is str else 8) + 4
        if clipped is not item:
            if out is None:
                out = dict(value)  # a copy: the user's dict is never changed
            out[key] = clipped
    return (value if out is None else out), size


def _sequence(value: Any, limit: int, levels: int) -> tuple[Any, int]:
    total = len(value)
    items: list[Any] | None = None
    if total > MAX_ITEMS:
        items = ClippedList(islice(value, MAX_ITEMS))
        items.total = total
    size = 2 + min(total, MAX_ITEMS)
    for index, item in enumerate(items if items is not None else value):
        clipped, item_size = clip(item, limit, levels)
        size += item_size
        if clipped is not item:
            if items is None:
                # A set keeps its members (they are hashable, so never cut containers); order
                # is what the converter sorts anyway.
                items = list(value)
            items[index] = clipped
    return (value if items is None else items), size
