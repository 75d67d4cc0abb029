"""Addresses in a register: `camera-map geocode` and `build --extract`, offline."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from httpserver import LocalServer, Reply

from camera_map.cli import main

REGISTER = """opština,adresa,proizvođač
Osečina,Karađorđeva 12,Dahua
Осечина,Карађорђева / Кнеза Милоша,Dahua
Osecina,Djakovacka,Dahua
Valjevo,Karadjordjeva 12,Hikvision
Osečina,OŠ Vuk Karadžić,Dahua
Beograd,Knez Mihailova 1,Huawei
"""


@pytest.fixture()
def register(tmp_path: Path) -> Path:
    path = tmp_path / "registar.csv"
    path.write_text(REGISTER, encoding="utf-8")
    return path


@pytest.fixture()
def extract(data_dir: Path) -> Path:
    return data_dir / "geocode" / "osecina.osm"


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_build_places_addresses_and_says_how_precisely(register: Path, extract: Path,
                                                       tmp_path: Path) -> None:
    res = invoke("build", "--cameras", str(register), "--extract", str(extract),
                 "--out", str(tmp_path / "o"), "--format", "csv")
    assert res.exit_code == 0, res.output
    cams = pd.read_csv(tmp_path / "o" / "cameras.csv", dtype=str).set_index("address")
    assert cams.at["Karađorđeva 12", "geocode_precision"] == "address"
    assert cams.at["Карађорђева / Кнеза Милоша", "geocode_precision"] == "intersection"
    assert cams.at["Djakovacka", "geocode_precision"] == "street"
    assert cams.at["Karadjordjeva 12", "municipality_id"] == "70360"  # Valjevo's own street
    # a landmark the extract does not index still counts, placed at municipality level
    assert (cams.at["OŠ Vuk Karadžić", "geocode_precision"],
            cams.at["OŠ Vuk Karadžić", "geocoder"]) == ("municipality", "layer")
    # a row naming only the City of Belgrade stays a city-level count, reported as unplaced
    assert cams.at["Knez Mihailova 1", "assigned_level"] == "group"
    problems = (tmp_path / "o" / "problems.csv").read_text("utf-8")
    assert "name the one the camera is in" in problems
    muni = pd.read_csv(tmp_path / "o" / "municipalities.csv", dtype={"id": str}).set_index("id")
    assert muni.at["70882", "cameras"] == 4 and muni.at["70882", "exact_share"] == 0


def test_geocode_command_writes_coordinates_and_a_report(register: Path, extract: Path,
                                                         tmp_path: Path) -> None:
    out = tmp_path / "placed.csv"
    res = invoke("geocode", str(register), "--out", str(out), "--extract", str(extract))
    assert res.exit_code == 0, res.output
    placed = pd.read_csv(out, dtype=str)
    assert {"latitude", "longitude", "geocode_precision", "geocoder"} <= set(placed.columns)
    assert placed["adresa"].tolist()[0] == "Karađorđeva 12"  # the register's own columns stay
    assert placed["geocode_precision"].tolist()[:3] == ["address", "intersection", "street"]
    assert "unplaced: 1" in res.output
    report = pd.read_csv(tmp_path / "placed-unplaced.csv", dtype=str)
    assert len(report) == 1 and "Knez Mihailova" in report["address"].iloc[0]


def test_nominatim_url_needs_online(register: Path, tmp_path: Path) -> None:
    res = invoke("geocode", str(register), "--out", str(tmp_path / "x.csv"),
                 "--nominatim-url", "http://127.0.0.1:9")
    assert res.exit_code == 2 and "--nominatim-url goes with --online" in res.stderr


def test_failing_nominatim_is_one_warning_and_the_rows_still_placed(
        register: Path, tmp_path: Path, http_server: LocalServer) -> None:
    http_server.default = Reply(403, b"<html><b>Access blocked</b> [/b]</html>")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
           "CAMERA_MAP_CACHE": str(tmp_path / "cache")}
    out = tmp_path / "placed.csv"
    done = subprocess.run([sys.executable, "-m", "camera_map", "geocode", str(register),
                           "--out", str(out), "--online", "--nominatim-url", http_server.url],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.count("Nominatim is not available") == 1, done.stderr
    assert "answered HTTP 403 Forbidden: Access blocked [/b]" in done.stderr
    assert len(http_server.requests) == 1  # refused: not asked again for the other rows
    placed = pd.read_csv(out, dtype=str, keep_default_na=False)
    # every row at its municipality, but Beograd: a city of 17 municipalities
    assert list(placed["geocode_precision"]) == ["municipality"] * 5 + [""]
