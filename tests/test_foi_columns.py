"""The column-wise reading of a clean register gives what reading it row by row gives.

``read_register(..., columnar=False)`` reads every row on the careful path; the default
reads a clean CSV a column at a time and sends only the rows that need it to the careful
path. Both must give the same cameras, rejected rows, problems, counts and originals.
"""

from __future__ import annotations

import contextlib
import csv
import io
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from camera_map.errors import InputError
from camera_map.sources import foi_columns
from camera_map.sources.foi import RegisterResult, read_register

DATA = Path(__file__).parent / "data" / "foi"
UNITS = gpd.GeoDataFrame(
    {"id": ["70998", "70700"], "name": ["Osečina", "Valjevo"], "name_cyr": ["Осечина", "Ваљево"]},
    geometry=[box(19.5, 44.0, 20.0, 44.5), box(20.0, 44.0, 20.5, 44.5)], crs="EPSG:4326",
)
HEADER = ["R.br.", "ID kamere", "Opština", "Adresa", "Latitude", "Longitude", "Proizvođač",
          "Status", "Datum postavljanja", "Prepoznavanje lica", "Napomena", "Nešto"]


def same(path: Path, **options: Any) -> RegisterResult:
    """Read ``path`` both ways, assert that everything agrees, return the column-wise result."""
    try:
        careful = read_register(path, columnar=False, **options)
    except InputError as exc:
        with pytest.raises(type(exc)) as again:
            read_register(path, **options)
        assert str(again.value) == str(exc)
        raise
    fast = read_register(path, **options)
    assert fast.cameras.equals(careful.cameras)
    assert list(fast.cameras.dtypes) == list(careful.cameras.dtypes)
    assert fast.rejected_rows == careful.rejected_rows
    assert fast.problems == careful.problems
    assert list(fast.originals) == list(careful.originals)
    assert [vars(i) for i in fast.sheet_info] == [vars(i) for i in careful.sheet_info]
    for name in ("rows_read", "blank_rows", "needs_geocoding", "columns", "kinds",
                 "count_cameras", "unplaced_rows", "municipality_from", "encoding",
                 "delimiter"):
        assert getattr(fast, name) == getattr(careful, name), name
    return fast


@pytest.fixture
def column_wise(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of rows each column-wise reading accepted (to show the path was taken)."""
    counts: list[int] = []
    real = foi_columns.read_columns

    def spy(*args: Any, **kwargs: Any) -> Any:
        done = real(*args, **kwargs)
        counts.append(-1 if done is None else done[0])
        return done

    monkeypatch.setattr(foi_columns, "read_columns", spy)
    return counts


@pytest.mark.parametrize("path", sorted(p for p in DATA.iterdir()
                                        if p.suffix in (".csv", ".tsv", ".xlsx", ".ods")),
                         ids=lambda p: p.name)
@pytest.mark.parametrize("units", [None, UNITS], ids=["no-units", "units"])
def test_fixtures_read_the_same_both_ways(path: Path, units: gpd.GeoDataFrame | None) -> None:
    with contextlib.suppress(InputError):  # the same error both ways (checked in same())
        same(path, units=units)


def _write(rows: list[list[str]], tmp: Path, *, delimiter: str = ",",
           encoding: str = "utf-8", header: list[str] = HEADER) -> Path:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path = tmp / "register.csv"
    path.write_bytes(buf.getvalue().encode(encoding, errors="replace"))
    return path


def _clean_rows(n: int) -> list[list[str]]:
    rows = []
    for i in range(n):
        lat, lon = 44.0 + (i * 37 % 500) / 1000, 19.5 + (i * 53 % 1000) / 1000
        rows.append([str(i + 1), f"CAM-{i:05d}", ("Osečina", "Valjevo", "Осечина")[i % 3],
                     f"Kralja Petra {i % 40 + 1}, Valjevo", f"{lat:.6f}", f"{lon:.6f}",
                     ("Dahua", "Huawei")[i % 2], ("instalirano", "planirano")[i % 2],
                     f"{1 + i % 28:02d}.{1 + i % 12:02d}.2021", ("da", "ne", "")[i % 3],
                     "", ""])
    return rows


def test_a_clean_register_is_read_column_wise(tmp_path: Path, column_wise: list[int]) -> None:
    rows = _clean_rows(300)
    rows[10][4], rows[11][5] = "44,1234", "19°45'30\"E"  # decimal comma; DMS: careful
    rows[12][4], rows[12][5] = rows[12][5], rows[12][4]  # swapped: fixed on the careful path
    rows[13][4] = ""  # a longitude without latitude: rejected
    rows[14][1] = rows[15][1]  # the same camera id twice
    rows[16] = HEADER  # a header repeated below
    rows[17][7] = "negde"  # a status not understood: reported
    rows[18][2] = "Nepoznata Opština"  # not a unit
    rows[19][4], rows[19][5] = "45.5", "21.5"  # outside every unit
    rows.insert(20, [])  # an empty line
    rows.insert(21, ["22", "CAM-X"])  # a short row
    res = same(_write(rows, tmp_path), units=UNITS)
    assert column_wise and column_wise[-1] > 250  # most rows read column-wise
    assert len(res.rejected) == 4  # missing latitude, repeated header, same id, short row
    assert res.blank_rows == 1
    assert {p.code for p in res.problems} >= {"outside", "elsewhere", "unknown-unit"}


def test_the_register_options_apply_alike(tmp_path: Path, column_wise: list[int]) -> None:
    rows = _clean_rows(60)
    for row in rows[::4]:
        row[2] = ""  # no municipality: the default applies
    path = _write(rows, tmp_path, delimiter=";", encoding="cp1250")
    res = same(path, units=UNITS, default_municipality="Valjevo", document="Odgovor 1/2024")
    assert column_wise[-1] > 0
    assert res.encoding == "cp1250"
    assert (res.cameras["document"] == "Odgovor 1/2024").all()
    same(path, units=None, default_municipality="Osečina")


def test_a_title_row_names_the_municipality(tmp_path: Path) -> None:
    rows = _clean_rows(20)
    for row in rows:
        row[2] = ""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["Registar kamera Opština Osečina"])
    writer.writerow([])
    writer.writerow(HEADER)
    writer.writerows(rows)
    path = tmp_path / "titled.csv"
    path.write_text(buf.getvalue(), "utf-8")
    res = same(path, units=UNITS)
    assert res.municipality_from == "Osečina"


def test_columns_the_fast_path_does_not_read_send_the_sheet_to_the_careful_path(
        tmp_path: Path, column_wise: list[int]) -> None:
    header = [*HEADER[:-1], "Broj kamera"]
    rows = [[*row[:-1], "1"] for row in _clean_rows(30)]
    same(_write(rows, tmp_path, header=header), units=UNITS)
    assert column_wise == [-1]


# --- generated registers ----------------------------------------------------------------------

degrees = st.one_of(
    st.floats(43.9, 44.6).map(lambda v: f"{v:.6f}"),
    st.floats(19.4, 20.6).map(lambda v: f"{v:.5f}"),
    st.sampled_from(["20", "20.0", "44.5", "-0.0", "44,25", "19,75", "200.5", "95", "091.1",
                     "44.2N", "19°45'30\"E", " 44.2", "44.2 ", "461.993.881", "", " ", "x"]),
)
text_cells = st.one_of(
    st.just(""), st.just(" "),
    st.text(alphabet="abcčćđšžABCЉљЖжй \t\"'\\;,.-/0123456789\u00a0\x01", max_size=12),
    st.sampled_from(["Osečina", "Осечина", "OSECINA", "Valjevo", "Beograd", "Ukupno", "Adresa",
                     "Opština", "opstina ", "Latitude", "da", "ne", "FR", "instalirano",
                     "планирано", "u funkciji", "negde", "15.03.2021.", "05.2021", "2021",
                     "CAM-1", "CAM-2", "-", "/", "n/a"]),
)


@st.composite
def registers(draw: st.DrawFn) -> list[list[str]]:
    rows: list[list[str]] = []
    for _ in range(draw(st.integers(0, 30))):
        kind = draw(st.sampled_from(["clean", "clean", "clean", "messy", "header", "short"]))
        if kind == "header":
            rows.append(list(HEADER))
        elif kind == "short":
            rows.append(draw(st.lists(text_cells, max_size=len(HEADER) + 2)))
        else:
            row = _clean_rows(draw(st.integers(1, 50)))[-1]
            row[1] = draw(st.sampled_from(["", "CAM-1", "CAM-2", row[1], row[1]]))
            row[4] = draw(degrees) if kind == "messy" else row[4]
            row[5] = draw(degrees) if kind == "messy" else row[5]
            for col in draw(st.sets(st.integers(0, len(HEADER) - 1), max_size=3)):
                if kind == "messy" or col not in (4, 5):
                    row[col] = draw(text_cells)
            rows.append(row)
    return rows


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(registers(), st.sampled_from([",", ";", "\t"]), st.booleans(),
       st.sampled_from([None, "Valjevo", "Nigde"]))
def test_generated_registers_read_the_same_both_ways(
        tmp_path: Path, data: list[list[str]], delimiter: str, with_units: bool,
        municipality: str | None) -> None:
    path = _write(data, tmp_path, delimiter=delimiter)
    with contextlib.suppress(InputError):  # the same error both ways (checked in same())
        same(path, units=UNITS if with_units else None, default_municipality=municipality)


# --- the table: Arrow's split and the csv module's agree, or Arrow is not used --------------

raw_cells = st.text(alphabet='ab čЖ,;"\t\r\n\u00a0', max_size=6)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(raw_cells, max_size=5), max_size=8), st.sampled_from([",", ";", "\t"]),
       st.booleans(), st.sampled_from(["\n", "\r\n"]))
def test_column_rows_are_the_rows_the_csv_module_reads(
        data: list[list[str]], delimiter: str, quoted: bool, end: str) -> None:
    """Written by the csv module (quoted) or joined raw (stray quotes, line ends in cells)."""
    from camera_map.errors import LimitError
    from camera_map.sources.tabular import read_text_table

    if quoted:
        buf = io.StringIO()
        csv.writer(buf, delimiter=delimiter, lineterminator=end).writerows(
            [["Adresa", "Latitude"], *data])
        text = buf.getvalue()
    else:
        text = end.join(delimiter.join(row) for row in [["Adresa", "Latitude"], *data]) + end
    raw = text.encode("utf-8")
    path = Path("register.csv")
    try:
        careful = read_text_table(path, raw, encoding=None, delimiter=None)
    except (InputError, LimitError) as exc:
        with pytest.raises(type(exc)):
            read_text_table(path, raw, encoding=None, delimiter=None, columnar=True)
        return
    fast = read_text_table(path, raw, encoding=None, delimiter=None, columnar=True)
    assert [list(r) for r in fast.sheets[0].rows] == [list(r) for r in careful.sheets[0].rows]
    assert fast.sheets[0].row_problems == careful.sheets[0].row_problems
    assert (fast.delimiter, fast.encoding, fast.problems) == (
        careful.delimiter, careful.encoding, careful.problems)
