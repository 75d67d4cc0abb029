"""Helpers for browser tests: open a page, record console errors, dialogs and requests.

Use with the session-scoped ``browser`` fixture from ``conftest.py``::

    with open_page(browser, path) as visit:
        assert visit.errors == [] and visit.external == []
        visit.page.click(...)
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: URL schemes a self-contained page may load from.
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")


@dataclass
class Visit:
    """What happened while a page was open."""

    page: Any
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    load_seconds: float = 0.0

    @property
    def external(self) -> list[str]:
        """Requests to anything but ``file:``/``data:`` (i.e. to another host)."""
        return [u for u in self.requests if not u.startswith(LOCAL_SCHEMES)]


@contextlib.contextmanager
def open_page(
    browser: Any,
    path: str | Path,
    *,
    viewport: tuple[int, int] = (1000, 750),
    wait_for: str | None = ".leaflet-container",
    block_external: bool = True,
    fragment: str = "",
) -> Iterator[Visit]:
    """Open ``path`` (a file) in a new page; yield a :class:`Visit` recording what happened.

    Console errors, uncaught page errors, dialogs (``alert``, ``confirm`` — dismissed) and
    every request are recorded. With ``block_external`` requests to other hosts are
    recorded and then aborted, so a test never reaches the network. ``fragment`` (such as
    ``"#town=osecina"``) is appended to the page's address.
    """
    import time

    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    page = context.new_page()
    visit = Visit(page)

    def on_console(msg: Any) -> None:
        if msg.type == "error":
            visit.errors.append(msg.text)

    def on_dialog(dialog: Any) -> None:
        visit.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def on_route(route: Any) -> None:
        url = route.request.url
        if block_external and not url.startswith(LOCAL_SCHEMES):
            route.abort()
        else:
            route.continue_()

    page.on("console", on_console)
    page.on("pageerror", lambda exc: visit.errors.append(f"pageerror: {exc}"))
    page.on("dialog", on_dialog)
    page.on("request", lambda req: visit.requests.append(req.url))
    page.route("**/*", on_route)
    try:
        started = time.perf_counter()
        page.goto(Path(path).resolve().as_uri() + fragment, wait_until="load")
        if wait_for:
            page.wait_for_selector(wait_for, state="attached", timeout=10_000)
        visit.load_seconds = time.perf_counter() - started
        yield visit
    finally:
        context.close()


def distinct_colours(png: bytes) -> int:
    """Return the number of distinct colours in a screenshot (a blank page has one)."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as img:
        small = img.convert("RGB").resize((200, 150))
        return len(small.getcolors(maxcolors=200 * 150) or [])


def unit_point(page: Any, unit_id: str, fx: float = 0.75, fy: float = 0.75) -> tuple[float, float]:
    """Screen point inside a unit's polygon, away from its centre (where clusters sit)."""
    box = page.evaluate(
        """id => { let r = null;
            cameraMap.layers.units.eachLayer(l => {
              if (l.feature.properties.id === id) { r = l._path.getBoundingClientRect(); } });
            return r && {x: r.x, y: r.y, w: r.width, h: r.height}; }""",
        unit_id,
    )
    assert box, f"unit {unit_id} is not drawn"
    return box["x"] + box["w"] * fx, box["y"] + box["h"] * fy


def snapshot(page: Any, name: str) -> None:
    """Save a screenshot to ``$CAMERA_MAP_SCREENSHOTS/<name>.png`` when that is set.

    For looking at the pages by eye; tests never depend on it.
    """
    import os

    folder = os.environ.get("CAMERA_MAP_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"))


#: JavaScript returning the screen boxes of the visible map controls (in the page's frame).
CONTROL_BOXES = """() => [...document.querySelectorAll('.leaflet-control')].filter(e => {
    const s = getComputedStyle(e), r = e.getBoundingClientRect();
    return s.visibility !== 'hidden' && s.display !== 'none' && r.width > 0 && r.height > 0;
  }).map(e => { const r = e.getBoundingClientRect();
    return {name: e.className, x0: r.left, y0: r.top, x1: r.right, y1: r.bottom}; })"""


def overlapping(boxes: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Pairs of boxes (``x0, y0, x1, y1``) that overlap by more than a pixel."""
    out = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if (min(a["x1"], b["x1"]) - max(a["x0"], b["x0"]) > 1
                    and min(a["y1"], b["y1"]) - max(a["y0"], b["y0"]) > 1):
                out.append((str(a.get("name", a)), str(b.get("name", b))))
    return out
