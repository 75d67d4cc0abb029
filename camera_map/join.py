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
    result = pd.Series(pd.NA, index=points.index, dtype="string")
    geoms = points.values
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not ok.any() or len(units) == 0:
        return result
    idx_ok = np.flatnonzero(ok)
    tree = shapely.STRtree(geoms[idx_ok])
    poly_i, point_i = tree.query(units.geometry.values, predicate="intersects")
    if len(point_i) == 0:
        return result
    ids = units["id"].to_numpy(dtype=object)[poly_i]
    pairs = pd.DataFrame({"point": idx_ok[point_i], "id": ids})
    # smallest id wins on shared borders (and on the rare overlap sliver)
    best = pairs.sort_values(["point", "id"], kind="stable").drop_duplicates("point")
    values = result.to_numpy(dtype=object)
    values[best["point"].to_numpy()] = best["id"].to_numpy()
    return pd.Series(values, index=points.index, dtype="string")


def join_cameras(cameras: gpd.GeoDataFrame, layer: Layer) -> JoinResult:
    """Assign every camera-table row to a unit or group of ``layer``.

    Returns the table with :data:`JOIN_COLUMNS` added: ``municipality_id`` (unit or group
    id, NA when none), ``municipality_name``, ``assigned_level`` (``unit`` / ``group``) and
    ``assigned_by`` (``point`` or ``name``), plus a problem for each row that could not be
    assigned and for each point that lies in a different unit than the one its row names.
    """
    out = cameras.copy(deep=False)  # copy-on-write: the new columns copy nothing else
    problems: list[Problem] = []
    located = is_located(out).to_numpy()
    unit_of_point = units_containing(out.geometry, layer.units).astype(object)
    unit_of_point = unit_of_point.where(unit_of_point.notna(), None).to_numpy()
    names = dict(zip(layer.units["id"], layer.units["name"], strict=True))
    group_of = {u: g for u, g in zip(layer.units["id"], layer.units["group_id"], strict=True)
                if isinstance(g, str)}
    group_names = dict(zip(layer.groups["id"].astype(str), layer.groups["name"], strict=True))

    # resolve each distinct municipality text once
    stated = out["municipality"].astype(object)
    stated = stated.where(stated.notna(), None).to_numpy()
    resolved: dict[str, Match | UnknownPlaceError] = {}
    for key in {s for s in stated if s is not None}:
        try:
            resolved[key] = layer.resolve(key)
        except UnknownPlaceError as exc:
            resolved[key] = exc
    matches = [resolved.get(s) if s is not None else None for s in stated]
    match_id = np.array([m.id if isinstance(m, Match) else None for m in matches], dtype=object)
    match_level = np.array([m.level if isinstance(m, Match) else None for m in matches],
                           dtype=object)
    none = np.full(len(out), None, dtype=object)

    inside = located & (unit_of_point != None)  # noqa: E711 - elementwise on an object array
    by_name = ~located & (match_id != None)  # noqa: E711
    ids = np.where(inside, unit_of_point, np.where(by_name, match_id, none))
    levels = np.where(inside, "unit", np.where(by_name, match_level, none))
    how = np.where(inside, "point", np.where(by_name, "name", none))

    refs = out["source_ref"].astype(object).to_numpy()
    for i in np.flatnonzero(located & ~inside):
        problems.append(Problem.at_ref(
            "the point lies outside every unit of the layer; it is kept in cameras.geojson "
            "but counts toward no municipality", refs[i], code="outside"))
    mismatch = inside & (match_id != None)  # noqa: E711
    for i in np.flatnonzero(mismatch):
        uid = unit_of_point[i]
        if match_id[i] not in (uid, group_of.get(uid)):
            problems.append(Problem.at_ref(
                f"the point lies in {names[uid]} ({uid}) but the row names {stated[i]!r}; "
                "the point decides", refs[i], code="elsewhere"))
    for i in np.flatnonzero(~located & ~by_name):
        err = resolved.get(stated[i]) if stated[i] is not None else None
        problems.append(Problem.at_ref(
            str(err) if err is not None else
            "the row has no point and names no municipality, so it counts nowhere; add "
            "coordinates, an address or the municipality (or --municipality for a register "
            "of one municipality)", refs[i],
            code="unknown-unit" if err is not None else "nowhere"))
    out["municipality_id"] = pd.array(ids, dtype="string")
    label = {**group_names, **names}
    out["municipality_name"] = pd.array([label.get(i) if i is not None else None for i in ids],
                                        dtype="string")
    out["assigned_level"] = pd.array(levels, dtype="string")
    out["assigned_by"] = pd.array(how, dtype="string")
    log.info("join: %d problem(s)", len(problems))
    return JoinResult(out, problems)
