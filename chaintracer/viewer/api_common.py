"""What the viewer's API modules share: its errors, store look-ups that answer 404, checks, JSON helpers."""

from __future__ import annotations

import json
import math
from typing import Any

from chaintracer.store import SessionNotFound, Store
from chaintracer.store.pages import MAX_SEARCH_CHARS

DEFAULT_LIMIT = 50


class ApiError(Exception):
    """A request the API answers with an HTTP error status and a one-line message."""

    status = 400

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status


class NotFound(ApiError):
    status = 404


def resolve(store: Store, ref: str) -> str:
    """The id of the session ``ref`` names; ``NotFound`` if there is none."""
    try:
        return store.resolve(ref)
    except SessionNotFound as exc:
        raise NotFound(exc.args[0] if exc.args else str(exc)) from None


def load_session(store: Store, ref: str) -> dict[str, Any]:
    """The stored session object ``ref`` names; ``NotFound`` if there is none."""
    try:
        return store.session(ref)
    except SessionNotFound as exc:
        raise NotFound(exc.args[0] if exc.args else str(exc)) from None


def check_search(text: str | None) -> str | None:
    """``text`` if it is short enough to search for; ``ApiError`` (400) if not."""
    if text is not None and len(text) > MAX_SEARCH_CHARS:
        raise ApiError(f"a search is at most {MAX_SEARCH_CHARS} characters, not {len(text)}")
    return text


def dig(value: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def dumps(value: Any) -> str:
    """JSON for the browser: strict (``NaN``/``Infinity`` become null), UTF-8 kept."""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=str)
    except ValueError:
        return json.dumps(_finite(value), ensure_ascii=False, separators=(",", ":"), default=str)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    return value
