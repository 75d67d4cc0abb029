"""Point layers as people have them: uMap and QGIS GeoJSON, web-map JavaScript, KMZ from
Google My Maps, zipped Shapefiles, GeoPackage, FlatGeobuf, GeoParquet, GPX, WKT in a CSV."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point, Polygon

from camera_map.errors import InputError
from camera_map.layers import load_layer
from camera_map.sources import SourceResult, detect_kind, read_source

OSECINA = (19.60, 44.37)  # lon, lat inside Osečina


@pytest.fixture(scope="module")
def units() -> gpd.GeoDataFrame:
    return load_layer().units


def _frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"Name": ["Kamera 1", "Kamera 2"], "opstina": ["Osečina", "Osečina"],
         "proizvodjac": ["Dahua", "Huawei"]},
        geometry=[Point(19.60, 44.37), Point(19.61, 44.372)], crs="EPSG:4326")


def _read(path: Path, units: gpd.GeoDataFrame, **options: object) -> SourceResult:
    [res] = read_source(path, units=units, **options)
    assert len(res.cameras) + len(res.rejected) == res.rows_read
    return res


def test_umap_export_with_osm_tags_and_features_without_properties(tmp_path: Path,
                                                                   units: gpd.GeoDataFrame
                                                                   ) -> None:
    f = tmp_path / "hiljade-kamera.umap.json"
    f.write_text(json.dumps({"type": "FeatureCollection", "_umap_options": {"name": "Kamere"},
                             "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [19.6, 44.37]},
         "properties": {"name": "Trg", "_umap_options": {"color": "Red"},
                        "man_made": "surveillance", "surveillance:type": "camera",
                        "camera:direction": "NE", "surveillance": "public",
                        "manufacturer": "Dahua"}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [19.61, 44.372]}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [19.62, 44.371]},
         "properties": None},
    ]}), "utf-8")
    assert detect_kind(f) == "geojson"
    res = _read(f, units)
    cams = res.cameras
    assert len(cams) == 3 and cams["count"].tolist() == [1, 1, 1]
    first = cams.iloc[0]
    assert (first["name"], first["surveillance"], first["surveillance_type"],
            first["direction"], first["manufacturer"]) == ("Trg", "public", "camera", "45",
                                                           "Dahua")
    assert "_umap_options" not in (first["tags"] or "")
    assert cams["source_ref"].tolist() == [f"{f.name}#row {n}" for n in (1, 2, 3)]


def test_javascript_wrapped_and_newline_delimited_geojson(tmp_path: Path,
                                                          units: gpd.GeoDataFrame) -> None:
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [19.6, 44.37]},
               "properties": {"Opis": "Kamera kod škole", "Proizvođač": "Hikvision"}}
    js = tmp_path / "data.js"
    js.write_text("var cams = " + json.dumps({"type": "FeatureCollection",
                                             "features": [feature, feature]}) + ";\n", "utf-8")
    nd = tmp_path / "cams.ndjson"
    nd.write_text("\n".join(json.dumps(feature) for _ in range(3)) + "\n", "utf-8")
    for path, n in ((js, 2), (nd, 3)):
        assert detect_kind(path) == "geojson"
        res = _read(path, units)
        # the same camera twice in one file is one camera; the repeats are reported
        assert len(res.cameras) == 1 and len(res.rejected) == n - 1
        assert res.cameras["manufacturer"].tolist() == ["Hikvision"]
        assert res.cameras["description"].tolist() == ["Kamera kod škole"]
        assert "the same camera as row" in res.rejected[0].reason


def test_json_that_is_neither_overpass_nor_geojson_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "x.json"
    f.write_text('{"cameras": [1, 2]}', "utf-8")
    with pytest.raises(InputError, match=r"neither Overpass API JSON .* nor GeoJSON"):
        detect_kind(f)


def test_kmz_from_google_my_maps(tmp_path: Path, units: gpd.GeoDataFrame) -> None:
    kml = tmp_path / "doc.kml"
    _frame().to_file(kml, driver="KML")
    kmz = tmp_path / "Kamere Osečina.kmz"
    with zipfile.ZipFile(kmz, "w") as zf:
        zf.write(kml, "doc.kml")
    kml.unlink()
    assert detect_kind(kmz) == "kmz"
    res = _read(kmz, units)
    assert res.cameras["name"].tolist() == ["Kamera 1", "Kamera 2"]
    assert res.cameras["manufacturer"].tolist() == ["Dahua", "Huawei"]
    assert res.cameras["municipality"].tolist() == ["Osečina", "Osečina"]


def test_zipped_shapefile_in_a_projected_crs(tmp_path: Path, units: gpd.GeoDataFrame) -> None:
    folder = tmp_path / "shp"
    folder.mkdir()
    _frame().rename(columns={"proizvodjac": "marka"}).to_crs("EPSG:32634").to_file(
        folder / "kamere.shp")
    archive = tmp_path / "kamere_download"  # no suffix: the content decides
    with zipfile.ZipFile(archive, "w") as zf:
        for part in folder.iterdir():
            zf.write(part, part.name)
    assert detect_kind(archive) == "shp-zip"
    res = _read(archive, units)
    xs = [round(g.x, 5) for g in res.cameras.geometry]
    assert xs == [19.6, 19.61]
    assert res.cameras["manufacturer"].tolist() == ["Dahua", "Huawei"]
    assert detect_kind(folder / "kamere.shp") == "shp"


def test_geopackage_with_two_layers_flatgeobuf_geoparquet_and_gpx(
        tmp_path: Path, units: gpd.GeoDataFrame) -> None:
    gpkg = tmp_path / "gis.gpkg"
    _frame().to_file(gpkg, layer="kamere_2021", driver="GPKG")
    _frame().iloc[:1].assign(geometry=[Polygon([(19.6, 44.37), (19.601, 44.37),
                                                (19.601, 44.371)])]).to_file(
        gpkg, layer="zone", driver="GPKG")
    res = _read(gpkg, units)
    assert res.cameras["source_ref"].tolist() == ["gis.gpkg#kamere_2021!row 1",
                                                  "gis.gpkg#kamere_2021!row 2",
                                                  "gis.gpkg#zone!row 1"]
    assert any("feature 1 is a Polygon, not a point" in p.message for p in res.problems)
    for name, driver in (("k.fgb", "FlatGeobuf"), ("k.parquet", None)):
        path = tmp_path / name
        _frame().to_parquet(path) if driver is None else _frame().to_file(path, driver=driver)
        res = _read(path, units)
        assert sorted(res.cameras["manufacturer"]) == ["Dahua", "Huawei"], name
    gpx = tmp_path / "survey.gpx"
    _frame().rename(columns={"Name": "name"})[["name", "geometry"]].to_file(gpx, driver="GPX")
    res = _read(gpx, units)
    assert detect_kind(gpx) == "gpx" and res.cameras["name"].tolist() == ["Kamera 1", "Kamera 2"]


def test_csv_with_a_wkt_geometry_column(tmp_path: Path, units: gpd.GeoDataFrame) -> None:
    f = tmp_path / "qgis.csv"
    f.write_text('WKT,naziv\n"POINT (19.6 44.37)",A\n"POINT (19.61 44.372)",B\n', "utf-8")
    res = _read(f, units)
    assert [(round(g.x, 3), round(g.y, 3)) for g in res.cameras.geometry] == [
        (19.6, 44.37), (19.61, 44.372)]
    assert res.register is not None
    assert any("latitude and longitude in one cell by its values" in s
               for i in res.register.sheet_info for s in i.inferred)


def test_a_web_map_folder_reads_its_data_not_its_scripts(tmp_path: Path,
                                                         units: gpd.GeoDataFrame) -> None:
    (tmp_path / "leaflet.js").write_text("!function(t){var e=1;}(this);\n", "utf-8")
    (tmp_path / "backup.zip").write_bytes(b"PK\x05\x06" + bytes(18))
    (tmp_path / "data.js").write_text(
        "var kamere = " + json.dumps({"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [19.6, 44.37]},
             "properties": {"naziv": "Trg"}}]}) + ";", "utf-8")
    results = read_source(tmp_path, units=units)
    assert [r.path.name for r in results] == ["data.js"]
    assert results[0].cameras["name"].tolist() == ["Trg"]


def test_check_explains_a_point_layer(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from camera_map.cli import main

    f = tmp_path / "kamere.geojson"
    f.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [19.6, 44.37]},
         "properties": {"Proizvođač": "Dahua", "opis": "kod škole"}}]}), "utf-8")
    res = CliRunner().invoke(main, ["check", str(f)], catch_exceptions=False)
    assert res.exit_code == 0
    assert res.stdout.splitlines()[:2] == [
        "kamere.geojson: GeoJSON point layer, 1 layer(s); features are rows 1, 2, …, their "
        "properties the columns",
        "  layer: 1 features read, 0 with neither a point nor a property"]
    assert "    'Proizvođač' → manufacturer" in res.stdout
    assert res.stdout.rstrip().endswith("OK: every row accepted")
