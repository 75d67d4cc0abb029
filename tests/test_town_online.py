"""`camera-map town PLACE --online`: a town no bundled layer covers, from OpenStreetMap.

A real HTTP server on 127.0.0.1 stands in for Nominatim (the boundary, by name) and the
Overpass API (the cameras inside it); replies are served in the order the tool asks.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from httpserver import LocalServer, Reply
from shapely.geometry import shape

from camera_map import settings
from camera_map.cli import main
from camera_map.errors import UnknownPlaceError
from camera_map.place import layer_from_place, place_from_answer

RELATION = 1_655_128
SQUARE = {"type": "Polygon", "coordinates": [[[18.6, 44.5], [18.8, 44.5], [18.8, 44.6],
                                              [18.6, 44.6], [18.6, 44.5]]]}


def nominatim_place(*, population: str | None = "110979", date: str | None = "2013",
                    geojson: Any = SQUARE, osm_type: str = "relation",
                    importance: float = 0.6) -> dict[str, Any]:
    tags = {k: v for k, v in (("population", population), ("population:date", date)) if v}
    return {"place_id": 1, "osm_type": osm_type, "osm_id": RELATION, "lat": "44.55",
            "lon": "18.7", "class": "boundary", "type": "administrative",
            "name": "Tuzla", "display_name": "Tuzla, Tuzla Canton, Bosnia and Herzegovina",
            "importance": importance, "boundingbox": ["44.5", "44.6", "18.6", "18.8"],
            "geojson": geojson, "extratags": tags}


def camera(ident: int, lon: float, lat: float) -> dict[str, Any]:
    return {"type": "node", "id": ident, "lat": lat, "lon": lon, "version": 1,
            "timestamp": "2024-03-01T10:00:00Z",
            "tags": {"man_made": "surveillance", "surveillance:type": "camera"}}


OVERPASS = {
    "version": 0.6, "osm3s": {"timestamp_osm_base": "2024-05-01T10:00:00Z"},
    "elements": [
        {"type": "count", "id": 0, "tags": {"areas": "1", "total": "1"}},
        camera(1, 18.70, 44.55), camera(2, 18.61, 44.51), camera(3, 18.79, 44.59),
        camera(4, 19.00, 44.55),  # outside the boundary: an area query can overreach
        {"type": "node", "id": 5, "lat": 44.55, "lon": 18.7, "tags": ["broken"]},
    ],
}


@pytest.fixture()
def osm(http_server: LocalServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> LocalServer:
    monkeypatch.setattr(settings, "cache_dir", tmp_path / "cache")
    monkeypatch.setattr(settings, "use_cache", True)
    monkeypatch.setattr(settings, "backoff", 0.01)
    monkeypatch.setattr(settings, "max_tries", 2)
    monkeypatch.setattr(settings, "nominatim_min_delay", 0.0)
    return http_server


def town(server: LocalServer, out: Path, *extra: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, [
        "town", "Tuzla", "--online", "--nominatim-url", server.url,
        "--overpass-url", f"{server.url}/api/interpreter", "--out", str(out), *extra,
    ], catch_exceptions=False)


def test_town_online_takes_boundary_cameras_and_given_population(osm: LocalServer,
                                                                 tmp_path: Path) -> None:
    osm.add(Reply(200, json.dumps([nominatim_place()]).encode()),
            Reply(200, json.dumps(OVERPASS).encode()))
    res = town(osm, tmp_path / "out", "--population", "110979")
    assert res.exit_code == 0, res.output + res.stderr
    search, interpreter = osm.requests
    assert (search.method, search.path) == ("GET", "/search")
    assert search.query["q"] == ["Tuzla"] and search.query["polygon_geojson"] == ["1"]
    assert search.headers["user-agent"] == settings.user_agent
    assert (interpreter.method, interpreter.path) == ("POST", "/api/interpreter")
    assert f"area(id:{3_600_000_000 + RELATION})->.searchArea;" in \
        interpreter.params["data"][0]
    assert "Tuzla (relation/1655128)" in res.output
    # three cameras inside the boundary; the one outside and the broken element are not
    assert re.search(r"Cameras:\s+3\b", res.output), res.output
    assert "0.03 per 1,000 residents" in res.output or "0.027" in res.output, res.output
    assert "Population: given with --population" in res.output
    assert re.search(r"Rank:\s+not ranked", res.output)  # a rank among one place says nothing
    assert "Boundary: OpenStreetMap relation/1655128, Tuzla, Tuzla Canton" in res.output
    page = tmp_path / "out" / "towns" / "tuzla.html"
    assert page.is_file()
    html = page.read_text("utf-8")
    assert "Tuzla" in html and "OpenStreetMap contributors" in html

    # a second run asks nothing, and says the answers came from the cache
    res = town(osm, tmp_path / "out2", "--population", "110979")
    assert res.exit_code == 0, res.output
    assert len(osm.requests) == 2
    assert re.search(r"Nominatim: from the cache: fetched .* UTC, \d+ s old", res.output)
    assert re.search(r"Overpass: relation/1655128: from the cache: fetched", res.output)


def test_population_from_osm_comes_with_its_date_and_a_caveat(osm: LocalServer,
                                                              tmp_path: Path) -> None:
    osm.add(Reply(200, json.dumps([nominatim_place()]).encode()),
            Reply(200, json.dumps(OVERPASS).encode()))
    res = town(osm, tmp_path / "out")
    assert res.exit_code == 0, res.output + res.stderr
    text = " ".join(res.output.split())
    assert ("Population: population tag of OpenStreetMap relation/1655128 (dated 2013): "
            "mapped by volunteers, not an official count; check it against the census and "
            "give the official figure with --population N") in text
    assert "110,979" in text
    page = (tmp_path / "out" / "towns" / "tuzla.html").read_text("utf-8")
    assert "(dated 2013): mapped by volunteers, not an official count" in page
    assert "Boundary: OpenStreetMap relation/1655128 (Tuzla, Tuzla Canton" in page


def test_without_any_population_the_figure_stays_unknown(osm: LocalServer,
                                                         tmp_path: Path) -> None:
    osm.add(Reply(200, json.dumps([nominatim_place(population=None)]).encode()),
            Reply(200, json.dumps(OVERPASS).encode()))
    res = town(osm, tmp_path / "out")
    assert res.exit_code == 0, res.output + res.stderr
    assert "OpenStreetMap has no population for this place; give one with --population N" \
        in " ".join(res.output.split())
    assert "per 1,000 residents" not in res.output or "unknown" in res.output.lower()


def test_a_place_in_the_bundled_layer_asks_no_boundary(osm: LocalServer, tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["town", "Osečina", "--online", "--nominatim-url", osm.url,
                                    "--out", str(tmp_path / "out")], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert osm.requests == []
    res = CliRunner().invoke(main, ["town", "Osečina", "--online", "--population", "5000",
                                    "--nominatim-url", osm.url])
    assert res.exit_code == 2 and "is in the bundled layer" in res.stderr


def test_population_number_goes_only_with_town_online(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["build", "--population", "5000", "--out",
                                    str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "--population N (a number of residents) goes with `town PLACE --online`" in \
        " ".join(res.stderr.split())


def test_no_boundary_is_a_clear_error(osm: LocalServer, tmp_path: Path) -> None:
    point = nominatim_place(geojson={"type": "Point", "coordinates": [18.7, 44.55]},
                            osm_type="node")
    osm.add(Reply(200, json.dumps([point]).encode()))
    res = town(osm, tmp_path / "out")
    assert res.exit_code == 1
    message = " ".join(res.stderr.split())
    assert ("OpenStreetMap has no boundary for 'Tuzla': Nominatim found Tuzla, Tuzla Canton, "
            "Bosnia and Herzegovina (node with a Point geometry)") in message
    assert len(osm.requests) == 1  # no Overpass request without a boundary

    osm.add(Reply(200, b"[]"))
    res = CliRunner().invoke(main, ["town", "Nowhere", "--online", "--nominatim-url", osm.url])
    assert res.exit_code == 1 and "OpenStreetMap knows no place called 'Nowhere'" in res.stderr


@pytest.mark.parametrize("which", ["nominatim", "overpass"])
def test_a_failing_service_exits_3_with_the_reason(osm: LocalServer, tmp_path: Path,
                                                   which: str) -> None:
    if which == "overpass":
        osm.add(Reply(200, json.dumps([nominatim_place()]).encode()))
    osm.default = Reply(503, b"<html>Service [/b] Unavailable</html>")
    res = town(osm, tmp_path / "out")
    assert res.exit_code == 3, res.output
    message = " ".join(res.stderr.split())
    service = "Nominatim" if which == "nominatim" else "Overpass API"
    assert f"{service} at {osm.url}" in message
    assert "failed after 2 tries; last failure: HTTP 503 Service Unavailable: Service [/b] " \
           "Unavailable" in message
    assert "Traceback" not in res.output
    assert not (tmp_path / "out" / "towns").exists()


def test_timeout_and_max_age_options(osm: LocalServer, tmp_path: Path) -> None:
    osm.add(Reply(200, json.dumps([nominatim_place()]).encode()),
            Reply(200, json.dumps(OVERPASS).encode()))
    assert town(osm, tmp_path / "a").exit_code == 0
    osm.add(Reply(200, json.dumps(OVERPASS).encode()))
    res = town(osm, tmp_path / "b", "--max-age", "0", "--timeout", "30")
    assert res.exit_code == 0, res.output
    assert [r.path for r in osm.requests] == ["/search", "/api/interpreter", "/api/interpreter"]
    assert settings.overpass_max_age == 86400 and settings.timeout == 180  # put back after
    res = town(osm, tmp_path / "c", "--max-age", "soon")
    assert res.exit_code == 2 and "'soon' is not a duration" in res.stderr
    res = town(osm, tmp_path / "c", "--timeout", "0")
    assert res.exit_code == 2 and "give a time longer than 0" in res.stderr


# --- the pure part --------------------------------------------------------------------


def test_the_most_important_polygon_is_chosen_and_bad_ones_are_skipped() -> None:
    weak = nominatim_place(importance=0.1)
    weak["osm_id"] = 1
    broken = nominatim_place(geojson={"type": "Polygon", "coordinates": "nonsense"},
                             importance=0.9)
    node = nominatim_place(geojson={"type": "Point", "coordinates": [0, 0]}, osm_type="node",
                           importance=0.99)
    place = place_from_answer([weak, node, broken, nominatim_place(), "junk"], "Tuzla")
    assert place.ref == f"relation/{RELATION}"
    assert place.geometry.equals(shape(SQUARE))
    assert (place.population, place.population_date) == (110979, "2013")
    layer = layer_from_place(place)
    assert layer.units["area_km2"].iloc[0] == pytest.approx(15.9 * 11.1, rel=0.02)
    with pytest.raises(UnknownPlaceError, match="not a list of places"):
        place_from_answer({"error": "x"}, "Tuzla")


@pytest.mark.parametrize("value", ["many", "-5", "1e9", "12.5", "", "१२३"])
def test_a_population_tag_that_is_not_a_whole_number_stays_unknown(value: str) -> None:
    place = place_from_answer([nominatim_place(population=value)], "Tuzla")
    assert place.population is None


def test_our_choice_matches_osmnx_geocode_to_gdf(osm: LocalServer) -> None:
    """osmnx (a test dependency) is the reference for which result is the boundary."""
    import osmnx as ox
    answer = [nominatim_place(geojson={"type": "Point", "coordinates": [18.7, 44.55]},
                              osm_type="node", importance=0.9), nominatim_place()]
    osm.default = Reply(200, json.dumps(answer).encode())
    saved = (ox.settings.nominatim_url, ox.settings.use_cache, ox.settings.requests_timeout)
    ox.settings.nominatim_url, ox.settings.use_cache, ox.settings.requests_timeout = \
        osm.url, False, 10
    try:
        reference = ox.geocode_to_gdf("Tuzla")
    finally:
        ox.settings.nominatim_url, ox.settings.use_cache, ox.settings.requests_timeout = saved
    ours = place_from_answer(answer, "Tuzla")
    assert reference.geometry.iloc[0].equals(ours.geometry)
    assert int(reference["osm_id"].iloc[0]) == ours.osm_id


def test_a_boundary_overpass_has_no_area_for_is_an_error_not_zero_cameras(
        osm: LocalServer, tmp_path: Path) -> None:
    none = {"elements": [{"type": "count", "id": 0, "tags": {"areas": "0", "total": "0"}}]}
    osm.add(Reply(200, json.dumps([nominatim_place()]).encode()),
            Reply(200, json.dumps(none).encode()))
    res = town(osm, tmp_path / "out")
    assert res.exit_code == 1
    assert "Overpass has no area for OpenStreetMap relation/1655128" in \
        " ".join(res.stderr.split())
