"""Merging cameras that several sources describe: hand-made scenes with known answers."""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from camera_map.errors import CameraTableError, InputError
from camera_map.merge import (
    CONFLICT_COLUMNS,
    DEFAULT_DISTANCES,
    MERGE_COLUMNS,
    MergeResult,
    distances_from_text,
    merge_cameras,
)
from camera_map.table import COLUMNS, cameras_from_records, validate_cameras

GEOD = Geod(ellps="WGS84")
# Osečina, the town of "one camera for every 100 inhabitants"
LON, LAT = 19.6054, 44.3732


def at(east: float = 0.0, north: float = 0.0) -> dict[str, float]:
    """Longitude/latitude of the point ``east``, ``north`` metres from the town centre."""
    lon, lat = LON, LAT
    if east:
        lon, lat, _ = GEOD.fwd(lon, lat, 90.0, east)
    if north:
        lon, lat, _ = GEOD.fwd(lon, lat, 0.0, north)
    return {"longitude": lon, "latitude": lat}


def osm(node: int, east: float = 0.0, north: float = 0.0, **values: Any) -> dict[str, Any]:
    return {"source": "osm", "source_ref": f"node/{node}", "geocode_precision": "exact",
            **at(east, north), **values}


def foi(row: int, east: float = 0.0, north: float = 0.0, *, file: str = "reply.xlsx",
        **values: Any) -> dict[str, Any]:
    values.setdefault("geocode_precision", "exact")
    return {"source": "foi", "source_ref": f"{file}#Kamere!row {row}", **at(east, north),
            **values}


def merge(*records: dict[str, Any], **options: Any) -> MergeResult:
    return merge_cameras(cameras_from_records(records), **options)


def row(result: MergeResult, camera_id: str) -> pd.Series:
    found = result.cameras[result.cameras["camera_id"] == camera_id]
    assert len(found) == 1, f"{camera_id} is not (once) in the merged table"
    return found.iloc[0]


def merged_id(result: MergeResult, camera_id: str) -> str:
    groups = result.groups.set_index("camera_id")["merged_camera_id"]
    return str(groups[camera_id])


def ids(*records: dict[str, Any]) -> list[str]:
    return list(cameras_from_records(records)["camera_id"])


def test_same_camera_8_m_apart_in_two_sources_becomes_one_with_both_provenances() -> None:
    node = osm(12, camera_type="dome", direction="90", operator="MUP", height=4.0,
               tags={"man_made": "surveillance", "camera:type": "dome"},
               source_date="2023-05-01")
    row_ = foi(17, east=8.0, camera_type="dome", direction="95", operator="MUP",
               manufacturer="Dahua", model="IPC-HFW", facial_recognition=True,
               status="installed", supplier="Telekom", contract_value=1.5e6,
               document="Odgovor MUP 2021", address="Karađorđeva 1",
               tags={"Lokacija": "Karađorđeva 1"}, source_date="2021-03-02")
    foi_id, osm_id = ids(row_, node)
    result = merge(node, row_)

    assert len(result.cameras) == 1
    cam = row(result, min(foi_id, osm_id))  # the smallest camera_id of the two
    assert cam["merged_from"] == "; ".join(sorted([foi_id, osm_id]))
    assert cam["sources_all"] == "foi; osm"
    assert cam["source_ref"] == "reply.xlsx#Kamere!row 17; node/12"
    assert cam["document"] == "Odgovor MUP 2021"
    assert json.loads(cam["tags"]) == {
        foi_id: {"Lokacija": "Karađorđeva 1"},
        osm_id: {"camera:type": "dome", "man_made": "surveillance"},
    }
    # the document's facts come from the FOI reply, the position from the surveyed node
    assert (cam["manufacturer"], cam["model"], cam["supplier"]) == ("Dahua", "IPC-HFW",
                                                                      "Telekom")
    assert cam["facial_recognition"] is True or cam["facial_recognition"] == True  # noqa: E712
    assert cam["contract_value"] == 1.5e6
    assert cam["address"] == "Karađorđeva 1"
    assert cam.geometry.x == pytest.approx(node["longitude"])
    assert cam["direction"] == "90"
    assert cam["height"] == 4.0
    assert cam["source_date"] == "2023-05-01"  # the newest evidence
    assert cam["count"] == 1
    reason = cam["merge_reason"]
    assert re.search(r"\b8(\.0)? m apart", reason), reason
    assert "threshold 15 m for exact points" in reason
    assert "same type (dome)" in reason
    assert re.search(r"directions 9[05]° and 9[05]° agree", reason)
    assert "operators agree" in reason
    assert result.conflicts.empty
    assert result.merges == 1
    assert merged_id(result, osm_id) == merged_id(result, foi_id) == cam["camera_id"]


def test_two_cameras_on_one_pole_looking_apart_are_kept_apart_and_reported() -> None:
    node = osm(1, direction="90")
    row_ = foi(2, east=3.0, direction="270")
    result = merge(node, row_)

    assert len(result.cameras) == 2
    assert result.cameras["merged_from"].isna().all()
    assert len(result.conflicts) == 1
    conflict = result.conflicts.iloc[0]
    # values in the order of camera_id_a, camera_id_b ("foi-…" sorts before "osm-…")
    assert conflict["reason"] == "directions 270° vs 90° differ by 180° > 45°"
    assert conflict["distance_m"] == pytest.approx(3.0, abs=0.01)
    assert {conflict["source_ref_a"], conflict["source_ref_b"]} == {
        "node/1", "reply.xlsx#Kamere!row 2"}
    assert conflict["camera_id_a"] < conflict["camera_id_b"]
    # the midpoint of the two
    assert conflict["longitude"] == pytest.approx((node["longitude"] + row_["longitude"]) / 2)
    assert conflict["latitude"] == pytest.approx(LAT)
    assert list(result.conflicts.columns) == list(CONFLICT_COLUMNS)


def test_register_row_joins_the_pole_camera_that_looks_its_way() -> None:
    east, west = osm(1, direction="90"), osm(2, north=0.5, direction="270")
    row_ = foi(3, east=3.0, direction="E")
    result = merge(east, west, row_)

    foi_id = ids(row_)[0]
    assert merged_id(result, "osm-node-1") == merged_id(result, foi_id)
    assert merged_id(result, "osm-node-2") == "osm-node-2"
    assert result.conflicts["reason"].tolist() == [
        "directions 90° vs 270° differ by 180° > 45°"]
    assert set(result.conflicts[["camera_id_a", "camera_id_b"]].iloc[0]) == {
        foi_id, "osm-node-2"}


def test_two_osm_nodes_3_m_apart_are_two_cameras_and_no_conflict() -> None:
    result = merge(osm(1, camera_type="dome"), osm(2, east=3.0, camera_type="fixed"))
    assert sorted(result.cameras["camera_id"]) == ["osm-node-1", "osm-node-2"]
    assert result.conflicts.empty
    assert result.merges == 0


def test_rows_of_one_register_never_merge_rows_of_two_registers_do() -> None:
    same = merge(foi(2), foi(3, east=1.0))
    assert same.merges == 0 and same.conflicts.empty

    two = merge(foi(2, file="mup.xlsx"), foi(2, east=1.0, file="grad.ods"))
    assert two.merges == 1
    assert two.cameras["sources_all"].tolist() == ["foi"]
    # references in the order of merged_from (camera_id), like every joined field
    assert set(two.cameras["source_ref"].iloc[0].split("; ")) == {
        "grad.ods#Kamere!row 2", "mup.xlsx#Kamere!row 2"}


@pytest.mark.parametrize(
    ("a", "b", "reason"),
    [
        ({"camera_type": "dome"}, {"camera_type": "fixed"}, "camera:type dome vs fixed"),
        ({"surveillance_type": "camera"}, {"surveillance_type": "ALPR"},
         "surveillance:type camera vs ALPR"),
        ({"operator": "MUP"}, {"operator": "Grad Beograd"},
         "operators 'MUP' vs 'Grad Beograd'"),
        ({"direction": "0-90"}, {"direction": "200"}, "directions 0-90° vs 200° differ by 155°"),
    ],
)
def test_a_near_pair_that_contradicts_itself_is_reported(
    a: dict[str, Any], b: dict[str, Any], reason: str
) -> None:
    result = merge(foi(2, east=5.0, **a), osm(1, **b))  # the FOI row is camera_id_a
    assert result.merges == 0
    assert len(result.conflicts) == 1
    assert result.conflicts["reason"].iloc[0].startswith(reason)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ({"camera_type": "dome"}, {}),  # unknown on one side never conflicts
        ({"camera_type": "dome"}, {"camera_type": "unknown"}),
        ({"camera_type": "panning"}, {"camera_type": "PTZ"}),
        ({"surveillance_type": "ALPR"}, {"surveillance_type": "anpr"}),
        ({"surveillance_type": "camera;ALPR"}, {"surveillance_type": "ALPR"}),
        ({"operator": "Grad Beograd"}, {"operator": "Град Београд"}),
        ({"direction": "350"}, {"direction": "20"}),  # 30° apart across north
        ({"direction": "60-180"}, {"direction": "170"}),  # inside the range
        ({"direction": "0-360"}, {"direction": "270"}),  # all round
        ({"direction": "45;225"}, {"direction": "SW"}),  # one of its two heads
        ({"direction": "forward"}, {"direction": "270"}),  # unreadable: unknown
    ],
)
def test_agreeing_or_unknown_values_do_not_keep_a_pair_apart(
    a: dict[str, Any], b: dict[str, Any]
) -> None:
    result = merge(osm(1, **a), foi(2, east=5.0, **b))
    assert result.merges == 1, result.conflicts
    assert result.conflicts.empty


def test_direction_limit_is_configurable() -> None:
    pair = (foi(2, east=5.0, direction="90"), osm(1, direction="150"))
    assert merge(*pair).conflicts["reason"].tolist() == [
        "directions 90° vs 150° differ by 60° > 45°"]
    assert merge(*pair, max_direction_difference=90).merges == 1


def test_count_only_row_and_points_of_one_municipality_are_both_kept() -> None:
    count_row = {"source": "foi", "source_ref": "mup.xlsx#Opštine!row 9",
                 "municipality": "Osečina", "count": 120, "document": "MUP reply",
                 "manufacturer": "Huawei"}
    records = [count_row, osm(1), foi(3, east=6.0), osm(2, east=500.0),
               foi(4, east=2000.0)]
    before = cameras_from_records(records)
    result = merge_cameras(before)

    assert result.merges == 1
    assert int(result.cameras["count"].sum()) == int(before["count"].sum()) - result.merges
    kept = row(result, ids(count_row)[0])
    original = before[before["camera_id"] == kept["camera_id"]].iloc[0]
    for col in COLUMNS:
        assert (pd.isna(kept[col]) and pd.isna(original[col])) or kept[col] == original[col]
    assert kept.geometry is None or kept.geometry.is_empty
    assert pd.isna(kept["merged_from"]) and kept["sources_all"] == "foi"


def test_a_street_point_merges_within_60_m_a_municipality_point_never() -> None:
    node = osm(1)
    street = foi(2, east=45.0, geocode_precision="street", address="Karađorđeva")
    town = foi(3, file="other.xlsx", east=1.0, geocode_precision="municipality")
    result = merge(node, street, town)

    assert merged_id(result, ids(street)[0]) == merged_id(result, "osm-node-1")
    cam = row(result, merged_id(result, "osm-node-1"))
    assert "threshold 60 m for exact/street points" in cam["merge_reason"]
    assert cam["geocode_precision"] == "exact"  # the surveyed position wins
    assert cam.geometry.x == pytest.approx(node["longitude"])
    assert merged_id(result, ids(town)[0]) == ids(town)[0]
    assert result.conflicts.empty


def test_an_address_point_45_m_away_is_too_far_and_distances_are_configurable() -> None:
    pair = (osm(1), foi(2, east=45.0, geocode_precision="address"))
    assert merge(*pair).merges == 0
    assert merge(*pair, distances={"address": 50}).merges == 1
    assert merge(osm(1), foi(2, east=45.0, geocode_precision="street"),
                 distances={"street": None}).merges == 0
    assert merge(osm(1), foi(2, east=10.0), distances={"exact": 5}).merges == 0


def test_cameras_on_both_sides_of_the_180th_meridian_merge() -> None:
    a = {"source": "osm", "source_ref": "node/1", "longitude": 179.99996, "latitude": -16.5}
    b = {"source": "foi", "source_ref": "fiji.csv#row 2", "longitude": -179.99996,
         "latitude": -16.5}
    result = merge(a, b)
    assert result.merges == 1
    assert "8.5 m apart" in result.cameras["merge_reason"].iloc[0]


def test_a_record_merges_with_the_nearest_of_several_candidates() -> None:
    row_ = foi(2, east=10.0)
    result = merge(osm(1), osm(5, east=16.0), row_)  # 10 m and 6 m away
    assert merged_id(result, ids(row_)[0]) == merged_id(result, "osm-node-5")
    assert merged_id(result, "osm-node-1") == "osm-node-1"
    assert result.conflicts.empty  # not contradicting, just taken by a nearer one


def test_three_sources_of_one_camera_become_one_and_every_step_is_explained() -> None:
    a, b, c = osm(1), foi(2, east=4.0, file="mup.xlsx"), foi(7, north=5.0, file="grad.ods")
    result = merge(a, b, c)
    assert len(result.cameras) == 1
    cam = result.cameras.iloc[0]
    assert cam["merged_from"] == "; ".join(sorted(ids(a, b, c)))
    assert cam["merge_reason"].count(" m apart") == 2


def test_a_chain_of_pairs_does_not_merge_records_that_contradict() -> None:
    # the register row agrees with both nodes, the two FOI files contradict each other
    a = foi(1, file="mup.xlsx", camera_type="dome")
    b = osm(1, east=4.0)
    c = foi(1, east=8.0, file="grad.ods", camera_type="fixed")
    result = merge(a, b, c)
    assert result.merges == 1
    assert result.conflicts["reason"].tolist() in (["camera:type dome vs fixed"],
                                                   ["camera:type fixed vs dome"])


def test_shuffled_input_gives_identical_output() -> None:
    rng = np.random.default_rng(5)
    records = []
    for i in range(60):
        e, n = rng.uniform(0, 120, 2)
        records.append(osm(i, e, n, direction=str(int(rng.integers(0, 360)))))
        records.append(foi(i + 2, e + rng.uniform(-6, 6), n + rng.uniform(-6, 6),
                           file=f"r{i % 3}.xlsx",
                           direction=str(int(rng.integers(0, 360))) if i % 2 else None))
    table = cameras_from_records(records)
    first = merge_cameras(table)
    assert first.merges > 5 and len(first.conflicts) > 5  # the scene tests something
    for seed in range(3):
        shuffled = table.sample(frac=1.0, random_state=seed)
        again = merge_cameras(shuffled)
        pd.testing.assert_frame_equal(first.cameras.drop(columns="geometry"),
                                      again.cameras.drop(columns="geometry"))
        assert list(first.cameras.geometry.to_wkb()) == list(again.cameras.geometry.to_wkb())
        pd.testing.assert_frame_equal(first.conflicts, again.conflicts)
        pd.testing.assert_frame_equal(first.groups, again.groups)


def test_output_is_a_valid_camera_table_with_the_merge_columns() -> None:
    result = merge(osm(1), foi(2, east=3.0), foi(3, east=900.0))
    assert list(result.cameras.columns) == [*COLUMNS, *MERGE_COLUMNS, "geometry"]
    for col in MERGE_COLUMNS:
        assert str(result.cameras[col].dtype) == "string"
    validate_cameras(result.cameras, where="merged cameras")
    assert result.cameras.crs.to_epsg() == 4326
    assert list(result.groups.columns) == ["camera_id", "merged_camera_id"]


def test_empty_table_merges_to_empty_frames() -> None:
    result = merge_cameras(cameras_from_records([]))
    assert result.cameras.empty and result.conflicts.empty and result.groups.empty
    assert list(result.conflicts.columns) == list(CONFLICT_COLUMNS)


def test_bad_options_and_tables_are_explained() -> None:
    table = cameras_from_records([osm(1)])
    with pytest.raises(InputError, match=r"unknown geocode precision 'rooftop'.*exact"):
        merge_cameras(table, distances={"rooftop": 5})
    with pytest.raises(InputError, match=r"metres >= 0"):
        merge_cameras(table, distances={"exact": -1})
    with pytest.raises(InputError, match="between 0 and 180"):
        merge_cameras(table, max_direction_difference=400)
    with pytest.raises(CameraTableError, match=r"EPSG:3857.*to_crs"):
        merge_cameras(table.to_crs("EPSG:3857"))
    twice = pd.concat([table, table], ignore_index=True)
    with pytest.raises(CameraTableError, match=r"not unique.*osm-node-1"):
        merge_cameras(twice)
    with pytest.raises(CameraTableError, match=r"missing column\(s\) \['source_ref'\]"):
        merge_cameras(table.drop(columns="source_ref"))


def test_distances_from_text() -> None:
    assert distances_from_text("exact=10, street=80m;settlement=none") == {
        "exact": 10.0, "street": 80.0, "settlement": None}
    with pytest.raises(InputError, match=r"'far' is not a number of metres"):
        distances_from_text("exact=far")
    with pytest.raises(InputError, match="unknown geocode precision 'gps'"):
        distances_from_text("gps=5")


# --------------------------------------------------------------------------- properties

POINT = st.fixed_dictionaries({
    "east": st.floats(0, 60), "north": st.floats(0, 60),
    "origin": st.sampled_from(["osm", "a.xlsx", "b.csv"]),
    "precision": st.sampled_from(["exact", "address", "street", "settlement", None]),
    "camera_type": st.sampled_from([None, "dome", "fixed"]),
    "direction": st.sampled_from([None, "0", "90", "180", "270", "45-135"]),
})


@settings(max_examples=60, deadline=None)
@given(points=st.lists(POINT, max_size=14), counts=st.lists(st.integers(0, 50), max_size=3))
def test_merging_never_loses_or_invents_cameras(points: list[dict[str, Any]],
                                                counts: list[int]) -> None:
    records: list[dict[str, Any]] = []
    for i, p in enumerate(points):
        values = {"camera_type": p["camera_type"], "direction": p["direction"],
                  "geocode_precision": p["precision"]}
        if p["origin"] == "osm":
            records.append(osm(i, p["east"], p["north"], **values))
        else:
            records.append(foi(i + 2, p["east"], p["north"], file=p["origin"], **values))
    records += [{"source": "foi", "source_ref": f"c.xlsx#row {i}", "count": n}
                for i, n in enumerate(counts)]
    table = cameras_from_records(records)
    result = merge_cameras(table)
    out = result.cameras

    merges = len(table) - len(out)
    assert result.merges == merges >= 0
    assert int(out["count"].sum()) == int(table["count"].sum()) - merges
    assert sorted(result.groups["camera_id"]) == sorted(table["camera_id"])
    assert set(result.groups["merged_camera_id"]) == set(out["camera_id"])
    # every merged camera: one record per origin, named by its smallest member id
    for _, members in result.groups.groupby("merged_camera_id")["camera_id"]:
        if len(members) == 1:
            continue
        src = table.set_index("camera_id").loc[list(members)]
        origins = src["source_ref"].str.split("#").str[0].where(src["source"] == "foi", "osm")
        assert origins.is_unique
        assert members.min() == out.loc[out["camera_id"] == members.min(), "camera_id"].iloc[0]
        assert not src["geocode_precision"].isin(["settlement", "municipality"]).any()
        assert src["count"].eq(1).all()
        # complete linkage: every two members are within their pair's threshold
        limit = src["geocode_precision"].fillna("exact").map(DEFAULT_DISTANCES)
        xs, ys = src.geometry.x.to_numpy(), src.geometry.y.to_numpy()
        for i in range(len(src)):
            for j in range(i + 1, len(src)):
                _, _, d = GEOD.inv(xs[i], ys[i], xs[j], ys[j])
                assert d <= max(limit.iloc[i], limit.iloc[j]) + 1e-6
    # no conflict pair ended up in one camera
    group = result.groups.set_index("camera_id")["merged_camera_id"]
    for a, b in zip(result.conflicts["camera_id_a"], result.conflicts["camera_id_b"],
                    strict=True):
        assert group[a] != group[b]


def test_small_and_large_inputs_find_the_same_candidate_pairs() -> None:
    # up to _BRUTE_FORCE_ROWS rows every pair is compared directly, above that k-d trees
    # search: both must find the same pairs, whatever the mix of thresholds
    from camera_map.merge import _ecef, _pairs_within, _tree_pairs

    rng = np.random.default_rng(5)
    n = 600
    lon = 20.45 + rng.normal(0, 0.0005, n)
    lat = 44.8 + rng.normal(0, 0.0005, n)
    thr = rng.choice([15.0, 30.0, 60.0, 150.0], n)
    xyz = _ecef(lon, lat)
    rows = np.arange(n)
    a, b = _pairs_within(xyz, thr * (1 + 1e-6) + 1e-6)
    ta, tb = _tree_pairs(rows, xyz, thr)
    brute = set(zip(a.tolist(), b.tolist(), strict=True))
    tree = {(min(x, y), max(x, y)) for x, y in zip(ta.tolist(), tb.tolist(), strict=True)}
    assert len(brute) > 1000
    assert brute == tree
