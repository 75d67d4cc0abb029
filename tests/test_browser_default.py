"""The default Serbian map, as built by `camera-map build`, in Debian's headless Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest
from browserutil import distinct_colours, open_page, unit_point

import camera_map

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def map_with_osm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("osm")
    data = Path(__file__).parent / "data" / "osm" / "overpass_osecina.json"
    evidence = Path("camera_map/data/layers/serbia/evidence/cameras")
    result = camera_map.build([evidence, data], out_dir=out, formats=[], png=False)
    return result.outputs["map.html"]


def test_default_map_shows_serbia_offline_with_no_data_distinct(browser, default_map) -> None:  # type: ignore[no-untyped-def]
    with open_page(browser, default_map, viewport=(1200, 900)) as visit:
        page = visit.page
        assert visit.errors == [] and visit.external == []
        assert page.locator(".leaflet-overlay-pane path.cm-unit").count() == 161
        legend = page.locator(".cm-legend")
        assert legend.is_visible()
        assert "no data — no evidence found, not zero" in legend.inner_text()
        assert "cameras per 1,000 residents" in legend.inner_text()
        fills = page.evaluate("""() => { const f = {}; cameraMap.layers.units.eachLayer(l => {
            f[l.feature.properties.id] = l._path.getAttribute('fill'); }); return f; }""")
        assert fills["70017"] == "url(#cm-hatch)"  # Aleksandrovac: no data
        assert fills["70882"] not in ("url(#cm-hatch)", fills["70157"])  # Osečina vs Zemun
        assert fills["70157"] == fills["70092"]  # Belgrade's units share the city figure
        assert "OpenStreetMap contributors" in page.locator(
            ".leaflet-control-attribution").inner_text()
        assert distinct_colours(page.screenshot()) > 20
        assert visit.load_seconds < 5


def test_clicking_osecina_shows_the_reported_figure(browser, default_map) -> None:  # type: ignore[no-untyped-def]
    with open_page(browser, default_map, viewport=(1200, 900)) as visit:
        page = visit.page
        page.evaluate("""() => { let b = null; cameraMap.layers.units.eachLayer(l => {
            if (l.feature.properties.id === '70882') b = l.getBounds(); });
            cameraMap.map.fitBounds(b, {animate: false}); }""")
        page.mouse.click(*unit_point(page, "70882", 0.5, 0.5))
        popup = page.locator(".leaflet-popup-content .cm-unit-facts")
        popup.wait_for(timeout=3000)
        text = popup.inner_text()
        for expected in ("Osečina", "100 cameras — installed, as of 2023-07, press/NGO report",
                         "10.05", "9,951", "1 of 6", "Derived, not published as a count"):
            assert expected in text, expected
        # the figure links to its document, labelled with its title
        link = popup.locator('a[href="https://www.rferl.org/a/serbia-surveillance-cameras-'
                             'china/32526515.html"]')
        assert link.inner_text().startswith("RFE/RL Balkan Service")
        assert visit.errors == []


def test_osm_cameras_are_clustered_and_cited(browser, map_with_osm) -> None:  # type: ignore[no-untyped-def]
    with open_page(browser, map_with_osm, viewport=(1200, 900)) as visit:
        page = visit.page
        n = page.evaluate("() => cameraMap.layers.cluster.getLayers().length")
        assert n >= 3
        assert visit.errors == [] and visit.external == []


def test_small_iframe_folds_the_boxes_and_keeps_the_legend(browser, default_map) -> None:  # type: ignore[no-untyped-def]
    with open_page(browser, default_map, viewport=(640, 420)) as visit:
        page = visit.page
        assert visit.errors == [] and visit.external == []
        legend = page.locator(".cm-legend")
        assert "cm-folded" in (legend.get_attribute("class") or "")
        assert page.locator(".cm-legend .cm-classes").is_visible()  # classes stay visible
        assert not page.locator(".cm-legend input[type=radio]").first.is_visible()
        assert not page.locator(".cm-title .cm-note").first.is_visible()
        attribution = page.locator(".leaflet-control-attribution").bounding_box()
        assert attribution is not None and attribution["height"] < 30  # one line
        covered = page.evaluate("""() => { let a = 0; document.querySelectorAll(
            '.cm-box, .leaflet-control-attribution').forEach(e => {
            const r = e.getBoundingClientRect(); a += r.width * r.height; });
            return a / (innerWidth * innerHeight); }""")
        assert covered < 0.35
        page.locator(".cm-legend .cm-fold").click()
        assert page.locator(".cm-legend input[type=radio]").first.is_visible()
        assert page.locator(".cm-legend .cm-fold").get_attribute("aria-expanded") == "true"
