"""Merge cameras that several sources describe twice, keeping every source's provenance.

A camera often appears in a tender annex *and* in OpenStreetMap, or in two FOI replies.
:func:`merge_cameras` finds such pairs and makes one camera of them:

* **Who may merge.** Only located single cameras (``count == 1`` with a point). Count-only
  rows pass through unchanged, so each municipality can still report both numbers. Only
  records of different *origins* are candidates: an origin is the source plus the file part
  of ``source_ref`` (the text before ``#``; OSM refs such as ``node/123`` have none, so all
  of OSM is one origin). Two OSM nodes 3 m apart are two mapped cameras (e.g. two cameras
  on one pole), and so are two rows of one register.
* **How near.** Geodesic distance on the WGS84 ellipsoid, at most the threshold of the
  pair: the larger of the two records' thresholds, which depend on ``geocode_precision``
  (:data:`DEFAULT_DISTANCES`). ``settlement`` and ``municipality`` points never merge: such
  a point says "somewhere in this town", not where the camera is. Candidates come from
  scipy k-d trees of Earth-centred (ECEF) coordinates, one per threshold (up to 1,000
  rows, from comparing every pair directly, without importing scipy): no projection to
  choose, exact anywhere on Earth (across the ±180° meridian too), and several times
  faster than a shapely ``STRtree`` at a million points (benchmarks/merge.py).
* **No contradiction.** ``surveillance_type`` (camera vs ALPR vs guard), ``camera_type``
  (fixed vs dome vs panning), ``direction`` (centre bearings more than
  ``max_direction_difference`` apart, unless a range or all-round value covers the other)
  and ``operator`` (compared with :func:`camera_map.names.fold`). An unknown value on either
  side never contradicts. Close pairs that contradict are kept apart and reported in
  :attr:`MergeResult.conflicts` (for ``conflicts.csv``).
* **One per origin.** A merged camera has at most one record of each origin. Candidate
  pairs are taken shortest distance first (ties by ``camera_id``); a pair joining two
  already merged cameras is taken only if every record of one agrees with, and is within
  the threshold of, every record of the other. The result does not depend on row order.

Values of a merged camera come from the most authoritative record that has them: the
position (and physical details: type, mount, direction, height) from the most precise point,
surveyed OSM nodes before other exact points; the document's facts (vendor, model, facial
recognition, status, supplier, contract, operator, address) from FOI before other sources
before OSM. Every record's reference, document and tags are kept, and ``merge_reason``
says in words why the records were merged.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod

from .directions import Direction, parse_direction
from .errors import CameraTableError, InputError, Problem
from .names import fold
from .table import COLUMNS, PRECISION_VALUES, conform, is_located

__all__ = [
    "CONFLICT_COLUMNS",
    "DEFAULT_DISTANCES",
    "GROUP_COLUMNS",
    "MERGE_COLUMNS",
    "MergeResult",
    "distances_from_text",
    "merge_cameras",
]

log = logging.getLogger(__name__)

#: Default merge distance in metres per ``geocode_precision``; ``None`` never merges.
#: A point without a precision is read as given coordinates (``exact``).
DEFAULT_DISTANCES: Final[Mapping[str, float | None]] = {
    "exact": 15.0,
    "address": 30.0,
    "intersection": 40.0,
    "street": 60.0,
    "settlement": None,
    "municipality": None,
}

#: Columns :func:`merge_cameras` adds to the camera table.
MERGE_COLUMNS: Final = ("merged_from", "sources_all", "merge_reason")

#: Columns of :attr:`MergeResult.conflicts`.
CONFLICT_COLUMNS: Final = (
    "camera_id_a",
    "camera_id_b",
    "source_ref_a",
    "source_ref_b",
    "distance_m",
    "reason",
    "longitude",
    "latitude",
)

#: Columns of :attr:`MergeResult.groups`.
GROUP_COLUMNS: Final = ("camera_id", "merged_camera_id")

_GEOD: Final = Geod(ellps="WGS84")
_WGS84_A: Final = 6_378_137.0  # semi-major axis, metres
_WGS84_E2: Final = 6.694379990141317e-3  # first eccentricity squared

_PRECISION_RANK: Final = {p: i for i, p in enumerate(PRECISION_VALUES)}

#: Fields taken from the most precise point (surveyed OSM nodes first): what is seen on site.
_POSITION_FIELDS: Final = (
    "geocode_precision",
    "geocoder",
    "surveillance",
    "surveillance_type",
    "camera_type",
    "mount",
    "direction",
    "height",
    "zone",
)
#: Fields taken from the document first (FOI, then other sources, then OSM).
_DOCUMENT_FIELDS: Final = (
    "municipality",
    "address",
    "name",
    "description",
    "operator",
    "manufacturer",
    "model",
    "facial_recognition",
    "status",
    "supplier",
    "contract_value",
    "installed",
)
#: Fields whose distinct values are all kept, ``"; "``-joined in ``camera_id`` order.
_JOINED_FIELDS: Final = ("source_ref", "document", "note")

_CAMERA_TYPE_ALIASES: Final = {
    "fixed": "fixed",
    "fiksna": "fixed",
    "fiksne": "fixed",
    "staticna": "fixed",
    "bullet": "fixed",
    "box": "fixed",
    "dome": "dome",
    "kupola": "dome",
    "kupolasta": "dome",
    "panning": "panning",
    "ptz": "panning",
    "pan tilt zoom": "panning",
    "speed dome": "panning",
    "pokretna": "panning",
    "rotaciona": "panning",
}
_SURVEILLANCE_TYPE_ALIASES: Final = {
    "camera": "camera",
    "kamera": "camera",
    "video": "camera",
    "cctv": "camera",
    "alpr": "alpr",
    "anpr": "alpr",
    "lpr": "alpr",
    "guard": "guard",
    "cuvar": "guard",
}
_UNKNOWN_WORDS: Final = frozenset({"", "unknown", "nepoznato", "nepoznat", "n a", "na"})


@dataclass(frozen=True)
class MergeResult:
    """What :func:`merge_cameras` returns.

    Attributes
    ----------
    cameras
        The merged camera table, EPSG:4326: the columns of :data:`camera_map.table.COLUMNS`
        plus ``merged_from`` (``"; "``-joined sorted ``camera_id`` of every record merged
        into the camera, ``<NA>`` when it was not merged), ``sources_all`` (``"; "``-joined
        sorted source names, e.g. ``"foi; osm"``) and ``merge_reason`` (why, in words;
        ``<NA>`` when not merged). One row per real camera, sorted by ``camera_id``.
        A merged camera has ``count`` 1, the ``camera_id`` of its smallest member, the
        ``source``, ``source_version``, point and ``geocode_precision`` of the record whose
        position was taken, ``source_ref``/``document``/``note`` of every member
        (``"; "``-joined in ``merged_from`` order), the newest ``source_date``, and
        ``tags`` as one JSON object of every member's tags keyed by its ``camera_id``.
    conflicts
        One row per pair that was close enough to merge but contradicts itself, kept apart:
        :data:`CONFLICT_COLUMNS`, ``distance_m`` in metres, ``longitude``/``latitude`` the
        midpoint in degrees (EPSG:4326). ``reason`` names the values in the order a, b;
        several contradictions are ``"; "``-joined. Sorted by ``camera_id_a``,
        ``camera_id_b`` (``camera_id_a`` is the smaller). A pair is listed even when one
        of its records merged with a third one.
    groups
        Every input ``camera_id`` and the ``merged_camera_id`` of the camera it ended up in
        (itself when not merged), sorted by ``camera_id``.
    """

    cameras: gpd.GeoDataFrame
    conflicts: pd.DataFrame
    groups: pd.DataFrame

    @property
    def merges(self) -> int:
        """How many input records were folded into another one (input rows − output rows)."""
        return len(self.groups) - len(self.cameras)


# --------------------------------------------------------------------------- options


def _thresholds(distances: Mapping[str, float | None] | None) -> dict[str, float | None]:
    """Return the full precision → metres mapping, checking the user's part."""
    out: dict[str, float | None] = dict(DEFAULT_DISTANCES)
    if not distances:
        return out
    problems: list[Problem] = []
    for key, value in distances.items():
        if key not in _PRECISION_RANK:
            problems.append(Problem(
                f"unknown geocode precision {key!r}; use one of {', '.join(PRECISION_VALUES)}",
                column="distances", value=key))
            continue
        if value is None:
            out[key] = None
            continue
        try:
            metres = float(value)
        except (TypeError, ValueError):
            metres = math.nan
        if not math.isfinite(metres) or metres < 0:
            problems.append(Problem(
                f"merge distance for {key!r} must be a number of metres >= 0 (or None to "
                "never merge points of that precision)", column="distances", value=value))
            continue
        out[key] = metres
    if problems:
        raise InputError(f"invalid merge distances ({len(problems)} problem(s))", problems)
    return out


def distances_from_text(text: str) -> dict[str, float | None]:
    """Parse ``"exact=15,street=80,settlement=none"`` into a ``distances`` mapping.

    For a command-line option. Metres per ``geocode_precision``; ``none`` (or ``off``)
    never merges points of that precision. Raises :class:`~camera_map.errors.InputError`
    naming every bad part.
    """
    out: dict[str, float | None] = {}
    problems: list[Problem] = []
    for part in (p.strip() for p in re.split(r"[,;]", text)):
        if not part:
            continue
        key, sep, value = part.partition("=")
        key, value = key.strip().lower(), value.strip().lower().removesuffix("m").strip()
        if not sep or not key:
            problems.append(Problem("expected PRECISION=METRES, e.g. exact=15", value=part))
            continue
        if value in ("none", "off", "never"):
            out[key] = None
            continue
        try:
            out[key] = float(value)
        except ValueError:
            problems.append(Problem(f"{value!r} is not a number of metres", value=part))
    if problems:
        raise InputError(f"invalid merge distances {text!r} ({len(problems)} problem(s))",
                         problems)
    _thresholds(out)  # same checks as merge_cameras: known precisions, metres >= 0
    return out


# --------------------------------------------------------------------------- values


def _norm_set(value: object, aliases: Mapping[str, str]) -> frozenset[str] | None:
    """Normalised set of a ``;``-list vocabulary value; ``None`` when unknown."""
    if value is None or value is pd.NA:
        return None
    parts = set()
    for raw in str(value).split(";"):
        key = fold(raw, drop_unit_words=False)
        if key in _UNKNOWN_WORDS:
            continue
        parts.add(aliases.get(key, key))
    return frozenset(parts) or None


@lru_cache(maxsize=65536)
def _direction(text: str) -> Direction | None:
    parsed = parse_direction(text)
    return parsed if parsed.ok and parsed.sectors else None


def _circular(a: float, b: float) -> float:
    d = abs(a - b) % 360.0
    return min(d, 360.0 - d)


def _contains(sector: tuple[float, float], angle: float) -> bool:
    start, end = sector
    if (start, end) == (0.0, 360.0):
        return True
    if start == end:
        return _circular(start, angle) < 1e-9
    return (angle - start) % 360.0 <= (end - start) % 360.0 + 1e-9


def _direction_gap(a: Direction, b: Direction, limit: float) -> float | None:
    """Smallest centre difference of two directions, or ``None`` when they agree."""
    if a.all_round or b.all_round:
        return None
    best = math.inf
    for sa, ca in zip(a.sectors, a.centres, strict=True):
        for sb, cb in zip(b.sectors, b.centres, strict=True):
            # overlapping sectors (a range covering the other) never conflict
            if _contains(sa, sb[0]) or _contains(sb, sa[0]):
                return None
            diff = _circular(ca, cb)
            if diff <= limit:
                return None
            best = min(best, diff)
    return best


def _deg(direction: Direction) -> str:
    return ";".join(f"{p}°" for p in (direction.canonical or "").split(";"))


def _num(x: float) -> str:
    return f"{round(x, 1):g}"


def _codes(values: list[Any]) -> np.ndarray:
    """Integer code per value (equal values, equal codes); -1 for ``None``."""
    table: dict[Any, int] = {}
    out = np.empty(len(values), dtype=np.int64)
    for i, v in enumerate(values):
        out[i] = -1 if v is None else table.setdefault(v, len(table))
    return out


# --------------------------------------------------------------------------- merge


def merge_cameras(
    cameras: gpd.GeoDataFrame,
    *,
    distances: Mapping[str, float | None] | None = None,
    max_direction_difference: float = 45.0,
) -> MergeResult:
    """Merge records of different sources that describe the same camera.

    Parameters
    ----------
    cameras
        A camera table (:mod:`camera_map.table`), EPSG:4326, possibly of several sources.
        Count-only rows (no point) pass through unchanged.
    distances
        Merge distance in metres per ``geocode_precision``, overriding
        :data:`DEFAULT_DISTANCES` for the keys given; ``None`` means points of that
        precision never merge (the default for ``settlement`` and ``municipality``). A pair
        merges within the larger of its two distances, and only if neither is ``None``.
    max_direction_difference
        Largest difference in degrees between the centre bearings of two directions that
        still describe the same camera.

    Returns
    -------
    MergeResult
        The merged table, the close pairs kept apart because they contradict each other,
        and the mapping of every input ``camera_id`` to its merged camera.

    Raises
    ------
    CameraTableError
        If ``cameras`` lacks the camera-table columns, is not in EPSG:4326 or repeats a
        ``camera_id``.
    InputError
        If ``distances`` or ``max_direction_difference`` is not usable.

    Examples
    --------
    >>> from camera_map.table import cameras_from_records
    >>> table = cameras_from_records([
    ...     {"source": "osm", "source_ref": "node/1", "longitude": 20.46, "latitude": 44.8,
    ...      "geocode_precision": "exact", "camera_type": "dome"},
    ...     {"source": "foi", "source_ref": "reply.xlsx#row 2", "longitude": 20.4601,
    ...      "latitude": 44.8, "geocode_precision": "exact", "manufacturer": "Dahua"}])
    >>> result = merge_cameras(table)
    >>> result.cameras[["camera_type", "manufacturer", "sources_all"]].values.tolist()
    [['dome', 'Dahua', 'foi; osm']]
    """
    limits = _thresholds(distances)
    if not (math.isfinite(max_direction_difference) and 0 <= max_direction_difference <= 180):
        raise InputError(f"max_direction_difference must be between 0 and 180 degrees, got "
                         f"{max_direction_difference!r}")
    table = _checked(cameras)
    n = len(table)
    ids = table["camera_id"].to_numpy(dtype=object)
    geoms = table.geometry.values
    located = is_located(table).to_numpy() & (table["count"] == 1).fillna(False).to_numpy()
    precision = table["geocode_precision"].fillna("exact").astype(object)
    metres = {k: (np.nan if v is None else v) for k, v in limits.items()}
    thr = precision.map(metres).to_numpy(dtype=float, na_value=np.nan, copy=True)
    thr[~located] = np.nan
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    lon[located], lat[located] = shapely.get_x(geoms[located]), shapely.get_y(geoms[located])
    if len(np.unique(_origins(table, np.flatnonzero(located))[located])) < 2:
        # one origin (e.g. a single OSM extract): no two records may merge, nothing to pair
        ia = ib = np.empty(0, dtype=np.int64)
        dist, origin = np.empty(0), np.full(n, -1, dtype=np.int64)
    else:
        ia, ib, dist, origin = _close_pairs(table, lon, lat, thr)
    checks = _Checks(table, np.flatnonzero(origin >= 0), max_direction_difference)
    reasons = checks.conflicts(ia, ib)
    bad = np.array([r is not None for r in reasons], dtype=bool)
    good_a, good_b, good_d = ia[~bad], ib[~bad], dist[~bad]
    group, edges = _link(good_a, good_b, good_d, origin, n)

    conflicts = _conflict_frame(table, ia[bad], ib[bad], dist[bad],
                                [r for r in reasons if r is not None], lon, lat)
    edge_text = checks.agreements(good_a[edges], good_b[edges], good_d[edges],
                                  np.maximum(thr[good_a[edges]], thr[good_b[edges]]),
                                  precision.to_numpy(dtype=object))
    merged = _merged_table(table, group, good_a[edges], edge_text)
    groups = pd.DataFrame({
        "camera_id": pd.array(ids, dtype="string"),
        "merged_camera_id": pd.array(ids[group], dtype="string"),
    })
    log.info("merged %d of %d camera record(s) into others; %d close pair(s) conflict",
             n - len(merged), n, len(conflicts))
    return MergeResult(merged, conflicts, groups)


def _checked(cameras: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Canonical table sorted by ``camera_id`` (so the result is order-independent)."""
    missing = [c for c in ("camera_id", "count", "source", "source_ref")
               if c not in cameras.columns]
    if missing:
        raise CameraTableError(f"cameras to merge: missing column(s) {missing}; pass a camera "
                               "table (camera_map.table.validate_cameras)")
    if cameras.crs is not None and cameras.crs.to_epsg() != 4326:
        raise CameraTableError(f"cameras to merge: CRS is {cameras.crs.to_string()}, expected "
                               "EPSG:4326; use .to_crs('EPSG:4326')")
    table = _canonical(cameras)
    empty = table["camera_id"].isna() | table["source_ref"].isna() | table["source"].isna()
    if empty.any():
        raise CameraTableError(f"cameras to merge: camera_id, source or source_ref is empty in "
                               f"{int(empty.sum())} row(s), first row "
                               f"{int(np.flatnonzero(empty)[0]) + 1}; run "
                               "camera_map.table.validate_cameras first")
    dup = table["camera_id"][table["camera_id"].duplicated()]
    if len(dup):
        raise CameraTableError(f"cameras to merge: camera_id is not unique: "
                               f"{sorted(set(dup))[:5]}; run validate_cameras first")
    ids = table["camera_id"]
    if ids.is_monotonic_increasing:
        return table.reset_index(drop=True)
    # Arrow sorts UTF-8 bytes, which is the code point order of Python's str, in C++
    import pyarrow as pa
    import pyarrow.compute as pc

    order = pc.sort_indices(pa.array(ids.array, type=pa.large_string())).to_numpy()
    return table.iloc[order].reset_index(drop=True)


def _canonical(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The camera-table columns of ``frame``; :func:`conform` only when a dtype differs.

    (``conform`` rebuilds every string column value by value: seconds for a million rows.)
    """
    ok = all(c in frame.columns and str(frame[c].dtype) == t for c, t in COLUMNS.items())
    if not ok or frame.geometry.name != "geometry":
        return conform(frame)
    return gpd.GeoDataFrame(frame[[*COLUMNS, "geometry"]].reset_index(drop=True),
                            geometry="geometry", crs=frame.crs or "EPSG:4326")


def _origins(table: gpd.GeoDataFrame, rows: np.ndarray) -> np.ndarray:
    """Origin code (source + file part of ``source_ref``) of ``rows``; -1 elsewhere."""
    out = np.full(len(table), -1, dtype=np.int64)
    if len(rows) == 0:
        return out
    refs = table["source_ref"].iloc[rows].to_numpy(dtype=object)
    sources = table["source"].iloc[rows].to_numpy(dtype=object)
    keys = [f"{s}\x1f{r.partition('#')[0] if '#' in r else ''}"
            for s, r in zip(sources, refs, strict=True)]
    out[rows] = pd.factorize(np.array(keys, dtype=object))[0]
    return out


def _ecef(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Earth-centred coordinates in metres on the WGS84 ellipsoid (height 0)."""
    phi, lam = np.radians(lat), np.radians(lon)
    sin_phi = np.sin(phi)
    normal = _WGS84_A / np.sqrt(1.0 - _WGS84_E2 * sin_phi**2)
    return np.column_stack([
        normal * np.cos(phi) * np.cos(lam),
        normal * np.cos(phi) * np.sin(lam),
        normal * (1.0 - _WGS84_E2) * sin_phi,
    ])


#: Up to this many rows, all pairs are compared directly: cheaper than importing scipy.
_BRUTE_FORCE_ROWS = 1000


def _pairs_within(xyz: np.ndarray, reach: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``i < j`` whose straight-line distance is at most the larger of their reaches."""
    i, j = np.triu_indices(len(xyz), k=1)
    d = np.sqrt(((xyz[i] - xyz[j]) ** 2).sum(axis=1))
    ok = d <= np.maximum(reach[i], reach[j])
    return i[ok], j[ok]


def _tree_pairs(rows: np.ndarray, xyz: np.ndarray, thr: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """As :func:`_pairs_within`, with one k-d tree per threshold (many rows)."""
    from scipy.spatial import cKDTree

    levels = sorted(set(thr[rows].tolist()))
    trees = []
    for level in levels:
        sel = thr[rows] == level
        trees.append((rows[sel], cKDTree(xyz[sel], balanced_tree=False, compact_nodes=False)))
    found_a: list[np.ndarray] = []
    found_b: list[np.ndarray] = []
    for i, (rows_i, tree_i) in enumerate(trees):
        reach = float(levels[i]) * (1 + 1e-6) + 1e-6
        pairs = tree_i.query_pairs(reach, output_type="ndarray")
        found_a.append(rows_i[pairs[:, 0]])
        found_b.append(rows_i[pairs[:, 1]])
        for j in range(i + 1, len(trees)):
            rows_j, tree_j = trees[j]
            reach = float(levels[j]) * (1 + 1e-6) + 1e-6  # the larger of the two
            near = tree_i.sparse_distance_matrix(tree_j, reach, output_type="ndarray")
            found_a.append(rows_i[near["i"]])
            found_b.append(rows_j[near["j"]])
    return np.concatenate(found_a), np.concatenate(found_b)


def _close_pairs(table: gpd.GeoDataFrame, lon: np.ndarray, lat: np.ndarray, thr: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pairs ``a < b`` of different origins within their threshold, their distance (m), and
    the origin code of every row (-1 for rows in no pair: only those are worked out).

    Searches k-d trees of Earth-centred coordinates: the straight-line distance through the
    Earth is never longer than the distance along it (and differs by less than a micrometre
    at 100 m), so the search misses nothing, needs no projection, and works everywhere,
    across the ±180° meridian and at the poles. The distance kept is the geodesic one.
    """
    rows = np.flatnonzero(np.isfinite(thr))
    empty = np.empty(0, dtype=np.int64)
    if len(rows) < 2:
        return empty, empty, np.empty(0), np.full(len(thr), -1)
    xyz = _ecef(lon[rows], lat[rows])
    if len(rows) <= _BRUTE_FORCE_ROWS:
        a, b = _pairs_within(xyz, thr[rows] * (1 + 1e-6) + 1e-6)
        a, b = rows[a], rows[b]
    else:
        a, b = _tree_pairs(rows, xyz, thr)
    a, b = np.minimum(a, b), np.maximum(a, b)
    origin = _origins(table, np.unique(np.concatenate([a, b])))
    keep = origin[a] != origin[b]
    a, b = a[keep], b[keep]
    order = np.lexsort((b, a))
    a, b = a[order], b[order]
    if len(a) == 0:
        return empty, empty, np.empty(0), origin
    _, _, dist = _GEOD.inv(lon[a], lat[a], lon[b], lat[b])
    dist = np.asarray(dist, dtype=float)
    ok = dist <= np.maximum(thr[a], thr[b])
    return a[ok], b[ok], dist[ok], origin


class _Vocabulary:
    """One column as integer codes of its normalised values, each value read only once."""

    def __init__(self, column: pd.Series, rows: np.ndarray, normalise: Any,
                 show: Any = None) -> None:
        raw_codes = np.full(len(column), -1, dtype=np.int64)
        sub_codes, uniques = pd.factorize(column.iloc[rows].to_numpy(dtype=object,
                                                                     na_value=None))
        raw_codes[rows] = sub_codes
        self.raw: list[str] = [str(u) for u in uniques]
        self.value: list[Any] = [normalise(u) for u in self.raw]
        norm = np.append(_codes(self.value), -1)  # index -1 (missing) reads the last: -1
        self.raw_codes = raw_codes
        self.codes = norm[raw_codes]  # -1 where missing or "unknown"
        shown = [(show or str)(v) if v is not None else "" for v in
                 (self.value if show else self.raw)]
        self.shown = np.array([*shown, ""], dtype=object)

    def of(self, row: int) -> Any:
        return self.value[self.raw_codes[row]]

    def text(self, row: int) -> str:
        return self.raw[self.raw_codes[row]]

    def texts(self, rows: np.ndarray) -> np.ndarray:
        """How each of ``rows`` is shown in a reason (object array, ``""`` when missing)."""
        return self.shown[self.raw_codes[rows]]


class _Checks:
    """Contradiction and agreement tests between two rows of the sorted table."""

    def __init__(self, table: gpd.GeoDataFrame, rows: np.ndarray,
                 max_direction: float) -> None:
        """Read the values of ``rows`` (the rows that take part in a close pair)."""
        self.ids = table["camera_id"].to_numpy(dtype=object)
        self.max_direction = max_direction
        self.vocab = {
            "stype": _Vocabulary(table["surveillance_type"], rows,
                                 lambda v: _norm_set(v, _SURVEILLANCE_TYPE_ALIASES)),
            "camera_type": _Vocabulary(table["camera_type"], rows,
                                       lambda v: _norm_set(v, _CAMERA_TYPE_ALIASES)),
            "direction": _Vocabulary(table["direction"], rows, _direction, show=_deg),
            "operator": _Vocabulary(table["operator"], rows, lambda v: fold(v) or None),
        }

    def conflicts(self, ia: np.ndarray, ib: np.ndarray) -> list[str | None]:
        """Reason per pair why the two rows cannot be one camera; ``None`` when they can."""
        reasons: dict[int, list[str]] = {}
        for name, vocab in self.vocab.items():
            ca, cb = vocab.codes[ia], vocab.codes[ib]
            # only pairs where both are known and differ need a closer look
            for k in np.flatnonzero((ca >= 0) & (cb >= 0) & (ca != cb)).tolist():
                text = self._conflict(name, int(ia[k]), int(ib[k]))
                if text:
                    reasons.setdefault(k, []).append(text)
        out: list[str | None] = [None] * len(ia)
        for k, texts in reasons.items():
            out[k] = "; ".join(texts)
        return out

    def _conflict(self, name: str, a: int, b: int) -> str | None:
        vocab = self.vocab[name]
        va, vb = vocab.of(a), vocab.of(b)
        if name == "camera_type" and not va & vb:
            return f"camera:type {vocab.text(a)} vs {vocab.text(b)}"
        if name == "stype" and not va & vb:
            return f"surveillance:type {vocab.text(a)} vs {vocab.text(b)}"
        if name == "operator":
            return f"operators {vocab.text(a)!r} vs {vocab.text(b)!r}"
        if name == "direction":
            gap = _direction_gap(va, vb, self.max_direction)
            if gap is not None:
                return (f"directions {_deg(va)} vs {_deg(vb)} differ by {_num(gap)}° > "
                        f"{_num(self.max_direction)}°")
        return None

    def agreements(self, a: np.ndarray, b: np.ndarray, dist: np.ndarray,
                   threshold: np.ndarray, precision: np.ndarray) -> np.ndarray:
        """Say why each pair ``a[k]``, ``b[k]`` was merged (object array of text)."""
        if len(a) == 0:
            return np.empty(0, dtype=object)
        rank = pd.Series(precision).map(_PRECISION_RANK).fillna(0).to_numpy(dtype=int)
        names = np.array(PRECISION_VALUES, dtype=object)
        lo, hi = np.minimum(rank[a], rank[b]), np.maximum(rank[a], rank[b])
        kinds = names[lo] + np.where(lo != hi, "/" + names[hi], "")
        text = (self.ids[a] + " and " + self.ids[b] + " are "
                + np.char.mod("%.1f", dist).astype(object) + " m apart (threshold "
                + pd.Series(threshold).map(_num).to_numpy(dtype=object) + " m for " + kinds
                + " points)")
        both = {name: (v.codes[a] >= 0) & (v.codes[b] >= 0) for name, v in self.vocab.items()}
        voc = self.vocab
        text += np.where(both["stype"],
                         ", same surveillance type (" + voc["stype"].texts(a) + ")", "")
        text += np.where(both["camera_type"],
                         ", same type (" + voc["camera_type"].texts(a) + ")", "")
        text += np.where(both["direction"], ", directions " + voc["direction"].texts(a)
                         + " and " + voc["direction"].texts(b) + " agree", "")
        text += np.where(both["operator"],
                         ", operators agree (" + voc["operator"].texts(a) + ")", "")
        return text


def _link(ia: np.ndarray, ib: np.ndarray, dist: np.ndarray, origin: np.ndarray,
          n: int) -> tuple[np.ndarray, np.ndarray]:
    """Greedy grouping, shortest pair first; returns each row's group and the pairs used.

    The group of a row is the smallest row index (= smallest ``camera_id``) of its members.
    A group holds at most one row per origin, and two groups join only if every pair across
    them is an agreeing close pair (complete linkage), so that no chain of pairs drags in a
    record that is far from, or contradicts, another member. The pairs used come back as
    indices into ``ia``/``ib``, shortest first.
    """
    group = np.arange(n)
    if len(ia) == 0:
        return group, np.empty(0, dtype=np.int64)
    order = np.lexsort((ib, ia, dist))
    # a pair whose rows take part in no other pair is taken as it is, without the loop
    uses = np.bincount(np.concatenate([ia, ib]), minlength=n)
    alone = (uses[ia] == 1) & (uses[ib] == 1)
    group[ib[alone]] = ia[alone]
    taken = alone.copy()
    rest = order[~alone[order]]
    if len(rest):
        pairs = set(zip(ia[rest].tolist(), ib[rest].tolist(), strict=True))
        members: dict[int, list[int]] = {}
        origins: dict[int, set[int]] = {}
        grp = group.tolist()
        for k in rest.tolist():
            a, b = int(ia[k]), int(ib[k])
            ga, gb = grp[a], grp[b]
            if ga == gb:
                continue
            ma, mb = members.get(ga, [ga]), members.get(gb, [gb])
            oa = origins.get(ga) or {int(origin[ga])}
            ob = origins.get(gb) or {int(origin[gb])}
            if oa & ob:
                continue
            if (len(ma) > 1 or len(mb) > 1) and not all(
                (min(x, y), max(x, y)) in pairs for x in ma for y in mb
            ):
                continue
            root, other = min(ga, gb), max(ga, gb)
            moved = members.pop(other, [other])
            members[root] = ma + mb
            origins[root] = oa | ob
            origins.pop(other, None)
            for m in moved:
                grp[m] = root
            taken[k] = True
        group = np.asarray(grp)
    return group, order[taken[order]]


def _conflict_frame(table: gpd.GeoDataFrame, ia: np.ndarray, ib: np.ndarray,
                    dist: np.ndarray, reasons: list[str], lon: np.ndarray,
                    lat: np.ndarray) -> pd.DataFrame:
    ids = table["camera_id"].to_numpy(dtype=object)
    refs = table["source_ref"].to_numpy(dtype=object)
    mid_lon, mid_lat = _midpoints(lon[ia], lat[ia], lon[ib], lat[ib])
    return pd.DataFrame({
        "camera_id_a": pd.array(ids[ia], dtype="string"),
        "camera_id_b": pd.array(ids[ib], dtype="string"),
        "source_ref_a": pd.array(refs[ia], dtype="string"),
        "source_ref_b": pd.array(refs[ib], dtype="string"),
        "distance_m": np.round(dist, 2),
        "reason": pd.array(reasons, dtype="string"),
        "longitude": np.round(mid_lon, 7),
        "latitude": np.round(mid_lat, 7),
    })  # pairs come sorted by (a, b), i.e. by camera_id


def _midpoints(lon_a: np.ndarray, lat_a: np.ndarray, lon_b: np.ndarray,
               lat_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if len(lon_a) == 0:
        return np.empty(0), np.empty(0)
    az, _, dist = _GEOD.inv(lon_a, lat_a, lon_b, lat_b)
    mlon, mlat, _ = _GEOD.fwd(lon_a, lat_a, az, np.asarray(dist) / 2.0)
    return np.asarray(mlon, dtype=float), np.asarray(mlat, dtype=float)


def _join_members(values: np.ndarray, starts: np.ndarray, sizes: np.ndarray, sep: str,
                  *, distinct: bool = True) -> np.ndarray:
    """``sep``-join the non-missing values of each group's members, in member order.

    ``values`` holds the members group after group (object array, ``None`` = missing);
    group ``g`` is ``values[starts[g]:starts[g] + sizes[g]]``. Groups are small (one
    member per origin), so the loop runs over member positions, not over groups.
    """
    out = np.full(len(starts), None, dtype=object)
    seen: list[np.ndarray] = []
    for k in range(int(sizes.max()) if len(sizes) else 0):
        has = sizes > k
        v = np.full(len(starts), None, dtype=object)
        v[has] = values[starts[has] + k]
        if distinct:
            for prev in seen:
                v[v == prev] = None
            seen.append(v)
        vok = ~pd.isna(v)
        first = vok & pd.isna(out)
        more = vok & ~first
        out[first] = v[first]
        out[more] = out[more] + sep + v[more]
    return out


def _merged_table(table: gpd.GeoDataFrame, group: np.ndarray, edge_root: np.ndarray,
                  edge_text: np.ndarray) -> gpd.GeoDataFrame:
    """Build the output: unmerged rows as they are, one combined row per merged group.

    ``edge_root`` and ``edge_text`` are the pairs used (any member of the group, and why),
    shortest first. Rows are sorted by ``camera_id``: the table is, and a group's id is
    that of its first row.
    """
    n = len(table)
    size = np.bincount(group, minlength=n)
    keep = np.flatnonzero(group == np.arange(n))  # one row per output camera
    out = table.iloc[keep].reset_index(drop=True)
    out["merged_from"] = pd.array([pd.NA] * len(out), dtype="string")
    out["sources_all"] = out["source"].astype("string")
    out["merge_reason"] = pd.array([pd.NA] * len(out), dtype="string")
    keys = np.flatnonzero(size > 1)  # the root row of every merged group
    if len(keys) == 0:
        return out
    at = np.searchsorted(keep, keys)  # where each merged camera sits in ``out``

    rows = np.flatnonzero(size[group] > 1)
    g = group[rows]
    rank_of = np.full(n, -1)
    rank_of[keys] = np.arange(len(keys))
    gi = rank_of[g]  # group number 0..len(keys)-1, in camera_id order
    source = table["source"].to_numpy(dtype=object)[rows]
    prec = (table["geocode_precision"].astype(object).iloc[rows].map(_PRECISION_RANK)
            .fillna(0).to_numpy(dtype=int))  # no precision: given coordinates (exact)
    pos_rank = prec * 2 + (source != "osm")  # surveyed nodes first among equals
    doc_rank = np.where(source == "foi", 0, np.where(source == "osm", 2, 1))

    def firsts(rank: np.ndarray, cols: tuple[str, ...]) -> tuple[pd.DataFrame, np.ndarray]:
        order = np.lexsort((rows, rank, gi))
        part = table[list(cols)].iloc[rows[order]].reset_index(drop=True)
        # groupby().first() takes each column's first non-missing value in that order
        return part.groupby(gi[order], sort=True).first(), rows[order][
            np.flatnonzero(np.diff(gi[order], prepend=-1))]

    by_pos, primary = firsts(pos_rank, _POSITION_FIELDS)
    by_doc, _ = firsts(doc_rank, _DOCUMENT_FIELDS)

    order = np.lexsort((rows, gi))  # members in camera_id order
    members = rows[order]
    starts = np.flatnonzero(np.diff(gi[order], prepend=-1))
    sizes = np.diff(np.append(starts, len(members)))
    col = {c: table[c].iloc[members].to_numpy(dtype=object, na_value=None)
           for c in ("camera_id", "source", "source_ref", "document", "note", "tags",
                     "source_date")}
    combined: dict[str, Any] = {
        "merged_from": _join_members(col["camera_id"], starts, sizes, "; "),
        "source_ref": _join_members(col["source_ref"], starts, sizes, "; "),
        "document": _join_members(col["document"], starts, sizes, "; "),
        "note": _join_members(col["note"], starts, sizes, "; "),
    }
    names, codes = np.unique(col["source"].astype(str), return_inverse=True)
    mask = np.bitwise_or.reduceat(np.left_shift(1, codes.astype(np.int64)), starts)
    masks, which = np.unique(mask, return_inverse=True)
    combined["sources_all"] = np.array(
        ["; ".join(name for i, name in enumerate(names) if m >> i & 1) for m in masks],
        dtype=object)[which]
    cids = col["camera_id"].astype(str)
    safe = ~pd.Series(cids).str.contains(r'["\\\x00-\x1f]', regex=True).to_numpy()
    keys_json = np.where(safe, '"' + cids.astype(object) + '"',
                         np.array([json.dumps(c, ensure_ascii=False) for c in cids]
                                  if not safe.all() else cids, dtype=object))
    tags = col["tags"]
    entries = keys_json + ": " + np.where(pd.isna(tags), "null", tags)
    combined["tags"] = "{" + _join_members(entries, starts, sizes, ", ", distinct=False) + "}"
    dates = col["source_date"]
    newest = np.full(len(starts), None, dtype=object)
    for k in range(int(sizes.max())):
        has = np.flatnonzero(sizes > k)
        v = dates[starts[has] + k]
        cur = newest[has]
        newer = ~pd.isna(v) & (pd.isna(cur) | (v.astype(str) > cur.astype(str)))
        newest[has[newer]] = v[newer]
    combined["source_date"] = newest  # the newest evidence

    edge_group = rank_of[group[edge_root]]
    by_group = np.argsort(edge_group, kind="stable")  # keeps shortest-first within a group
    edge_starts = np.flatnonzero(np.diff(edge_group[by_group], prepend=-1))
    combined["merge_reason"] = _join_members(
        edge_text[by_group], edge_starts, np.diff(np.append(edge_starts, len(by_group))),
        "; ", distinct=False)

    def put(name: str, values: Any) -> None:
        arr = out[name].array.copy()
        arr[at] = pd.array(values, dtype=arr.dtype)
        out[name] = arr

    for name in _POSITION_FIELDS:
        put(name, by_pos[name].array)
    for name in _DOCUMENT_FIELDS:
        put(name, by_doc[name].array)
    for name, values in combined.items():
        put(name, values)
    put("count", np.ones(len(keys), dtype=np.int64))
    for name in ("source", "source_version"):
        put(name, table[name].array[primary])
    geometry = out.geometry.values.copy()
    geometry[at] = table.geometry.values[primary]
    out["geometry"] = geometry
    return gpd.GeoDataFrame(out[[*COLUMNS, *MERGE_COLUMNS, "geometry"]],
                            geometry="geometry", crs=table.crs)
