"""Regenerates the README's screenshots (docs/viewer-*.png) from the data `make demo` records.

The demo runs into a fresh store in a temporary folder, which this script serves as
``chaintracer.db`` from inside that folder: the pages show no path of this machine. Chromium
(Debian's, at /usr/bin/chromium; scripts/install-browser.sh) is driven by playwright with a
profile in the temporary folder; nothing is written under $HOME.

    .venv/bin/python scripts/screenshots.py            # writes docs/viewer-*.png
    .venv/bin/python scripts/screenshots.py --out DIR  # somewhere else
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHAINTRACER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--hide-scrollbars",
]
VIEWPORT: ViewportSize = {"width": 1440, "height": 900}

# name -> (hash route, what must be on the page, whole page?, colour scheme, action)
SHOTS = [
    ("sessions", "#/?trend=tokens", "#trend svg circle", False, "light", None),
    ("session", "#/session/agent", "#session-charts svg", False, "light", None),
    ("timeline", "#/session/agent/trace/3", "#timeline .bar.error", False, "light", None),
    ("search", "#/session/agent/trace/1?q=126", "#span-detail mark.search-hit", False, "light", "scroll-mark"),
    (
        "compare",
        "#/compare?ids=capitals-wording:sentence,capitals-wording:one-word,capitals-temperature:t1.0",
        "#compare-outputs",
        True,
        "light",
        None,
    ),
    ("experiment", "#/experiment/capitals-temperature", "#experiment-grid", True, "light", None),
    ("dark", "#/session/rag/trace/3", "#timeline .bar", False, "dark", "retriever"),
]


def run_demo(folder: Path) -> None:
    """``python -m demo`` into ``folder/chaintracer.db``, run from inside ``folder`` (relative paths only)."""
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    subprocess.run(
        [sys.executable, "-m", "demo", "--store", "chaintracer.db"],
        cwd=folder,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def take(folder: Path, out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    from chaintracer.store import Store
    from chaintracer.viewer.server import ViewerServer

    os.chdir(folder)
    store = Store("chaintracer.db", create=False)
    server = ViewerServer(store, "127.0.0.1", 0)
    server.start_background()
    written = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch_persistent_context(
                str(folder / "chromium-profile"),
                executable_path=CHROMIUM,
                args=CHROMIUM_ARGS,
                viewport=VIEWPORT,
                headless=True,
            )
            try:
                for name, fragment, ready, full, scheme, action in SHOTS:
                    page = browser.new_page()
                    page.emulate_media(color_scheme=scheme)
                    page.goto(server.url + fragment)
                    page.wait_for_selector(ready)
                    if action == "retriever":
                        page.locator("#timeline .wf-row[data-kind=retriever]").first.click()
                    if action == "scroll-mark":
                        page.locator("#span-detail mark.search-hit").first.scroll_into_view_if_needed()
                    page.wait_for_timeout(400)  # charts and fonts settle
                    path = out / f"viewer-{name}.png"
                    page.screenshot(path=str(path), full_page=full)
                    written.append(path)
                    page.close()
            finally:
                browser.close()
    finally:
        server.shutdown()
        server.server_close()
        store.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--out", default=str(REPO / "docs"), help="folder for the PNG files (default: docs/)")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"screenshots: no Chromium at {CHROMIUM}; run scripts/install-browser.sh", file=sys.stderr)
        return 2
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(REPO))
    with tempfile.TemporaryDirectory(prefix="chaintracer-screenshots-") as tmp:
        folder = Path(tmp)
        run_demo(folder)
        here = Path.cwd()
        try:
            written = take(folder, out)
        finally:
            os.chdir(here)
    for path in written:
        print(f"wrote {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
