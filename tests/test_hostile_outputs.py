"""What camera-map writes and prints when the inputs are hostile (issue 11, items 3, 4, 7):
no control character reaches a file or the terminal, no CSV cell runs as a spreadsheet
formula, numbers stay numbers, and every failure is one message with an exit code."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from hostile import CONTROL, cli, ended_cleanly, env
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from camera_map.export import write_csv
from camera_map.text import clean_text, is_formula, neutralise_formula

#: Unit names from a hostile boundaries file: a formula, an escape sequence, a C1 control.
NAMES = ["=HYPERLINK(\"http://evil.example\",\"Alfa\")", "Be\x1b[2J\x1b[31mta", "Ga\x9bma"]


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One build over hostile units, a register and an Overpass answer; (out, stdout)."""
    tmp = tmp_path_factory.mktemp("hostile")
    towns = tmp / "towns.gpkg"  # in the southern/western hemisphere: coordinates < 0
    gpd.GeoDataFrame({"code": ["A", "B", "C"], "name": NAMES, "pop": [1000, 2000, 3000]},
                     geometry=[box(-20.3, -44.1, -20.2, -44.0), box(-20.2, -44.1, -20.1, -44.0),
                               box(-20.1, -44.1, -20.0, -44.0)], crs=4326).to_file(towns)
    reg = tmp / "reg.csv"
    reg.write_bytes(
        "opština,adresa,latitude,longitude,proizvođač,napomena\n"
        "A,\"=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",-44.05,-20.25,Dahua\x1b[31m,@SUM(1+1)\n"
        "B,-2+3,-44.051,-20.151,Hua\x7fwei,+cmd\n"
        "C,Glavna 1,-44.052,-20.052,-,-20.5\n"
        "C,bad,x,y,=1+1,\x07bell\n".encode())
    overpass = tmp / "op.json"
    overpass.write_text(json.dumps({"version": 0.6, "elements": [{
        "type": "node", "id": 1, "lat": -44.06, "lon": -20.16, "tags": {
            "man_made": "surveillance", "name": "a\x00b\x1b[2Jc",
            "operator": "=cmd|' /C calc'!A0", "x\x00": "\x9b31m"}}]}), encoding="utf-8")
    out = tmp / "out"
    res = cli("build", "--boundaries", towns, "--id-field", "code", "--population-field",
              "pop", "--cameras", reg, "--cameras", overpass, "--out", out, "--no-png",
              "--format", "geojson,csv,gpkg,fgb")
    ended_cleanly(res, 0)
    return out, res.stdout


def test_no_control_character_in_any_output(hostile_build: tuple[Path, str]) -> None:
    out, _ = hostile_build
    written = sorted(p for p in out.iterdir() if p.suffix not in (".gpkg", ".fgb", ".png"))
    assert {p.name for p in written} >= {"cameras.csv", "municipalities.csv", "rejected.csv",
                                         "problems.csv", "conflicts.csv", "cameras.geojson",
                                         "map.html", "sources.json", "summary.txt"}
    for path in written:
        text = path.read_text("utf-8")
        assert not CONTROL.search(text.replace("\r", "")), (path.name, CONTROL.findall(text))
        assert not re.search(r"\\u00[01][0-9a-fA-F]|\\u007[fF]|\\u009", text), path.name
    for name in ("camera-map.gpkg", "municipalities.fgb", "cameras.fgb"):
        for layer in pyogrio.list_layers(out / name)[:, 0]:
            frame = pyogrio.read_dataframe(out / name, layer=layer)
            for col in frame.columns:
                text = frame[col].dropna().astype(str)
                assert not text.str.contains(CONTROL).any(), (name, layer, col)


def test_the_terminal_never_gets_an_escape_sequence(hostile_build: tuple[Path, str]) -> None:
    _, stdout = hostile_build
    assert "Be[2J[31mta" in stdout and "\x1b" not in stdout


def cells(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_no_csv_cell_is_a_formula(hostile_build: tuple[Path, str]) -> None:
    out, _ = hostile_build
    for name in ("cameras.csv", "municipalities.csv", "rejected.csv", "problems.csv",
                 "conflicts.csv"):
        for row in cells(out / name):
            for column, value in row.items():
                assert not is_formula(value), (name, column, value)
                assert not is_formula(column), (name, column)


def test_formulas_are_kept_readable_and_numbers_stay_numbers(
        hostile_build: tuple[Path, str]) -> None:
    out, _ = hostile_build
    cams = pd.read_csv(out / "cameras.csv")
    assert cams["longitude"].dtype == float and (cams["longitude"] < 0).all()
    assert cams["latitude"].dtype == float and (cams["latitude"] < 0).all()
    assert "'=HYPERLINK(\"http://evil\",\"x\")" in set(cams["address"])
    assert {"'-2+3", "Glavna 1"} <= set(cams["address"])
    assert "-20.5" in set(cams["note"].astype(str))  # a number written as text: not a formula
    assert {"'@SUM(1+1)", "'+cmd"} <= set(cams["note"])
    units = pd.read_csv(out / "municipalities.csv")
    assert list(units["name"]) == ["'" + NAMES[0], "Be[2J[31mta", "Gama"]
    assert units["population"].tolist() == [1000, 2000, 3000]
    rejected = cells(out / "rejected.csv")
    assert [r["proizvođač"] for r in rejected] == ["'=1+1"]
    assert rejected[0]["napomena"] == "bell"


def test_gis_formats_keep_text_as_it_was(hostile_build: tuple[Path, str]) -> None:
    """GeoJSON and GeoPackage are data for GIS, not spreadsheets: no apostrophe added."""
    out, _ = hostile_build
    units = gpd.read_file(out / "municipalities.geojson")
    assert list(units["name"]) == [NAMES[0], "Be[2J[31mta", "Gama"]
    cams = pyogrio.read_dataframe(out / "camera-map.gpkg", layer="cameras")
    assert "=HYPERLINK(\"http://evil\",\"x\")" in set(cams["address"])
    assert "=cmd|' /C calc'!A0" in set(cams["operator"])


def test_the_rules_in_one_place() -> None:
    assert neutralise_formula("=1+1") == "'=1+1"
    assert neutralise_formula("\t=1") == "'\t=1"
    assert neutralise_formula("\r=1") == "'\r=1"
    assert [neutralise_formula(v) for v in ("-", "+", "-20.46", "+381", "1e5", "-.5")] == [
        "-", "+", "-20.46", "+381", "1e5", "-.5"]
    assert neutralise_formula("+381 11 123 456") == "'+381 11 123 456"  # a phone: text
    assert clean_text("a\x00\x1b\x7f\x85\x9fb\tc\nd") == "ab\tc\nd"


def test_strict_is_its_own_error_not_a_word_in_a_message(tmp_path: Path) -> None:
    """A missing file called --strict.csv is bad input (1), not --strict's rejection (4)."""
    missing = tmp_path / "--strict.csv"
    res = cli("build", "--strict", "--cameras", missing, "--out", tmp_path / "o")
    assert ended_cleanly(res, 1).startswith(f"error: camera file '{missing}' does not exist")
    reg = tmp_path / "reg.csv"
    reg.write_text("opština,latitude,longitude\nOsečina,44.37,19.60\nOsečina,x,y\n",
                   encoding="utf-8")
    res = cli("build", "--strict", "--cameras", reg, "--out", tmp_path / "o", "--no-png")
    assert ended_cleanly(res, 4).startswith("error: 1 row(s) rejected and --strict is set")


BOOM = """
import sys
import camera_map.pipeline as pipeline
def boom(*args, **kwargs):
    raise RuntimeError("a bug\\nsecond line \\x1b[31m")
pipeline.analyse = boom
from camera_map.cli import main
main(sys.argv[1:], prog_name="camera-map")
"""


def test_an_unexpected_error_is_one_line_and_a_traceback_only_with_vv(tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", BOOM, *args], env=env(), text=True,
                              capture_output=True, timeout=600, check=False)

    res = run("build", "--out", str(tmp_path / "o"))
    assert ended_cleanly(res, 5) == (
        "error: internal error (RuntimeError: a bug); this is a bug in camera-map: run again "
        "with -vv and report the traceback")
    res = run("-vv", "build", "--out", str(tmp_path / "o"))
    assert res.returncode == 5 and "Traceback" in res.stderr and "\x1b" not in res.stderr


def test_an_output_folder_that_is_a_file(tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.write_text("mine", encoding="utf-8")
    res = cli("build", "--out", target, "--no-png", "--format", "csv")
    assert ended_cleanly(res, 1).startswith(f"error: output folder {str(target)!r} is a file")
    assert target.read_text(encoding="utf-8") == "mine"


def test_mixed_polygons_make_a_conformant_geopackage_without_a_warning(tmp_path: Path) -> None:
    """Issue 16: a Polygon in a MultiPolygon layer leaked GDAL's warning to the terminal."""
    from shapely.geometry import MultiPolygon

    towns = tmp_path / "mixed.gpkg"
    gpd.GeoDataFrame({"code": ["A", "B"]}, geometry=[
        box(20, 44, 20.1, 44.1),
        MultiPolygon([box(20.1, 44, 20.2, 44.1), box(20.3, 44, 20.4, 44.1)])],
        crs=4326).to_file(towns)
    cams = tmp_path / "cams.csv"
    cams.write_text("municipality,latitude,longitude\nA,44.05,20.05\n", encoding="utf-8")
    out = tmp_path / "out"
    res = cli("build", "--boundaries", towns, "--id-field", "code", "--cameras", cams,
              "--out", out, "--no-png", "--format", "gpkg,fgb")
    ended_cleanly(res, 0)
    assert "Warning" not in res.stderr and "warning" not in res.stderr.lower(), res.stderr
    for name in ("camera-map.gpkg", "municipalities.fgb"):
        layer = "municipalities" if name.endswith(".gpkg") else None
        assert pyogrio.read_info(out / name, layer=layer)["geometry_type"] == "MultiPolygon"
        kinds = set(pyogrio.read_dataframe(out / name, layer=layer).geom_type)
        assert kinds == {"MultiPolygon"}, (name, kinds)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet="=+-@\t\r\n\x00\x1b\x9b\x7f.eE019a ,\"'",
                                             max_size=8)), min_size=1, max_size=30))
def test_the_csv_writer_applies_the_same_rules_as_the_text_module(
        tmp_path_factory: pytest.TempPathFactory, values: list[str | None]) -> None:
    """The writer's Arrow kernels and :mod:`camera_map.text` agree on every text."""
    path = tmp_path_factory.mktemp("rules") / "x.csv"
    write_csv(pd.DataFrame({"text": pd.array(values, dtype="string"),
                            "number": [-1.5] * len(values)}), path)
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["text"] for r in rows] == [neutralise_formula(clean_text(v or "")) for v in values]
    assert {r["number"] for r in rows} == {"-1.5"}


@pytest.mark.parametrize("lang", ["sr-Latn", "sr-Cyrl", "en"])
def test_the_request_templates_hold_no_formula(tmp_path: Path, lang: str) -> None:
    """The XLSX and CSV register templates `camera-map request` writes: text cells only."""
    import openpyxl

    from camera_map.request import write_request

    files = write_request("Osečina", lang=lang, out_dir=tmp_path)
    book = openpyxl.load_workbook(files.xlsx)
    kinds = {cell.data_type for sheet in book.worksheets for row in sheet.iter_rows()
             for cell in row if cell.value is not None}
    assert kinds == {"s"}
    for row in cells(files.csv):
        assert not any(is_formula(v or "") for v in row.values())
