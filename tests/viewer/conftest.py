"""Fixtures for the viewer tests: one sample store, one server and one Chromium per test session.

Browser tests drive Debian's Chromium (``/usr/bin/chromium``) through Python playwright. When it
is missing they fail, and say how to install it; they never skip.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import sample_data

from chaintracer.store import Store
from chaintracer.viewer.server import ViewerServer

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = os.environ.get("CHAINTRACER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@dataclass
class SampleStore:
    path: str
    ids: dict[str, str]  # session name -> id


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory) -> SampleStore:
    path = str(tmp_path_factory.mktemp("viewer") / "viewer.db")
    return SampleStore(path, sample_data.build(path))


@pytest.fixture(scope="session")
def server(sample_store):
    store = Store(sample_store.path, create=False)
    viewer = ViewerServer(store, "127.0.0.1", 0)
    viewer.start_background()
    yield viewer
    viewer.shutdown()
    viewer.server_close()
    store.close()


@pytest.fixture(scope="session")
def client(server) -> sample_data.Client:
    return sample_data.Client(server.url)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: run scripts/install-browser.sh "
            "(installs Debian's chromium with apt-get) and run the tests again",
            pytrace=False,
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(
            "Python playwright is missing: pip install -e '.[dev]' (it drives /usr/bin/chromium)", pytrace=False
        )
    # Chromium puts a Unix socket in its temporary folder, and a socket path has at most 107
    # bytes: pytest's folder under a long TMPDIR (as .ci/run gives each dependency run) is too
    # deep ("Socket path too long"). A short folder of its own, removed before the session ends.
    short = tempfile.mkdtemp(prefix="ct-chromium-", dir="/tmp")
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, env={**os.environ, "TMPDIR": short}
        )
    except Exception as exc:
        playwright.stop()
        shutil.rmtree(short, ignore_errors=True)
        pytest.fail(f"cannot start {CHROMIUM} ({exc}); run scripts/install-browser.sh", pytrace=False)
    yield chromium
    chromium.close()
    playwright.stop()
    shutil.rmtree(short, ignore_errors=True)


@pytest.fixture
def page(browser):
    """A fresh page; fails the test on any JS error or any request that leaves the machine."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    outside: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def only_local(route):
        url = route.request.url
        if url.startswith(("http://127.0.0.1", "file://", "about:", "data:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", only_local)
    page.set_default_timeout(10_000)
    yield page
    context.close()
    assert not errors, f"JavaScript errors: {errors}"
    assert not outside, f"requests outside the viewer: {outside}"


@pytest.fixture
def screenshot():
    """``screenshot(page, name)`` saves a full-page PNG as test-artifacts/viewer-<name>.png."""

    def take(page, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"viewer-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
