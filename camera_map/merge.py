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
from .table import COLUMNS, PRECISION_VALUES, conform, is_located, repeats_values

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


def _aliases(words: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """Folded word -> the value it stands for, from value -> the words for it."""
    return {word: value for value, spellings in words.items() for word in spellings}


_CAMERA_TYPE_ALIASES: Final = _aliases({
    "fixed": ("fixed", "fiksna", "fiksne", "staticna", "bullet", "box"),
    "dome": ("dome", "kupola", "kupolasta"),
    "panning": ("panning", "ptz", "pan tilt zoom", "speed dome", "pokretna", "rotaciona"),
})
_SURVEILLANCE_TYPE_ALIASES: Final = _aliases({
    "camera": ("camera", "kamera", "video", "cctv"),
    "alpr": ("alpr", "anpr", "lpr"),
    "guard": ("guard", "cuvar"),
})
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
    _check_direction_limit(max_direction_difference)
    view = _Sorted.of(_checked(cameras))
    points = _Points.of(view, limits)
    ia, ib, dist, origin = _candidate_pairs(view, points)
    checks = _Checks(view, np.flatnonzero(origin >= 0), max_direction_difference)
    reasons = checks.conflicts(ia, ib)
    bad = np.array([r is not None for r in reasons], dtype=bool)
    good_a, good_b, good_d = ia[~bad], ib[~bad], dist[~bad]
    group, edges = _link(good_a, good_b, good_d, origin, len(view))
    conflicts = _conflict_frame(view, ia[bad], ib[bad], dist[bad],
                                [r for r in reasons if r is not None], points)
    a, b = good_a[edges], good_b[edges]
    edge_text = checks.agreements(a, b, good_d[edges], np.maximum(points.thr[a], points.thr[b]),
                                  points.precision)
    merged = _merged_table(view, group, a, edge_text)
    log.info("merged %d of %d camera record(s) into others; %d close pair(s) conflict",
             len(view) - len(merged), len(view), len(conflicts))
    return MergeResult(merged, conflicts, _group_frame(view, group))


def _check_direction_limit(max_direction_difference: float) -> None:
    if not (math.isfinite(max_direction_difference) and 0 <= max_direction_difference <= 180):
        raise InputError(f"max_direction_difference must be between 0 and 180 degrees, got "
                         f"{max_direction_difference!r}")


def _checked(cameras: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The canonical columns of ``cameras``, checked for what merging relies on."""
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
    if repeats_values(table["camera_id"]):
        dup = table["camera_id"][table["camera_id"].duplicated()]
        raise CameraTableError(f"cameras to merge: camera_id is not unique: "
                               f"{sorted(set(dup))[:5]}; run validate_cameras first")
    return table


def _canonical(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The camera-table columns of ``frame``; :func:`conform` only when a dtype differs.

    (``conform`` rebuilds every string column value by value: seconds for a million rows.)
    """
    ok = all(c in frame.columns and str(frame[c].dtype) == t for c, t in COLUMNS.items())
    if not ok or frame.geometry.name != "geometry":
        return conform(frame)
    return gpd.GeoDataFrame(frame[[*COLUMNS, "geometry"]].reset_index(drop=True),
                            geometry="geometry", crs=frame.crs or "EPSG:4326")


@dataclass(frozen=True)
class _Sorted:
    """The canonical table read in ``camera_id`` order, without reordering it.

    The result is sorted by ``camera_id`` (so that it does not depend on the input's row
    order), but a sorted copy of a million-row table is half a gigabyte more while the input
    is alive: every step works on view rows instead, and the rows of the result are taken
    once, at the end (:meth:`take`). View row ``i`` is table row ``pos[i]``; ``pos`` is
    ``None`` when the table is in order already.
    """

    table: gpd.GeoDataFrame
    pos: np.ndarray | None

    @classmethod
    def of(cls, table: gpd.GeoDataFrame) -> _Sorted:
        ids = table["camera_id"]
        if ids.is_monotonic_increasing:
            return cls(table, None)
        # Arrow sorts UTF-8 bytes, which is the code point order of Python's str, in C++
        import pyarrow as pa
        import pyarrow.compute as pc

        return cls(table, pc.sort_indices(pa.array(ids.array, type=pa.large_string()))
                   .to_numpy())

    def __len__(self) -> int:
        return len(self.table)

    def rows(self, at: np.ndarray) -> np.ndarray:
        """Table positions of view rows ``at``."""
        return at if self.pos is None else self.pos[at]

    def in_order(self, values: Any) -> Any:
        """A whole column (or array in table order) in view order."""
        return values if self.pos is None else values[self.pos]

    def objects(self, name: str, at: np.ndarray) -> np.ndarray:
        """Column ``name`` at view rows ``at``, as objects (``None`` where missing)."""
        return self.table[name].iloc[self.rows(at)].to_numpy(dtype=object, na_value=None)

    def take(self, at: np.ndarray) -> gpd.GeoDataFrame:
        """View rows ``at`` (ascending) as a new table; shares the columns when all are kept
        in table order."""
        if self.pos is None and len(at) == len(self.table):
            return self.table.copy(deep=False)  # copy-on-write: nothing is copied
        return self.table.iloc[self.rows(at)].reset_index(drop=True)


@dataclass(frozen=True)
class _Points:
    """Where each view row is and how far it may merge (arrays in view order)."""

    located: np.ndarray  # a single camera with a point (count 1): the rows that may merge
    lon: np.ndarray  # degrees, NaN where not located
    lat: np.ndarray
    thr: np.ndarray  # merge distance in metres; NaN: never merges
    precision: np.ndarray  # geocode_precision (objects), "exact" where missing

    @classmethod
    def of(cls, view: _Sorted, limits: Mapping[str, float | None]) -> _Points:
        table = view.table
        located = is_located(table).to_numpy() & (table["count"] == 1).fillna(False).to_numpy()
        # no precision: given coordinates (exact)
        codes, names = pd.factorize(table["geocode_precision"].fillna("exact"))
        metres = {k: (np.nan if v is None else v) for k, v in limits.items()}
        thr = np.array([metres.get(name, np.nan) for name in names] + [np.nan])[codes]
        thr[~located] = np.nan
        lon = np.full(len(table), np.nan)
        lat = np.full(len(table), np.nan)
        geoms = table.geometry.values[located]
        lon[located], lat[located] = shapely.get_x(geoms), shapely.get_y(geoms)
        precision = np.asarray(names, dtype=object)[codes]
        return cls(*(view.in_order(a) for a in (located, lon, lat, thr, precision)))


def _candidate_pairs(view: _Sorted, points: _Points
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The close pairs of :func:`_close_pairs`; none when every located row has one origin
    (e.g. a single OSM extract: no two of its records may merge, nothing to pair)."""
    located = np.flatnonzero(points.located)
    if len(np.unique(_origins(view, located)[located])) < 2:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0), np.full(len(view), -1, dtype=np.int64)
    return _close_pairs(view, points.lon, points.lat, points.thr)


def _origins(view: _Sorted, rows: np.ndarray) -> np.ndarray:
    """Origin code (source + file part of ``source_ref``) of view ``rows``; -1 elsewhere."""
    out = np.full(len(view), -1, dtype=np.int64)
    if len(rows) == 0:
        return out
    at = view.rows(rows)
    refs = view.table["source_ref"].iloc[at]
    # the file part: the text before the first "#"; an OSM ref ("node/1") has none
    files = refs.str.replace(r"(?s)#.*", "", regex=True).where(
        refs.str.contains("#", regex=False), "")
    source_codes = pd.factorize(view.table["source"].iloc[at])[0]
    file_codes, file_names = pd.factorize(files)
    out[rows] = pd.factorize(source_codes * (len(file_names) + 1) + file_codes)[0]
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


def _close_pairs(view: _Sorted, lon: np.ndarray, lat: np.ndarray, thr: np.ndarray
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
    origin = _origins(view, np.unique(np.concatenate([a, b])))
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

    def __init__(self, view: _Sorted, name: str, rows: np.ndarray, normalise: Any,
                 show: Any = None) -> None:
        raw_codes = np.full(len(view), -1, dtype=np.int64)
        sub_codes, uniques = pd.factorize(view.objects(name, rows))
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

    def __init__(self, view: _Sorted, rows: np.ndarray, max_direction: float) -> None:
        """Read the values of ``rows`` (the rows that take part in a close pair)."""
        self.view = view
        self.max_direction = max_direction
        self.vocab = {
            "stype": _Vocabulary(view, "surveillance_type", rows,
                                 lambda v: _norm_set(v, _SURVEILLANCE_TYPE_ALIASES)),
            "camera_type": _Vocabulary(view, "camera_type", rows,
                                       lambda v: _norm_set(v, _CAMERA_TYPE_ALIASES)),
            "direction": _Vocabulary(view, "direction", rows, _direction, show=_deg),
            "operator": _Vocabulary(view, "operator", rows, lambda v: fold(v) or None),
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
        rank_a, rank_b = (pd.Series(precision[r]).map(_PRECISION_RANK).fillna(0)
                          .to_numpy(dtype=int) for r in (a, b))
        names = np.array(PRECISION_VALUES, dtype=object)
        lo, hi = np.minimum(rank_a, rank_b), np.maximum(rank_a, rank_b)
        kinds = names[lo] + np.where(lo != hi, "/" + names[hi], "")
        ids_a, ids_b = self.view.objects("camera_id", a), self.view.objects("camera_id", b)
        text = (ids_a + " and " + ids_b + " are "
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


def _conflict_frame(view: _Sorted, ia: np.ndarray, ib: np.ndarray, dist: np.ndarray,
                    reasons: list[str], points: _Points) -> pd.DataFrame:
    lon, lat = points.lon, points.lat
    mid_lon, mid_lat = _midpoints(lon[ia], lat[ia], lon[ib], lat[ib])
    return pd.DataFrame({
        "camera_id_a": pd.array(view.objects("camera_id", ia), dtype="string"),
        "camera_id_b": pd.array(view.objects("camera_id", ib), dtype="string"),
        "source_ref_a": pd.array(view.objects("source_ref", ia), dtype="string"),
        "source_ref_b": pd.array(view.objects("source_ref", ib), dtype="string"),
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


def _merged_table(view: _Sorted, group: np.ndarray, edge_root: np.ndarray,
                  edge_text: np.ndarray) -> gpd.GeoDataFrame:
    """Build the output: unmerged rows as they are, one combined row per merged group.

    ``edge_root`` and ``edge_text`` are the pairs used (any member of the group, and why),
    shortest first. Rows are sorted by ``camera_id``: the view is, and a group's id is
    that of its first row.
    """
    n = len(view)
    size = np.bincount(group, minlength=n)
    keep = np.flatnonzero(group == np.arange(n))  # one row per output camera
    out = view.take(keep)
    none = _missing_strings(len(out))
    out["merged_from"] = none
    out["sources_all"] = out["source"].astype("string")
    out["merge_reason"] = _missing_strings(len(out), none)
    if not (size > 1).any():
        return out
    groups = _Groups.of(view, group, size)
    values = _authoritative_values(view, groups)
    values.update(_combined_values(view, groups))
    values["merge_reason"] = _merge_reasons(groups, group, edge_root, edge_text)
    values["count"] = np.ones(len(groups.keys), dtype=np.int64)
    at = np.searchsorted(keep, groups.keys)  # where each merged camera sits in ``out``
    for name, column in values.items():
        arr = out[name].array.copy()
        arr[at] = pd.array(column, dtype=arr.dtype)
        out[name] = arr
    geometry = out.geometry.values.copy()
    geometry[at] = view.table.geometry.values[view.rows(groups.primary)]
    out["geometry"] = geometry
    return gpd.GeoDataFrame(out[[*COLUMNS, *MERGE_COLUMNS, "geometry"]],
                            geometry="geometry", crs=view.table.crs)


def _missing_strings(n: int, like: Any = None) -> Any:
    """A string column of ``n`` missing values; built on the Arrow buffers of ``like`` (such
    a column too) when given, so that several such columns take the memory of one."""
    import pyarrow as pa

    nulls = pa.nulls(n, pa.large_string()) if like is None else like._pa_array
    return pd.array(nulls, dtype="string")


@dataclass(frozen=True)
class _Groups:
    """The merged groups: their member rows, and which member gives the position."""

    keys: np.ndarray  # the root row of every merged group (its smallest view row)
    rank_of: np.ndarray  # group number of a root row (0.. in camera_id order), else -1
    rows: np.ndarray  # view rows that belong to a merged group, ascending
    number: np.ndarray  # the group number of each of ``rows``
    members: np.ndarray  # ``rows`` group after group, in camera_id order within a group
    starts: np.ndarray  # where each group starts in ``members``
    sizes: np.ndarray  # how many members each group has
    pos_rank: np.ndarray  # authority of each of ``rows`` for the position (0 best)
    doc_rank: np.ndarray  # authority of each of ``rows`` for the document's facts
    primary: np.ndarray  # the member whose position (and source, version) the camera takes

    @classmethod
    def of(cls, view: _Sorted, group: np.ndarray, size: np.ndarray) -> _Groups:
        keys = np.flatnonzero(size > 1)
        rows = np.flatnonzero(size[group] > 1)
        rank_of = np.full(len(view), -1)
        rank_of[keys] = np.arange(len(keys))
        number = rank_of[group[rows]]
        order = np.lexsort((rows, number))  # members in camera_id order
        members = rows[order]
        starts = np.flatnonzero(np.diff(number[order], prepend=-1))
        sizes = np.diff(np.append(starts, len(members)))
        source = view.objects("source", rows)
        precision = (pd.Series(view.objects("geocode_precision", rows)).map(_PRECISION_RANK)
                     .fillna(0).to_numpy(dtype=int))  # no precision: given coordinates
        pos_rank = precision * 2 + (source != "osm")  # surveyed nodes first among equals
        doc_rank = np.where(source == "foi", 0, np.where(source == "osm", 2, 1))
        by_pos = np.lexsort((rows, pos_rank, number))
        primary = rows[by_pos][np.flatnonzero(np.diff(number[by_pos], prepend=-1))]
        return cls(keys, rank_of, rows, number, members, starts, sizes, pos_rank, doc_rank,
                   primary)


def _authoritative_values(view: _Sorted, groups: _Groups) -> dict[str, Any]:
    """Per merged camera, each field from its most authoritative member that has it: what
    is seen on site from the most precise point, the document's facts from FOI first."""
    values: dict[str, Any] = {}
    for rank, fields in ((groups.pos_rank, _POSITION_FIELDS),
                         (groups.doc_rank, _DOCUMENT_FIELDS)):
        order = np.lexsort((groups.rows, rank, groups.number))
        part = (view.table[list(fields)].iloc[view.rows(groups.rows[order])]
                .reset_index(drop=True))
        # groupby().first() takes each column's first non-missing value in that order
        firsts = part.groupby(groups.number[order], sort=True).first()
        values.update({name: firsts[name].array for name in fields})
    for name in ("source", "source_version"):
        values[name] = view.table[name].array[view.rows(groups.primary)]
    return values


def _combined_values(view: _Sorted, groups: _Groups) -> dict[str, Any]:
    """Per merged camera, the fields every member contributes to: ids, references,
    documents, notes, sources, tags (keyed by member) and the newest evidence date."""
    starts, sizes = groups.starts, groups.sizes
    col = {c: view.objects(c, groups.members)
           for c in ("camera_id", "source", "source_ref", "document", "note", "tags",
                     "source_date")}
    combined: dict[str, Any] = {
        "merged_from": _join_members(col["camera_id"], starts, sizes, "; "),
        **{name: _join_members(col[name], starts, sizes, "; ") for name in _JOINED_FIELDS},
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
    combined["source_date"] = _newest(col["source_date"], starts, sizes)
    return combined


def _newest(dates: np.ndarray, starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """The newest (largest ISO) date of each group's members; ``None`` when none has one."""
    newest = np.full(len(starts), None, dtype=object)
    for k in range(int(sizes.max())):
        has = np.flatnonzero(sizes > k)
        v = dates[starts[has] + k]
        cur = newest[has]
        newer = ~pd.isna(v) & (pd.isna(cur) | (v.astype(str) > cur.astype(str)))
        newest[has[newer]] = v[newer]
    return newest


def _merge_reasons(groups: _Groups, group: np.ndarray, edge_root: np.ndarray,
                   edge_text: np.ndarray) -> np.ndarray:
    """Why each merged camera was merged: its pairs' reasons, shortest pair first."""
    edge_group = groups.rank_of[group[edge_root]]
    by_group = np.argsort(edge_group, kind="stable")  # keeps shortest-first within a group
    edge_starts = np.flatnonzero(np.diff(edge_group[by_group], prepend=-1))
    return _join_members(edge_text[by_group], edge_starts,
                         np.diff(np.append(edge_starts, len(by_group))), "; ", distinct=False)


def _group_frame(view: _Sorted, group: np.ndarray) -> pd.DataFrame:
    """:attr:`MergeResult.groups`: every input ``camera_id`` and its merged camera's."""
    ids = view.in_order(view.table["camera_id"].array)
    merged = ids if (group == np.arange(len(group))).all() else ids.take(group)
    return pd.DataFrame({"camera_id": ids, "merged_camera_id": merged}, copy=False)
