"""Fuzzing the readers: random bytes, random CSV dialects, random workbooks within limits.

Properties: a reader either returns or raises :class:`~camera_map.errors.InputError` (a
one-line message), never anything else; what a well-formed file holds comes back cell for
cell (no data lost); every data row is accounted for (accepted + rejected + blank); a stray
quote costs no row. Limits are lowered for the random-bytes cases so that no example can
take long.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
import unicodedata
from pathlib import Path
from xml.sax.saxutils import escape

import hostile_files as hf
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from camera_map import settings as cm_settings
from camera_map.errors import InputError
from camera_map.sources import read_source
from camera_map.sources.foi import read_register
from camera_map.sources.osm import read_osm
from camera_map.sources.tabular import read_table

#: examples per property; CAMERA_MAP_FUZZ_EXAMPLES=1000 for a long run by hand
FUZZ = settings(max_examples=int(os.environ.get("CAMERA_MAP_FUZZ_EXAMPLES", "30")),
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

LETTERS = "abcčćžšđABČĆŽŠĐабвгђжљњћџшЉЊЋЏШ0123456789 .-/'°"
plain = st.text(alphabet=LETTERS, max_size=12)
#: cells a clerk's CSV can hold on one line: quotes, every delimiter, tabs
one_line = st.text(alphabet=LETTERS + '",;|\t', max_size=12)


def _tmp(name: str, data: bytes) -> tuple[tempfile.TemporaryDirectory[str], Path]:
    tmp = tempfile.TemporaryDirectory()
    path = Path(tmp.name) / name
    path.write_bytes(data)
    return tmp, path


def _limits_small() -> dict[str, int]:
    return {"max_rows": 2_000, "max_columns": 200, "max_cells": 100_000,
            "max_line_chars": 100_000, "max_table_bytes": 2_000_000}


class _Lowered:
    """Lower the limits of camera_map.settings for one example (hypothesis and monkeypatch
    fixtures do not mix)."""

    def __init__(self, **values: int) -> None:
        self.values = values
        self.old: dict[str, int] = {}

    def __enter__(self) -> None:
        for k, v in self.values.items():
            self.old[k] = getattr(cm_settings, k)
            setattr(cm_settings, k, v)

    def __exit__(self, *exc: object) -> None:
        for k, v in self.old.items():
            setattr(cm_settings, k, v)


# --- random bytes ---------------------------------------------------------------------------

prefixes = st.sampled_from([b"", b"\xef\xbb\xbf", b"\xff\xfe", b"PK\x03\x04", b"BZh91AY&SY",
                            b"\x1f\x8b\x08", b'{"elements": [', b"<osm>", b'<?xml version="1.0"?>',
                            b"Opstina,Adresa,Latitude,Longitude\n"])


@FUZZ
@given(prefixes, st.binary(max_size=3000), st.sampled_from(["r.csv", "r.xlsx", "r.osm",
                                                              "r.json", "r.ods"]))
# a gzip header over a damaged deflate stream (zlib.error is no OSError): found by fuzzing
@example(b"\x1f\x8b\x08", b"\x00\x00\x00\x00\x00\x00\x00\x06", "r.csv")
def test_random_bytes_give_a_result_or_one_input_error(prefix: bytes, body: bytes,
                                                      name: str) -> None:
    tmp, path = _tmp(name, prefix + body)
    with tmp, _Lowered(**_limits_small()):
        try:
            results = read_source(path)
        except InputError as exc:
            assert str(exc).strip()
            return
        for res in results:
            if res.kind in ("csv", "xlsx", "ods"):
                reg = res.register
                assert reg is not None
                assert len(reg.cameras) + len(reg.rejected) == reg.rows_read


@FUZZ
@given(st.binary(max_size=2000))
def test_random_bytes_in_a_valid_zip_are_an_input_error(body: bytes) -> None:
    buf = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("mimetype", b"application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", body)
        zf.writestr("xl/workbook.xml", body)
    tmp, path = _tmp("r.xlsx", buf.getvalue())
    with tmp, _Lowered(**_limits_small()):
        try:
            read_table(path)
        except InputError as exc:
            assert str(exc).strip()


@FUZZ
@given(st.lists(st.fixed_dictionaries({
    "type": st.sampled_from(["node", "way", "relation", "area", "x", 1]),
    "id": st.one_of(st.integers(-5, 2**65), st.text(max_size=4), st.none()),
    "lat": st.one_of(st.floats(allow_nan=True), st.text(max_size=5), st.none()),
    "lon": st.one_of(st.floats(allow_nan=True), st.text(max_size=5), st.none()),
    "tags": st.one_of(st.just({"man_made": "surveillance"}), st.dictionaries(
        st.text(max_size=5), st.one_of(st.text(max_size=5), st.integers(), st.none()),
        max_size=3), st.text(max_size=5), st.none()),
    "nodes": st.lists(st.one_of(st.integers(), st.text(max_size=3)), max_size=3),
}), max_size=8))
def test_random_overpass_elements_are_kept_or_reported(elements: list[dict[str, object]]) -> None:
    import json

    tmp, path = _tmp("o.json", json.dumps({"elements": elements}).encode())
    with tmp:
        res = read_osm(path)
    # one OSM object may come twice (the answer keeps the latest version)
    cameras = {f"{e['type']}/{e['id']}" for e in elements if e["type"] in ("node", "way",
               "relation") and isinstance(e["tags"], dict)
               and e["tags"].get("man_made") == "surveillance"}
    # every camera object is in the table or named by a problem
    assert len(res.cameras) + len(res.problems) >= len(cameras)
    assert res.cameras.geometry.is_valid.all()
    if len(res.cameras):
        assert res.cameras.geometry.y.between(-90, 90).all()
        assert res.cameras.geometry.x.between(-180, 180).all()


# --- random CSV dialects: nothing lost ------------------------------------------------------

dialects = st.fixed_dictionaries({
    "delimiter": st.sampled_from([",", ";", "\t", "|"]),
    "quoting": st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]),
    "lineterminator": st.sampled_from(["\n", "\r\n", "\r"]),
})
encodings = st.sampled_from(["utf-8", "utf-8-sig", "cp1250", "cp1251", "utf-16"])


def _csv(rows: list[list[str]], dialect: dict[str, object], encoding: str) -> bytes:
    buf = io.StringIO(newline="")
    csv.writer(buf, **dialect).writerows(rows)  # type: ignore[arg-type]
    return buf.getvalue().encode(encoding, errors="replace")


def _expected(rows: list[list[str]], encoding: str) -> list[list[str]]:
    return [[unicodedata.normalize("NFC", c.encode(encoding, errors="replace").decode(encoding))
             for c in row] for row in rows]


@FUZZ
@given(st.lists(st.lists(one_line, min_size=1, max_size=6), min_size=1, max_size=15),
       dialects, encodings)
def test_csv_round_trip_in_any_dialect(rows: list[list[str]], dialect: dict[str, object],
                                       encoding: str) -> None:
    assume(any(c.strip() for r in rows for c in r))  # else: "the file is empty"
    tmp, path = _tmp("r.csv", _csv(rows, dialect, encoding))
    with tmp:
        # the encoding is given: detection on a few random letters is a guess (tested below)
        sheet = read_table(path, delimiter=str(dialect["delimiter"]),
                           encoding=encoding).sheets[0]
    expected = _expected(rows, encoding)
    got = [[str(c) for c in r] for r in sheet.rows]
    # the csv writer writes an empty one-cell row as "" (QUOTE_ALL) or nothing
    assert [r for r in got if r not in ([], [""])] == [r for r in expected if r != [""]]
    assert not sheet.row_problems


@st.composite
def rectangles(draw: st.DrawFn) -> list[list[str]]:
    """Rows of one length, as a spreadsheet program exports them, cells over two lines.

    (Lines end in "\n" or "\r\n": with "\r" the csv module does not quote a cell holding
    "\n", and the file it writes really has one more line.)

    (In a file whose rows differ in length, a cell over two lines and a stray quote can be
    the same bytes: ``_tabular._runs_on`` then takes the reading that gives every row the
    usual length, and reports the row.)
    """
    width = draw(st.integers(2, 6))
    cell = st.one_of(plain, st.builds(lambda a, b: f"{a}\n{b}", plain, plain))
    return draw(st.lists(st.lists(cell, min_size=width, max_size=width), min_size=1,
                         max_size=12))


@FUZZ
@given(rectangles(), dialects.filter(lambda d: d["lineterminator"] != "\r"))
def test_csv_cells_over_several_lines_stay_whole(rows: list[list[str]],
                                                 dialect: dict[str, object]) -> None:
    assume(any(c.strip() for r in rows for c in r))  # else: "the file is empty"
    tmp, path = _tmp("r.csv", _csv(rows, dialect, "utf-8"))
    with tmp:
        sheet = read_table(path, delimiter=str(dialect["delimiter"])).sheets[0]
    assert [[str(c) for c in r] for r in sheet.rows] == _expected(rows, "utf-8")


@FUZZ
@given(st.lists(st.lists(plain, min_size=6, max_size=6), min_size=2, max_size=30),
       st.data(), st.sampled_from([",", ";", "\t"]))
def test_a_stray_quote_costs_no_row(rows: list[list[str]], data: st.DataObject,
                                    delimiter: str) -> None:
    header = hf.HEADER.split(",")
    r = data.draw(st.integers(0, len(rows) - 1))
    c = data.draw(st.integers(0, 5))
    lines = [delimiter.join(header)] + [delimiter.join(row) for row in rows]
    cells = lines[r + 1].split(delimiter)
    cells[c] = '"' + cells[c]
    lines[r + 1] = delimiter.join(cells)
    tmp, path = _tmp("r.csv", ("\n".join(lines) + "\n").encode("utf-8"))
    with tmp:
        res = read_register(path, delimiter=delimiter)
    assert res.rows_read + res.blank_rows == len(rows)
    assert len(res.cameras) + len(res.rejected) == res.rows_read
    assert any(p.row == r + 2 and "quote" in p.message for p in res.problems)


# --- random workbooks within limits ---------------------------------------------------------

values = st.one_of(
    st.text(alphabet=LETTERS, min_size=1, max_size=10).filter(lambda s: s.strip() == s),
    st.integers(-10**9, 10**9),
    # openpyxl writes floats with 16 significant digits: keep to fewer
    st.floats(-1e6, 1e6, allow_nan=False).map(lambda v: round(v, 6)).filter(
        lambda v: not float(v).is_integer()),
    st.none(),
)
grids = st.lists(st.lists(values, max_size=7), min_size=1, max_size=12)


def _trimmed(rows: list[list[object]]) -> list[list[object]]:
    """What a sparse reader gives: rows cut after their last value, none after the last."""
    out = []
    for row in rows:
        row = list(row)
        while row and row[-1] is None:
            row.pop()
        out.append(row)
    while out and not out[-1]:
        out.pop()
    return out


@FUZZ
@given(grids)
def test_xlsx_round_trip(rows: list[list[object]]) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    for r, row in enumerate(rows, 1):
        for c, v in enumerate(row, 1):
            if v is not None:
                ws.cell(r, c, v)
    buf = io.BytesIO()
    wb.save(buf)
    tmp, path = _tmp("r.xlsx", buf.getvalue())
    with tmp:
        got = read_table(path).sheets[0].rows
    assert got == _trimmed(rows)


def _ods_cell(v: object) -> str:
    if v is None:
        return "<table:table-cell/>"
    if isinstance(v, int | float):
        return hf.ods_cell(v)
    return ('<table:table-cell office:value-type="string">'
            f"<text:p>{escape(str(v))}</text:p></table:table-cell>")


@FUZZ
@given(grids, st.integers(1, 3))
def test_ods_round_trip_with_repeats(rows: list[list[object]], repeat: int) -> None:
    body = "".join(
        f'<table:table-row table:number-rows-repeated="{repeat}">'
        + "".join(_ods_cell(v) for v in row)
        + '<table:table-cell table:number-columns-repeated="1000"/></table:table-row>'
        for row in rows)
    body += ('<table:table-row table:number-rows-repeated="1000000">'
             '<table:table-cell table:number-columns-repeated="16384"/></table:table-row>')
    tmp = tempfile.TemporaryDirectory()
    with tmp:
        path = hf.ods(Path(tmp.name) / "r.ods", f'<table:table table:name="S">{body}</table:table>')
        got = read_table(path).sheets[0].rows
    expected = _trimmed([list(row) for row in rows for _ in range(repeat)])
    assert got == expected
