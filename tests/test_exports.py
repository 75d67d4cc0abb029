"""Merged evidence through the whole pipeline, and every export read back with other readers."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest

import camera_map

LAT, LON = 44.3731, 19.6012  # Osečina town centre
M = 1 / 111_320  # one metre of latitude in degrees


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("scene")
    osm = {"version": 0.6, "elements": [
        {"type": "node", "id": 1, "lat": LAT, "lon": LON, "version": 3,
         "timestamp": "2024-05-01T10:00:00Z",
         "tags": {"man_made": "surveillance", "surveillance:type": "camera",
                  "camera:type": "dome", "camera:direction": "90"}},
        {"type": "node", "id": 2, "lat": LAT + 100 * M, "lon": LON, "version": 1,
         "tags": {"man_made": "surveillance", "surveillance:type": "camera",
                  "camera:type": "fixed", "camera:direction": "270"}},
    ]}
    (d / "osecina.json").write_text(json.dumps(osm), encoding="utf-8")
    (d / "zahtev.csv").write_text(
        "Opština;Geografska širina;Geografska dužina;Tip kamere;Pravac;Proizvođač;Broj kamera\n"
        f"Osečina;{LAT + 8 * M:.7f};{LON:.7f};dome;95;Dahua;\n"          # same as node/1
        f"Osečina;{LAT + 102 * M:.7f};{LON:.7f};fixed;90;Dahua;\n"       # near node/2, other way
        "Ljig;;;;;;12\n", encoding="utf-8")
    return d


def merged_id(result) -> str:  # type: ignore[no-untyped-def]
    return str(result.cameras.loc[result.cameras["sources_all"] == "foi; osm", "camera_id"].iloc[0])


@pytest.fixture(scope="module")
def result(scene: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("out")
    return camera_map.build([scene / "osecina.json", scene / "zahtev.csv"], out_dir=out,
                            formats=["geojson", "csv", "gpkg", "fgb"])


def test_same_camera_in_two_sources_is_merged_with_both_provenances(result) -> None:  # type: ignore[no-untyped-def]
    merged = result.cameras.loc[result.cameras["sources_all"] == "foi; osm"].iloc[0]
    assert merged["camera_id"] == min(merged["merged_from"].split("; "))  # stable id
    assert merged["sources_all"] == "foi; osm"
    assert "8.0 m apart" in merged["merge_reason"]
    assert "node/1" in merged["source_ref"] and "zahtev.csv#row 2" in merged["source_ref"]
    assert merged["manufacturer"] == "Dahua"  # from the document
    assert (merged.geometry.x, merged.geometry.y) == pytest.approx((LON, LAT))  # the survey


def test_conflicting_neighbours_are_kept_apart_and_listed(result) -> None:  # type: ignore[no-untyped-def]
    conflicts = pd.read_csv(result.outputs["conflicts.csv"])
    assert len(conflicts) == 1
    row = conflicts.iloc[0]
    assert {row["source_ref_a"], row["source_ref_b"]} == {"node/2", "zahtev.csv#row 3"}
    assert "directions" in row["reason"] and row["distance_m"] == pytest.approx(2.0, abs=0.1)


def test_no_double_count_and_both_kinds_of_evidence_reported(result) -> None:  # type: ignore[no-untyped-def]
    osecina = result.metrics.unit("70882")
    assert osecina["cameras"] == 3  # node/1 (= row 2), node/2 and row 3
    assert (osecina["osm_points"], osecina["foi_points"]) == (2, 2)
    ljig = result.metrics.unit("70769")
    assert (ljig["cameras"], ljig["cameras_counted"]) == (12, 12)


def test_geojson_round_trip(result) -> None:  # type: ignore[no-untyped-def]
    path = result.outputs["cameras.geojson"]
    raw = json.loads(path.read_text("utf-8"))
    coords = [f["geometry"]["coordinates"] for f in raw["features"] if f["geometry"]]
    assert all(len(str(c).split(".")[-1]) <= 7 for xy in coords for c in xy)  # ≤ 7 decimals
    assert raw["attribution"][0].startswith("© OpenStreetMap contributors")
    back = gpd.read_file(path).set_index("camera_id")
    assert back.crs.to_epsg() == 4326
    assert back.at[merged_id(result), "sources_all"] == "foi; osm"
    munis = gpd.read_file(result.outputs["municipalities.geojson"]).set_index("id")
    assert munis.at["70882", "cameras"] == 3
    assert munis["cameras_per_1000"].dtype.kind == "f"


def test_csv_round_trip_keyed_by_official_code(result) -> None:  # type: ignore[no-untyped-def]
    munis = pd.read_csv(result.outputs["municipalities.csv"], dtype={"id": str}).set_index("id")
    assert len(munis) == 161 and munis.index.str.fullmatch(r"\d{5}").all()
    ours = result.metrics.units.set_index("id")
    assert munis.at["70882", "cameras_per_1000"] == pytest.approx(
        ours.at["70882", "cameras_per_1000"], abs=1e-4)
    cams = pd.read_csv(result.outputs["cameras.csv"])
    assert {"longitude", "latitude", "source_ref", "municipality_id"} <= set(cams.columns)


@pytest.mark.parametrize("name", ["camera-map.gpkg", "cameras.fgb"])
def test_geopackage_and_flatgeobuf_round_trip(result, name: str) -> None:  # type: ignore[no-untyped-def]
    path = result.outputs[name]
    kwargs = {"layer": "cameras"} if name.endswith(".gpkg") else {}
    back = pyogrio.read_dataframe(path, **kwargs).set_index("camera_id")
    assert len(back) == len(result.cameras)
    assert back.at[merged_id(result), "sources_all"] == "foi; osm"
    assert back["count"].dtype.kind == "i"
    info = pyogrio.read_info(path, **kwargs)
    assert dict(zip(info["fields"], info["dtypes"], strict=True))["height"] == "float64"
    if name.endswith(".gpkg"):
        layers = {n for n, _ in pyogrio.list_layers(path)}
        assert {"municipalities", "cameras", "conflicts", "rejected"} <= layers
        conflicts = pyogrio.read_dataframe(path, layer="conflicts")
        assert len(conflicts) == 1


def test_cameras_csv_keeps_coordinates_as_precise_as_the_geojson(tmp_path: Path) -> None:
    register = tmp_path / "r.csv"
    register.write_text("municipality,latitude,longitude\nOsečina,44.3731234,19.6012345\n",
                        encoding="utf-8")
    out = tmp_path / "o"
    camera_map.build([register], out_dir=out, formats=["csv", "geojson"], png=False)
    row = pd.read_csv(out / "cameras.csv", dtype=str).iloc[0]
    assert (row["longitude"], row["latitude"]) == ("19.6012345", "44.3731234")
    (feature,) = json.loads((out / "cameras.geojson").read_text("utf-8"))["features"]
    assert feature["geometry"]["coordinates"] == [19.6012345, 44.3731234]


def test_flatgeobuf_is_named_after_its_file_and_the_same_twice(tmp_path: Path) -> None:
    """The layer was named after the temporary file (".cameras.part-xxxx"): two identical
    builds gave different bytes."""
    from camera_map.export import write_flatgeobuf

    cams = gpd.GeoDataFrame({"camera_id": ["a", "b"]},
                            geometry=gpd.points_from_xy([LON, LON], [LAT, LAT + M]),
                            crs="EPSG:4326")
    first = write_flatgeobuf(cams, tmp_path / "one" / "cameras.fgb")
    second = write_flatgeobuf(cams, tmp_path / "two" / "cameras.fgb")
    assert first.read_bytes() == second.read_bytes()
    assert [list(layer) for layer in pyogrio.list_layers(first)] == [["cameras", "Point"]]
