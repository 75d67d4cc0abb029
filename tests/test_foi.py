"""FOI registers: every fixture read as a journalist would, every row accounted for."""

from __future__ import annotations

import csv
import importlib.util
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from pyproj import Transformer
from shapely.geometry import box

from camera_map.errors import InputError, UnknownFormatError
from camera_map.sources.foi import (
    KEPT,
    RegisterResult,
    builtin_aliases,
    check_register,
    load_mapping,
    match_header,
    read_register,
)

FOI = Path(__file__).resolve().parent / "data" / "foi"


@pytest.fixture()
def units() -> gpd.GeoDataFrame:
    """Two adjacent square 'municipalities': Osečina (west) and Valjevo (east)."""
    return gpd.GeoDataFrame(
        {"id": ["70998", "70700"], "name": ["Osečina", "Valjevo"],
         "name_cyr": ["Осечина", "Ваљево"]},
        geometry=[box(19.5, 44.0, 20.0, 44.5), box(20.0, 44.0, 20.5, 44.5)],
        crs="EPSG:4326",
    )


def accounted(res: RegisterResult) -> None:
    assert len(res.cameras) + len(res.rejected) == res.rows_read


def messages(res: RegisterResult) -> list[str]:
    return [str(p) for p in res.problems]


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


# --- the fixtures ---------------------------------------------------------------------------


def test_cyrillic_windows_1251_counts_addresses_total_and_blank_row() -> None:
    res = read_register(FOI / "cyrillic_cp1251.csv")
    accounted(res)
    assert (res.encoding, res.delimiter) == ("cp1251", ",")
    assert res.columns["Општина"] == "municipality"
    assert res.columns["Број камера"] == "count"
    assert res.rows_read == 4 and res.blank_rows == 1
    cams = res.cameras.set_index("source_ref")
    osecina = cams.loc["cyrillic_cp1251.csv#row 2"]
    assert (osecina["municipality"], osecina["count"]) == ("Осечина", 12)
    assert bool(osecina["facial_recognition"]) is True
    assert (osecina["status"], osecina["installed"]) == ("installed", "2021-03-15")
    address = cams.loc["cyrillic_cp1251.csv#row 3"]
    assert address["address"] == "Карађорђева 5" and address["count"] == 1
    assert (address["status"], address["installed"]) == ("contracted", "2022-05")
    assert res.needs_geocoding == 1
    assert res.kinds == {"point": 0, "address": 1, "count": 2}
    assert res.count_cameras == 42
    assert res.rejected["reason"].tolist() == [
        "looks like a total row ('Укупно'): a total is not a camera and would count the "
        "rows above twice"
    ]
    assert res.rejected["row"].tolist() == [6]
    assert res.rejected["Општина"].tolist() == ["Укупно"]


def test_latin_windows_1250_semicolons_decimal_commas(units: gpd.GeoDataFrame) -> None:
    res = read_register(FOI / "latin_cp1250.csv", units=units)
    accounted(res)
    assert (res.encoding, res.delimiter) == ("cp1250", ";")
    cams = res.cameras.set_index("source_ref")
    first = cams.loc["latin_cp1250.csv#row 2"]
    assert (first.geometry.x, first.geometry.y) == (19.75, 44.25)
    assert first["contract_value"] == 1234567.0
    assert first["supplier"] == "Alfa d.o.o."
    assert first["geocode_precision"] == "exact"
    assert '"currency": "RSD"' in first["tags"]
    assert '"Interna šifra": "OS-001"' in first["tags"]
    assert res.columns["Interna šifra"] == KEPT
    dms = cams.loc["latin_cp1250.csv#row 6"]
    assert (round(dms.geometry.x, 6), round(dms.geometry.y, 6)) == (19.75, 44.25)
    assert res.rejected["reason"].tolist() == [
        "latitude 'abc' is not a number: write decimal degrees like 44.123 or DMS like "
        "44°07'23\"N"
    ]
    assert res.rejected.iloc[0]["Lokacija"] == "Školska 2"


def test_swapped_coordinates_fixed_when_the_swap_lands_in_the_stated_municipality(
    units: gpd.GeoDataFrame,
) -> None:
    res = read_register(FOI / "latin_cp1250.csv", units=units)
    swapped = res.cameras.set_index("source_ref").loc["latin_cp1250.csv#row 5"]
    assert (swapped.geometry.x, swapped.geometry.y) == (20.3, 44.2)
    assert ("latin_cp1250.csv, row 5: point 20.300000, 44.200000 (lat, lon) is outside every "
            "unit but with latitude and longitude swapped it is in Valjevo: swapped"
            ) in messages(res)
    fr = [p for p in res.problems if p.column == "Prepoznavanje lica"]
    assert fr[0].message.startswith("facial recognition 'možda' is not understood")
    assert pd.isna(swapped["facial_recognition"])


def test_swap_not_fixed_when_it_lands_in_another_municipality(
    tmp_path: Path, units: gpd.GeoDataFrame
) -> None:
    f = write(tmp_path / "s.csv", "Opština,Latitude,Longitude\n"
                                  "Osečina,20.25,44.3\n"  # swapped lands in Valjevo
                                  ",20.25,44.3\n"  # no municipality: fixed
                                  "Osečina,44.3,20.25\n"  # in Valjevo, not Osečina
                                  "Osečina,10,10\n")  # outside everything
    res = read_register(f, units=units)
    accounted(res)
    pts = [(g.x, g.y) for g in res.cameras.geometry]
    assert pts == [(44.3, 20.25), (20.25, 44.3), (20.25, 44.3), (10.0, 10.0)]
    msgs = messages(res)
    assert ("s.csv, row 2: point 20.250000, 44.300000 (lat, lon) is outside every unit; "
            "swapped it would be in Valjevo, not in the stated municipality 'Osečina': left "
            "as given, check the coordinates") in msgs
    assert any(m.startswith("s.csv, row 3: point 20.250000, 44.300000 (lat, lon) is outside "
                            "every unit but with latitude and longitude swapped") for m in msgs)
    assert ("s.csv, row 4: point 44.300000, 20.250000 (lat, lon) is in Valjevo, not in the "
            "stated municipality 'Osečina': check the coordinates or the municipality") in msgs
    assert ("s.csv, row 5: point 10.000000, 10.000000 (lat, lon) is outside every unit of the "
            "boundary layer: check the coordinates") in msgs


def test_hemisphere_letters_reveal_swapped_columns(tmp_path: Path) -> None:
    f = write(tmp_path / "h.csv", "Lat;Lon\n20°15'E;44°18'N\n")
    res = read_register(f)
    g = res.cameras.geometry.iloc[0]
    assert (round(g.x, 4), round(g.y, 4)) == (20.25, 44.3)
    assert "swapped" in messages(res)[0]


def test_xlsx_title_row_merged_group_header_and_two_sheets() -> None:
    res = read_register(FOI / "two_sheets.xlsx")
    accounted(res)
    assert res.sheets == ["Kamere", "Po opštinama"]
    kamere = res.sheet_info[0]
    assert (kamere.header_row, kamere.header_rows) == (2, 2)
    assert kamere.title == ["Spisak kamera – odgovor na zahtev 123/2024 (izmišljeni podaci)"]
    assert res.columns["Koordinate / Širina"] == "latitude"
    assert res.columns["Koordinate / Dužina"] == "longitude"
    cams = res.cameras.set_index("source_ref")
    row4 = cams.loc["two_sheets.xlsx#Kamere!row 4"]
    assert (row4.geometry.x, row4.geometry.y, row4["installed"]) == (19.75, 44.25, "2021-03-15")
    row5 = cams.loc["two_sheets.xlsx#Kamere!row 5"]
    assert (row5.geometry.x, row5.geometry.y, row5["installed"]) == (20.25, 44.3, "2022")
    assert cams.loc["two_sheets.xlsx#Kamere!row 7", "address"] == "Nepoznata"
    assert res.blank_rows == 1
    counts = cams.loc[["two_sheets.xlsx#Po opštinama!row 4", "two_sheets.xlsx#Po opštinama!row 5"]]
    assert counts["count"].tolist() == [25, 1200]
    assert counts["contract_value"].tolist() == [1500000.0, 150000.0]
    assert ("two_sheets.xlsx: sheet 'Napomene' not read: no recognisable header row (1 filled "
            "rows not read)") in messages(res)


def test_xlsx_one_sheet_by_name_or_index() -> None:
    by_name = read_register(FOI / "two_sheets.xlsx", sheet="Po opštinama")
    by_index = read_register(FOI / "two_sheets.xlsx", sheet=1)
    assert by_name.sheets == by_index.sheets == ["Po opštinama"]
    assert len(by_name.cameras) == 2 and not by_name.problems
    with pytest.raises(InputError, match=re.escape(
        "two_sheets.xlsx: has no sheet 'Kamera'; its sheets are 0: 'Kamere', "
        "1: 'Po opštinama', 2: 'Napomene'; pass --sheet with a name or a 0-based number, or "
        "leave it out to read every sheet")):
        read_register(FOI / "two_sheets.xlsx", sheet="Kamera")
    with pytest.raises(InputError, match="no header row found"):
        read_register(FOI / "two_sheets.xlsx", sheet="Napomene")


def test_ods_title_dms_and_status() -> None:
    res = read_register(FOI / "register.ods")
    accounted(res)
    assert res.kind == "ods" and res.sheet_info[0].header_row == 2
    assert res.sheet_info[0].title == ["Registar video nadzora (izmišljeni podaci)"]
    cams = res.cameras.set_index("source_ref")
    first = cams.loc["register.ods#Registar!row 3"]
    assert (round(first.geometry.x, 6), round(first.geometry.y, 6)) == (19.75, 44.25)
    assert cams["status"].tolist() == ["installed", "planned", "contracted"]
    assert cams.loc["register.ods#Registar!row 5", "count"] == 1


def test_gauss_kruger_round_trip_within_one_metre() -> None:
    spec = importlib.util.spec_from_file_location("make_fixtures", FOI / "make_fixtures.py")
    assert spec and spec.loader
    fixtures = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fixtures)
    GK_POINTS = fixtures.GK_POINTS  # noqa: N806

    res = read_register(FOI / "gauss_kruger.csv", crs="EPSG:31277")
    accounted(res)
    assert len(res.cameras) == 3
    # the file writes Serbian surveyors' Y (easting) and X (northing): reported, then fixed
    assert all("x and y were swapped" in m for m in messages(res))
    back = Transformer.from_crs("EPSG:4326", "EPSG:31277", always_xy=True)
    with (FOI / "gauss_kruger.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    for row, geom, known in zip(rows, res.cameras.geometry, GK_POINTS, strict=True):
        e, n = back.transform(geom.x, geom.y)
        assert abs(e - float(row["Y"])) < 1 and abs(n - float(row["X"])) < 1
        assert abs(geom.x - known[2]) < 1e-5 and abs(geom.y - known[3]) < 1e-5


def test_projected_coordinates_without_crs_are_rejected_naming_likely_crs() -> None:
    res = read_register(FOI / "gauss_kruger.csv")
    accounted(res)
    assert len(res.rejected) == 3 and len(res.cameras) == 0
    assert res.rejected["reason"].iloc[0] == (
        "coordinates 4901374.86, 7400186.03 are projected (metres), not degrees, and no CRS "
        "was given: pass --crs (crs= in Python) with the register's coordinate system, likely "
        "EPSG:31277 (MGI / Balkans zone 7, Serbian Gauss-Krüger)"
    )


def test_utm_34n_easting_northing(tmp_path: Path) -> None:
    t = Transformer.from_crs("EPSG:4326", "EPSG:32634", always_xy=True)
    e, n = t.transform(20.25, 44.3)
    f = write(tmp_path / "utm.csv", f"Adresa,Easting,Northing\nTrg,{e:.2f},{n:.2f}\n")
    res = read_register(f, crs="EPSG:32634")
    g = res.cameras.geometry.iloc[0]
    assert abs(g.x - 20.25) < 1e-5 and abs(g.y - 44.3) < 1e-5
    assert not res.problems


def test_wrong_crs_rejects_rows_and_unknown_crs_raises(tmp_path: Path) -> None:
    f = write(tmp_path / "utm.csv", "Adresa,Easting,Northing\nTrg,460000,4905000\n")
    res = read_register(f, crs="EPSG:31277")
    assert "outside the area where EPSG:31277 is used" in res.rejected["reason"].iloc[0]
    assert "EPSG:32634" in res.rejected["reason"].iloc[0]
    with pytest.raises(InputError, match=r"--crs 'EPSG:99999' is not a coordinate reference"):
        read_register(f, crs="EPSG:99999")


def test_count_rows_municipality_names_and_missing_counts(units: gpd.GeoDataFrame) -> None:
    res = read_register(FOI / "counts.tsv", units=units, document="Odgovor 1/2024")
    accounted(res)
    assert res.delimiter == "\t"
    cams = res.cameras
    assert cams["count"].tolist() == [100, 45, 3]
    assert cams["document"].tolist() == ["Odgovor 07-123/2024", "Odgovor 1/2024",
                                         "Odgovor 1/2024"]
    assert cams.geometry.isna().all()
    assert res.rejected["reason"].tolist() == [
        "the number of cameras is empty: the row names municipality 'Град Ваљево' but no "
        "coordinates, address or number of cameras; fill in the number of cameras, or give "
        "coordinates or an address"
    ]
    assert ("counts.tsv, row 5: municipality 'Nepostojeća' is not a unit of the boundary "
            "layer: check the spelling") in messages(res)


def test_located_row_with_a_count_becomes_one_count_row(
    tmp_path: Path, units: gpd.GeoDataFrame
) -> None:
    f = write(tmp_path / "n.csv", "Adresa,Lat,Lon,Broj kamera\nTrg slobode,44.25,19.75,12\n")
    res = read_register(f, units=units)
    row = res.cameras.iloc[0]
    assert row.geometry is None and row["count"] == 12
    assert row["municipality"] == "Osečina"
    assert row["note"] == "12 cameras listed at 44.250000, 19.750000 (lat, lon)"
    assert res.kinds["count"] == 1 and res.count_cameras == 12


def test_default_municipality_and_rows_without_location(tmp_path: Path) -> None:
    f = write(tmp_path / "d.csv",
              "Proizvođač,Model,Napomena\nDahua,X1,\nHuawei,,ok\n,,samo napomena\n")
    with pytest.raises(InputError, match="no header row found"):
        read_register(write(tmp_path / "u.csv", "a,b\n1,2\n"))
    res = read_register(f, default_municipality="Osečina")
    accounted(res)
    assert res.cameras["municipality"].tolist() == ["Osečina"] * 3
    assert res.cameras["count"].tolist() == [1, 1, 1]
    res = read_register(f)
    assert res.rejected["reason"].tolist() == [
        "no location: give latitude and longitude (or x/y with --crs), an address, or a "
        "municipality with a number of cameras"
    ] * 3


def test_repeated_header_rows_are_rejected_not_read_as_cameras(tmp_path: Path) -> None:
    f = write(tmp_path / "r.csv",
              "Opština,Broj kamera\nOsečina,3\nOpština,Broj kamera\nValjevo,4\n")
    res = read_register(f)
    accounted(res)
    assert res.cameras["count"].tolist() == [3, 4]
    assert res.rejected["reason"].tolist() == ["repeats the header row: not a camera"]


def test_a_reported_zero_is_kept_and_broken_counts_are_rejected(tmp_path: Path) -> None:
    f = write(tmp_path / "z.csv", "Opština,Broj kamera,Adresa\nOsečina,0,\n"
              "Valjevo,dvadeset,\nValjevo,2.5,\nLjig,0,Karađorđeva 1\n")
    res = read_register(f)
    accounted(res)
    # "0 cameras in Osečina" is evidence of none, which is not the same as no data
    assert res.cameras[["municipality", "count"]].values.tolist() == [["Osečina", 0]]
    assert res.rejected["reason"].tolist() == [
        "number of cameras 'dvadeset' is not a whole number: write it like 45",
        "number of cameras '2.5' is not a whole number: write it like 45",
        "the number of cameras is 0 on a row with a location: a reported zero is a count for "
        "a municipality (give the municipality, no location)",
    ]


# --- whole-file errors ----------------------------------------------------------------------


def test_empty_file_error_word_for_word() -> None:
    with pytest.raises(InputError, match=re.escape(
        "empty.csv: the file is empty (0 bytes): expected a register with a header row and "
        "one row per camera or per municipality; check that the export or download finished"
    )):
        read_register(FOI / "empty.csv")


def test_binary_file_error_word_for_word() -> None:
    with pytest.raises(UnknownFormatError, match=re.escape(
        "image.csv: this is not a register (it looks like a PNG image): expected a CSV/TSV "
        "text file, an XLSX or an ODS workbook; open the register in a spreadsheet program "
        "and use 'Save as' → CSV or XLSX"
    )):
        read_register(FOI / "image.csv")


def test_pdf_and_old_xls_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(UnknownFormatError, match=r"looks like a PDF document.*copy the table"):
        read_register(write(tmp_path / "reply.xlsx", "%PDF-1.4 ...", "ascii"))
    xls = tmp_path / "old.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64)
    with pytest.raises(UnknownFormatError, match=r"save it as \.xlsx"):
        read_register(xls)


def test_unknown_headers_error_word_for_word() -> None:
    with pytest.raises(InputError) as err:
        read_register(FOI / "unknown_headers.csv")
    assert str(err.value) == (
        "unknown_headers.csv: no header row found: expected a row with at least two column "
        "names camera-map knows, such as 'Opština', 'Adresa', 'Latitude', 'Longitude', "
        "'Broj kamera'. Row 1 has: 'Naziv ustanove' (closest known: 'naziv opštine' = "
        "municipality); 'Mesto kamere' (closest known: 'vrsta kamere' = camera_type, "
        "'model kamere' = model, 'tip kamere' = camera_type); 'Nešto treće' (nothing close). "
        "Name the columns in a mapping file, one line per column, e.g.\n[columns]\n"
        '"Naziv ustanove" = "address"\nand pass it with --mapping FILE.toml (mapping= in '
        "Python). Columns it can name: municipality, address, latitude, longitude, x, y, "
        "count, manufacturer, model, facial_recognition, status, supplier, contract_value, "
        "installed, document; also counts, source, source_version, source_date, name, "
        "description, "
        "surveillance, surveillance_type, camera_type, mount, direction, height, zone, "
        "operator, facial_recognition_software, scope, as_of, note, coordinates, street, "
        "house_number, settlement, ordinal, ref, or tags"
    )


def test_only_headers_is_not_an_error() -> None:
    res = read_register(FOI / "only_headers.csv")
    assert (res.rows_read, len(res.cameras), len(res.rejected)) == (0, 0, 0)
    assert messages(res) == [
        "only_headers.csv: the file has a header row (row 1) but no data rows: 0 rows read"
    ]


def test_encoding_and_delimiter_overrides(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=re.escape(
        "latin_cp1250.csv: cannot be read as UTF-8: byte 0x9a on line 1 is not valid in it; "
        "leave out --encoding to detect it, or try --encoding=cp1250 (Serbian Latin, "
        "Windows), cp1251 (Serbian Cyrillic, Windows) or utf-8")):
        read_register(FOI / "latin_cp1250.csv", encoding="utf-8")
    with pytest.raises(InputError, match="--encoding 'klingon' is not an encoding"):
        read_register(FOI / "latin_cp1250.csv", encoding="klingon")
    res = read_register(FOI / "latin_cp1250.csv", encoding="windows-1250", delimiter=";")
    assert (res.encoding, res.delimiter) == ("cp1250", ";")
    f = write(tmp_path / "pipe.txt", "Opština|Broj kamera\nOsečina|3\n")
    assert read_register(f, delimiter="pipe").cameras["count"].tolist() == [3]


def test_utf8_bom_and_utf16_text(tmp_path: Path) -> None:
    text = "Општина\tБрој камера\r\nОсечина\t5\r\n"
    bom = read_register(write(tmp_path / "bom.csv", "\ufeff" + text))
    utf16 = read_register(write(tmp_path / "u16.txt", text, "utf-16"))
    assert bom.encoding == "utf-8-sig" and utf16.encoding == "utf-16"
    assert bom.cameras["municipality"].tolist() == utf16.cameras["municipality"].tolist() == [
        "Осечина"]


# --- mapping --------------------------------------------------------------------------------


def test_mapping_file_names_custom_columns() -> None:
    res = read_register(FOI / "custom_headers.csv", mapping=FOI / "mapping.toml")
    accounted(res)
    assert res.columns == {"Grad": "municipality", "Ulica postavljanja": "address",
                           "Firma koja je ugradila": "supplier",
                           "Kamera marke": "manufacturer", "Kom.": "count"}
    assert res.cameras["manufacturer"].tolist() == ["Dahua", "Hikvision"]
    assert res.cameras["count"].tolist() == [1, 7]
    same = read_register(FOI / "custom_headers.csv", mapping={"kamera MARKE": "manufacturer",
                                                               "Kom.": "count"})
    assert same.cameras["manufacturer"].tolist() == ["Dahua", "Hikvision"]


def test_mapping_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=re.escape(
        "mapping: column 'X' is mapped to 'manufacturerr', which is not a column camera-map "
        "knows; did you mean 'manufacturer'? use one of")):
        load_mapping({"X": "manufacturerr"})
    bad = write(tmp_path / "m.toml", "columns = 3\n")
    with pytest.raises(InputError, match=re.escape("m.toml: has no [columns] table")):
        load_mapping(bad)
    with pytest.raises(InputError, match="is not a valid TOML mapping file"):
        load_mapping(write(tmp_path / "b.toml", "[columns\n"))


def test_mapping_tags_keeps_a_column_that_an_alias_would_map(tmp_path: Path) -> None:
    f = write(tmp_path / "t.csv", "Opština,Broj kamera,Status\nOsečina,3,interni kod 7\n")
    res = read_register(f, mapping={"Status": "tags"})
    assert res.columns["Status"] == KEPT
    assert res.cameras["tags"].iloc[0] == '{"Status": "interni kod 7"}'
    assert not res.problems


def test_aliases_cover_both_scripts_and_diacritics() -> None:
    aliases = builtin_aliases()
    assert len(aliases) > 150
    for header, target in [("Opština", "municipality"), ("OPSTINA", "municipality"),
                           ("Општина", "municipality"), ("Broj kamera (kom)", "count"),
                           ("Vrednost ugovora u RSD sa PDV", "contract_value"),
                           ("Proizvodjac", "manufacturer"), ("Произвођач", "manufacturer"),
                           ("Географска ширина", "latitude"), ("Lng", "longitude"),
                           ("Препознавање лица (да/не)", "facial_recognition"),
                           ("Добављач", "supplier"), ("Напомена", "note"),
                           ("Датум", "installed"), ("Документ", "document"),
                           ("Тип", "camera_type"), ("Redni broj", "ordinal")]:
        assert match_header(header) == target, header
    assert match_header("Boja fasade") is None


def test_unknown_columns_kept_in_tags_with_original_header(tmp_path: Path) -> None:
    f = write(tmp_path / "k.csv",
              "Opština;Broj kamera;Boja stuba;Boja stuba\nOsečina;2;siva;crna\n")
    res = read_register(f)
    assert res.columns == {"Opština": "municipality", "Broj kamera": "count",
                           "Boja stuba": KEPT, "Boja stuba (column 4)": KEPT}
    assert res.cameras["tags"].iloc[0] == '{"Boja stuba": "siva", "Boja stuba (column 4)": "crna"}'


# --- reports --------------------------------------------------------------------------------


def test_check_report_text_and_ok_flag(units: gpd.GeoDataFrame) -> None:
    report = check_register(FOI / "latin_cp1250.csv", units=units)
    text = report.format()
    assert not report.ok
    assert text.splitlines()[0] == ("latin_cp1250.csv: CSV text, encoding Windows-1250, "
                                    "delimiter semicolon")
    assert "    'Interna šifra' → kept in tags" in text
    assert "Rows read: 5 (accepted 4, rejected 1); blank rows skipped: 0" in text
    assert ("Accepted: 4 located cameras, 0 addresses (needs geocoding: 0), 0 count rows with "
            "0 cameras; 4 cameras in all") in text
    assert ("  latin_cp1250.csv, row 4: latitude 'abc' is not a number: write decimal degrees "
            "like 44.123 or DMS like 44°07'23\"N") in text
    assert text.endswith("NOT OK: 1 row(s) rejected")
    good = check_register(FOI / "two_sheets.xlsx")
    assert good.ok
    assert "  sheet 'Kamere': header in rows 2-3; 3 rows read, 1 blank" in good.format()
    assert "  sheet 'Napomene': not read: no recognisable header row" in good.format()


def test_vertically_merged_municipality_applies_to_every_row(tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Lista"
    ws.append(["Opština", "Adresa", "Broj kamera"])
    ws.append(["Osečina", "Trg slobode", 4])
    ws.append([None, "Školska 2", None])
    ws.append([None, "Put bb", None])
    ws.merge_cells("A2:A4")
    ws.append(["Valjevo", "Pijaca", None])
    ws.append([None, "Glavna 1", None])
    ws.merge_cells("A5:A6")
    ws.merge_cells("C2:C4")  # one number for three addresses: counted once, on row 2
    wb.save(tmp_path / "m.xlsx")
    res = read_register(tmp_path / "m.xlsx")
    accounted(res)
    assert res.cameras["municipality"].tolist() == ["Osečina", "Valjevo", "Valjevo"]
    assert res.cameras["count"].tolist() == [4, 1, 1]
    assert res.total_cameras == 6
    assert res.rejected["reason"].tolist() == [
        "part of the merged 'Broj kamera' cell of rows 2-4 (4 cameras, counted once on row 2): "
        "give each row its own number of cameras to keep this row"
    ] * 2


def test_one_coordinates_column_and_degrees_in_x_y(tmp_path: Path) -> None:
    f = write(tmp_path / "c.csv", 'Adresa;Koordinate\nTrg;"44,25, 19,75"\nPut;44°18\'N 20°15\'E\n')
    res = read_register(f)
    assert [(g.x, g.y) for g in res.cameras.geometry] == [(19.75, 44.25), (20.25, 44.3)]
    f = write(tmp_path / "xy.csv", "Adresa,X,Y\nTrg,19.75,44.25\n")
    g = read_register(f).cameras.geometry.iloc[0]
    assert (g.x, g.y) == (19.75, 44.25)


def test_half_a_coordinate_pair_is_rejected(tmp_path: Path) -> None:
    f = write(tmp_path / "half.csv", "Adresa,Lat,Lon\nTrg,44.25,\n")
    res = read_register(f)
    assert res.rejected["reason"].tolist() == [
        "latitude is given but longitude is empty: give both, or neither and an address"
    ]
