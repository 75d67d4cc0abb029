"""problems.csv of a build with bad rows: each fact once, every location written one way.

The build runs the real command (``sys.executable -m camera_map``) on a register the test
writes (a point outside every unit, coordinates beyond ±90°, an unknown municipality, an
address that cannot be placed) together with fixture files (a workbook with sheets and an
OpenStreetMap file).
"""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data"

#: ``file``, ``file#sheet``, then ``, row N`` and ``, column 'C'`` where known (an
#: OpenStreetMap element is named at the start of the message: ``node/123: ...``).
WHERE = re.compile(r"^[^#,]+(#[^,!]+)?(, row \d+)?(, column '[^']*')?$")

REGISTER = ("Opština,Latitude,Longitude,Adresa\n"
            "Osečina,44.37,19.60,\n"       # 2: fine
            "Osečina,45.9,15.0,\n"         # 3: outside every unit
            "Valjevo,44.37,19.60,\n"       # 4: in Osečina, not in Valjevo
            "Nigdegrad,,,\n"               # 5: unknown municipality, no point
            "Osečina,abc,19.6,\n"          # 6: rejected (rejected.csv, not problems.csv)
            "Osečina,95,19.6,\n"           # 7: swapped, then outside every unit
            "Nigdegrad,44.37,19.60,\n"     # 8: unknown municipality, point in Osečina
            "Nigdegrad2,,,Glavna 1\n"      # 9: unknown municipality, address not placed
            ",,,Nepoznata 5\n")            # 10: no municipality, address not placed


#: OpenStreetMap cameras: one in Osečina, one in Croatia (outside every unit) where row 3 of
#: the register puts one too: the two are merged into one camera, whose problem is reported
#: once at each source's row (the register's by its reader, the node's by the join).
OSM = ("<?xml version='1.0' encoding='UTF-8'?>\n<osm version=\"0.6\">\n"
       '<node id="900007" version="1" lat="44.3731" lon="19.6012">'
       '<tag k="man_made" v="surveillance"/></node>\n'
       '<node id="900008" version="1" lat="45.9" lon="15.0">'
       '<tag k="man_made" v="surveillance"/><tag k="height" v="tall"/></node>\n</osm>\n')


@pytest.fixture(scope="module")
def problems(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, str]]:
    folder = tmp_path_factory.mktemp("problems")
    (folder / "mix.csv").write_text(REGISTER, "utf-8")
    (folder / "far.osm").write_text(OSM, "utf-8")
    res = subprocess.run(
        [sys.executable, "-m", "camera_map", "build", "--cameras", "mix.csv",
         "--cameras", str(DATA / "foi" / "two_sheets.xlsx"),
         "--cameras", str(DATA / "osm" / "cameras.osm"), "--cameras", "far.osm",
         "--out", "o", "--no-png",
         "--format", "csv"], cwd=folder, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    with (folder / "o" / "problems.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_every_location_is_written_one_way(problems: list[dict[str, str]]) -> None:
    wheres = [p["where"] for p in problems]
    assert all(WHERE.match(w) for w in wheres), [w for w in wheres if not WHERE.match(w)]
    assert not [w for w in wheres if "#row" in w or "!row" in w]
    assert "two_sheets.xlsx#Kamere, row 4" in wheres


def test_each_fact_of_a_row_is_reported_once(problems: list[dict[str, str]]) -> None:
    assert not [k for k, n in Counter((p["where"], p["message"]) for p in problems).items()
                if n > 1]
    mix = [(p["where"].removeprefix("mix.csv, "), p["message"]) for p in problems
           if p["where"].startswith("mix.csv, row")]
    assert [where for where, _ in mix] == ["row 3", "row 4", "row 5", "row 7", "row 7",
                                           "row 8", "row 9", "row 10"]
    said = dict(mix[:3] + mix[4:])
    assert "is outside every unit" in said["row 3"]
    assert "not in the stated municipality 'Valjevo'" in said["row 4"]
    assert "'Nigdegrad' is not a unit" in said["row 5"]
    assert mix[3] == ("row 7", "latitude is beyond ±90°, so latitude and longitude were "
                               "swapped")
    assert "is outside every unit" in said["row 7"]
    assert "'Nigdegrad' is not a unit" in said["row 8"]
    # a row that geocoding could not place is reported once, with every reason: the
    # unknown municipality (row 9) or the missing one (row 10) is among them
    assert said["row 9"].startswith("not placed: municipality 'Nigdegrad2' is not in the "
                                    "layer")
    assert said["row 10"].startswith("not placed: ")
    assert "no municipality given" in said["row 10"]


def test_rows_with_nothing_to_place_are_not_reported_as_unplaced(
        problems: list[dict[str, str]]) -> None:
    assert not [p for p in problems if "no coordinates and no address" in p["message"]]


def test_an_osm_element_is_located_as_the_osm_reader_locates_it(
        problems: list[dict[str, str]]) -> None:
    far = [(p["where"], p["message"]) for p in problems if p["where"].startswith("far.osm")]
    assert [where for where, _ in far] == ["far.osm, column 'height'", "far.osm"]
    assert far[0][1].startswith("node/900008: height is not a number of metres")
    assert far[1][1].startswith("node/900008: the point lies outside every unit of the layer")
    assert not [p for p in problems if p["where"].startswith(("node/", "way/"))]
