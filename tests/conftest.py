"""Shared fixtures: a local HTTP server, headless Chromium, the bundled layer, test data."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from httpserver import LocalServer
from hypothesis import settings as hypothesis_settings

# In CI (CI=true) property tests draw the same examples on every run, so that a submission
# lands or fails on its own merits; on a developer's machine they explore new examples each
# run (and keep failures in .hypothesis/ to replay them).
hypothesis_settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"

CHROMIUM = os.environ.get("CAMERA_MAP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture()
def http_server() -> Iterator[LocalServer]:
    """A real HTTP server on 127.0.0.1 that serves queued replies (see ``httpserver.py``)."""
    server = LocalServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    """Debian's headless Chromium driven by Playwright (never ``playwright install``).

    Fails, rather than skips, when Chromium is missing: CI installs it, and a browser test
    that silently skips proves nothing.
    """
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="session")
def default_map(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """map.html of the bundled default, built once for the browser tests that read it."""
    import camera_map

    out = tmp_path_factory.mktemp("default")
    return camera_map.build(out_dir=out, formats=[], png=False).outputs["map.html"]


@pytest.fixture()
def data_dir() -> Path:
    """Folder of the hand-made test fixtures."""
    return DATA


@pytest.fixture()
def out_dir(tmp_path: Path) -> Path:
    """A fresh output folder."""
    d = tmp_path / "out"
    d.mkdir()
    return d
