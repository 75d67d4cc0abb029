"""The bundled Serbian layer: units, codes, geometry, population."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import shapely

from camera_map.layers import load_layer

ROOT = Path(__file__).resolve().parent.parent
LAYER = ROOT / "layers" / "serbia"
#: The built layer as it ships inside the package.
BUILT = ROOT / "camera_map" / "data" / "layers" / "serbia"


@pytest.fixture(scope="module")
def layer():  # type: ignore[no-untyped-def]
    return load_layer("serbia")


def test_161_units_with_unique_official_codes(layer) -> None:  # type: ignore[no-untyped-def]
    units = layer.units
    assert len(units) == 161
    assert units["id"].is_unique
    assert units["id"].str.fullmatch(r"\d{5}").all()
    assert (units["kind"] == "city municipality").sum() == 17
    assert (units["group_id"] == "71308").sum() == 17
    assert units["name"].notna().all() and units["name_cyr"].notna().all()


def test_population_total_is_the_official_final_2022_figure(layer) -> None:  # type: ignore[no-untyped-def]
    assert int(layer.units["population"].sum()) == 6_647_003
    # Niš is one unit holding the city total; Belgrade's group total is the city's own
    assert layer.units.set_index("id").at["70858", "population"] == 249_501
    belgrade = layer.groups.set_index("id").loc["71308"]
    assert belgrade["population"] == 1_681_405
    assert layer.units.loc[layer.units["group_id"] == "71308", "population"].sum() == 1_681_405


def test_osecina_has_the_census_figure(layer) -> None:  # type: ignore[no-untyped-def]
    row = layer.units.set_index("id").loc["70882"]
    assert (row["name"], row["name_cyr"], row["population"]) == ("Osečina", "Осечина", 9951)


def test_geometries_valid_and_areas_equal_area(layer) -> None:  # type: ignore[no-untyped-def]
    units = layer.units
    assert units.geometry.is_valid.all()
    assert set(units.geom_type) <= {"Polygon", "MultiPolygon"}
    total = units["area_km2"].sum()
    assert total == pytest.approx(77_606, rel=0.001)  # official 77,474 km² without Kosovo
    belgrade = units.loc[units["group_id"] == "71308", "area_km2"].sum()
    assert belgrade == pytest.approx(3_234, rel=0.01)
    # stored areas agree with a fresh computation in another equal-area CRS (Mollweide)
    moll = units.to_crs("ESRI:54009").area / 1e6
    assert (abs(moll - units["area_km2"]) / units["area_km2"]).max() < 0.002
    # and differ from what degrees would give
    with pytest.warns(UserWarning, match="geographic CRS"):
        degrees = units.area
    assert not (degrees / units["area_km2"]).between(0.9, 1.1).any()


def test_no_overlaps_and_no_gaps_above_tolerance(layer) -> None:  # type: ignore[no-untyped-def]
    ea = layer.units.to_crs("EPSG:3035").geometry.values
    left, right = shapely.STRtree(ea).query(ea, predicate="intersects")
    overlap = sum(ea[a].intersection(ea[b]).area for a, b in zip(left, right, strict=True) if a < b)
    assert overlap < 0.01e6  # m²: < 0.01 km² in all (measured 0.0015 km²)
    outline = shapely.union_all(ea)
    holes = sorted((shapely.Polygon(r).area for g in getattr(outline, "geoms", [outline])
                    for r in g.interiors), reverse=True)
    # the largest hole is the Sastavci enclave (Bosnia and Herzegovina, ~3.85 km²)
    assert holes[0] == pytest.approx(3.85e6, rel=0.02)
    assert sum(holes[1:]) < 0.5e6  # everything else: < 0.5 km² (measured 0.24 km²)


def test_belgrade_units_tile_the_geoboundaries_outline(layer) -> None:  # type: ignore[no-untyped-def]
    import geopandas as gpd

    gb = gpd.read_file(LAYER / "sources" / "geoboundaries-srb-adm2.geojson")
    outline = gb.loc[gb["shapeName"] == "Belgrade"].to_crs("EPSG:3035").geometry.iloc[0]
    bg = layer.units[layer.units["group_id"] == "71308"].to_crs("EPSG:3035")
    union = shapely.union_all(bg.geometry.values)
    assert union.symmetric_difference(outline).area < 0.01e6
    # Palilula keeps only Belgrade's part (Niš's Palilula lies near 43.3°N)
    palilula = layer.units.set_index("id").loc["70203"].geometry
    assert palilula.bounds[1] > 44.3


def test_every_geoboundaries_unit_matches_exactly_one_census_row() -> None:
    sys.path.insert(0, str(LAYER))
    try:
        import build_layer  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(LAYER))
    import geopandas as gpd

    gb = gpd.read_file(LAYER / "sources" / "geoboundaries-srb-adm2.geojson")
    rest = gb[gb["shapeName"] != "Belgrade"].reset_index(drop=True)
    codes = build_layer.match_geoboundaries(rest, build_layer.read_census())
    assert len(codes) == 144 and len(set(codes)) == 144
    by_name = dict(zip(rest["shapeName"], codes, strict=True))
    assert by_name["Nis City"] == "70858"
    assert by_name["Smederevska Palanka Municipal*"] == "71102"


def test_build_script_reproduces_the_committed_layer(tmp_path: Path) -> None:
    env = {**os.environ, "CAMERA_MAP_LAYER_OUT": str(tmp_path)}
    subprocess.run([sys.executable, str(LAYER / "build_layer.py")], check=True,
                   capture_output=True, env=env)
    assert (tmp_path / "units.geojson").read_bytes() == (BUILT / "units.geojson").read_bytes()
    assert (tmp_path / "groups.csv").read_bytes() == (BUILT / "groups.csv").read_bytes()


@pytest.mark.parametrize(("text", "expected"), [
    ("Osečina", "70882"), ("Осечина", "70882"), ("Osecina", "70882"), ("OSECINA", "70882"),
    ("Osecina Municipality", "70882"), ("Opština Osečina", "70882"), ("70882", "70882"),
    ("70882.0", "70882"), ("Aranđelovac", "70033"), ("Arandjelovac", "70033"),
    ("Arandelovac", "70033"), ("Аранђеловац", "70033"), ("Stari Grad", "70246"),
    ("Старни Град", None), ("Niš - Medijana", "70858"), ("Nis City", "70858"),
    ("Smederevska Palanka", "71102"),
])
def test_names_in_any_script_match_their_unit(layer, text: str, expected: str | None) -> None:  # type: ignore[no-untyped-def]
    match = layer.match(text)
    assert (match.id if match else None) == expected
    if match:
        assert match.level == "unit"


@pytest.mark.parametrize("text", ["Beograd", "Belgrade", "Београд", "Grad Beograd", "71308"])
def test_the_city_of_belgrade_is_a_group(layer, text: str) -> None:  # type: ignore[no-untyped-def]
    match = layer.resolve(text)
    assert (match.id, match.level) == ("71308", "group")
    assert layer.members("71308") == sorted(
        layer.units.loc[layer.units["group_id"] == "71308", "id"])


def test_unknown_name_lists_close_matches(layer) -> None:  # type: ignore[no-untyped-def]
    from camera_map.errors import UnknownPlaceError

    with pytest.raises(UnknownPlaceError, match=r"'Osecinna' is not in layer 'serbia'; did "
                       r"you mean Osečina"):
        layer.resolve("Osecinna")


def test_population_unknown_stays_empty_never_zero(tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import box

    from camera_map.layers import layer_from_files

    path = tmp_path / "b.gpkg"
    gpd.GeoDataFrame({"code": ["a", "b"], "pop": [100.0, None]},
                     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=4326).to_file(path)
    lay = layer_from_files(path, id_field="code", population_field="pop")
    assert lay.units["population"].tolist()[0] == 100
    assert pd.isna(lay.units["population"].tolist()[1])


def test_the_bundled_layer_is_read_once_and_each_caller_gets_its_own(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A build and its map's "how to ask" both load the bundled layer: the files are read
    once, yet a change a caller makes to its tables never reaches the next caller, and a
    changed file is read again."""
    import shutil

    from camera_map import layers, settings

    shutil.copytree(Path(settings.layers_dir) / "serbia", tmp_path / "serbia")
    monkeypatch.setattr(settings, "layers_dir", str(tmp_path))
    reads = []
    real = layers.gpd.read_file
    monkeypatch.setattr(layers.gpd, "read_file",
                        lambda *a, **k: reads.append(a[0]) or real(*a, **k))
    first = layers.load_layer("serbia")
    first.units.loc[first.units.index[0], "population"] = 1
    first.aliases["alias"] = "changed"
    second = layers.load_layer("serbia")
    assert len(reads) == 1
    assert second.units["population"].iloc[0] != 1
    assert (second.aliases["alias"] != "changed").all()
    assert second.match("Osečina") is not None
    units_file = tmp_path / "serbia" / "units.geojson"
    units_file.write_bytes(units_file.read_bytes() + b"\n")  # changed: read again
    third = layers.load_layer("serbia")
    assert len(reads) == 2 and third.units.equals(second.units)
