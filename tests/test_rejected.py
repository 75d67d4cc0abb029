"""The rejected-rows table: readers fill it, the pipeline carries it, the export writes it.

Builds run the real command (``sys.executable -m camera_map``) on fixture registers and on
registers the tests write, then read rejected.csv, the GeoPackage's ``rejected`` layer and
the ``--strict`` message.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import openpyxl
import pyogrio
import pytest

from camera_map.export import write_rejected
from camera_map.rejected import RejectedRow, RejectedRows
from camera_map.sources import read_source
from camera_map.sources.foi import read_register

FOI = Path(__file__).resolve().parent / "data" / "foi"


def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "camera_map", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_write_rejected_keeps_original_values(tmp_path: Path) -> None:
    a = read_register(FOI / "latin_cp1250.csv")
    b = read_register(FOI / "cyrillic_cp1251.csv")
    out = write_rejected(RejectedRows.concat([a.rejected_rows, b.rejected_rows]),
                         tmp_path / "out" / "rejected.csv")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = rows_of(out)
    assert list(rows[0])[:5] == ["file", "sheet", "row", "reason", "Opština"]
    assert [(r["file"], r["row"]) for r in rows] == [("latin_cp1250.csv", "4"),
                                                    ("cyrillic_cp1251.csv", "6")]
    assert rows[0]["Geografska širina"] == "abc" and rows[0]["Interna šifra"] == "OS-002"
    assert rows[1]["Општина"] == "Укупно" and rows[1]["Opština"] == ""
    empty = write_rejected(read_register(FOI / "only_headers.csv").rejected_rows,
                           tmp_path / "none.csv")
    assert empty.read_text(encoding="utf-8-sig") == "file,sheet,row,reason\n"


def test_a_reader_fills_the_typed_rows_and_the_source_carries_them() -> None:
    [source] = read_source(FOI / "latin_cp1250.csv")
    assert source.register is not None and "register" not in source.details
    [row] = source.rejected
    assert (row.file, row.sheet, row.row) == ("latin_cp1250.csv", None, 4)
    assert row.reason.startswith("latitude 'abc' is not a number")
    assert row.original["Geografska širina"] == "abc"
    assert source.rejected is source.register.rejected_rows
    # the DataFrame view of the register is the same table
    assert source.register.rejected["reason"].tolist() == [row.reason]


def test_report_columns_a_header_that_clashes_and_the_cell_at_fault() -> None:
    plain = RejectedRows((RejectedRow("a.csv", None, 2, "why", original={"reason": "x",
                                                                          "value": 3}),))
    assert plain.header() == ["file", "sheet", "row", "reason", "reason (original)", "value"]
    assert plain.records() == [["a.csv", "", 2, "why", "x", 3]]
    cell = RejectedRows((*plain, RejectedRow("b.xlsx", "S1", 5, "bad", column="Lat",
                                             value="abc", original={"Lat": "abc"})))
    assert cell.header() == ["file", "sheet", "row", "reason", "column", "value",
                             "reason (original)", "value (original)", "Lat"]
    assert cell.records()[1] == ["b.xlsx", "S1", 5, "bad", "Lat", "abc", None, None, "abc"]
    assert str(cell[1].problem()) == "b.xlsx#S1, row 5, column 'Lat': bad (value 'abc')"
    assert len(cell[1:]) == 1 and cell.frame()["row"].tolist() == [2, 5]


@pytest.fixture(scope="module")
def two_registers(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """An XLSX register with numbers in its cells and a CSV register with other columns."""
    folder = tmp_path_factory.mktemp("registers")
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Kamere"
    for row in (["Opština", "Latitude", "Longitude", "Broj kamera"],
                ["Osečina", 44.37, 19.60, 1],
                ["Osečina", "abc", 19.61, 1],
                ["Ukupno", None, None, 2]):
        sheet.append(row)
    book.save(folder / "odgovor.xlsx")
    (folder / "spisak.csv").write_text("Opština,Adresa,=cmd\nValjevo,,\n", "utf-8")
    return folder / "odgovor.xlsx", folder / "spisak.csv"


def test_build_writes_the_rows_of_every_reader(tmp_path: Path,
                                              two_registers: tuple[Path, Path]) -> None:
    xlsx, text = two_registers
    res = run("build", "--cameras", xlsx, "--cameras", text, "--out", tmp_path / "o",
              "--no-png", "--format", "gpkg", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "4 rows/objects, 2 accepted, 2 rejected (see rejected.csv)" in res.stdout
    raw = (tmp_path / "o" / "rejected.csv").read_text("utf-8-sig")
    assert raw.splitlines()[0] == "file,sheet,row,reason,Opština,Latitude,Longitude,Broj kamera"
    rows = rows_of(tmp_path / "o" / "rejected.csv")
    assert [(r["file"], r["sheet"], r["row"]) for r in rows] == [
        ("odgovor.xlsx", "Kamere", "3"), ("odgovor.xlsx", "Kamere", "4")]
    # numbers stay as they were read: 19.61 and 2, never "2.0" from a column with gaps
    assert (rows[0]["Latitude"], rows[0]["Longitude"], rows[0]["Broj kamera"]) == (
        "abc", "19.61", "1")
    assert (rows[1]["Latitude"], rows[1]["Broj kamera"]) == ("", "2")
    layer = pyogrio.read_dataframe(tmp_path / "o" / "camera-map.gpkg", layer="rejected")
    assert layer["row"].tolist() == [3, 4]  # integers, as in the CSV
    assert layer["Latitude"].isna().tolist() == [False, True]  # missing, never "nan"
    assert layer["Latitude"].tolist()[0] == "abc"


def test_strict_names_the_sheet_of_each_rejected_row(tmp_path: Path,
                                                     two_registers: tuple[Path, Path]) -> None:
    xlsx, _ = two_registers
    res = run("build", "--cameras", xlsx, "--strict", "--out", tmp_path / "o", "--no-png",
              cwd=tmp_path)
    assert res.returncode == 4
    assert "2 row(s) rejected and --strict is set" in res.stderr
    assert "  - odgovor.xlsx#Kamere, row 3: latitude 'abc' is not a number" in res.stderr
    assert "  - odgovor.xlsx#Kamere, row 4: looks like a total row" in res.stderr
    assert not (tmp_path / "o").exists()
