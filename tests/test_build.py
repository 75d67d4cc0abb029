"""The whole pipeline on the bundled default and on a user's own boundaries."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import sysconfig
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import box

import camera_map
from camera_map.layers import layer_from_files

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def default_build(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("default")
    return camera_map.build(out_dir=out)


def test_default_build_reproduces_the_osecina_figure(default_build) -> None:  # type: ignore[no-untyped-def]
    row = default_build.metrics.unit("70882")
    assert (row["cameras"], row["population"]) == (100, 9951)
    assert row["residents_per_camera"] == pytest.approx(99.51)
    assert row["cameras_per_1000"] == pytest.approx(10.049, abs=0.001)
    check = default_build.claims[0]
    assert check.ok and check.name == "Osečina"
    assert all(c.ok for c in default_build.claims)
    assert {c.name for c in default_build.claims} >= {"Kraljevo", "Beograd", "Subotica"}
    summary = default_build.summary()
    assert "✓ Osečina: reported \"one camera per 100 inhabitants\"" in summary
    assert "9,951 residents (2022 Census" in summary


def test_default_build_keeps_belgrade_at_city_level(default_build) -> None:  # type: ignore[no-untyped-def]
    units = default_build.metrics.units
    bg = units[units["group_id"] == "71308"]
    assert (bg["evidence"] == "group").all() and bg["cameras"].isna().all()
    # four public-space figures (2020-2021) are not added: the newest installed one is used
    assert (bg["group_cameras"] == 1200).all()
    city = default_build.metrics.group("71308")
    assert (city["cameras_installed"], city["cameras_contracted"]) == (1200, 8000)
    assert (city["cameras_low"], city["cameras_high"]) == (661, 8000)
    assert city["premises_cameras"] == 5580 + 2865  # schools and kindergartens, apart
    assert (units["evidence"] == "none").sum() == 137


def test_default_outputs_are_written_and_say_no_data(default_build) -> None:  # type: ignore[no-untyped-def]
    out = default_build.outputs
    for name in ("map.html", "municipalities.geojson", "cameras.geojson", "municipalities.csv",
                 "cameras.csv", "camera-map.gpkg", "rejected.csv", "problems.csv",
                 "sources.json", "summary.txt", "README.md"):
        assert out[name].exists() and out[name].stat().st_size > 0, name
    gj = json.loads(out["municipalities.geojson"].read_text("utf-8"))
    assert len(gj["features"]) == 161
    assert any("OpenStreetMap contributors" in a for a in gj["attribution"])
    props = {f["properties"]["id"]: f["properties"] for f in gj["features"]}
    for key in ("id", "name", "cameras", "population", "area_km2", "cameras_per_1000",
                "cameras_per_km2", "rank"):
        assert key in props["70882"]
    assert props["70882"]["cameras"] == 100 and props["70882"]["rank"] == 1
    no_data = props["70017"]  # Aleksandrovac: no evidence
    assert no_data["evidence"] == "none" and no_data["cameras"] is None
    csv = pd.read_csv(out["municipalities.csv"], dtype={"id": str})
    assert csv.set_index("id").at["70017", "evidence"] == "none"
    assert pd.isna(csv.set_index("id").at["70017", "cameras"])
    cams = json.loads(out["cameras.geojson"].read_text("utf-8"))
    for f in cams["features"]:
        assert {"camera_id", "source", "source_ref", "municipality_id"} <= set(f["properties"])
    assert sorted({f["properties"]["municipality_id"] for f in cams["features"]}) == [
        "70645", "70653", "70882", "71308", "80110", "80152", "80420", "80438"]


def test_geopackage_layers_keep_values_and_types(default_build) -> None:  # type: ignore[no-untyped-def]
    path = default_build.outputs["camera-map.gpkg"]
    layers = {name for name, _ in pyogrio.list_layers(path)}
    assert layers == {"municipalities", "cameras", "cities", "rejected", "conflicts", "problems"}
    info = pyogrio.read_info(path, layer="municipalities")
    types = dict(zip(info["fields"], info["dtypes"], strict=True))
    assert types["population"] == "int64" and types["cameras_per_1000"] == "float64"
    assert types["name"] == "object"
    import fiona  # a second, independent GDAL binding

    with fiona.open(path, layer="cameras") as layer:
        schema = layer.schema["properties"]
        assert layer.schema["geometry"] == "Point" and layer.crs.to_epsg() == 4326
    assert schema["count"].startswith("int") and schema["camera_id"].startswith("str")
    assert schema["facial_recognition"].startswith(("bool", "int"))
    back = gpd.read_file(path, layer="municipalities").set_index("id")
    assert back.at["70882", "cameras"] == 100 and pd.isna(back.at["70017", "cameras"])
    assert back.crs.to_epsg() == 4326 and len(back) == 161


def test_same_inputs_give_byte_identical_exports(tmp_path: Path) -> None:
    formats = ["geojson", "csv", "gpkg", "fgb"]
    a = camera_map.build(out_dir=tmp_path / "a", formats=formats)
    b = camera_map.build(out_dir=tmp_path / "b", formats=formats)
    for name in ("municipalities.geojson", "cameras.geojson", "municipalities.csv",
                 "cameras.csv", "sources.json", "camera-map.gpkg", "cameras.fgb",
                 "municipalities.fgb"):
        assert a.outputs[name].read_bytes() == b.outputs[name].read_bytes(), name
    # The GeoPackage dates its layers by the newest evidence, not by the clock
    with sqlite3.connect(a.outputs["camera-map.gpkg"]) as db:
        stamps = {row[0] for row in db.execute("SELECT last_change FROM gpkg_contents")}
    cams = pd.read_csv(a.outputs["cameras.csv"], dtype=str)
    dated = pd.concat([cams["source_date"], cams["as_of"]]).dropna()
    newest = max(d for d in dated if len(d) == 10)  # the default's evidence has whole dates
    assert stamps == {f"{newest}T00:00:00.000Z"}


def test_source_date_epoch_dates_the_geopackage(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14 22:13:20 UTC
    res = camera_map.build(out_dir=tmp_path / "a", formats=["gpkg"])
    with sqlite3.connect(res.outputs["camera-map.gpkg"]) as db:
        stamps = {row[0] for row in db.execute("SELECT last_change FROM gpkg_contents")}
    assert stamps == {"2023-11-14T22:13:20.000Z"}


def test_a_crash_leaves_no_half_written_file(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "o"
    camera_map.build(out_dir=out, formats=["geojson"])
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    import camera_map.export as export

    real_dumps = export.json.dumps
    calls = {"n": 0}

    def exploding(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] > 50:  # part-way through writing municipalities.geojson
            raise RuntimeError("disk on fire")
        return real_dumps(*args, **kwargs)

    monkeypatch.setattr(export.json, "dumps", exploding)
    with pytest.raises(RuntimeError, match="disk on fire"):
        camera_map.build(out_dir=out, formats=["geojson"])
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    assert set(after) == set(before)  # no temporary files left behind
    assert after["municipalities.geojson"] == before["municipalities.geojson"]


def test_own_boundaries_population_csv_and_points(tmp_path: Path) -> None:
    bnd = tmp_path / "towns.gpkg"
    gpd.GeoDataFrame({"code": ["A", "B", "C"], "naziv": ["Alfa", "Beta", "Gama"]},
                     geometry=[box(20, 44, 20.1, 44.1), box(20.1, 44, 20.2, 44.1),
                               box(20.2, 44, 20.3, 44.1)], crs=4326).to_file(bnd)
    pop = tmp_path / "pop.csv"
    pop.write_text("code,population\nA,1000\nB,2000\nC,\n", encoding="utf-8")
    cams = tmp_path / "cams.csv"
    cams.write_text("longitude,latitude\n20.05,44.05\n20.06,44.05\n20.15,44.05\n"
                    "20.25,44.05\n", encoding="utf-8")
    layer = layer_from_files(bnd, id_field="code", name_field="naziv", population=pop)
    res = camera_map.build([cams], layer=layer, out_dir=tmp_path / "o", formats=["csv"])
    units = res.metrics.units.set_index("id")
    assert units.at["A", "cameras"] == 2 and units.at["A", "cameras_per_1000"] == 2.0
    assert units.at["B", "cameras_per_1000"] == 0.5
    assert units.at["C", "cameras"] == 1 and pd.isna(units.at["C", "cameras_per_1000"])
    assert pd.isna(units.at["C", "population"])  # unknown, never 0
    assert units.at["A", "rank"] == 1 and units.at["B", "rank"] == 2
    # 0.1° × 0.1° at 44°N is 8.0 km × 11.1 km
    assert units.at["A", "area_km2"] == pytest.approx(89.0, abs=0.5)


def _console_script() -> Path:
    """The ``camera-map`` script that installing the package made beside this interpreter
    (its scripts folder), not whichever one PATH finds first."""
    name = "camera-map.exe" if os.name == "nt" else "camera-map"
    folders = dict.fromkeys([Path(sysconfig.get_path("scripts")), Path(sys.executable).parent])
    found = [f / name for f in folders if (f / name).is_file()]
    assert found, f"no {name} in {', '.join(map(str, folders))}: install the package first"
    return found[0]


def test_the_console_script_runs_the_default(tmp_path: Path) -> None:
    env = dict(os.environ, CAMERA_MAP_OUTPUT=str(tmp_path / "out"))
    res = subprocess.run([str(_console_script()), "build"], capture_output=True, text=True,
                         env=env, cwd=tmp_path, timeout=600)
    assert res.returncode == 0, res.stderr
    assert "✓ Osečina" in res.stdout
    assert (tmp_path / "out" / "map.html").exists()
    mod = subprocess.run([sys.executable, "-m", "camera_map", "--help"], capture_output=True,
                         text=True, timeout=60)
    assert mod.returncode == 0 and "Usage: camera-map" in mod.stdout


def test_threaded_exports_write_the_same_bytes(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import camera_map.pipeline as pipeline

    data = Path(__file__).parent / "data" / "osm" / "overpass_osecina.json"
    serial = camera_map.build([data], out_dir=tmp_path / "serial", png=False)
    monkeypatch.setattr(pipeline, "PARALLEL_EXPORT_ROWS", 0)
    threaded = camera_map.build([data], out_dir=tmp_path / "threaded", png=False)
    assert set(serial.outputs) == set(threaded.outputs)
    for name in ("municipalities.geojson", "cameras.geojson", "municipalities.csv",
                 "cameras.csv", "problems.csv", "sources.json"):
        assert serial.outputs[name].read_bytes() == threaded.outputs[name].read_bytes(), name


@pytest.mark.parametrize(("lang", "title"), [
    ("en", "Surveillance cameras — Serbia"),
    ("sr-Latn", "Kamere za video-nadzor — Srbija"),
    ("sr-Cyrl", "Камере за видео-надзор — Србија"),
])
def test_map_title_in_the_chosen_language(tmp_path: Path, lang: str, title: str) -> None:
    res = camera_map.build(out_dir=tmp_path, formats=[], png=False, map_options={"lang": lang})
    assert title in res.outputs["map.html"].read_text("utf-8")


def test_a_reported_zero_is_ranked_and_shown_as_zero(tmp_path: Path) -> None:
    reg = tmp_path / "odgovori.csv"
    reg.write_text("Opština,Broj kamera,Dokument\nLjig,0,Odgovor 1\nOsečina,100,Odgovor 2\n",
                   encoding="utf-8")
    res = camera_map.build([reg], out_dir=tmp_path / "o", formats=["csv"], png=False)
    ljig = res.metrics.unit("70769")
    assert (ljig["evidence"], ljig["cameras"], ljig["cameras_per_1000"], ljig["rank"]) == (
        "unit", 0, 0.0, 2)
    summary = res.summary()
    assert "2. Ljig: 0 cameras — status unknown, FOI reply; 0.00 per 1,000 residents" in summary
    # a user's register on the bundled layer: said plainly that the bundled evidence is left out
    assert "Bundled evidence of layer 'serbia' (public reporting): NOT included; add it to " \
           "your files with --with-bundled-evidence" in summary
    both = camera_map.analyse([reg], bundled_evidence=True)
    assert both.metrics.unit("70769")["cameras"] == 0
    assert both.metrics.unit("Kraljevo")["cameras"] == 113
    # Osečina: the register's 100 (status unknown) and the report's 100 (installed)
    assert both.metrics.unit("70882")["cameras"] == 100
    assert "(public reporting): included" in both.summary()
    muni = pd.read_csv(res.outputs["municipalities.csv"], dtype={"id": str}).set_index("id")
    assert muni.at["70769", "cameras"] == 0 and pd.isna(muni.at["70017", "cameras"])


def test_default_build_shows_every_sourced_figure_with_its_document(default_build) -> None:  # type: ignore[no-untyped-def]
    units = default_build.metrics.units
    own = units[units["evidence"] == "unit"].set_index("name")
    assert sorted(own.index) == ["Bečej", "Kragujevac", "Kraljevo", "Osečina", "Stara Pazova",
                                 "Subotica", "Zrenjanin"]
    numbered = own["cameras"].dropna()
    assert len(numbered) + 1 >= 6  # five units and the City of Belgrade with a number
    assert (own.at["Subotica", "cameras"], own.at["Subotica", "estimate_counts"],
            own.at["Subotica", "estimate_status"]) == (73, "locations", "testing")
    assert pd.isna(own.at["Bečej", "cameras"]) and own.at["Bečej", "vendors"] == "Dahua"
    # every figure cites a document with a link
    figures = default_build.metrics.figures
    assert len(figures) == 13
    assert figures["document"].str.contains(" — https://").all()
    summary = default_build.summary()
    assert "Subotica: at least 73 cameras (73 locations) — testing, as of 2024-05-24, " \
           "press/NGO report; at least 0.59 per 1,000 residents" in summary
    assert "Beograd (city): 1,200 cameras — installed, as of 2021-08-10" in summary
    assert "figures reported 661–8,000, not added" in summary
    assert "Bečej: cameras named without a number (not zero" in summary
    assert "on premises, not in the count: 2,865 in kindergartens (2025-12-12); 5,580 in " \
           "schools (2025-12-12)" in summary
    assert "Context (assigned to no unit): 42 local governments" in summary
    assert "More than 4,000 cameras in 60 cities and municipalities" in summary
    assert "Bundled evidence of layer 'serbia' (public reporting): included" in summary
    csv = pd.read_csv(default_build.outputs["municipalities.csv"], dtype={"id": str})
    kraljevo = csv.set_index("name").loc["Kraljevo"]
    assert "https://narcisijorgovan.rs/" in kraljevo["figures"]
    assert kraljevo["cameras_installed"] == 113


def test_a_large_build_keeps_its_cameras_in_geoparquet_and_says_why(  # type: ignore[no-untyped-def]
        tmp_path: Path, monkeypatch) -> None:
    import camera_map.pipeline as pipeline

    data = Path(__file__).parent / "data" / "osm" / "overpass_osecina.json"
    monkeypatch.setattr(pipeline, "LARGE_BUILD_CAMERAS", 3)  # "large" from 3 cameras on
    res = camera_map.build([data], out_dir=tmp_path / "auto", png=False)
    assert "cameras.parquet" in res.outputs
    assert not {"cameras.geojson", "cameras.csv"} & set(res.outputs)
    assert {"municipalities.geojson", "municipalities.csv", "camera-map.gpkg"} <= set(res.outputs)
    layers = [name for name, _ in pyogrio.list_layers(res.outputs["camera-map.gpkg"])]
    assert "cameras" not in layers and "municipalities" in layers
    back = gpd.read_parquet(res.outputs["cameras.parquet"])
    assert back.crs.to_epsg() == 4326
    assert list(back["camera_id"]) == list(res.cameras["camera_id"])
    assert back.geometry.geom_equals(res.cameras.geometry.reset_index(drop=True)).all()
    assert back["municipality_id"].tolist() == res.cameras["municipality_id"].tolist()
    why = f"The {len(res.cameras):,} camera rows are in cameras.parquet"
    assert why in (tmp_path / "auto" / "README.md").read_text(encoding="utf-8")
    assert why in (tmp_path / "auto" / "summary.txt").read_text(encoding="utf-8")
    # formats chosen by the user are written whatever the size
    chosen = camera_map.build([data], out_dir=tmp_path / "chosen", png=False,
                              formats=["geojson", "csv"])
    assert {"cameras.geojson", "cameras.csv"} <= set(chosen.outputs)
    assert "cameras.parquet" not in chosen.outputs and not chosen.notes
