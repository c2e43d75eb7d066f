"""A small progress bar for long experiments: a bar in Jupyter, a line that redraws in a terminal.

Shown only where someone watches: in a Jupyter kernel (an HTML ``<progress>`` updated in
place) or when stderr is a terminal; elsewhere (CI logs, pipes) it stays silent.
"""

from __future__ import annotations

import html
import sys
import time
from typing import Any

REDRAW_EVERY_S = 0.1


def _in_jupyter() -> bool:
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    try:
        ipython = shell.get_ipython()  # type: ignore[attr-defined]
    except Exception:
        return False
    return ipython is not None and "IPKernelApp" in getattr(ipython, "config", {})


class Progress:
    """``update(label)`` after each unit of work; ``close()`` at the end."""

    def __init__(self, total: int, title: str, enabled: bool | None = None) -> None:
        self.total = max(total, 1)
        self.title = title
        self.done = 0
        self._label = ""
        self._last = 0.0
        self._started = time.monotonic()
        jupyter = _in_jupyter()
        terminal = sys.stderr.isatty()
        self.mode = "off" if enabled is False else "jupyter" if jupyter else "terminal" if terminal else "off"
        if enabled and self.mode == "off":
            self.mode = "terminal"
        self._handle: Any = None
        if self.mode == "jupyter":
            from IPython.display import HTML, display

            self._html = HTML
            self._handle = display(HTML(self._render_html()), display_id=True)

    def update(self, label: str = "", advance: int = 1) -> None:
        self.done += advance
        self._label = label
        now = time.monotonic()
        if now - self._last >= REDRAW_EVERY_S or self.done >= self.total:
            self._last = now
            self._draw()

    def close(self) -> None:
        self._draw()
        if self.mode == "terminal":
            sys.stderr.write("\n")
            sys.stderr.flush()

    def _text(self) -> str:
        elapsed = time.monotonic() - self._started
        return f"{self.title}: {self.done}/{self.total} {self._label} ({elapsed:.1f} s)"

    def _draw(self) -> None:
        if self.mode == "terminal":
            width = 24
            filled = round(width * min(self.done, self.total) / self.total)
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self._text()}\033[K")
            sys.stderr.flush()
        elif self.mode == "jupyter" and self._handle is not None:
            self._handle.update(self._html(self._render_html()))

    def _render_html(self) -> str:
        return (
            f'<div><progress value="{min(self.done, self.total)}" max="{self.total}" style="width:20em"></progress> '
            f"<code>{html.escape(self._text())}</code></div>"
        )
