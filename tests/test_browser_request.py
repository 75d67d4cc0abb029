"""A unit with no data says how to ask, in the map's popup, in Debian's headless Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest
from browserutil import open_page, unit_point

import camera_map

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def cyrillic_map(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("request")
    return camera_map.build(out_dir=out, formats=[], png=False,
                            map_options={"lang": "sr-Cyrl"}).outputs["map.html"]


def test_no_data_popup_shows_the_request_command(browser, cyrillic_map) -> None:  # type: ignore[no-untyped-def]
    with open_page(browser, cyrillic_map, viewport=(1000, 800)) as visit:
        page = visit.page
        page.evaluate("""() => { let b = null; cameraMap.layers.units.eachLayer(l => {
            if (l.feature.properties.id === '70017') b = l.getBounds(); });
            cameraMap.map.fitBounds(b, {animate: false}); }""")
        page.mouse.click(*unit_point(page, "70017", 0.5, 0.5))  # Aleksandrovac: no data
        popup = page.locator(".leaflet-popup-content .cm-unit-facts")
        popup.wait_for(timeout=3000)
        code = popup.locator(".cm-ask code")
        assert code.inner_text() == "camera-map request Александровац --lang sr-Cyrl"
        assert "препознавање лица и таблица" in popup.locator(".cm-ask").inner_text()
        # the command wraps inside the popup instead of widening it
        assert page.evaluate("""() => { const p = document.querySelector('.cm-ask pre');
            return p.scrollWidth <= p.clientWidth + 1; }""")
        assert visit.errors == []
