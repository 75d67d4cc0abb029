"""Load the hand-made render fixtures (tests/data/render) as the frames the renderer takes."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from camera_map.table import camera_id_for, conform, validate_cameras

RENDER = Path(__file__).resolve().parent / "data" / "render"

ATTRIBUTION = [
    "© OpenStreetMap contributors, ODbL 1.0",
    "Population: Statistical Office of the Republic of Serbia (RZS), 2022 Census",
    "Belgrade city municipalities: Who's On First (https://whosonfirst.org/docs/licenses/), CC0",
]

_UNIT_DTYPES = {
    "id": "string", "name": "string", "name_cyr": "string", "population": "Int64",
    "area_km2": "Float64", "group_id": "string", "group_name": "string", "evidence": "string",
    "cameras": "Int64", "cameras_per_1000": "Float64", "cameras_per_km2": "Float64",
    "rank": "Int64", "group_cameras": "Int64", "group_population": "Int64",
    "group_area_km2": "Float64", "group_cameras_per_1000": "Float64",
    "group_cameras_per_km2": "Float64", "group_rank": "Int64",
    "facial_recognition_cameras": "Int64", "vendors": "string", "sources": "string",
    "documents": "string",
}  # fmt: skip


def load_units() -> gpd.GeoDataFrame:
    """Six squares with Serbian names and metrics columns (see the README there)."""
    gdf = gpd.read_file(RENDER / "units.geojson")
    for col, dtype in _UNIT_DTYPES.items():
        ser = gdf[col]
        if dtype == "string":
            ser = ser.astype("object").where(ser.notna(), None)
        gdf[col] = ser.astype(dtype)
    gdf["ranked"] = gdf["ranked"].astype(int)
    return gdf


def load_cameras() -> gpd.GeoDataFrame:
    """13 camera-table rows plus ``municipality_id`` and ``municipality_name``."""
    raw = gpd.read_file(RENDER / "cameras.geojson")
    raw["facial_recognition"] = raw["facial_recognition"].astype("boolean")
    raw["count"] = raw["count"].fillna(1).astype("Int64")  # a point is one camera
    table = conform(raw)
    table["camera_id"] = pd.Series(
        [camera_id_for(s, r) for s, r in zip(table["source"], table["source_ref"], strict=True)],
        dtype="string",
    )
    validate_cameras(table, where="tests/data/render/cameras.geojson")
    table["municipality_id"] = raw["municipality_id"].astype("string")
    table["municipality_name"] = raw["municipality_name"].astype("string")
    return table


def many_cameras(n: int, *, seed: int = 1) -> gpd.GeoDataFrame:
    """``n`` synthetic OSM cameras spread over the fixture squares (for size/scale tests)."""
    import numpy as np

    from camera_map.table import COLUMNS

    rng = np.random.default_rng(seed)
    lon = rng.uniform(19.6, 19.9, n)
    lat = rng.uniform(44.2, 44.4, n)
    data = {c: pd.Series(pd.NA, index=range(n), dtype=d) for c, d in COLUMNS.items()}
    data["count"] = pd.Series(1, index=range(n), dtype="Int64")
    data["source"] = pd.Series("osm", index=range(n), dtype="string")
    refs = [f"node/{10_000_000_000 + i}" for i in range(n)]
    data["source_ref"] = pd.Series(refs, dtype="string")
    data["camera_id"] = pd.Series([f"osm-{r.replace('/', '-')}" for r in refs], dtype="string")
    data["source_version"] = pd.Series(rng.integers(1, 9, n).astype(str), dtype="string")
    data["source_date"] = pd.Series(
        [f"2024-0{1 + i % 9}-1{i % 10}" for i in range(n)], dtype="string"
    )
    data["surveillance"] = pd.Series(rng.choice(["public", "outdoor"], n), dtype="string")
    data["surveillance_type"] = pd.Series(
        rng.choice(["camera", "camera", "ALPR"], n), dtype="string"
    )
    data["camera_type"] = pd.Series(rng.choice(["fixed", "dome", "panning"], n), dtype="string")
    data["direction"] = pd.Series(rng.integers(0, 360, n).astype(str), dtype="string")
    data["manufacturer"] = pd.Series(
        rng.choice(["Dahua", "Huawei", "Hikvision"], n), dtype="string"
    )
    data["geocode_precision"] = pd.Series("exact", index=range(n), dtype="string")
    frame = pd.DataFrame(data)
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    gdf["municipality_id"] = pd.Series(pd.NA, index=gdf.index, dtype="string")
    gdf["municipality_name"] = pd.Series(pd.NA, index=gdf.index, dtype="string")
    return gdf
