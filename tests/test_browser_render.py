"""The map, the town page and hostile data in Debian's headless Chromium."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browserutil import distinct_colours, open_page, unit_point
from render_fixtures import ATTRIBUTION, load_cameras, load_units, many_cameras

from camera_map.render import render_map
from camera_map.render.town import render_town

pytestmark = pytest.mark.browser

XSS = {
    "script": "<script>alert(1)</script>",
    "img": "<img src=x onerror=alert(2)>",
    "js_url": "javascript:alert(3)",
    "quotes": "\"'</script><!--",
}
ALL_XSS = " ".join(XSS.values())


def open_camera_popup(page: Any, ref: str) -> str:
    """Zoom to the camera with source_ref ``ref``, click it and return the popup text."""
    find = """ref => { const app = cameraMap, col = app.cfg.cameras.cols.source_ref;
        return app.layers.cluster.getLayers().find(
          l => (col.d ? col.d[col.i[l.cmIndex] - 1] : col.v[l.cmIndex]) === ref); }"""
    page.evaluate(
        f"ref => {{ const m = ({find})(ref); "
        "cameraMap.map.setView(m.getLatLng(), 18, {animate: false}); }",
        ref,
    )
    page.wait_for_function(
        f"ref => {{ const m = ({find})(ref); return m._map && m._path; }}", arg=ref, timeout=5000
    )
    box = page.evaluate(
        f"ref => {{ const r = ({find})(ref)._path.getBoundingClientRect(); "
        "return {x: r.x + r.width / 2, y: r.y + r.height / 2}; }",
        ref,
    )
    page.mouse.click(box["x"], box["y"])
    popup = page.locator(".leaflet-popup-content .cm-camera-popup")
    popup.wait_for(timeout=3000)
    return str(popup.inner_text())


@pytest.fixture(scope="module")
def fixture_map(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("map")
    return render_map(
        load_units(),
        load_cameras(),
        out / "map.html",
        title="Kamere u Srbiji",
        attribution=ATTRIBUTION,
        data_date="2024-05-01",
    )


def test_map_loads_offline_and_shows_units_clusters_and_legend(browser, fixture_map) -> None:  # type: ignore[no-untyped-def]
    with open_page(browser, fixture_map, viewport=(1200, 900)) as visit:
        page = visit.page
        page.wait_for_selector(".marker-cluster")
        assert visit.errors == []
        assert visit.external == []
        assert page.locator(".leaflet-overlay-pane path.cm-unit").count() == 6
        assert page.locator(".marker-cluster").count() >= 3
        legend = page.locator(".cm-legend")
        assert legend.is_visible()
        assert "no data — no evidence found, not zero" in legend.inner_text()
        assert "cameras per 1,000 residents" in legend.inner_text()
        assert "Data as of 2024-05-01" in page.locator(".cm-title").inner_text()
        assert "ODbL 1.0" in page.locator(".leaflet-control-attribution").inner_text()
        # hatched "no data" unit
        fill = page.evaluate("""() => { let f = null; cameraMap.layers.units.eachLayer(l => {
            if (l.feature.properties.id === '70003') { f = l._path.getAttribute('fill'); } });
            return f; }""")
        assert fill == "url(#cm-hatch)"
        assert distinct_colours(page.screenshot()) > 20


def test_clicking_a_unit_shows_its_figures(browser, fixture_map) -> None:  # type: ignore[no-untyped-def]
    with open_page(browser, fixture_map, viewport=(1200, 900)) as visit:
        page = visit.page
        page.mouse.click(*unit_point(page, "70001"))
        popup = page.locator(".leaflet-popup-content .cm-unit-facts")
        popup.wait_for(timeout=3000)
        text = popup.inner_text()
        for expected in (
            "Osečina",
            "100",
            "10.00",
            "1 of 3",
            "Dahua",
            "capable of face recognition (40 of the cameras counted)",
            "osecina-tender.pdf",
        ):
            assert expected in text
        assert popup.locator('a[href="https://example.org/osecina-tender.pdf"]').count() == 1
        page.mouse.click(*unit_point(page, "70005"))
        page.wait_for_function(
            "document.querySelector('.leaflet-popup-content').innerText.includes('Stari Grad')"
        )
        assert "city-level figure (Beograd)" in page.locator(".leaflet-popup-content").inner_text()
        assert visit.errors == []


def test_metric_switch_filters_and_camera_popups(browser, fixture_map) -> None:  # type: ignore[no-untyped-def]
    with open_page(browser, fixture_map, viewport=(1200, 900)) as visit:
        page = visit.page
        fill = "cameraMap.layers.units.getLayers()[0]._path.getAttribute('fill')"
        before = page.evaluate(fill)
        page.get_by_label("cameras per km²").check()
        assert page.evaluate(fill) != before
        assert "cameras per km²" in page.locator(".cm-legend-unit").inner_text()
        page.get_by_label("face recognition only").check()
        assert page.locator(".cm-count").inner_text() == "2 of 11 cameras shown"
        page.get_by_label("face recognition only").uncheck()
        page.locator("select[name=vendor]").select_option(label="Huawei")
        assert page.locator(".cm-count").inner_text() == "2 of 11 cameras shown"
        page.locator("select[name=vendor]").select_option(label="any")
        text = open_camera_popup(page, "node/1001")
        assert "Source: osm — node/1001" in text and "Dahua" in text
        link = page.locator(".cm-camera-popup a")
        assert link.get_attribute("href") == "https://www.openstreetmap.org/node/1001"
        # cones are drawn on a canvas once zoomed in
        assert page.evaluate("cameraMap.layers.cones.getLayers().length") > 0
        assert visit.errors == [] and visit.external == []


def test_cyrillic_map_names_units_in_cyrillic(browser, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = render_map(
        load_units(),
        load_cameras(),
        tmp_path / "map.html",
        title="Камере",
        attribution=ATTRIBUTION,
        lang="sr-Cyrl",
    )
    with open_page(browser, path, viewport=(1200, 900)) as visit:
        page = visit.page
        page.mouse.click(*unit_point(page, "70002"))
        text = page.locator(".leaflet-popup-content").inner_text()
        assert "Ваљево" in text and "Камере" in text and "0,610" in text
        assert "нема података" in page.locator(".cm-legend").inner_text()
        assert visit.errors == []


def test_town_page_loads_offline(browser, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path, _ = render_town(
        load_units(), load_cameras(), "osecina", tmp_path, attribution=ATTRIBUTION
    )
    with open_page(browser, path) as visit:
        page = visit.page
        assert "Osečina: surveillance cameras" in page.locator("h1").first.inner_text()
        assert "1 of 3" in page.locator(".cm-facts").inner_text()
        assert page.locator(".leaflet-overlay-pane path.cm-unit").count() >= 1
        assert visit.errors == [] and visit.external == []


def hostile_frames() -> tuple[Any, Any]:
    units = load_units()
    units.loc[units["id"] == "70001", "name"] = "Osečina " + XSS["script"]
    units.loc[units["id"] == "70002", "name"] = XSS["img"]
    units.loc[units["id"] == "70004", "name"] = XSS["quotes"]
    units.loc[units["id"] == "70001", "vendors"] = XSS["img"] + "; " + XSS["quotes"]
    units.loc[units["id"] == "70001", "documents"] = f"{XSS['js_url']}; {XSS['script']}"
    units.loc[units["id"] == "70001", "sources"] = XSS["quotes"]
    units.loc[units["id"].isin(["70005", "70006"]), "group_name"] = XSS["img"]
    cams = load_cameras()
    first = cams["source_ref"] == "node/1001"
    cams.loc[first, "name"] = XSS["script"]
    cams.loc[first, "operator"] = XSS["img"]
    cams.loc[first, "document"] = XSS["js_url"]
    cams.loc[first, "manufacturer"] = XSS["quotes"]
    cams.loc[first, "municipality_name"] = XSS["img"]
    cams.loc[cams["source_ref"] == "node/1002", "document"] = ALL_XSS
    return units, cams


def test_hostile_text_is_shown_literally_and_never_runs(browser, tmp_path) -> None:  # type: ignore[no-untyped-def]
    units, cams = hostile_frames()
    path = render_map(
        units,
        cams,
        tmp_path / "map.html",
        title=ALL_XSS,
        attribution=[*ATTRIBUTION, XSS["img"], XSS["js_url"]],
        data_date=XSS["quotes"],
    )
    with open_page(browser, path, viewport=(1200, 900)) as visit:
        page = visit.page
        assert XSS["script"] in page.locator(".cm-title h1").inner_text()
        assert XSS["quotes"] in page.locator(".cm-title").inner_text()
        assert page.title() == ALL_XSS
        page.mouse.click(*unit_point(page, "70001"))
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for()
        text = popup.inner_text()
        for payload in XSS.values():
            assert payload in text
        camera = open_camera_popup(page, "node/1001")
        for payload in XSS.values():
            assert payload in camera
        assert XSS["img"] in page.locator(".leaflet-control-attribution").inner_text()
        page.locator("select[name=vendor]").select_option(label=XSS["quotes"])
        assert page.locator(".cm-count").inner_text() == "1 of 11 cameras shown"
        injected = page.evaluate(r"""() => ({
            img: document.querySelectorAll('img[src="x"], img[onerror]').length,
            jsLinks: document.querySelectorAll('a[href^="javascript" i]').length,
            scripts: [...document.scripts].filter(s => /^\s*alert\(/.test(s.textContent)).length
        })""")
        assert injected == {"img": 0, "jsLinks": 0, "scripts": 0}
        assert visit.dialogs == []
        assert visit.errors == []
        assert not [u for u in visit.requests if u.endswith("/x")]


def test_aggregated_map_counts_cameras_not_markers(browser, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from camera_map.render import payload

    cams = many_cameras(5_000)
    monkeypatch.setattr(payload, "MAX_POINTS", 500)
    path = render_map(load_units(), cams, tmp_path / "map.html", title="t",
                      attribution=ATTRIBUTION)
    with open_page(browser, path, viewport=(1200, 900)) as visit:
        page = visit.page
        page.wait_for_selector(".marker-cluster")
        assert visit.errors == [] and visit.external == []
        assert "5,000 cameras are drawn as" in page.locator(".cm-title").inner_text()
        assert page.locator(".cm-count").inner_text() == "5,000 of 5,000 cameras shown"
        shown = page.evaluate("""() => { let n = 0; document.querySelectorAll(
            '.marker-cluster span').forEach(s => { n += +s.textContent.replace(/,/g, ''); });
            return n; }""")
        assert 0 < shown <= 5_000
        page.locator("input[name=alpr]").check()
        alpr = int((cams["surveillance_type"] == "ALPR").sum())
        assert page.locator(".cm-count").inner_text() == f"{alpr:,} of 5,000 cameras shown"
