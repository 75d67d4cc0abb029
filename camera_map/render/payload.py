"""The cameras of the map page: the compact JSON its markers, heat map and cones are drawn from.

Coordinates become integers (1e-5 degree, about 1 m); a column with few distinct values
stores each once with an index per camera; flags and field names are those of
:mod:`camera_map.render.contract`. Above :data:`MAX_POINTS` drawn cameras the page shows
them aggregated to a grid, so that it stays a few MB whatever the number of cameras.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd

from ..directions import parse_direction
from ..table import camera_id_for, is_located
from . import i18n
from .contract import CAMERA_FLAGS, FILTER_FIELDS

#: Positions this coarse say where a camera is counted, not where it stands.
APPROXIMATE: Final = frozenset({"settlement", "municipality"})


#: Camera types drawn as a circle: they turn, so any direction is possible.
TURNING: Final = frozenset({"dome", "panning", "ptz"})


#: Camera columns shown in popups, in order (tags/geocoder are internals).
POPUP_FIELDS: Final = (
    "name", "source", "source_ref", "source_version", "source_date", "document",
    "municipality_name", "municipality", "address", "description", "surveillance",
    "surveillance_type", "camera_type", "mount", "direction", "height", "zone", "operator",
    "manufacturer", "model", "facial_recognition", "status", "counts", "scope", "as_of",
    "supplier", "contract_value", "installed", "geocode_precision", "note", "camera_id",
)  # fmt: skip


def direction_cones(text: object, *, width: float = 60.0) -> list[tuple[float, float]] | None:
    """View cones of a ``direction`` value, parsed by :func:`camera_map.directions.parse_direction`.

    Parameters
    ----------
    text
        ``"90"``, ``"45;135"`` (several cameras), ``"350-20"`` (a range, clockwise),
        ``"0-360"`` (all round) or compass points (``"NE"``); degrees clockwise from north.
    width
        Opening of a cone, in degrees, where the value gives one direction only.

    Returns
    -------
    list of (start, width) or None
        Cones as start bearing in [0, 360) and opening in degrees, clockwise; a full circle
        is ``(0, 360)``. None when the text is not a direction (nothing is drawn).
    """
    if i18n.is_missing(text):
        return None
    parsed = parse_direction(str(text))
    if not parsed.ok:
        return None
    cones: list[tuple[float, float]] = []
    for start, end in parsed.sectors:
        if (start, end) == (0.0, 360.0):
            cones.append((0.0, 360.0))
        elif start == end:
            cones.append(((start - width / 2) % 360, float(width)))
        else:
            cones.append((start, (end - start) % 360))
    return cones or None


@dataclass
class CameraSummary:
    """What the cameras frame holds and what of it the map draws."""

    drawn: int = 0
    approximate: int = 0
    count_only: int = 0
    has_osm: bool = False
    #: markers drawn when cameras were aggregated to a grid (0: one marker per camera)
    cells: int = 0
    #: size of the grid cells in metres, when aggregated
    cell_m: int = 0


#: Coordinates travel as integers: degrees × SCALE (1e-5°, about 1 m).
SCALE: Final = 100000
#: Above this many drawn cameras the page shows them aggregated to a grid, so that it stays
#: under ~5 MB and responsive whatever the number of cameras (measured: 50,000 individual
#: cameras make a 3.4 MB page).
MAX_POINTS: Final = 40_000


#: Most grid cells an aggregated page holds (an aggregated marker is smaller than a camera).
MAX_CELLS: Final = 60_000


def _camera_flags(pts: pd.DataFrame) -> np.ndarray:
    """The :data:`~camera_map.render.contract.CAMERA_FLAGS` of each camera: ``fr`` for
    face recognition, ``alpr`` for an ALPR/ANPR ``surveillance_type``."""
    flags = np.zeros(len(pts), dtype=int)
    if "facial_recognition" in pts:
        fr = pts["facial_recognition"].astype("boolean").fillna(False)
        flags |= fr.to_numpy(dtype=bool).astype(int) * CAMERA_FLAGS["fr"]
    if "surveillance_type" in pts:
        alpr = pts["surveillance_type"].astype("string").str.upper().isin(["ALPR", "ANPR"])
        flags |= alpr.fillna(False).to_numpy(dtype=bool).astype(int) * CAMERA_FLAGS["alpr"]
    return flags


def _aggregated_payload(pts: gpd.GeoDataFrame, lang: str, summary: CameraSummary,
                        max_points: int) -> dict[str, Any]:
    """Cameras binned to the finest square grid (0.001° doubling) with ≤ ``max_points`` cells.

    A cell keeps apart cameras that the filters tell apart (face recognition, ALPR, vendor,
    source), so filtering still works; each marker carries its number of cameras (``w``),
    placed at the mean position of its cameras. Deterministic: sorted by cell and keys.
    """
    x = pts.geometry.x.to_numpy()
    y = pts.geometry.y.to_numpy()
    filters = sorted(FILTER_FIELDS.values(), key=POPUP_FIELDS.index)  # source, manufacturer
    keys = pd.DataFrame({"flags": _camera_flags(pts), **{
        col: _text_column(pts, col, lang).fillna("") if col in pts else "" for col in filters}})
    grid = 0.001
    while True:
        keys["cx"] = np.floor(x / grid).astype(np.int64)
        keys["cy"] = np.floor(y / grid).astype(np.int64)
        if len(keys.drop_duplicates()) <= max_points:
            break
        grid *= 2
    keys["x"], keys["y"] = x, y
    agg = (keys.groupby(["cy", "cx", "flags", *filters], sort=True)
           .agg(x=("x", "mean"), y=("y", "mean"), w=("x", "size")).reset_index())
    cols: dict[str, Any] = {}
    fields: list[str] = []
    for col in filters:
        values = agg[col].where(agg[col] != "", None)
        if values.isna().all():
            continue
        fields.append(col)
        codes, uniques = pd.factorize(values, sort=True)
        cols[col] = {"d": [str(u) for u in uniques], "i": (codes + 1).tolist()}
    cell_m = round(grid * 111_320)
    summary.cells, summary.cell_m = len(agg), cell_m
    return {
        "n": len(agg), "scale": SCALE,
        "lat": np.round(agg["y"].to_numpy() * SCALE).astype(np.int64).tolist(),
        "lon": np.round(agg["x"].to_numpy() * SCALE).astype(np.int64).tolist(),
        "fields": fields, "cols": cols, "flags": agg["flags"].astype(int).tolist(),
        "cone": [0] * len(agg), "cones": [None], "w": agg["w"].astype(int).tolist(),
        "cellMetres": cell_m, "heatMax": float(max(1.0, np.percentile(agg["w"], 90))),
    }  # fmt: skip


def _text_column(cameras: pd.DataFrame, col: str, lang: str) -> pd.Series:
    ser = cameras[col]
    if col == "facial_recognition":
        out = ser.astype("boolean").map(
            lambda v: (
                None if v is pd.NA or v is None else i18n.text(f"bool.{str(bool(v)).lower()}", lang)
            )
        )
        return out.astype("object")
    if col in ("height", "contract_value"):
        return ser.map(lambda v: None if i18n.is_missing(v) else f"{float(v):g}").astype("object")
    out = ser.astype("object").where(ser.notna(), None)
    return out.map(lambda v: None if v is None or str(v) == "" else str(v))


def camera_payload(
    cameras: gpd.GeoDataFrame | None, lang: str, *, max_points: int | None = None
) -> tuple[dict[str, Any], CameraSummary]:
    """Return the compact JSON the page builds its markers, heat map and cones from.

    Coordinates become integers (1e-5 degree, about 1 m); a column with few distinct
    values stores each once with an index per camera; columns that are empty everywhere are
    left out; ``camera_id`` is left out where it is just ``source`` + ``source_ref``. More
    than ``max_points`` drawn cameras are aggregated to a grid (see
    :func:`_aggregated_payload`).
    """
    summary = CameraSummary()
    if cameras is None or len(cameras) == 0:
        return _empty_payload(), summary
    pts = _drawn_cameras(cameras, summary)
    if len(pts) == 0:
        return _empty_payload(), summary
    if max_points is None:
        max_points = MAX_POINTS
    if len(pts) > max_points:
        return _aggregated_payload(pts, lang, summary, min(MAX_CELLS, max(max_points, 1))), \
            summary
    fields, cols = _popup_columns(pts, lang)
    cone, cones = _cone_table(pts)
    payload = {
        "n": len(pts), "scale": SCALE,
        "lat": np.round(pts.geometry.y.to_numpy() * SCALE).astype(np.int64).tolist(),
        "lon": np.round(pts.geometry.x.to_numpy() * SCALE).astype(np.int64).tolist(),
        "fields": fields, "cols": cols, "flags": _camera_flags(pts).tolist(), "cone": cone,
        "cones": cones,
    }  # fmt: skip
    return payload, summary


def _empty_payload() -> dict[str, Any]:
    return {"n": 0, "scale": SCALE, "lat": [], "lon": [], "fields": [], "cols": {},
            "flags": [], "cone": [], "cones": [None]}  # fmt: skip


def _drawn_cameras(cameras: gpd.GeoDataFrame, summary: CameraSummary) -> gpd.GeoDataFrame:
    """The located cameras precise enough to draw, in EPSG:4326; ``summary`` counts the
    rest (figures, cameras placed only to a settlement or municipality)."""
    cams = cameras
    if cams.crs is not None and cams.crs.to_epsg() != 4326:
        cams = cams.to_crs("EPSG:4326")
    counts = (
        cams["count"].fillna(1).astype(int) if "count" in cams else pd.Series(1, index=cams.index)
    )
    located = is_located(cams).to_numpy()
    prec = cams["geocode_precision"].astype("string") if "geocode_precision" in cams else None
    approx = (
        prec.isin(list(APPROXIMATE)).fillna(False).to_numpy(dtype=bool)
        if prec is not None
        else np.zeros(len(cams), dtype=bool)
    )
    # count rows are figures: several for one place are never added, so they are counted,
    # not summed (the Belgrade figures would add up to 19,000 "cameras")
    summary.count_only = int((~located).sum())
    summary.approximate = int(counts[located & approx].sum())
    if "source" in cams:
        summary.has_osm = bool((cams["source"].astype("string") == "osm").fillna(False).any())
    pts = cams[located & ~approx]
    summary.drawn = len(pts)
    return pts


def _popup_columns(pts: pd.DataFrame, lang: str) -> tuple[list[str], dict[str, Any]]:
    """The popup fields the cameras have, and each column stored once per distinct value
    (``{"d", "i"}``) or per camera (``{"v"}``); the filters' columns always by value."""
    cols: dict[str, Any] = {}
    fields: list[str] = []
    texts: dict[str, pd.Series] = {}
    for col in POPUP_FIELDS:
        if col not in pts.columns:
            continue
        ser = _text_column(pts, col, lang)
        if col == "camera_id" and "source" in pts and "source_ref" in pts:
            derived = [
                camera_id_for(str(s), str(r)) if s is not None and r is not None else None
                for s, r in zip(texts.get("source", ser), texts.get("source_ref", ser), strict=True)
            ]
            ser = ser.where(ser != pd.Series(derived, index=ser.index, dtype="object"), None)
        if col == "municipality" and "municipality_name" in texts:
            ser = ser.where(ser != texts["municipality_name"], None)
        texts[col] = ser
        if ser.isna().all():
            continue
        fields.append(col)
        codes, uniques = pd.factorize(ser, sort=True)
        if len(uniques) <= max(50, len(ser) // 4) or col in FILTER_FIELDS.values():
            cols[col] = {"d": [str(u) for u in uniques], "i": (codes + 1).tolist()}
        else:
            cols[col] = {"v": [v if v is not None else "" for v in ser.tolist()]}
    return fields, cols


def _cone_table(pts: pd.DataFrame) -> tuple[list[int], list[Any]]:
    """Each camera's index into the table of distinct view cones (0: none drawn)."""
    cone_table: list[Any] = [None]
    cone_index: dict[Any, int] = {}
    cone = np.zeros(len(pts), dtype=int)
    ctype = pts["camera_type"].astype("string").str.lower() if "camera_type" in pts else None
    dirs = pts["direction"].astype("string") if "direction" in pts else None
    for j in range(len(pts)):
        spec: Any = None
        if ctype is not None and not i18n.is_missing(ctype.iloc[j]) and ctype.iloc[j] in TURNING:
            spec = "c"
        elif dirs is not None and not i18n.is_missing(dirs.iloc[j]):
            parsed = direction_cones(dirs.iloc[j])
            if parsed:
                spec = (
                    "c"
                    if any(w >= 360 for _, w in parsed)
                    else tuple((round(a, 1), round(w, 1)) for a, w in parsed)
                )
        if spec is None:
            continue
        if spec not in cone_index:
            cone_index[spec] = len(cone_table)
            cone_table.append(spec if spec == "c" else [list(c) for c in spec])
        cone[j] = cone_index[spec]
    return cone.tolist(), cone_table
