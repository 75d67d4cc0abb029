"""The interactive map without a browser: classes, directions, escaping, self-containment."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from render_fixtures import ATTRIBUTION, load_cameras, load_units, many_cameras

from camera_map.errors import InputError
from camera_map.render import (
    NO_EVIDENCE,
    UNKNOWN_FIGURE,
    camera_payload,
    classify,
    direction_cones,
    is_web_url,
    linkify,
    render_map,
    script_json,
)
from camera_map.render import offline as _offline


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90", [(60.0, 60.0)]),
        ("45;135", [(15.0, 60.0), (105.0, 60.0)]),
        ("350-20", [(350.0, 30.0)]),
        ("0-360", [(0.0, 360.0)]),
        ("NE", [(15.0, 60.0)]),
        ("N", [(330.0, 60.0)]),
        (" 10 ; nonsense ", None),  # not understood as a whole: no cone is guessed
        ("0-359", [(0.0, 360.0)]),
        ("nonsense", None),
        ("", None),
        (None, None),
    ],
)
def test_directions_become_cones(text: str | None, expected: object) -> None:
    assert direction_cones(text) == expected


@given(st.text(max_size=30))
def test_any_direction_text_gives_cones_inside_the_circle_or_none(text: str) -> None:
    cones = direction_cones(text)
    assert cones is None or all(0 <= a < 360 and 0 < w <= 360 for a, w in cones)


@given(st.floats(min_value=0, max_value=359.9), st.floats(min_value=1, max_value=120))
def test_a_single_bearing_is_the_middle_of_its_cone(bearing: float, width: float) -> None:
    [(start, w)] = direction_cones(f"{bearing:.1f}", width=width)  # type: ignore[misc]
    assert w == width
    assert abs(((start + w / 2) - round(bearing, 1) + 180) % 360 - 180) < 1e-6


def test_script_json_cannot_end_the_script_element() -> None:
    out = script_json({"name": "</script><!--<script>alert(1)</script>&\u2028"})
    assert "</" not in out and "<!--" not in out and "\u2028" not in out
    assert json.loads(out) == {"name": "</script><!--<script>alert(1)</script>&\u2028"}


def test_only_http_urls_become_links() -> None:
    assert is_web_url("https://example.org/a.pdf")
    for bad in (
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,x",
        "//evil",
        "https://x y",
        "file:///etc/passwd",
        "http:alert",
    ):
        assert not is_web_url(bad), bad
    assert linkify("see javascript:alert(1) <b>") == "see javascript:alert(1) &lt;b&gt;"
    assert 'href="https://whosonfirst.org/docs/licenses/"' in linkify(
        "WOF (https://whosonfirst.org/docs/licenses/), CC0"
    )


def test_no_data_is_its_own_class_and_a_city_counts_once() -> None:
    units = load_units()
    c = classify(units, "cameras_per_1000", scheme="quantiles", k=5)
    by_name = dict(zip(units["name"], c.klass, strict=True))
    assert by_name["Ljubovija"] == NO_EVIDENCE
    assert by_name["Užice"] == UNKNOWN_FIGURE  # cameras known, population not
    assert by_name["Stari Grad"] == by_name["Vračar"] >= 0
    # Osečina, Valjevo and the city of Beograd: three entities, three classes
    assert len(c.bins) == 3 and sorted(c.counts) == [1, 1, 2]
    assert c.labels("sr-Latn") == ["0,610", "2,00", "10,00"]


def test_unknown_scheme_lists_the_valid_ones(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match=r"unknown classification scheme 'jenks'.*quantiles"):
        render_map(
            load_units(), None, tmp_path / "m.html", title="t", attribution=[], scheme="jenks"
        )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lang": "de"}, r"unknown language 'de'; use one of en, sr-Latn, sr-Cyrl"),
        ({"metric": "density"}, r"unknown metric 'density'; use one of: cameras_per_1000"),
        ({"tiles": "OpenStreetMap.Mapnick"}, r"unknown base map.*OpenStreetMap\.Mapnik"),
        ({"tiles": "CartoDB.Positron"}, r"needs an API key"),
        ({"k": 0}, r"at least 1"),
    ],
)
def test_bad_options_are_refused_with_a_fix(tmp_path, kwargs, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match=message):
        render_map(load_units(), None, tmp_path / "m.html", title="t", attribution=[], **kwargs)
    assert not (tmp_path / "m.html").exists()


def test_self_contained_page_loads_nothing_from_other_hosts(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = render_map(
        load_units(),
        load_cameras(),
        tmp_path / "map.html",
        title="Kamere",
        attribution=ATTRIBUTION,
        data_date="2024-05-01",
    )
    page = path.read_text(encoding="utf-8")
    assert _offline.remote_resources(page) == []
    assert '<link rel="icon" href="data:,">' in page
    assert "L.Icon.Default.mergeOptions" in page and "data:image/png;base64," in page
    assert "images/layers.png" not in page  # leaflet.css images inlined
    assert '<html lang="en">' in page
    assert not re.search(r"tile\.openstreetmap|basemaps", page)  # no base map by default


def test_online_page_links_cdns_and_a_base_map(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = render_map(
        load_units(),
        load_cameras(),
        tmp_path / "map.html",
        title="Kamere",
        attribution=ATTRIBUTION,
        self_contained=False,
    )
    page = path.read_text(encoding="utf-8")
    assert any("leaflet" in u for u in _offline.remote_resources(page))
    assert "tile.openstreetmap.org" in page


def test_an_unknown_remote_script_is_refused() -> None:
    page = '<html><head><script src="https://cdn.example.org/other.js"></script></head></html>'
    with pytest.raises(_offline.SelfContainedError, match=r"other\.js.*self_contained=False"):
        _offline.inline_resources(page)


def test_osm_attribution_is_added_when_osm_cameras_are_shown(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = render_map(
        load_units(),
        load_cameras(),
        tmp_path / "map.html",
        title="t",
        attribution=["Population: RZS"],
    )
    assert "© OpenStreetMap contributors, ODbL 1.0" in path.read_text(encoding="utf-8")


def test_approximate_and_count_only_cameras_are_counted_not_drawn() -> None:
    payload, summary = camera_payload(load_cameras(), "en")
    # one count row of 29 cameras: a figure, counted once (figures are never added up)
    assert (summary.drawn, summary.approximate, summary.count_only) == (11, 1, 1)
    assert payload["n"] == 11
    refs = payload["cols"]["source_ref"]
    values = refs["v"] if "v" in refs else [refs["d"][i - 1] for i in refs["i"]]
    assert "uzice.csv#row 2" not in values


def test_fifty_thousand_cameras_make_a_page_under_five_mb(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = render_map(
        load_units(), many_cameras(50_000), tmp_path / "map.html", title="t", attribution=[]
    )
    assert path.stat().st_size < 5_000_000


def test_many_cameras_are_aggregated_without_losing_any(tmp_path) -> None:  # type: ignore[no-untyped-def]
    cams = many_cameras(20_000)
    payload, summary = camera_payload(cams, "en", max_points=2_000)
    assert summary.drawn == 20_000 and 0 < summary.cells <= 2_000
    assert payload["n"] == summary.cells and sum(payload["w"]) == 20_000
    # cells keep filterable kinds apart: the ALPR cameras are all still there
    alpr = int((cams["surveillance_type"] == "ALPR").sum())
    assert sum(w for w, f in zip(payload["w"], payload["flags"], strict=True) if f & 2) == alpr
    vendors = payload["cols"]["manufacturer"]
    huawei = vendors["d"].index("Huawei") + 1
    assert sum(w for w, i in zip(payload["w"], vendors["i"], strict=True) if i == huawei) == int(
        (cams["manufacturer"] == "Huawei").sum())
    again, _ = camera_payload(cams.sample(frac=1, random_state=3), "en", max_points=2_000)
    assert again == payload  # the same cameras in another order give the same page data


def test_two_hundred_thousand_cameras_stay_under_five_mb(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = render_map(load_units(), many_cameras(200_000), tmp_path / "map.html", title="t",
                      attribution=[])
    html = path.read_text("utf-8")
    assert path.stat().st_size < 5_000_000
    assert "200,000 cameras are drawn as" in html


@settings(deadline=None, max_examples=40)
@given(st.lists(st.floats(min_value=0, max_value=1e4, allow_nan=False, width=32),
                min_size=2, max_size=120),
       st.integers(min_value=2, max_value=7))
def test_fisher_jenks_breaks_are_mapclassifys(values: list[float], k: int) -> None:
    # the default scheme is computed without importing mapclassify: same breaks
    import warnings

    import mapclassify
    import numpy as np

    from camera_map.render.classes import fisher_jenks_bins

    x = np.array(values)
    if len(np.unique(x)) < k:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = mapclassify.FisherJenks(x, k).bins
    assert fisher_jenks_bins(x, k).tolist() == expected.tolist()


def test_the_default_classes_need_no_mapclassify() -> None:
    import subprocess
    import sys

    code = ("import sys; from render_fixtures import load_units; "
            "from camera_map.render import classify; "
            "c = classify(load_units(), 'cameras_per_1000', scheme='fisher_jenks', k=2); "
            "print(len(c.bins), 'mapclassify' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=__import__("pathlib").Path(__file__).parent)
    assert out.stdout.split() == ["2", "False"]


def test_offline_inlines_exactly_the_libraries_the_page_links() -> None:
    """Every script and stylesheet the page links is one offline.py inlines, and offline.py
    knows no other (jQuery, d3, Bootstrap went with folium's templates)."""
    from camera_map.render import page

    scripts = [page.LEAFLET_JS, page.CLUSTER_JS, page.HEAT_JS]
    styles = [page.LEAFLET_CSS, *page.CLUSTER_CSS]
    used_js = {next(i for i, (p, _) in enumerate(_offline._JS) if p.search(u)) for u in scripts}
    used_css = {next(i for i, (p, _) in enumerate(_offline._CSS) if p.search(u)) for u in styles}
    assert used_js == set(range(len(_offline._JS)))
    assert used_css == set(range(len(_offline._CSS)))
    for url in scripts:
        assert "(inlined)" in (_offline._inline_script(url) or "")
    for url in styles:
        assert "(inlined)" in (_offline._inline_style(url) or "")
