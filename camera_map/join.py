"""Join cameras to municipal units: points by location, count rows by the name they give.

Points are assigned to the unit that contains them, using a spatial index built on the
points (the side there are more of) and queried with the polygons — for boundary-like
polygons the other way round is several times slower (NOTES.md). A point exactly on a
shared border intersects both units; it goes to the one with the smaller id, so it is
counted once. Rows without a point (count-only FOI rows, addresses not yet geocoded) go to
the unit or group their ``municipality`` names; a group (e.g. the City of Belgrade) keeps
the count as a whole, never split among its units.
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
    out = np.full(len(geoms), -1, dtype=np.int64)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not ok.any() or len(ids) == 0:
        return out
    idx_ok = np.flatnonzero(ok)
    tree = shapely.STRtree(geoms[idx_ok])
    # "covers" is "intersects" for a point (inside or on the border), and the prepared
    # polygon answers it faster
    unit_i, point_i = tree.query(polygons, predicate="covers")
    point = idx_ok[point_i]
    # smallest id wins on shared borders (and on the rare overlap sliver): rank the ids
    # once, then settle only the points that more than one unit covers
    order = np.argsort(ids, kind="stable")
    rank = np.empty(len(ids), dtype=np.int64)
    rank[order] = np.arange(len(ids))
    best = np.full(len(geoms), len(ids), dtype=np.int64)
    tied = np.bincount(point, minlength=len(geoms))[point] > 1
    best[point[~tied]] = rank[unit_i[~tied]]
    if tied.any():
        np.minimum.at(best, point[tied], rank[unit_i[tied]])
    found = best < len(ids)
    out[found] = order[best[found]]
    return out


def join_cameras(cameras: gpd.GeoDataFrame, layer: Layer) -> JoinResult:
    """Assign every camera-table row to a unit or group of ``layer``.

    Returns the table with :data:`JOIN_COLUMNS` added: ``municipality_id`` (unit or group
    id, NA when none), ``municipality_name``, ``assigned_level`` (``unit`` / ``group``) and
    ``assigned_by`` (``point`` or ``name``), plus a problem for each row that could not be
    assigned and for each point that lies in a different unit than the one its row names.
    """
    out = cameras.copy(deep=False)  # copy-on-write: the new columns copy nothing else
    problems: list[Problem] = []
    units, groups = layer.units, layer.groups
    # every place a row can be assigned to: the units, then the groups, by integer code
    unit_ids = units["id"].astype(str).to_numpy(dtype=object)
    group_ids = groups["id"].astype(str).to_numpy(dtype=object)
    place_ids = np.concatenate([unit_ids, group_ids])
    place_names = np.concatenate([units["name"].to_numpy(dtype=object),
                                  groups["name"].to_numpy(dtype=object)])
    code_of = {pid: i for i, pid in reversed(list(enumerate(place_ids)))}  # units first
    group_of_unit = np.array([code_of.get(str(g), -1) if isinstance(g, str) else -1
                              for g in units["group_id"]], dtype=np.int64)

    located = is_located(out).to_numpy()
    unit_code = _unit_rows(out.geometry.values, unit_ids, units.geometry.values)

    # resolve each distinct municipality text once
    stated_codes, stated = pd.factorize(out["municipality"], use_na_sentinel=True)
    resolved: list[Match | UnknownPlaceError] = []
    for key in stated:
        try:
            resolved.append(layer.resolve(str(key)))
        except UnknownPlaceError as exc:
            resolved.append(exc)
    match_of_text = np.array([code_of.get(m.id, -1) if isinstance(m, Match) else -1
                              for m in resolved] + [-1], dtype=np.int64)
    level_of_text = np.array([1 if isinstance(m, Match) and m.level == "group" else 0
                              for m in resolved] + [-1], dtype=np.int64)
    match_code = match_of_text[stated_codes]  # the sentinel -1 takes the appended -1

    inside = located & (unit_code >= 0)
    by_name = ~located & (match_code >= 0)
    code = np.where(inside, unit_code, np.where(by_name, match_code, -1))

    refs = out["source_ref"].astype(object).to_numpy()
    for i in np.flatnonzero(located & ~inside):
        problems.append(Problem.at_ref(
            "the point lies outside every unit of the layer; it is kept in cameras.geojson "
            "but counts toward no municipality", refs[i], code="outside"))
    mismatch = inside & (match_code >= 0)
    mismatch &= (match_code != unit_code) & (match_code != group_of_unit[unit_code])
    for i in np.flatnonzero(mismatch):
        uid = unit_code[i]
        problems.append(Problem.at_ref(
            f"the point lies in {place_names[uid]} ({place_ids[uid]}) but the row names "
            f"{stated[stated_codes[i]]!r}; the point decides", refs[i], code="elsewhere"))
    for i in np.flatnonzero(~located & ~by_name):
        err = resolved[stated_codes[i]] if stated_codes[i] >= 0 else None
        problems.append(Problem.at_ref(
            str(err) if err is not None else
            "the row has no point and names no municipality, so it counts nowhere; add "
            "coordinates, an address or the municipality (or --municipality for a register "
            "of one municipality)", refs[i],
            code="unknown-unit" if err is not None else "nowhere"))
    level_code = np.where(inside, 0, np.where(by_name, level_of_text[stated_codes], -1))
    how_code = np.where(inside, 0, np.where(by_name, 1, -1))
    out["municipality_id"] = pd.array(place_ids, dtype="string").take(code, allow_fill=True)
    out["municipality_name"] = pd.array(place_names, dtype="string").take(code,
                                                                          allow_fill=True)
    out["assigned_level"] = pd.array(["unit", "group"], dtype="string").take(
        level_code, allow_fill=True)
    out["assigned_by"] = pd.array(["point", "name"], dtype="string").take(how_code,
                                                                          allow_fill=True)
    log.info("join: %d problem(s)", len(problems))
    return JoinResult(out, problems)
