"""Join cameras to municipal units: points by location, count rows by the name they give.

Points are assigned to the unit that covers them: the points are sorted by longitude once
and each prepared unit polygon tests, by their coordinates, only the points inside its
bounding box (no geometry object per point, no tree over a million points; other
geometries go through a spatial index). A point exactly on a shared border is covered by
both units; it goes to the one with the smaller id, so it is counted once. Rows without
a point (count-only FOI rows, addresses not yet geocoded) go to the unit or group their
``municipality`` names; a group (e.g. the City of Belgrade) keeps the count as a whole,
never split among its units.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .errors import Problem, UnknownPlaceError
from .layers import Layer, Match
from .table import is_located

log = logging.getLogger(__name__)

#: Columns :func:`join_cameras` adds to the camera table.
JOIN_COLUMNS = ["municipality_id", "municipality_name", "assigned_level", "assigned_by"]


@dataclass
class JoinResult:
    """Cameras with their unit or group, and what could not be assigned."""

    cameras: gpd.GeoDataFrame
    problems: list[Problem] = field(default_factory=list)

    @property
    def unassigned(self) -> gpd.GeoDataFrame:
        """Rows that belong to no unit or group (outside the layer, or unknown name)."""
        return self.cameras[self.cameras["municipality_id"].isna()]


def units_containing(points: gpd.GeoSeries, units: gpd.GeoDataFrame) -> pd.Series:
    """Return, for each point, the ``id`` of the unit that contains it (NA when none).

    Both inputs are in EPSG:4326. Points on a border shared by several units go to the
    unit with the smallest id; empty or missing geometries get NA.
    """
    ids = units["id"].astype(str).to_numpy(dtype=object)
    codes = _unit_rows(points.values, ids, units.geometry.values)
    return pd.Series(pd.array(ids, dtype="string").take(codes, allow_fill=True),
                     index=points.index)


def _unit_rows(geoms: np.ndarray, ids: np.ndarray, polygons: np.ndarray) -> np.ndarray:
    """For each point, the row of the unit that contains it (-1 when none); see
    :func:`units_containing`."""
    geoms = np.asarray(geoms)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not ok.any() or len(ids) == 0:
        return np.full(len(geoms), -1, dtype=np.int64)
    unit_i, point_i = _covering_pairs(geoms, ok, np.asarray(polygons))
    return _smallest_id(unit_i, point_i, ids, len(geoms))


def _covering_pairs(geoms: np.ndarray, ok: np.ndarray, polygons: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Every (unit row, point row) pair where the unit covers the point (inside or on its
    border): points by their coordinates, any other geometry through a spatial index."""
    is_point = ok & (shapely.get_type_id(geoms) == 0)
    unit_i, point_i = _covering_xy(geoms, np.flatnonzero(is_point), polygons)
    others = np.flatnonzero(ok & ~is_point)
    if len(others):
        tree = shapely.STRtree(geoms[others])
        u, p = tree.query(polygons, predicate="covers")
        unit_i, point_i = np.concatenate([unit_i, u]), np.concatenate([point_i, others[p]])
    return unit_i, point_i


def _covering_xy(geoms: np.ndarray, rows: np.ndarray, polygons: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(unit row, point row) pairs for the points ``rows``: the points sorted by longitude
    once, each prepared polygon tests only the points inside its bounding box (the
    units' boxes overlap little, so a point is tested about once). For a point, "covers"
    is "intersects", which the prepared polygon answers for coordinates without making a
    geometry of each point."""
    x, y = shapely.get_x(geoms[rows]), shapely.get_y(geoms[rows])
    order = np.argsort(x, kind="stable")
    xs, ys, rows = x[order], y[order], rows[order]
    units: list[np.ndarray] = []
    points: list[np.ndarray] = []
    for i, (x0, y0, x1, y1) in enumerate(shapely.bounds(polygons)):
        lo, hi = np.searchsorted(xs, x0, side="left"), np.searchsorted(xs, x1, side="right")
        box = lo + np.flatnonzero((ys[lo:hi] >= y0) & (ys[lo:hi] <= y1))
        if not len(box):
            continue
        shapely.prepare(polygons[i])
        hit = box[shapely.intersects_xy(polygons[i], xs[box], ys[box])]
        units.append(np.full(len(hit), i, dtype=np.int64))
        points.append(rows[hit])
    if not units:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(units), np.concatenate(points)


def _smallest_id(unit_i: np.ndarray, point_i: np.ndarray, ids: np.ndarray, n: int
                 ) -> np.ndarray:
    """The unit row of each of ``n`` points from its covering pairs: the smallest id wins
    on shared borders (and on the rare overlap sliver); -1 when no unit covers it."""
    out = np.full(n, -1, dtype=np.int64)
    # rank the ids once, then settle only the points that more than one unit covers
    order = np.argsort(ids, kind="stable")
    rank = np.empty(len(ids), dtype=np.int64)
    rank[order] = np.arange(len(ids))
    best = np.full(n, len(ids), dtype=np.int64)
    tied = np.bincount(point_i, minlength=n)[point_i] > 1
    best[point_i[~tied]] = rank[unit_i[~tied]]
    if tied.any():
        np.minimum.at(best, point_i[tied], rank[unit_i[tied]])
    found = best < len(ids)
    out[found] = order[best[found]]
    return out


@dataclass
class _Places:
    """Every place a row can be assigned to, by integer code: the units, then the groups."""

    ids: np.ndarray
    names: np.ndarray
    code_of: dict[str, int]
    group_of_unit: np.ndarray  # the code of each unit's group, -1 when none
    n_units: int

    @classmethod
    def of(cls, layer: Layer) -> _Places:
        units, groups = layer.units, layer.groups
        unit_ids = units["id"].astype(str).to_numpy(dtype=object)
        ids = np.concatenate([unit_ids, groups["id"].astype(str).to_numpy(dtype=object)])
        names = np.concatenate([units["name"].to_numpy(dtype=object),
                                groups["name"].to_numpy(dtype=object)])
        code_of = {pid: i for i, pid in reversed(list(enumerate(ids)))}  # units first
        group_of_unit = np.array([code_of.get(str(g), -1) if isinstance(g, str) else -1
                                  for g in units["group_id"]], dtype=np.int64)
        return cls(ids, names, code_of, group_of_unit, len(unit_ids))


@dataclass
class _Stated:
    """The municipality each row names, each distinct text resolved once."""

    codes: np.ndarray  # per row: the index of its text in ``texts``, -1 when none
    texts: pd.Index
    resolved: list[Match | UnknownPlaceError]
    place: np.ndarray  # per row: the place code the text names, -1 when none or unknown
    level: np.ndarray  # per row: 1 when the text names a group, 0 a unit, -1 none

    @classmethod
    def of(cls, municipality: pd.Series, layer: Layer, places: _Places) -> _Stated:
        codes, texts = pd.factorize(municipality, use_na_sentinel=True)
        resolved: list[Match | UnknownPlaceError] = []
        for key in texts:
            try:
                resolved.append(layer.resolve(str(key)))
            except UnknownPlaceError as exc:
                resolved.append(exc)
        # a trailing -1 for the NA sentinel (code -1 takes the last element)
        place = np.array([places.code_of.get(m.id, -1) if isinstance(m, Match) else -1
                          for m in resolved] + [-1], dtype=np.int64)
        level = np.array([1 if isinstance(m, Match) and m.level == "group" else 0
                          for m in resolved] + [-1], dtype=np.int64)
        return cls(codes, texts, resolved, place[codes], level[codes])


def join_cameras(cameras: gpd.GeoDataFrame, layer: Layer) -> JoinResult:
    """Assign every camera-table row to a unit or group of ``layer``.

    Returns the table with :data:`JOIN_COLUMNS` added: ``municipality_id`` (unit or group
    id, NA when none), ``municipality_name``, ``assigned_level`` (``unit`` / ``group``) and
    ``assigned_by`` (``point`` or ``name``), plus a problem for each row that could not be
    assigned and for each point that lies in a different unit than the one its row names.
    """
    places = _Places.of(layer)
    located = is_located(cameras).to_numpy()
    unit_code = _unit_rows(cameras.geometry.values, places.ids[:places.n_units],
                           layer.units.geometry.values)
    stated = _Stated.of(cameras["municipality"], layer, places)
    inside = located & (unit_code >= 0)
    by_name = ~located & (stated.place >= 0)
    problems = _join_problems(cameras, places, stated, unit_code, located, inside, by_name)
    log.info("join: %d problem(s)", len(problems))
    return JoinResult(_frame_join(cameras, places, stated, unit_code, inside, by_name),
                      problems)


def _join_problems(cameras: gpd.GeoDataFrame, places: _Places, stated: _Stated,
                   unit_code: np.ndarray, located: np.ndarray, inside: np.ndarray,
                   by_name: np.ndarray) -> list[Problem]:
    """A problem for each point outside every unit, each point in another unit than its
    row names, and each row without a point whose municipality is missing or unknown."""
    problems: list[Problem] = []

    def refs(rows: np.ndarray) -> list[object]:  # only the rows with a problem
        return cameras["source_ref"].iloc[rows].astype(object).tolist()

    outside = np.flatnonzero(located & ~inside)
    for ref in refs(outside):
        problems.append(Problem.at_ref(
            "the point lies outside every unit of the layer; it is kept in cameras.geojson "
            "but counts toward no municipality", ref, code="outside"))
    mismatch = inside & (stated.place >= 0)
    mismatch &= (stated.place != unit_code) & (stated.place != places.group_of_unit[unit_code])
    elsewhere = np.flatnonzero(mismatch)
    for i, ref in zip(elsewhere, refs(elsewhere), strict=True):
        uid = unit_code[i]
        problems.append(Problem.at_ref(
            f"the point lies in {places.names[uid]} ({places.ids[uid]}) but the row names "
            f"{stated.texts[stated.codes[i]]!r}; the point decides", ref, code="elsewhere"))
    nowhere = np.flatnonzero(~located & ~by_name)
    for i, ref in zip(nowhere, refs(nowhere), strict=True):
        err = stated.resolved[stated.codes[i]] if stated.codes[i] >= 0 else None
        problems.append(Problem.at_ref(
            str(err) if err is not None else
            "the row has no point and names no municipality, so it counts nowhere; add "
            "coordinates, an address or the municipality (or --municipality for a register "
            "of one municipality)", ref,
            code="unknown-unit" if err is not None else "nowhere"))
    return problems


def _frame_join(cameras: gpd.GeoDataFrame, places: _Places, stated: _Stated,
                unit_code: np.ndarray, inside: np.ndarray, by_name: np.ndarray
                ) -> gpd.GeoDataFrame:
    """The camera table with :data:`JOIN_COLUMNS` (typed strings taken by integer code)."""
    out = cameras.copy(deep=False)  # copy-on-write: the new columns copy nothing else
    code = np.where(inside, unit_code, np.where(by_name, stated.place, -1))
    level_code = np.where(inside, 0, np.where(by_name, stated.level, -1))
    how_code = np.where(inside, 0, np.where(by_name, 1, -1))

    def take(values: object, codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
        return pd.array(values, dtype="string").take(codes, allow_fill=True)

    out["municipality_id"] = take(places.ids, code)
    out["municipality_name"] = take(places.names, code)
    out["assigned_level"] = take(["unit", "group"], level_code)
    out["assigned_by"] = take(["point", "name"], how_code)
    return out
