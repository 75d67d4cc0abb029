"""Write results: GeoJSON (RFC 7946), CSV and ``sources.json``, deterministically and atomically.

The same inputs give byte-identical files: rows in a stable order (municipalities by
official code, cameras by ``camera_id``), a fixed number of decimals (coordinates: 7 for
camera points, 6 for boundaries; figures: 4), no timestamps. GeoJSON follows RFC 7946:
WGS84 longitude/latitude, polygons wound counter-clockwise, with the attribution as a
foreign member of the FeatureCollection. Every file goes through a temporary file in the
same folder, so a crash never leaves a half-written output.
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import __version__
from ._io import write_text_atomic, write_with_atomic

#: Decimals kept for figures such as cameras per 1,000 residents.
FIGURE_DECIMALS = 4


def _scalar(value: Any, decimals: int = FIGURE_DECIMALS) -> Any:
    """A JSON-ready Python value: NA → None, numpy → builtin, floats rounded."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        value = round(value, decimals)
        return int(value) if value.is_integer() and abs(value) < 2**53 and decimals == 0 else value
    return value


def _encode_column(series: pd.Series, decimals: int, parse_json: bool = False) -> list[str]:
    """JSON-encode every value of a column (each distinct value encoded once)."""
    cache: dict[Any, str] = {}
    out: list[str] = []
    for v in series.astype(object):
        key = (type(v), v) if not isinstance(v, float) or not math.isnan(v) else ("nan",)
        try:
            hit = cache.get(key)
        except TypeError:  # unhashable
            hit = None
        if hit is None:
            val = _scalar(v, decimals)
            if parse_json and isinstance(val, str):
                val = json.loads(val)
            hit = json.dumps(val, ensure_ascii=False, sort_keys=True)
            with contextlib.suppress(TypeError):  # unhashable values are not cached
                cache[key] = hit
        out.append(hit)
    return out


def _round_coords(coords: Any, decimals: int) -> Any:
    if isinstance(coords, (list, tuple)) and coords and isinstance(coords[0], (int, float)):
        return [round(float(c), decimals) for c in coords]
    return [_round_coords(c, decimals) for c in coords]


def _geometry_json(geoms: Sequence[Any], decimals: int) -> list[str]:
    """RFC 7946 geometry objects (null for missing/empty), coordinates rounded."""
    arr = np.asarray(geoms, dtype=object)
    missing = shapely.is_missing(arr) | shapely.is_empty(arr)
    out = ["null"] * len(arr)
    present = np.flatnonzero(~missing)
    if present.size == 0:
        return out
    sub = arr[present]
    types = shapely.get_type_id(sub)
    if (types == 0).all():  # points: fast path
        xy = np.round(shapely.get_coordinates(sub), decimals)
        fmt = f"{{:.{decimals}f}}"
        for i, (x, y) in zip(present, xy, strict=True):
            out[i] = ('{"type":"Point","coordinates":[' + _trim(fmt.format(x)) + ","
                      + _trim(fmt.format(y)) + "]}")
        return out
    sub = shapely.orient_polygons(sub, exterior_cw=False)
    for i, g in zip(present, sub, strict=True):
        mapping = shapely.geometry.mapping(g)
        out[i] = json.dumps({"type": mapping["type"],
                             "coordinates": _round_coords(mapping["coordinates"], decimals)},
                            separators=(",", ":"))
    return out


def _trim(number: str) -> str:
    """Drop trailing zeros of a fixed-point number ("20.4600000" → "20.46")."""
    if "." in number:
        number = number.rstrip("0").rstrip(".")
    return "0" if number in ("-0", "") else number


def write_geojson(
    gdf: gpd.GeoDataFrame,
    path: str | Path,
    *,
    columns: Sequence[str] | None = None,
    coordinate_decimals: int = 7,
    figure_decimals: int = FIGURE_DECIMALS,
    json_columns: Iterable[str] = (),
    name: str | None = None,
    attribution: Sequence[str] = (),
) -> Path:
    """Write ``gdf`` as an RFC 7946 FeatureCollection, one feature per line.

    Rows are written in the frame's order (sort it first for stable output). Columns in
    ``json_columns`` hold JSON text and are embedded as objects. ``attribution`` goes in a
    foreign member of the same name.
    """
    if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs("EPSG:4326")
    cols = list(columns) if columns is not None else [c for c in gdf.columns
                                                       if c != gdf.geometry.name]
    json_cols = set(json_columns)
    encoded = [_encode_column(gdf[c], figure_decimals, c in json_cols) for c in cols]
    keys = [json.dumps(c, ensure_ascii=False) + ":" for c in cols]
    geoms = _geometry_json(gdf.geometry.values, coordinate_decimals)
    head: dict[str, Any] = {"type": "FeatureCollection"}
    if name:
        head["name"] = name
    if attribution:
        head["attribution"] = list(attribution)
    head["generator"] = f"camera-map {__version__}"

    def writer(fh: IO[str]) -> None:
        fh.write(json.dumps(head, ensure_ascii=False)[:-1] + ',\n"features":[\n')
        for n, (geom, *vals) in enumerate(zip(geoms, *encoded, strict=True)):
            props = ",".join(k + v for k, v in zip(keys, vals, strict=True))
            sep = ",\n" if n else ""
            fh.write(f'{sep}{{"type":"Feature","properties":{{{props}}},"geometry":{geom}}}')
        fh.write("\n]}\n")

    return write_with_atomic(path, writer)


def _csv_value(v: Any, decimals: int) -> str:
    val = _scalar(v, decimals)
    if val is None:
        return ""
    if isinstance(val, bool):
        return "true" if val else "false"
    if isinstance(val, float):
        return _trim(f"{val:.{decimals}f}")
    return str(val)


def write_csv(frame: pd.DataFrame, path: str | Path, *, columns: Sequence[str] | None = None,
              figure_decimals: int = FIGURE_DECIMALS) -> Path:
    """Write ``frame`` (without geometry) as UTF-8 CSV with ``\\n`` line ends; empty = unknown."""
    cols = list(columns) if columns is not None else [
        c for c in frame.columns if not isinstance(frame[c].dtype, gpd.array.GeometryDtype)]
    encoded = [[_csv_value(v, figure_decimals) for v in frame[c].astype(object)] for c in cols]

    def writer(fh: IO[str]) -> None:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(cols)
        w.writerows(zip(*encoded, strict=True))

    return write_with_atomic(path, writer)


def write_json(data: Any, path: str | Path) -> Path:
    """Write ``data`` as indented, key-sorted UTF-8 JSON, atomically."""
    return write_text_atomic(path, json.dumps(data, ensure_ascii=False, indent=2,
                                              sort_keys=True, default=str) + "\n")


Writer = Callable[..., Path]


def _ogr_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns GDAL types well: nullable ints/floats/booleans stay typed, text stays text."""
    out = frame.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, gpd.array.GeometryDtype):
            continue
        if isinstance(out[col].dtype, pd.StringDtype) or out[col].dtype == object:
            out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out


def _geometry_type(gdf: gpd.GeoDataFrame) -> str:
    """The layer's geometry type for GDAL; cameras are Points even when all are count rows."""
    types = set(gdf.geom_type.dropna())
    if not types or types == {"Point"}:
        return "Point"
    if types <= {"Polygon", "MultiPolygon"}:
        return "MultiPolygon" if "MultiPolygon" in types else "Polygon"
    return "Unknown"


def write_geopackage(path: str | Path, layers: dict[str, pd.DataFrame], *,
                     description: str | None = None) -> Path:
    """Write several named layers into one GeoPackage, atomically.

    GeoDataFrames become spatial layers (EPSG:4326); plain DataFrames become attribute
    tables. Nullable integers, floats and booleans keep their SQLite types (INTEGER, REAL,
    BOOLEAN), so QGIS shows sensible field types. ``description`` (e.g. the attribution)
    is stored as every layer's description, which QGIS shows as its abstract.
    """
    import pyogrio

    from ._io import atomic_path

    with atomic_path(path) as tmp:
        for name, frame in layers.items():
            data = _ogr_ready(frame)
            options = {"DESCRIPTION": description} if description else {}
            if isinstance(data, gpd.GeoDataFrame):
                if data.crs is not None and data.crs.to_epsg() != 4326:
                    data = data.to_crs("EPSG:4326")
                pyogrio.write_dataframe(data, tmp, layer=name, driver="GPKG",
                                        promote_to_multi=False, layer_options=options,
                                        geometry_type=_geometry_type(data))
            else:
                pyogrio.write_dataframe(data, tmp, layer=name, driver="GPKG",
                                        layer_options=options)
    return Path(path)


def write_flatgeobuf(gdf: gpd.GeoDataFrame, path: str | Path) -> Path:
    """Write one layer as FlatGeobuf, atomically (no spatial index when a geometry is missing)."""
    import pyogrio

    from ._io import atomic_path

    data = _ogr_ready(gdf)
    has_null = bool((data.geometry.isna() | data.geometry.is_empty).any())
    with atomic_path(path) as tmp:
        pyogrio.write_dataframe(data, tmp, driver="FlatGeobuf",
                                layer_options={"SPATIAL_INDEX": "NO" if has_null else "YES"})
    return Path(path)
