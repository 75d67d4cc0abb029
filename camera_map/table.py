"""The camera table: the one interface between pipeline stages.

Every source reader returns, and every later stage takes, a :class:`geopandas.GeoDataFrame`
with exactly the columns of :data:`COLUMNS` (in that order), geometry in EPSG:4326.
:func:`validate_cameras` checks the contract where stages meet and reports every problem
at once; :func:`cameras_from_records` builds a conforming table from plain dicts.

Unknown stays unknown: a value no source gave is missing (``<NA>``), never a guess.
``facial_recognition`` is a nullable boolean whose missing value means "unknown".
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from .errors import CameraTableError, ProblemLog
from .text import clean_text

CRS: Final = "EPSG:4326"

#: Canonical columns and their pandas dtypes, in output order (geometry last).
COLUMNS: Final[dict[str, str]] = {
    "camera_id": "string",  # stable: derived from source + source_ref
    "count": "Int64",  # 1 for a point; N >= 0 for a count row; <NA>: cameras, number unknown
    "counts": "string",  # what count counts: cameras, or locations (a lower bound on cameras)
    "source": "string",  # kind of source: foi, tender, report, osm, survey
    "source_ref": "string",  # node/123, or file.xlsx#Sheet1!row 17
    "source_version": "string",  # OSM element version, document revision
    "source_date": "string",  # ISO date of the evidence (OSM timestamp, document date)
    "document": "string",  # title / URL / reference of the FOI reply or tender
    "municipality": "string",  # as given by the source (name or code)
    "address": "string",
    "name": "string",
    "description": "string",
    "surveillance": "string",  # public, outdoor, indoor
    "surveillance_type": "string",  # camera, ALPR, guard, ...
    "camera_type": "string",  # fixed, dome, panning
    "mount": "string",
    "direction": "string",  # degrees: "90", "45;135", "350-20" (clockwise), "0-360"
    "height": "Float64",  # metres
    "zone": "string",
    "operator": "string",
    "manufacturer": "string",
    "model": "string",
    "facial_recognition": "boolean",  # capable of face recognition; <NA> = unknown
    "facial_recognition_software": "string",  # on, off (reported switched off), <NA> unknown
    "status": "string",  # planned, contracted, testing, installed, removed, unknown
    "scope": "string",  # public space, or premises (schools, ...): never added to public space
    "as_of": "string",  # ISO date (possibly partial) the figure describes
    "supplier": "string",
    "contract_value": "Float64",
    "installed": "string",  # ISO date, possibly partial ("2021", "2021-05")
    "geocode_precision": "string",
    "geocoder": "string",
    "note": "string",
    "tags": "string",  # JSON object of every original tag / column, sorted keys
}

STATUS_VALUES: Final = ("planned", "contracted", "testing", "installed", "removed", "unknown")
#: Kinds of source: an FOI reply, a tender document, a report by press or an NGO, OpenStreetMap,
#: a survey (one's own count in the street).
SOURCE_KINDS: Final = ("foi", "tender", "report", "osm", "survey")
#: What a count counts: cameras, or locations (each has at least one camera: a lower bound).
COUNTS_VALUES: Final = ("cameras", "locations")
#: Where the cameras are: in public space, or on premises (schools, kindergartens, ...), which
#: are listed apart and never added to the public-space count. "premises (schools)" is allowed.
PUBLIC_SPACE: Final = "public space"
PREMISES: Final = "premises"


def is_premises(scope: object) -> bool:
    """Whether a ``scope`` value means premises (not public space)."""
    return isinstance(scope, str) and scope.strip().lower().startswith(PREMISES)
PRECISION_VALUES: Final = (
    "exact",
    "address",
    "intersection",
    "street",
    "settlement",
    "municipality",
)
REQUIRED: Final = ("camera_id", "count", "source", "source_ref")


def camera_id_for(source: str, source_ref: str) -> str:
    """Return the stable id of the camera described by ``source_ref`` in ``source``.

    OSM elements keep their readable id (``osm-node-123``); other sources get a short hash
    of their reference, which is stable as long as the file name, sheet and row are.
    """
    if source == "osm" and "/" in source_ref:
        return "osm-" + source_ref.replace("/", "-")
    digest = hashlib.sha1(f"{source}\x1f{source_ref}".encode()).hexdigest()[:12]
    return f"{source}-{digest}"


def tags_json(tags: Mapping[str, Any] | None) -> str | None:
    """Serialise original tags/columns deterministically (sorted keys, no NaN, no control
    characters: they would reach the exports as ``\\u0000`` escapes)."""
    if not tags:
        return None
    clean = {
        clean_text(str(k)): (None if isinstance(v, float) and math.isnan(v)
                             else clean_text(v) if isinstance(v, str) else v)
        for k, v in tags.items()
    }
    return json.dumps(clean, ensure_ascii=False, sort_keys=True, default=str)


def empty_cameras() -> gpd.GeoDataFrame:
    """Return a camera table with no rows and every column typed."""
    return cameras_from_records([])


def cameras_from_records(records: Iterable[Mapping[str, Any]]) -> gpd.GeoDataFrame:
    """Build a conforming camera table from dicts.

    Each record may give ``geometry`` (a shapely Point, or None) or ``longitude`` and
    ``latitude`` in degrees (EPSG:4326). Missing columns are filled with ``<NA>``;
    ``camera_id`` is derived from ``source`` and ``source_ref`` when not given and
    ``count`` defaults to 1. Keys that are not canonical columns are an error: put them
    in ``tags``.
    """
    rows: list[dict[str, Any]] = []
    geoms: list[BaseGeometry | None] = []
    for rec in records:
        rec = dict(rec)
        geom = rec.pop("geometry", None)
        lon, lat = rec.pop("longitude", None), rec.pop("latitude", None)
        if geom is None and lon is not None and lat is not None:
            geom = Point(float(lon), float(lat))
        unknown = set(rec) - set(COLUMNS)
        if unknown:
            raise CameraTableError(
                f"record has columns that are not in the camera table: {sorted(unknown)}; "
                "put source-specific values in 'tags'"
            )
        if rec.get("camera_id") is None and rec.get("source") and rec.get("source_ref"):
            rec["camera_id"] = camera_id_for(str(rec["source"]), str(rec["source_ref"]))
        if rec.get("count") is None:
            rec["count"] = 1
        if isinstance(rec.get("tags"), Mapping):
            rec["tags"] = tags_json(rec["tags"])
        rows.append(rec)
        geoms.append(geom)
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=CRS), crs=CRS)
    return conform(gdf)


def conform(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return ``gdf`` with canonical column order and dtypes (extra columns are dropped)."""
    out = gdf.reset_index(drop=True)
    data: dict[str, pd.Series] = {}
    for col, dtype in COLUMNS.items():
        if col in out.columns:
            ser = out[col]
            if str(ser.dtype) == dtype:
                data[col] = ser
                continue
            if dtype == "string" and ser.dtype == object:
                ser = ser.where(ser.notna(), None)
                if not ser.map(lambda v: v is None or isinstance(v, str)).all():
                    ser = ser.map(lambda v: v if v is None else str(v))
            data[col] = ser.astype(dtype)
        else:
            data[col] = pd.Series(pd.NA, index=out.index, dtype=dtype)
    geometry = out.geometry if "geometry" in out.columns else gpd.GeoSeries([None] * len(out))
    result = gpd.GeoDataFrame(data, geometry=geometry.values, crs=gdf.crs or CRS)
    if result.crs is not None and result.crs.to_epsg() != 4326:
        result = result.to_crs(CRS)
    return result


def validate_cameras(gdf: gpd.GeoDataFrame, *, where: str = "camera table") -> gpd.GeoDataFrame:
    """Check the camera-table contract and return the table with canonical dtypes.

    Every problem is collected and raised together as :class:`CameraTableError`: missing
    columns, empty ids or references, duplicate ``camera_id``, ``count`` < 1, geometry
    that is not a point in EPSG:4326 degrees, and values outside the allowed vocabularies.
    ``where`` names the stage or file in the message.
    """
    log = ProblemLog()
    missing = [c for c in REQUIRED if c not in gdf.columns]
    if missing:
        log.add(f"missing required column(s) {missing}; the camera table needs {list(REQUIRED)}")
        log.raise_if_any(f"{where}: not a camera table", CameraTableError)
    if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        log.add(f"CRS is {gdf.crs.to_string()}, expected EPSG:4326; use .to_crs('EPSG:4326')")
    table = conform(gdf)
    refs = table["source_ref"]

    def report(mask: pd.Series | np.ndarray, message: str, column: str,
               values: pd.Series | None = None) -> None:
        # only the offending rows are turned into Python values (a million rows: none)
        for i in np.flatnonzero(np.asarray(mask, dtype=bool)):
            value = refs.iloc[i] if values is None else values.iloc[i]
            log.add(message, row=int(i) + 1, column=column,
                    value=None if value is pd.NA else value)

    geoms = table.geometry.values
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    for col in REQUIRED:
        ser = table[col]
        empty = ser.isna() | (ser.astype("string") == "").fillna(True)
        if col == "count":  # a count row may say "cameras, number not reported"
            empty = empty & present
        report(empty, f"{col} is empty", col)
    count = table["count"]
    report((count < 0).fillna(False), "count must be 0 or more (0: a source says there are "
           "none)", "count", count)
    status = table["status"]
    report(status.notna() & ~status.isin(STATUS_VALUES),
           f"status must be one of {STATUS_VALUES}", "status", status)
    counts = table["counts"]
    report(counts.notna() & ~counts.isin(COUNTS_VALUES),
           f"counts must be one of {COUNTS_VALUES}", "counts", counts)
    scope = table["scope"].astype("string")
    scope_ok = (scope == PUBLIC_SPACE) | scope.str.lower().str.startswith(PREMISES)
    report(scope.notna() & ~scope_ok.fillna(False),
           f"scope must be {PUBLIC_SPACE!r} or {PREMISES!r} (e.g. 'premises (schools)')",
           "scope", scope)
    prec = table["geocode_precision"]
    report(prec.notna() & ~prec.isin(PRECISION_VALUES),
           f"geocode_precision must be one of {PRECISION_VALUES}", "geocode_precision", prec)
    not_point = present & (shapely.get_type_id(geoms) != 0)
    report(not_point, "geometry must be a Point", "geometry")
    points = present & ~not_point
    x = np.where(points, shapely.get_x(geoms), 0.0)
    y = np.where(points, shapely.get_y(geoms), 0.0)
    bad_xy = points & ~((np.abs(x) <= 180) & (np.abs(y) <= 90))
    bad_at = np.flatnonzero(bad_xy)
    report(bad_xy, "coordinates are not longitude/latitude degrees (EPSG:4326)", "geometry",
           pd.Series(dict(zip(bad_at, [f"{x[i]}, {y[i]}" for i in bad_at], strict=True)),
                     dtype=object).reindex(range(len(x))))
    not_one = points & ~bad_xy & (count != 1).fillna(False).to_numpy()
    report(not_one, "a located camera must have count 1; a count row has no point", "count",
           count)
    ids = table["camera_id"]
    if repeats_values(ids):
        for cid in sorted(set(ids[ids.duplicated(keep=False) & ids.notna()])):
            log.add("camera_id is not unique", column="camera_id", value=cid)
    log.raise_if_any(f"{where}: the camera table is not valid", CameraTableError)
    return table


def repeats_values(column: pd.Series) -> bool:
    """Whether a value (other than missing) stands in ``column`` more than once.

    Asked of Arrow: pandas' ``duplicated`` turns a million strings into Python objects
    first, and any hash table of them leaves 100 MB more in the process. A column in
    ascending order (a camera table usually is, by ``camera_id``) needs no hashing at all.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    values = pa.array(column.array, from_pandas=True)
    if values.null_count == 0 and (len(values) < 2 or pc.all(
            pc.greater(values[1:], values[:-1])).as_py()):
        return False
    return bool(pc.count_distinct(values).as_py() != len(values) - values.null_count)


def clean_text_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with control characters (NUL, ESC, ...) removed from its text columns.

    Input files come from strangers; this runs once where the readers' tables meet, so that
    no control character reaches the map, the exports or the terminal. Arrow kernels do the
    work, and a column without any control character is left as it is.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    from .text import CONTROL_RE, has_control_bytes

    out = frame
    for col in frame.columns:
        if not isinstance(frame[col].dtype, pd.StringDtype):
            continue
        arr = pa.array(frame[col], type=pa.large_string(), from_pandas=True)
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        # (a column of missing values may sit on a buffer of zeros: nothing to clean)
        if arr.null_count == len(arr) or not has_control_bytes(arr):
            continue
        if out is frame:
            out = frame.copy()
        cleaned = pc.replace_substring_regex(arr, CONTROL_RE, "").to_pylist()
        out[col] = pd.Series(cleaned, index=frame.index, dtype=frame[col].dtype)
    return out


def is_located(gdf: gpd.GeoDataFrame) -> pd.Series:
    """Return a boolean mask of rows with a usable point."""
    geom = gdf.geometry
    return (geom.notna() & ~geom.is_empty).astype(bool)
