"""Helpers of the W&B tests: a hermetic offline W&B environment and LlamaIndex's settings kept."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest


def hermetic_wandb(monkeypatch: pytest.MonkeyPatch, base: Path) -> Path:
    """Offline W&B with WANDB_DIR, data, cache, config and HOME inside ``base``; returns WANDB_DIR."""
    root = base / "wb"
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_DIR", str(root))
    monkeypatch.setenv("WANDB_DATA_DIR", str(root / "data"))
    monkeypatch.setenv("WANDB_CACHE_DIR", str(root / "cache"))
    monkeypatch.setenv("WANDB_CONFIG_DIR", str(root / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(root / "xdg"))
    monkeypatch.setenv("WANDB_X_DISABLE_STATS", "true")
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.setenv("NETRC", str(base / "no-netrc"))
    # Anything that still writes under ~ lands here, where a test can see it.
    monkeypatch.setenv("HOME", str(base / "home"))
    (base / "home").mkdir()
    root.mkdir()
    return root


@contextlib.contextmanager
def llama_settings_kept() -> Iterator[None]:
    """Restores LlamaIndex's process-wide settings after a scenario (its node parser keeps the
    callback manager it first saw, so a finished tracer would otherwise linger in later tests)."""
    import llama_index.core
    from llama_index.core import Settings

    names = [name for name in vars(Settings) if name.startswith("_") and not name.startswith("__")]
    saved = {name: getattr(Settings, name) for name in names}
    handler = llama_index.core.global_handler
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(Settings, name, value)
        llama_index.core.global_handler = handler


def offline_runs(root: Path) -> list[Path]:
    """The offline run folders under WANDB_DIR ``root`` (same-second folders sort by random id)."""
    return sorted((root / "wandb").glob("offline-run-*"))


def outside_event_loop(function: Callable[..., Any], *args: Any) -> Any:
    """``function(*args)``, on a thread of its own when this one runs an event loop.

    The LlamaIndex demo calls ``asyncio.run``, which fails inside a running loop; the viewer
    tests' session-wide Playwright (sync API) keeps one running on the main thread.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args)
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(function, *args).result()
