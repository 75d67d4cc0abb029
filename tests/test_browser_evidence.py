"""The evidence as a reader sees it in Debian's headless Chromium: the title box's national
context, and the city page of Belgrade with its evidence table and its 17 units emphasised."""

from __future__ import annotations

from pathlib import Path

import pytest
from browserutil import open_page

import camera_map
from camera_map.render.town import render_town

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("evidence")
    return camera_map.build(out_dir=out, formats=[], png=False)


def test_title_box_gives_the_national_context_with_links(browser, built) -> None:  # type: ignore[no-untyped-def]
    with open_page(browser, built.outputs["map.html"], viewport=(1280, 900)) as visit:
        page = visit.page
        assert visit.errors == [] and visit.external == []
        box = page.locator(".cm-title")
        assert "Across the country" in box.inner_text()
        assert "42 local governments bought cameras" in box.inner_text()
        link = box.locator('a[href="https://becejskidani.co.rs/jos-uvek-ne-radi-video-nadzor/"]')
        assert link.inner_text() == "Bečejski dani: video surveillance still not working"


def test_city_page_emphasises_its_units_and_lists_its_evidence(browser, built,
                                                               tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path, _ = render_town(built.metrics.units, built.cameras, "Beograd", tmp_path,
                          attribution=built.attribution)
    with open_page(browser, path, viewport=(1280, 900)) as visit:
        page = visit.page
        assert visit.errors == [] and visit.external == []
        assert page.locator("h1").first.inner_text() == "Beograd (city): surveillance cameras"
        rows = page.locator("table.cm-evidence tbody tr")
        assert rows.count() == 6
        first = rows.first.inner_text()
        assert "2021-08-10" in first and "1,200 cameras" in first and "installed" in first
        assert page.locator("table.cm-evidence a[href^='https://']").count() == 6
        assert len(page.evaluate("() => cameraMap.cfg.focus")) == 17  # the city's units
