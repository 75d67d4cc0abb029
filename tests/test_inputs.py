"""Inputs as they really come: columns read by their values, combined and damaged
coordinates, CRSs suggested from the user's boundaries, repeats, a municipality named only
in the title row, and each problem reported once in one location format."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import geopandas as gpd
import pyproj
import pytest
from click.testing import CliRunner, Result
from shapely.geometry import box

from camera_map.cli import main
from camera_map.layers import load_layer
from camera_map.sources.foi import read_register


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def write(path: Path, text: str) -> Path:
    path.write_text(text, "utf-8")
    return path


@pytest.fixture(scope="module")
def serbia() -> gpd.GeoDataFrame:
    return load_layer().units


@pytest.fixture()
def boroughs(tmp_path: Path) -> Path:
    """Five districts of the user's own (boxes standing in for New York's boroughs)."""
    path = tmp_path / "boroughs.gpkg"
    gpd.GeoDataFrame(
        {"code": ["NY1", "NY2", "NY3", "NY4", "NY5"],
         "name": ["Manhattan", "Brooklyn", "Queens", "Bronx", "Staten Island"],
         "population": [1_600_000, 2_600_000, 2_300_000, 1_400_000, 500_000]},
        geometry=[box(-74.02, 40.70, -73.93, 40.88), box(-74.04, 40.57, -73.86, 40.70),
                  box(-73.93, 40.70, -73.70, 40.80), box(-73.93, 40.80, -73.75, 40.92),
                  box(-74.26, 40.49, -74.05, 40.65)], crs="EPSG:4326").to_file(path)
    return path


@pytest.fixture()
def cantons(tmp_path: Path) -> Path:
    """Boundaries in Switzerland: nothing here is Serbian."""
    path = tmp_path / "cantons.gpkg"
    gpd.GeoDataFrame({"code": ["GE", "VD"], "name": ["Genève", "Vaud"],
                      "population": [500_000, 800_000]},
                     geometry=[box(5.95, 46.13, 6.31, 46.37), box(6.31, 46.2, 7.2, 46.9)],
                     crs="EPSG:4326").to_file(path)
    return path


def boundaries(path: Path) -> list[str]:
    return ["--boundaries", str(path), "--id-field", "code", "--name-field", "name"]


def test_counts_per_district_against_the_users_own_boundaries(tmp_path: Path,
                                                             boroughs: Path) -> None:
    counts = write(tmp_path / "counts.csv", "borough,cameras_reported\nManhattan,120\n"
                   "Brooklyn,80\nQueens,\nBronx,45\nStaten Island,0\n")
    res = invoke("check", str(counts), *boundaries(boroughs))
    assert "by their values: 'borough': unit names, 5 of 5 match" in res.stdout
    assert "by their values: 'cameras_reported': count" in res.stdout
    assert "counts.csv, row 4: the number of cameras is empty" in res.stdout  # unknown, not 0
    out = tmp_path / "o"
    res = invoke("build", "--cameras", str(counts), *boundaries(boroughs),
                 "--population-field", "population", "--out", str(out), "--no-png",
                 "--format", "csv")
    assert res.exit_code == 0, res.stderr
    rows = {r["name"]: r for r in csv.DictReader((out / "municipalities.csv").open())}
    assert [rows[n]["cameras"] for n in ("Manhattan", "Brooklyn", "Queens", "Bronx",
                                         "Staten Island")] == ["120", "80", "", "45", "0"]
    assert rows["Queens"]["evidence"] == "none"


def test_coordinates_in_unnamed_columns_are_read_by_their_values(tmp_path: Path,
                                                                 serbia: gpd.GeoDataFrame
                                                                 ) -> None:
    f = write(tmp_path / "kamere.csv", "Naziv;Adresa;;\nTrg;Glavna 1;44.3701;19.6011\n"
              "Pijaca;Glavna 5;44.3711;19.6021\n")
    res = read_register(f, units=serbia)
    [info] = res.sheet_info
    assert info.inferred == ["columns 3–4 ('column 3', 'column 4'): latitude/longitude by "
                             "their values, 2 of 2 rows inside the boundaries"]
    assert res.kinds["point"] == 2 and res.needs_geocoding == 0
    generic = write(tmp_path / "qgis.csv", "field_1,field_2,field_3\nA,19.6011,44.3701\n"
                    "B,19.6021,44.3711\n")
    res = read_register(generic, units=serbia)
    assert res.sheet_info[0].inferred[0].startswith(
        "columns 2–3 ('field_2', 'field_3'): longitude/latitude by their values, 2 of 2")
    assert [(round(g.x, 4), round(g.y, 4)) for g in res.cameras.geometry] == [
        (19.6011, 44.3701), (19.6021, 44.3711)]


def test_combined_coordinate_columns(tmp_path: Path, serbia: gpd.GeoDataFrame) -> None:
    f = write(tmp_path / "links.csv", "Objekat,Gde\n"
              "A,\"(44.3701, 19.6011)\"\n"
              "B,\"POINT (19.6021 44.3711)\"\n"
              "C,\"geo:44.3721,19.6031\"\n"
              "D,https://www.openstreetmap.org/?mlat=44.3731&mlon=19.6041#map=19/44.3731/19.6041\n"
              "E,\"https://www.google.com/maps/place/X/@44.3741,19.6051,17z\"\n")
    res = read_register(f, units=serbia)
    assert [(round(g.y, 4), round(g.x, 4)) for g in res.cameras.geometry] == [
        (44.3701, 19.6011), (44.3711, 19.6021), (44.3721, 19.6031), (44.3731, 19.6041),
        (44.3741, 19.6051)]
    assert res.sheet_info[0].inferred == ["column 'Gde': latitude and longitude in one cell "
                                          "by its values, 5 of 5 rows"]


def test_locale_damaged_coordinates_are_repaired_only_when_one_placement_fits(
        tmp_path: Path, cantons: Path) -> None:
    f = write(tmp_path / "damaged.csv", "Name;Lat;Lon;Kanton\nA;461.993.881;61.234.567;Genève\n"
              "B;46.2044;6.1432;Genève\n")
    out = tmp_path / "o"
    res = invoke("build", "--cameras", str(f), *boundaries(cantons), "--out", str(out),
                 "--no-png", "--format", "geojson,csv")
    assert res.exit_code == 0, res.stderr
    cams = json.loads((out / "cameras.geojson").read_text("utf-8"))["features"]
    assert [c["geometry"]["coordinates"] for c in cams] == [[6.1234567, 46.1993881],
                                                           [6.1432, 46.2044]]
    problems = list(csv.DictReader((out / "problems.csv").open()))
    assert [p["value"] for p in problems] == ["461.993.881, 61.234.567"]
    assert [(p["where"], p["message"]) for p in problems] == [(
        "damaged.csv, row 2",
        "repaired latitude '461.993.881' and longitude '61.234.567' to 46.1993881, 6.1234567 "
        "(lat, lon): the decimal point was lost (a spreadsheet's thousands separators) and "
        "this is the only placement of it inside municipality 'Genève'; pass --no-repair to "
        "refuse such rows")]
    res = invoke("check", str(f), *boundaries(cantons), "--no-repair")
    assert ("damaged.csv, row 2: latitude '461.993.881' and longitude '61.234.567' lost the "
            "decimal point") in res.stdout
    assert "repairs are off (--no-repair)" in res.stdout
    # two placements inside the boundaries (2.345678°E and 23.45678°E): nothing is guessed
    wide = tmp_path / "wide.gpkg"
    gpd.GeoDataFrame({"code": ["EU"], "name": ["Europe"]}, geometry=[box(2, 40, 25, 50)],
                     crs="EPSG:4326").to_file(wide)
    both = write(tmp_path / "both.csv", "Lat;Lon\n46.30;6.20\n46.30;2.345.678\n")
    res = invoke("check", str(both), *boundaries(wide))
    assert ("both.csv, row 3: longitude '2.345.678' lost the decimal point (a spreadsheet's "
            "thousands separators) and 2 placements of it fall inside the boundaries "
            "(46.3, 2.345678; 46.3, 23.45678, lat, lon): write the coordinates as decimal "
            "degrees") in res.stdout


def test_projected_coordinates_get_a_crs_that_fits_the_boundaries(tmp_path: Path,
                                                                 cantons: Path) -> None:
    to_lv95 = pyproj.Transformer.from_crs(4326, 2056, always_xy=True)
    rows = [to_lv95.transform(6.1432, 46.2044), to_lv95.transform(6.6323, 46.5197)]
    f = write(tmp_path / "lv95.csv", "Name,E,N\n" + "".join(
        f"{n},{x:.1f},{y:.1f}\n" for n, (x, y) in zip("AB", rows, strict=True)))
    res = invoke("check", str(f), *boundaries(cantons))
    assert "EPSG:2056 (CH1903+ / LV95) places 2 of 2 points inside the boundaries: try " \
           "--crs EPSG:2056" in res.stdout
    assert "Gauss-Krüger" not in res.stdout and "EPSG:3127" not in res.stdout
    res = invoke("check", str(f), *boundaries(cantons), "--crs", "EPSG:2056")
    assert "OK: every row accepted" in res.stdout


def test_the_same_camera_twice_in_one_register_counts_once(tmp_path: Path,
                                                           serbia: gpd.GeoDataFrame) -> None:
    f = write(tmp_path / "dup.csv", "ID kamere,Latitude,Longitude,Datum\n"
              "K-1,44.37,19.60,2019\nK-2,44.371,19.601,2019\nK-1,44.37012,19.60013,2022\n"
              "K-3,44.372,19.602,2020\nK-3,44.372,19.602,2020\n")
    res = read_register(f, units=serbia)
    assert res.accepted == 3 and res.total_cameras == 3
    assert res.cameras["source_ref"].tolist() == ["dup.csv#row 3", "dup.csv#row 4",
                                                  "dup.csv#row 6"]
    assert res.rejected["reason"].tolist() == [
        "the same camera as row 4 (same id 'K-1'): row 4 is kept (the most precise, then "
        "most recent, then later row)",
        "the same camera as row 6 (same id 'K-3'): row 6 is kept (the most precise, then "
        "most recent, then later row)"]
    plain = write(tmp_path / "twice.csv", "Latitude,Longitude,Tip\n44.37,19.60,dome\n"
                  "44.37,19.60,dome\n44.37,19.60,fixed\n")
    res = read_register(plain, units=serbia)
    assert res.accepted == 2 and "same coordinates and values" in res.rejected["reason"][0]


def test_municipality_from_the_title_row_or_a_suggestion(tmp_path: Path) -> None:
    titled = write(tmp_path / "odgovor.csv", "Opština Bečej\n\nAdresa,Tip\nGlavna 1,dome\n"
                   "Glavna 2,fixed\n")
    res = invoke("check", str(titled))
    assert ("by their values: municipality 'Bečej' for rows that name none, from the title "
            "row 'Opština Bečej'") in res.stdout
    named = write(tmp_path / "kamere_Backa_Palanka_2023.csv", "Adresa\nGlavna 1\n")
    res = invoke("check", str(named))
    assert "municipality 'Bačka Palanka' for rows that name none, from the file name" in \
        res.stdout
    plain = write(tmp_path / "kamere.csv", "Adresa,Tip\nGlavna 1,dome\nGlavna 2,fixed\n")
    res = invoke("check", str(plain))
    assert ("2 of 2 accepted rows name no municipality and have no coordinates: they count "
            "nowhere unless geocoding places their address; if the whole register is from "
            "one municipality, pass --municipality NAME") in res.stdout
    mixed = write(tmp_path / "mix.csv", "Opština,Adresa,Latitude,Longitude\n"
                  "Osečina,,44.37,19.60\n,Glavna 1,,\n,Glavna 2,,\n")
    out = tmp_path / "o"
    res = invoke("build", "--cameras", str(mixed), "--out", str(out), "--no-png",
                 "--format", "csv")
    assert "2 of 3 rows count nowhere: see problems.csv" in res.stdout


def test_osm_style_values_in_a_location_column_are_not_addresses(
        tmp_path: Path, serbia: gpd.GeoDataFrame) -> None:
    f = write(tmp_path / "loc.csv", "Name,Location,Latitude,Longitude\n"
              "A,public,44.3701,19.6011\nB,outdoor,44.3711,19.6021\nC,public,,\n")
    res = read_register(f, units=serbia)
    assert res.cameras["surveillance"].tolist() == ["public", "outdoor"]
    assert res.needs_geocoding == 0
    assert res.rejected["reason"].str.startswith("no location").tolist() == [True]


def test_each_problem_once_in_one_location_format(tmp_path: Path) -> None:
    f = write(tmp_path / "mix.csv", "Opština,Latitude,Longitude\nOsečina,44.37,19.60\n"
              "Osečina,45.9,15.0\nValjevo,44.37,19.60\nNigdegrad,,\n")
    out = tmp_path / "o"
    res = invoke("build", "--cameras", str(f), "--out", str(out), "--no-png", "--format", "csv")
    assert res.exit_code == 0, res.stderr
    problems = list(csv.DictReader((out / "problems.csv").open()))
    assert [p["where"] for p in problems] == ["mix.csv, row 3", "mix.csv, row 4",
                                              "mix.csv, row 5"]
    assert "outside every unit" in problems[0]["message"]
    assert "not in the stated municipality 'Valjevo'" in problems[1]["message"]
    assert "'Nigdegrad' is not a unit" in problems[2]["message"]
