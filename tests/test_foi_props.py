"""Property tests: messy registers never crash the reader and every row is accounted for."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import geopandas as gpd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from camera_map.sources.foi import read_register
from camera_map.sources.tabular import decode_bytes

HEADER = ["R.br.", "Opština", "Adresa", "Latitude", "Longitude", "Broj kamera",
          "Prepoznavanje lica", "Status", "Datum", "Vrednost ugovora", "Nešto"]
UNITS = gpd.GeoDataFrame(
    {"id": ["70998", "70700"], "name": ["Osečina", "Valjevo"], "name_cyr": ["Осечина", "Ваљево"]},
    geometry=[box(19.5, 44.0, 20.0, 44.5), box(20.0, 44.0, 20.5, 44.5)], crs="EPSG:4326",
)

LETTERS = "abcdefghijklmnoprstuvzčćžšđČĆŽŠĐабвгдђежзијклљмнњопрстћуфхцчџшОСВ"
numbers = st.one_of(
    st.floats(-200, 200, allow_nan=False).map(lambda v: f"{v:.5f}".replace(".", ",")),
    st.floats(-200, 200, allow_nan=False).map(lambda v: f"{v:.4f}"),
    st.integers(-5, 100_000).map(str),
    st.integers(0, 10**9).map(lambda v: f"{v:,}".replace(",", ".") + ",00 RSD"),
    st.floats(19.5, 20.5).map(lambda v: f"{int(v)}°{int(v * 60 % 60)}'{v * 3600 % 60:.1f}\"E"),
)
cells = st.one_of(
    st.just(""), st.just(" "),
    st.text(alphabet=LETTERS + " -/.,;'\"°\t0123456789", max_size=15),
    numbers,
    st.sampled_from(["Osečina", "Осечина", "Valjevo", "Ukupno", "da", "ne", "FR", "x",
                     "instalirano", "планирано", "15.03.2021.", "05.2021", "Opština", "Adresa",
                     "44,25", "19,75", "7457291,66", "4962972,43"]),
)
rows = st.lists(st.lists(cells, min_size=0, max_size=len(HEADER) + 2), max_size=25)


def _file(rows: list[list[str]], delimiter: str, encoding: str) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buf.getvalue().encode(encoding, errors="replace")


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows, st.sampled_from([",", ";", "\t"]),
       st.sampled_from(["utf-8", "utf-8-sig", "cp1250", "cp1251"]), st.booleans())
def test_messy_rows_every_row_accounted_for(
    data: list[list[str]], delimiter: str, encoding: str, with_units: bool
) -> None:
    raw = _file(data, delimiter, encoding)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "register.csv"
        path.write_bytes(raw)
        res = read_register(path, units=UNITS if with_units else None)
    text, _ = decode_bytes(raw, name="x")
    in_file = len(list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""),
                                  delimiter=delimiter))) - res.sheet_info[0].header_rows
    assert len(res.cameras) + len(res.rejected) + res.blank_rows == in_file
    assert len(res.cameras) + len(res.rejected) == res.rows_read
    assert res.delimiter == delimiter
    assert res.cameras["source_ref"].is_unique
    assert (res.cameras["count"] >= 0).all()
    # a reported zero is a count for a municipality, never a located camera
    located = res.cameras.geometry.notna() & ~res.cameras.geometry.is_empty
    assert (res.cameras.loc[located, "count"] == 1).all()
    assert res.rejected["reason"].map(bool).all()


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(cells, min_size=1, max_size=6), max_size=12))
def test_messy_workbooks_every_row_accounted_for(data: list[list[str]]) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Spisak (izmišljeno)"])
    ws.append(HEADER)
    for row in data:
        ws.append([float(c) if c.replace(".", "", 1).isdigit() else c for c in row])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "register.xlsx"
        wb.save(path)
        res = read_register(path)
    # rows after the last filled cell hold nothing and are not read (a workbook's declared
    # size is never trusted: one styled cell at XFD1048576 would make a million rows)
    filled = len(data)
    while filled and all(c == "" for c in data[filled - 1]):
        filled -= 1
    rows_below = filled - (res.sheet_info[0].header_rows - 1)
    assert len(res.cameras) + len(res.rejected) + res.blank_rows == rows_below


_LAT = st.decimals(min_value=-89, max_value=89, places=6).map(str)
_LON = st.decimals(min_value=-179, max_value=179, places=6).map(str)


@given(lat=_LAT, lon=_LON, form=st.sampled_from([
    "{lat}, {lon}", "({lat}, {lon})", "POINT ({lon} {lat})", "geo:{lat},{lon}",
    "https://www.openstreetmap.org/#map=18/{lat}/{lon}",
    "https://www.google.com/maps/@{lat},{lon},17z", "https://maps.google.com/?q={lat},{lon}"]))
def test_every_combined_notation_gives_back_the_pair(lat: str, lon: str, form: str) -> None:
    from camera_map.sources.coords import parse_pair

    assert parse_pair(form.format(lat=lat, lon=lon)) == (float(lat), float(lon))


@given(value=st.decimals(min_value=10, max_value=89, places=7))
def test_a_lost_decimal_point_has_the_true_value_among_its_placements(value: object) -> None:
    from camera_map.sources.coords import damaged_digits, decimal_placements

    text = f"{value:.7f}".rstrip("0")
    whole, frac = text.split(".")
    digits = (whole + frac).lstrip("0")
    grouped = f"{int(digits):,}".replace(",", ".")  # what a locale round-trip writes
    found = damaged_digits(grouped)
    if found is None:  # too short to be damaged (e.g. 12.5 → "125")
        return
    assert float(text) in decimal_placements(*found, axis="lat")
