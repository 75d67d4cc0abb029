"""Hostile boundaries and population files, through the real CLI: each is a clear error
naming the file, the row or feature, the column and the value — never a traceback, never a
silent wrong figure (issue 11, item 3)."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
from hostile import cli, ended_cleanly
from shapely.geometry import Polygon, box

TOWNS = {"code": ["A", "B", "C"], "name": ["Alfa", "Beta", "Gama"]}
SHAPES = [box(20, 44, 20.1, 44.1), box(20.1, 44, 20.2, 44.1), box(20.2, 44, 20.3, 44.1)]


def towns(tmp_path: Path, name: str = "towns.gpkg", **columns: list[object]) -> Path:
    path = tmp_path / name
    gpd.GeoDataFrame({**TOWNS, **columns}, geometry=SHAPES, crs=4326).to_file(path)
    return path


def cameras(tmp_path: Path) -> Path:
    path = tmp_path / "cams.csv"
    path.write_text("municipality,latitude,longitude\nAlfa,44.05,20.05\nBeta,44.05,20.15\n",
                    encoding="utf-8")
    return path


def build(tmp_path: Path, boundaries: Path, *extra: str | Path):  # type: ignore[no-untyped-def]
    return cli("build", "--boundaries", boundaries, "--id-field", "code", "--cameras",
               cameras(tmp_path), "--out", tmp_path / "out", "--no-png", "--format", "csv",
               *extra)


def population(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pop.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_population_file_builds(tmp_path: Path) -> None:
    """The baseline the hostile cases differ from: the same files, well formed."""
    pop = population(tmp_path, "code,population\nA,1000\nB,2000\nC,\n")
    res = build(tmp_path, towns(tmp_path), "--population", pop)
    ended_cleanly(res, 0)
    assert "Alfa: 1 camera" in res.stdout and "1.00 per 1,000 residents" in res.stdout


def test_duplicate_ids_in_the_population_file(tmp_path: Path) -> None:
    pop = population(tmp_path, "code,population\nA,1000\nB,2000\nA,5000\n")
    line = ended_cleanly(build(tmp_path, towns(tmp_path), "--population", pop), 1)
    assert line == "error: pop.csv: population values are not usable (1 problem(s))"
    res = build(tmp_path, towns(tmp_path), "--population", pop)
    assert ("pop.csv, column 'code': id appears in rows 2, 4; give each unit's population "
            "once (value 'A')") in res.stderr


def test_duplicate_ids_in_the_boundaries(tmp_path: Path) -> None:
    path = tmp_path / "dup.gpkg"
    gpd.GeoDataFrame({"code": ["A", "B", "A"]}, geometry=SHAPES, crs=4326).to_file(path)
    res = build(tmp_path, path)
    ended_cleanly(res, 1)
    assert "id is not unique (features 1, 3)" in res.stderr and "'A'" in res.stderr


@pytest.mark.parametrize("bad", [None, ""])
def test_a_unit_without_an_id(tmp_path: Path, bad: object) -> None:
    path = tmp_path / "noid.gpkg"
    gpd.GeoDataFrame({"code": ["A", bad, "C"]}, geometry=SHAPES, crs=4326).to_file(path)
    res = build(tmp_path, path)
    ended_cleanly(res, 1)
    assert "noid.gpkg, row 2, column 'code': id is empty" in res.stderr


def test_a_zero_area_unit_is_an_error_not_41_cameras_per_km2(tmp_path: Path) -> None:
    path = tmp_path / "flat.gpkg"
    flat = Polygon([(20.0, 44.0), (20.05, 44.05), (20.1, 44.1), (20.0, 44.0)])  # on a line
    gpd.GeoDataFrame({"code": ["A", "B"]}, geometry=[flat, SHAPES[1]], crs=4326).to_file(path)
    res = build(tmp_path, path)
    line = ended_cleanly(res, 1)
    assert line == ("error: flat.gpkg: some units have no area (rows are feature numbers) "
                    "(1 problem(s))")
    assert "flat.gpkg, row 1, column 'code': unit has no area (a degenerate polygon" in res.stderr
    assert not (tmp_path / "out" / "municipalities.csv").exists()


def test_web_mercator_declared_but_degrees_written(tmp_path: Path) -> None:
    path = tmp_path / "merc.gpkg"
    gpd.GeoDataFrame(TOWNS, geometry=SHAPES, crs=3857).to_file(path)
    line = ended_cleanly(build(tmp_path, path), 1)
    assert line.startswith("error: merc.gpkg: the boundaries declare EPSG:3857 (metres), but "
                           "their coordinates are x 20 … 20.3, y 44 … 44.1: they look like "
                           "longitude/latitude degrees. Declare EPSG:4326")


def test_web_mercator_metres_in_a_geojson_without_crs(tmp_path: Path) -> None:
    """GeoJSON is degrees by definition (RFC 7946): metres in it contradict that."""
    path = tmp_path / "metres.geojson"
    merc = gpd.GeoDataFrame(TOWNS, geometry=SHAPES, crs=4326).to_crs(3857)
    features = json.loads(merc.to_json(drop_id=True))
    features.pop("crs", None)
    path.write_text(json.dumps(features), encoding="utf-8")
    line = ended_cleanly(build(tmp_path, path), 1)
    assert "metres.geojson: the boundaries declare EPSG:4326 (degrees), but their " in line
    assert "they look like metres (e.g. Web Mercator EPSG:3857)" in line


@pytest.mark.filterwarnings("ignore:'crs' was not provided:UserWarning")  # on purpose
def test_metres_without_any_crs(tmp_path: Path) -> None:
    path = tmp_path / "noprj.shp"
    metres = list(gpd.GeoSeries(SHAPES, crs=4326).to_crs(3857))
    gpd.GeoDataFrame(TOWNS, geometry=metres).to_file(path)
    assert not path.with_suffix(".prj").exists()
    line = ended_cleanly(build(tmp_path, path), 1)
    assert "noprj.shp: the boundaries have no CRS" in line
    assert "they look like metres, e.g. Web Mercator EPSG:3857" in line


BAD_POPULATION = [
    ("inf", "population is not usable"), ("1e20", "population is not usable"),
    ("-5", "population is not usable"), ("NaN", "population is not usable"),
    ("12.5", "population is not usable"), ("abc", "population is not usable"),
    ("10.000", "population '10.000' has a thousands separator, so it could be read as a "
               "fraction; write 10000"),
]


def test_population_values_that_are_not_counts(tmp_path: Path) -> None:
    """Each bad value is reported with its row, column and value, all in one run."""
    rows = "".join(f"X{i},{value}\n" for i, (value, _) in enumerate(BAD_POPULATION))
    pop = population(tmp_path, f"code,population\nA,1000\n{rows}")
    res = build(tmp_path, towns(tmp_path), "--population", pop)
    line = ended_cleanly(res, 1)
    assert line == ("error: pop.csv: population values are not usable "
                    f"({len(BAD_POPULATION)} problem(s))")
    for i, (value, why) in enumerate(BAD_POPULATION):
        assert f"pop.csv, row {i + 3}, column 'population': {why}" in res.stderr
        assert f"(value '{value}')" in res.stderr


def test_population_column_in_the_boundaries(tmp_path: Path) -> None:
    path = towns(tmp_path, pop=[100.0, float("inf"), -3.0])
    res = build(tmp_path, path, "--population-field", "pop")
    ended_cleanly(res, 1)
    assert "towns.gpkg, row 2, column 'pop': population is not usable" in res.stderr
    assert "towns.gpkg, row 3, column 'pop'" in res.stderr


@pytest.mark.parametrize(("text", "why"), [
    ("", "population file 'pop.csv' is empty; expected a UTF-8 CSV with columns 'code' "
         "(or 'id') and 'population'"),
    ("code,population\n", "population file 'pop.csv' has a header but no rows"),
    ("\ufeff\n\n", "population file 'pop.csv' is empty"),
])
def test_an_empty_population_file(tmp_path: Path, text: str, why: str) -> None:
    line = ended_cleanly(build(tmp_path, towns(tmp_path), "--population",
                               population(tmp_path, text)), 1)
    assert line.startswith(f"error: {why}")


def test_an_empty_boundaries_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    line = ended_cleanly(build(tmp_path, path), 1)
    assert line == ("error: empty.geojson: the boundaries file has no features; expected one "
                    "polygon per municipal unit")
