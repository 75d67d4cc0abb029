"""The CLI's contract on bad input: non-zero exit and one clear line naming the problem."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from click.testing import CliRunner
from shapely.geometry import box

from camera_map.cli import main


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def first_line(text: str) -> str:
    return text.strip().splitlines()[0]


def test_missing_camera_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    res = invoke("build", "--cameras", str(missing), "--out", str(tmp_path / "o"))
    assert res.exit_code == 1
    assert first_line(res.stderr) == (
        f"error: camera file '{missing}' does not exist; expected a FOI register (CSV/TSV, "
        "XLSX or ODS), an OpenStreetMap file (.osm, .osm.bz2, .osm.gz, .osm.pbf), Overpass "
        "API JSON, or a point layer (GeoJSON, KML/KMZ, GeoPackage, Shapefile, FlatGeobuf, "
        "GeoParquet, GPX)")


def test_file_of_the_wrong_kind(tmp_path: Path) -> None:
    png = tmp_path / "cameras.csv"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    res = invoke("build", "--cameras", str(png), "--out", str(tmp_path / "o"))
    assert res.exit_code == 1
    assert first_line(res.stderr).startswith(
        f"error: camera file '{png}' looks like a PNG image; expected a FOI register")
    assert not (tmp_path / "o" / "map.html").exists()


def test_a_utf16_register_is_text_not_binary(tmp_path: Path) -> None:
    reg = tmp_path / "unicode.csv"  # Excel's "Unicode text" export
    reg.write_bytes("Opština,Broj kamera\nOsečina,3\n".encode("utf-16"))
    res = invoke("build", "--cameras", str(reg), "--out", str(tmp_path / "o"), "--format",
                 "csv", "--no-png")
    assert res.exit_code == 0, res.stderr
    assert "Osečina: 3 cameras" in res.stdout


def test_json_that_is_not_overpass(tmp_path: Path) -> None:
    geo = tmp_path / "points.geojson"
    geo.write_text('{"type": "FeatureCollection", "features": []}')
    res = invoke("build", "--cameras", str(geo), "--out", str(tmp_path / "o"))
    assert res.exit_code == 1
    assert "points.geojson: the GeoJSON file holds no features" in first_line(res.stderr)
    other = tmp_path / "other.json"
    other.write_text('{"cameras": []}')
    res = invoke("build", "--cameras", str(other), "--out", str(tmp_path / "o"))
    assert res.exit_code == 1
    assert "is JSON but neither Overpass API JSON" in first_line(res.stderr)


@pytest.fixture()
def boundaries(tmp_path: Path) -> Path:
    path = tmp_path / "towns.gpkg"
    gpd.GeoDataFrame({"code": ["A", "B"], "naziv": ["Alfa", "Beta"], "pop": [1000, 2000]},
                     geometry=[box(20, 44, 20.1, 44.1), box(20.1, 44, 20.2, 44.1)],
                     crs=4326).to_file(path)
    return path


def test_unknown_column_name(tmp_path: Path, boundaries: Path) -> None:
    res = invoke("build", "--boundaries", str(boundaries), "--id-field", "cod",
                 "--out", str(tmp_path / "o"))
    assert res.exit_code == 1
    assert first_line(res.stderr) == (
        "error: towns.gpkg: --id-field 'cod' is not a column of the boundaries; did you mean "
        "'code'? (columns: code, naziv, pop)")


def test_unknown_population_field(tmp_path: Path, boundaries: Path) -> None:
    res = invoke("build", "--boundaries", str(boundaries), "--id-field", "code",
                 "--population-field", "population", "--out", str(tmp_path / "o"))
    assert res.exit_code == 1
    assert "--population-field 'population' is not a column" in first_line(res.stderr)


def test_options_that_need_boundaries(tmp_path: Path) -> None:
    res = invoke("build", "--id-field", "code")
    assert res.exit_code == 2
    assert "--id-field, --name-field, --population and --population-field go with " \
           "--boundaries" in res.stderr


def test_boundaries_that_are_not_vector_data(tmp_path: Path) -> None:
    bad = tmp_path / "b.gpkg"
    bad.write_text("not a geopackage")
    res = invoke("build", "--boundaries", str(bad), "--out", str(tmp_path / "o"))
    assert res.exit_code == 1
    assert first_line(res.stderr).startswith(
        f"error: boundaries file '{bad}' could not be read as a vector dataset")


def test_check_reports_mapping_and_rejections_and_strict_fails(data_dir: Path) -> None:
    reg = data_dir / "foi" / "latin_cp1250.csv"
    res = invoke("check", str(reg))
    assert res.exit_code == 0
    assert "encoding Windows-1250, delimiter semicolon" in res.stdout
    assert "'Geografska širina' → latitude" in res.stdout
    assert "row 4: latitude 'abc' is not a number" in res.stdout
    strict = invoke("check", str(reg), "--strict")
    assert strict.exit_code == 4


def test_build_strict_fails_on_rejected_rows(data_dir: Path, tmp_path: Path) -> None:
    reg = data_dir / "foi" / "latin_cp1250.csv"
    res = invoke("build", "--cameras", str(reg), "--strict", "--out", str(tmp_path / "o"))
    assert res.exit_code == 4
    assert "1 row(s) rejected and --strict is set" in res.stderr
    ok = invoke("build", "--cameras", str(reg), "--out", str(tmp_path / "o"), "--format", "csv")
    assert ok.exit_code == 0
    rejected = (tmp_path / "o" / "rejected.csv").read_text("utf-8-sig")
    assert rejected.splitlines()[0].startswith("file,sheet,row,reason,")
    assert "latitude 'abc' is not a number" in rejected


def test_two_inputs_with_the_same_name(tmp_path: Path) -> None:
    for d in ("a", "b"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "kamere.csv").write_text("Opština,Broj kamera\nLjig,3\n", "utf-8")
    res = invoke("build", "--cameras", str(tmp_path / "a" / "kamere.csv"), "--cameras",
                 str(tmp_path / "b" / "kamere.csv"), "--out", str(tmp_path / "o"))
    assert res.exit_code == 1
    assert "two inputs have the same file name 'kamere.csv'" in res.stderr


def test_town_understands_aliases_and_cities(tmp_path: Path) -> None:
    res = invoke("town", "Medijana", "--out", str(tmp_path))  # a city municipality of Niš
    assert res.exit_code == 0 and res.stdout.startswith("Niš (70858)")
    assert (tmp_path / "towns" / "nis.html").exists()
    city = invoke("town", "Belgrade", "--out", str(tmp_path))  # the city page
    assert city.exit_code == 0, city.stderr
    assert city.stdout.startswith("Beograd (71308)")
    assert "Zemun" in city.stdout  # the members of the City of Belgrade are listed
    assert (tmp_path / "towns" / "beograd.html").exists()
    unknown = invoke("town", "Osecinna", "--out", str(tmp_path))
    assert unknown.exit_code == 1 and "closest: Osečina" in unknown.stderr


def test_folders_with_readmes_of_the_same_name(tmp_path: Path) -> None:
    for d, town in (("a", "Ljig"), ("b", "Osečina")):
        (tmp_path / d).mkdir()
        (tmp_path / d / "README.md").write_text("notes, not a register\n", "utf-8")
        (tmp_path / d / f"{d}.csv").write_text(f"Opština,Broj kamera\n{town},3\n", "utf-8")
    res = invoke("build", "--cameras", str(tmp_path / "a"), "--cameras", str(tmp_path / "b"),
                 "--out", str(tmp_path / "o"), "--format", "csv", "--no-png")
    assert res.exit_code == 0, res.stderr
    assert "Read 2 input(s)" in res.stdout


def test_the_same_file_twice(tmp_path: Path) -> None:
    reg = tmp_path / "kamere.csv"
    reg.write_text("Opština,Broj kamera\nLjig,3\n", "utf-8")
    res = invoke("build", "--cameras", str(reg), "--cameras", str(reg), "--out",
                 str(tmp_path / "o"))
    assert res.exit_code == 1
    assert first_line(res.stderr) == f"error: {reg} is given twice; give each input once"
