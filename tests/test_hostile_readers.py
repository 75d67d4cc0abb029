"""Hostile input for the readers: bombs, stray quotes, mixed encodings, malformed OSM data.

Each case is a file the test makes (``hostile_files.py``). Limits are lowered with
``monkeypatch`` where the real default would need a big file; the full-size bombs are
measured (time and memory) by ``benchmarks/hostile.py``, not here: no timing assertions.
"""

from __future__ import annotations

from pathlib import Path

import hostile_files as hf
import pytest

from camera_map import settings
from camera_map.errors import InputError, LimitError, UnknownFormatError
from camera_map.sources.foi import read_register
from camera_map.sources.osm import read_osm
from camera_map.sources.tabular import read_table

# --- CSV ------------------------------------------------------------------------------------


def test_stray_quote_swallows_no_row(tmp_path: Path) -> None:
    res = read_register(hf.csv_stray_quote(tmp_path / "stray.csv", rows=100, at=3))
    assert res.rows_read == 100
    assert len(res.cameras) + len(res.rejected) == 100
    stray = [p for p in res.problems if "quote" in p.message]
    assert len(stray) == 1 and stray[0].row == 4  # header is row 1, data row 3 is row 4
    assert "lines 5-101 would have become part of that cell" in stray[0].message
    assert sorted(res.cameras["address"])[:2] == ['"Trg slobode 3', "Trg slobode 1"]


def test_stray_quote_closed_by_a_later_quote(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(f'{hf.HEADER}\n1,Osečina,"Trg 1,44.21,19.71,1\n2,Osečina,Trg 2,44.22,19.72,1\n'
                    '3,Osečina,Trg 3",44.23,19.73,1\n4,Osečina,"Trg, 4",44.24,19.74,1\n',
                    encoding="utf-8")
    res = read_register(path)
    assert res.rows_read == 4
    assert sorted(res.cameras["address"]) == ['"Trg 1', 'Trg 2', 'Trg 3"', "Trg, 4"]
    assert [p.row for p in res.problems if "quote" in p.message] == [2]


def test_multiline_cell_is_not_a_stray_quote(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(f'{hf.HEADER},Napomena\n1,Osečina,Trg 1,44.21,19.71,1,"ulaz, levo\n'
                    'drugi red, desno"\n2,Osečina,Trg 2,44.22,19.72,1,\n', encoding="utf-8")
    res = read_register(path)
    assert res.rows_read == 2 and len(res.cameras) == 2
    assert not [p for p in res.problems if "quote" in p.message]


def test_misplaced_quote_within_a_line_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(f'{hf.HEADER}\n1,Osečina,"Trg" 1,44.21,19.71,1\n'
                    "2,Osečina,Trg 2,44.22,19.72,1\n", encoding="utf-8")
    res = read_register(path)
    assert res.rows_read == 2
    assert [p.row for p in res.problems if "out of place" in p.message] == [2]


def test_mixed_encodings_are_read_row_by_row_and_named(tmp_path: Path) -> None:
    res = read_register(hf.csv_mixed_encoding(tmp_path / "mixed.csv", legacy_rows=(3, 5)))
    assert res.rows_read == 6
    assert set(res.cameras["address"]) == {f"Čačanska {i}" for i in range(1, 7)}
    mixed = [p.message for p in res.problems if "mixes two text encodings" in p.message]
    assert mixed and "row(s) 4, 6 are Windows-1250, the other rows UTF-8" in mixed[0]


def test_one_line_csv_is_refused_by_the_line_limit(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "max_line_chars", 10_000)
    path = hf.csv_one_line(tmp_path / "one.csv", size=50_000)
    with pytest.raises(LimitError, match=r"one\.csv: line 1 \(50,000 characters\) is more "
                       r"than camera-map reads \(10,000 characters, settings\.max_line_chars\)"):
        read_table(path)


def test_long_cell_and_too_many_columns_and_rows(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(LimitError, match=r"a cell on line 2 .*max_cell_chars"):
        read_table(hf.csv_letter_run(tmp_path / "l.csv", letters=40_000))
    monkeypatch.setattr(settings, "max_columns", 5)
    with pytest.raises(LimitError, match=r"line 1 \(6 columns\).*max_columns"):
        read_table(hf.csv_stray_quote(tmp_path / "s.csv", rows=3))
    monkeypatch.setattr(settings, "max_columns", 50)
    monkeypatch.setattr(settings, "max_rows", 10)
    with pytest.raises(LimitError, match=r"the number of rows \(more than 10\).*max_rows"):
        read_table(hf.csv_stray_quote(tmp_path / "s.csv", rows=30))
    monkeypatch.setattr(settings, "max_table_bytes", 100)
    with pytest.raises(LimitError, match=r"the file's size .* bytes.*CAMERA_MAP_MAX_TABLE_BYTES"):
        read_table(hf.csv_stray_quote(tmp_path / "s.csv", rows=30))


def test_encoding_detection_of_a_long_letter_run(tmp_path: Path) -> None:
    # the quadratic regex took 33 s on this; it must now decode (cell limit raised for it)
    from camera_map.sources.tabular import decode_bytes

    raw = hf.csv_letter_run(tmp_path / "l.csv", letters=400_000).read_bytes()
    text, codec = decode_bytes(raw, name="l.csv")
    assert codec == "cp1250" and "Osečina" in text


# --- workbooks ------------------------------------------------------------------------------


def test_ods_repeat_bomb_is_refused_before_expanding(tmp_path: Path) -> None:
    path = hf.ods_repeat_bomb(tmp_path / "bomb.ods")
    assert path.stat().st_size < 1000
    with pytest.raises(LimitError, match=r"bomb\.ods: sheet 'Bomba', cell XFD2 holds a value: "
                       r"its column \(16,384\) is more than camera-map reads \(1,000 columns"):
        read_table(path)


def test_ods_repeated_rows_are_counted_against_the_cell_limit(tmp_path: Path) -> None:
    path = hf.ods_repeat_bomb(tmp_path / "bomb.ods", columns=500, rows=1_000_000)
    with pytest.raises(LimitError, match=r"filled cells .* \(more than 20,000,000\).*max_cells"):
        read_table(path)


def test_ods_empty_repeats_cost_nothing_and_keep_positions(tmp_path: Path) -> None:
    table = (
        '<table:table table:name="R">' + hf.ods_rows([["Opština", "Broj kamera"]])
        + '<table:table-row table:number-rows-repeated="2">'
        '<table:table-cell table:number-columns-repeated="16384"/></table:table-row>'
        "<table:table-row>" + hf.ods_cell("Osečina")
        + '<table:table-cell table:number-columns-repeated="3"/>' + hf.ods_cell(7)
        + '<table:table-cell table:number-columns-repeated="16000"/></table:table-row>'
        '<table:table-row table:number-rows-repeated="1048000">'
        '<table:table-cell table:number-columns-repeated="16384"/></table:table-row>'
        "</table:table>"
    )
    rows = read_table(hf.ods(tmp_path / "pad.ods", table)).sheets[0].rows
    assert rows == [["Opština", "Broj kamera"], [], [], ["Osečina", None, None, None, 7]]


def test_ods_malformed_numbers_are_row_problems(tmp_path: Path) -> None:
    res = read_register(hf.ods_bad_number(tmp_path / "bad.ods", raw="12,5abc"))
    assert res.rows_read == 2 and len(res.cameras) == 1
    assert res.rejected.loc[0, "row"] == 3
    assert "'12,5abc' is not a whole number" in res.rejected.loc[0, "reason"]


def test_ods_damaged_repeat_attribute_is_one_clear_error(tmp_path: Path) -> None:
    table = ('<table:table table:name="R"><table:table-row table:number-rows-repeated="-5">'
             + hf.ods_cell("x") + "</table:table-row></table:table>")
    with pytest.raises(UnknownFormatError, match=r"damaged ODS workbook \(table:number-rows-"
                       r"repeated='-5' is not a positive whole number\)"):
        read_table(hf.ods(tmp_path / "d.ods", table))


def test_xlsx_far_empty_cell_is_ignored(tmp_path: Path) -> None:
    res = read_register(hf.xlsx_far_cell(tmp_path / "far.xlsx"))
    assert res.rows_read == 2 and res.total_cameras == 112


def test_xlsx_far_value_is_refused_with_its_reference(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(LimitError, match=r"far\.xlsx: sheet 'Kamere', cell XFD1048576 holds a "
                       r"value: its column \(16,384\)"):
        read_table(hf.xlsx_far_cell(tmp_path / "far.xlsx", value="x"))
    monkeypatch.setattr(settings, "max_rows", 1000)
    with pytest.raises(LimitError, match=r"cell A1048576 holds a value: its row number "
                       r"\(1,048,576\) is more than camera-map reads \(1,000 rows"):
        read_table(hf.xlsx_far_cell(tmp_path / "far.xlsx", value="x", ref="A1048576"))


def test_xlsx_whole_sheet_merge_costs_nothing(tmp_path: Path) -> None:
    path = hf.xlsx_merge(tmp_path / "m.xlsx", [["Opština", "Broj kamera"], ["Osečina", 100]],
                         "C1:XFD1048576")
    assert read_table(path).sheets[0].rows == [["Opština", "Broj kamera"], ["Osečina", 100]]


def test_workbook_zip_bomb_is_refused_from_declared_sizes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "max_table_bytes", 2_000_000)
    path = hf.zip_bomb_xlsx(tmp_path / "zb.xlsx", padding=3_000_000)
    assert path.stat().st_size < 100_000
    with pytest.raises(LimitError, match=r"zb\.xlsx: the decompressed size of its contents "
                       r"\(3,0\d\d,\d{3} bytes\) is more than .*'zip bomb'"):
        read_table(path)


# --- OpenStreetMap and JSON -----------------------------------------------------------------


@pytest.mark.parametrize("bad", ["nan", "inf", "-inf", "NaN"])
def test_osm_xml_unreadable_coordinate_is_one_clear_error(tmp_path: Path, bad: str) -> None:
    path = hf.osm_xml(tmp_path / "c.osm", [{"id": "1", "lat": bad, "lon": "19.7"},
                                           {"id": "2", "lat": "44.2", "lon": "19.7"}])
    with pytest.raises(InputError, match=r"c\.osm: a node's position cannot be read .*"
                       r"correct or delete the node"):
        read_osm(path)


def test_osm_xml_positions_off_the_earth_are_left_out_and_named(tmp_path: Path) -> None:
    path = hf.osm_xml(tmp_path / "c.osm", [{"id": "1", "lat": "95", "lon": "19.7"},
                                           {"id": "2", "lat": "44.2", "lon": "190"},
                                           {"id": "3", "lat": "44.2", "lon": "19.7"}])
    res = read_osm(path)
    assert list(res.cameras["source_ref"]) == ["node/3"]
    assert res.messages() == [
        "c.osm: node/1: has no valid position (95.0, 19.7 is not lat, lon) and was left out",
        "c.osm: node/2: has no valid position (44.2, 190.0 is not lat, lon) and was left out",
    ]


def test_overpass_json_bad_elements_are_skipped_the_rest_kept(tmp_path: Path) -> None:
    path = hf.overpass_json(tmp_path / "o.json", [
        hf.camera_node(1),
        {"type": "node", "id": "abc", "lat": 1, "lon": 2, "tags": {"man_made": "surveillance"}},
        {"type": "node", "id": 3, "lat": 1, "lon": 2, "tags": "man_made=surveillance"},
        hf.camera_node(2**70),
        hf.camera_node(5, lat="nan"), hf.camera_node(6, lat=91), hf.camera_node(7, lat=[1]),
        {"type": "way", "id": 8, "nodes": [1, "x", 2**70], "tags": {"man_made": "surveillance"}},
        ["not", "an", "element"],
        hf.camera_node(9),
    ])
    res = read_osm(path)
    assert list(res.cameras["source_ref"]) == ["node/1", "node/9", "way/8"]
    text = "\n".join(res.messages())
    for expected in ("id 'abc' is not a whole number", '"tags" is str',
                     f"id {2**70} is too large", "node/5: has no position",
                     "node/6: position 19.75, 91.0 is not longitude/latitude",
                     "node/7: has no position", "element 9 is not an OSM node"):
        assert expected in text


def test_deeply_nested_json_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UnknownFormatError, match=r"deep\.json: JSON nested more deeply than "
                       r"camera-map reads"):
        read_osm(hf.deep_json(tmp_path / "deep.json", depth=100_000))


@pytest.mark.parametrize("kind", ["bz2", "gz"])
def test_compressed_osm_bomb_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        kind: str) -> None:
    monkeypatch.setattr(settings, "compressed_floor_bytes", 1_000_000)
    path = hf.osm_compressed_bomb(tmp_path / f"b.osm.{kind}", padding=20_000_000, kind=kind)
    with pytest.raises(LimitError, match=rf"b\.osm\.{kind}: unpacks to more than [\d,]+ bytes "
                       r"from [\d,]+ \(more than 100 times its size.*'zip bomb'"):
        read_osm(path)


def test_compressed_osm_within_the_ratio_is_read(tmp_path: Path) -> None:
    import bz2

    plain = hf.osm_xml(tmp_path / "c.osm", [{"id": "3", "lat": "44.2", "lon": "19.7"}])
    packed = tmp_path / "c.osm.bz2"
    packed.write_bytes(bz2.compress(plain.read_bytes()))
    assert list(read_osm(packed).cameras["source_ref"]) == ["node/3"]


def test_geocode_on_an_empty_or_blank_file_is_one_clear_error(tmp_path: Path) -> None:
    from camera_map.geocode import geocode_file

    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match=r"empty\.csv'? is empty"):
        geocode_file(empty, tmp_path / "out.csv")
    blank = tmp_path / "blank.csv"
    blank.write_text(",,\n , ,\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"blank\.csv: the file is empty \(no filled cells\)"):
        geocode_file(blank, tmp_path / "out.csv")


def test_kmz_bomb_is_refused_from_declared_sizes(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from camera_map.sources import read_source

    monkeypatch.setattr(settings, "max_table_bytes", 1_000_000)
    path = hf.kmz_bomb(tmp_path / "b.kmz", padding=2_000_000)
    with pytest.raises(LimitError, match=r"b\.kmz: the decompressed size of its contents "
                       r"\(2,000,\d{3} bytes\).*'zip bomb'"):
        read_source(path)


@pytest.mark.parametrize("depth", [995, 100_000])
def test_deeply_nested_geojson_is_one_clear_error(tmp_path: Path, depth: int) -> None:
    from camera_map.sources import read_source

    with pytest.raises(UnknownFormatError, match=r"deep\.geojson: JSON nested more deeply"):
        read_source(hf.deep_geojson(tmp_path / "deep.geojson", depth=depth))
