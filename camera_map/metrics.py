"""Per-municipality figures: cameras, per 1,000 residents, per km², rank, vendors, sources.

"No data" is not zero: a unit no evidence speaks of has ``evidence == "none"`` and every
figure missing (``<NA>``). Evidence about a group of units (the City of Belgrade) stays
with the group: the group gets the figures, computed with the group's own population,
and each member unit shows them as a group-level figure (``evidence == "group"``) — the
count is never split among the members by a guess.

Rank 1 is the most cameras per 1,000 residents. Ranked together are the units with their
own figure and the groups with a group-level figure, each needing a known population;
ties share the better rank.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from .layers import Layer

#: Columns the metrics add to the layer's units, in output order.
METRIC_COLUMNS = [
    "evidence", "cameras", "cameras_installed", "estimate_basis", "cameras_points",
    "cameras_counted",
    "cameras_per_1000", "cameras_per_km2", "residents_per_camera", "rank", "ranked",
    "foi_points", "foi_counted", "osm_points", "documented", "mapped", "evidence_gap",
    "exact_share", "newest_evidence",
    "group_cameras", "group_population", "group_area_km2", "group_cameras_per_1000",
    "group_cameras_per_km2", "group_rank",
    "group_facial_recognition_cameras",
    "facial_recognition_cameras", "vendors", "sources", "documents",
]  # fmt: skip


@dataclass
class Metrics:
    """Figures per unit (a GeoDataFrame, one row per layer unit) and per group."""

    units: gpd.GeoDataFrame
    groups: pd.DataFrame

    def unit(self, id_or_name: str) -> pd.Series:
        """The row of one unit, by id or exact name."""
        hit = self.units[(self.units["id"] == id_or_name) | (self.units["name"] == id_or_name)]
        if hit.empty:
            raise KeyError(id_or_name)
        return hit.iloc[0]


def _joined(values: pd.Series) -> object:
    items = sorted({str(v).strip() for v in values.dropna() if str(v).strip()})
    return "; ".join(items) if items else pd.NA


_AGG_COLUMNS = [
    "cameras", "cameras_installed", "estimate_basis", "cameras_points", "cameras_counted",
    "foi_points",
    "foi_counted", "osm_points", "documented", "mapped", "evidence_gap", "exact_share",
    "newest_evidence", "facial_recognition_cameras", "vendors", "sources", "documents",
]  # fmt: skip


def _joined_by(ids: pd.Series, values: pd.Series, *, split: str | None = None) -> pd.Series:
    """Distinct non-empty values per id, sorted and "; "-joined (distinct pairs first: fast)."""
    # typed (Arrow) strings, not Python objects: a million rows stay cheap
    pairs = pd.DataFrame({"id": ids.reset_index(drop=True),
                          "v": values.astype("string").reset_index(drop=True)})
    pairs = pairs.dropna().drop_duplicates()
    if split:
        pairs = pairs.assign(v=pairs["v"].str.split(split)).explode("v")
    return pairs.groupby("id", sort=True)["v"].agg(_joined)


def _aggregate(rows: pd.DataFrame, *, osm_in_build: bool) -> pd.DataFrame:
    """Figures per ``municipality_id`` from the rows assigned to it.

    Located cameras (points) and counts from documents are two kinds of evidence that may
    describe the same cameras, so they are never added: the best estimate is the larger
    of the two (``estimate_basis`` says which). ``documented`` is what FOI documents say
    (their count rows, or their located cameras if more), ``mapped`` what OpenStreetMap
    holds (only when the build read OSM data; else unknown), ``evidence_gap`` the first
    minus the second.
    """
    if rows.empty:
        return pd.DataFrame(columns=_AGG_COLUMNS)
    count = rows["count"].astype("Int64")
    is_point = (rows["assigned_by"] == "point").to_numpy()
    # a camera merged from several sources (camera_map.merge) lists them all in sources_all;
    # the few distinct source lists are split once, not once per camera
    all_sources = (rows["sources_all"].fillna(rows["source"]) if "sources_all" in rows
                   else rows["source"]).astype("string").fillna("")
    codes, lists = pd.factorize(all_sources)
    split = [set(str(s).split("; ")) for s in lists]
    is_foi = np.array([("foi" in s) for s in split] + [False])[codes]
    is_osm = np.array([("osm" in s) for s in split] + [False])[codes]
    fr = rows["facial_recognition"].astype("boolean")
    exact = (rows["geocode_precision"] == "exact").fillna(False).to_numpy()
    installed = (rows["status"] == "installed").fillna(False).to_numpy()
    frame = pd.DataFrame({
        "id": rows["municipality_id"].astype("string"),
        "points": count.where(is_point, 0),
        "counted": count.where(~is_point, 0),
        "foi_points": count.where(is_point & is_foi, 0),
        "foi_counted": count.where(~is_point & is_foi, 0),
        "osm_points": count.where(is_point & is_osm, 0),
        "exact": count.where(is_point & exact, 0),
        "inst_points": count.where(is_point & installed, 0),
        "inst_counted": count.where(~is_point & installed, 0),
        "fr": count.where(fr.fillna(False).to_numpy(), 0),
        "fr_known": fr.notna().to_numpy(),
        "has_foi": is_foi,
        "date": rows["source_date"].astype("string"),
    })
    g = frame.groupby("id", sort=True)
    sums = g[["points", "counted", "foi_points", "foi_counted", "osm_points", "exact",
              "fr", "inst_points", "inst_counted"]].sum().astype("Int64")
    out = pd.DataFrame(index=sums.index)
    out["cameras"] = np.maximum(sums["points"], sums["counted"]).astype("Int64")
    # cameras a source says are installed (tenders also list contracted and planned ones)
    out["cameras_installed"] = np.maximum(sums["inst_points"], sums["inst_counted"]).astype(
        "Int64")
    out["estimate_basis"] = np.select(
        [sums["counted"] == 0, sums["points"] == 0, sums["points"] == sums["counted"],
         sums["points"] > sums["counted"]],
        ["located cameras", "counts in documents", "counts and located cameras agree",
         "located cameras (more than the documents count)"],
        "counts in documents (more than the located cameras)")
    out["cameras_points"] = sums["points"]
    out["cameras_counted"] = sums["counted"]
    has_foi = g["has_foi"].any()
    out["foi_points"] = sums["foi_points"].where(has_foi)
    out["foi_counted"] = sums["foi_counted"].where(has_foi)
    out["osm_points"] = sums["osm_points"] if osm_in_build else pd.NA
    out["documented"] = np.maximum(sums["foi_points"], sums["foi_counted"]).where(has_foi)
    out["mapped"] = sums["osm_points"] if osm_in_build else pd.NA
    out["evidence_gap"] = out["documented"] - out["mapped"]
    out["exact_share"] = (sums["exact"].astype("Float64")
                          / sums["points"].astype("Float64").where(sums["points"] > 0))
    out["newest_evidence"] = g["date"].max().map(lambda d: d[:10] if isinstance(d, str) else d)
    out["facial_recognition_cameras"] = sums["fr"].where(g["fr_known"].any())
    ids = frame["id"]
    out["vendors"] = _joined_by(ids, rows["manufacturer"]).reindex(out.index)
    out["sources"] = _joined_by(ids, all_sources, split="; ").reindex(out.index)
    out["documents"] = _joined_by(ids, rows["document"]).reindex(out.index)
    for col in ("osm_points", "documented", "mapped", "evidence_gap"):
        out[col] = out[col].astype("Int64")
    out["exact_share"] = out["exact_share"].astype("Float64")
    for col in ("estimate_basis", "newest_evidence", "vendors", "sources", "documents"):
        out[col] = out[col].astype("string")
    return out[_AGG_COLUMNS]


def _per(numerator: pd.Series, denominator: pd.Series, scale: float = 1.0) -> pd.Series:
    num = pd.to_numeric(numerator).astype("Float64")
    den = pd.to_numeric(denominator).astype("Float64")
    return (num * scale / den.where(den > 0)).astype("Float64")


def compute_metrics(cameras: gpd.GeoDataFrame, layer: Layer, *,
                    osm_in_build: bool | None = None) -> Metrics:
    """Compute the figures of every unit and group from joined cameras.

    ``cameras`` is the output of :func:`camera_map.join.join_cameras`. Areas and
    populations come from the layer (areas in km² from an equal-area CRS).
    ``osm_in_build`` says whether OpenStreetMap was read at all, so that "mapped: 0"
    means something; by default, whether any row has ``source == "osm"``.
    """
    if osm_in_build is None:
        osm_in_build = bool((cameras["source"] == "osm").any())
    # only the columns the figures need: filtering all of a million-row table copies it
    needed = [c for c in ("municipality_id", "assigned_level", "assigned_by", "count",
                          "source", "sources_all", "facial_recognition", "geocode_precision",
                          "status", "source_date", "manufacturer", "document")
              if c in cameras.columns]
    frame = pd.DataFrame(cameras[needed])
    assigned = frame[frame["municipality_id"].notna()]
    unit_rows = assigned[assigned["assigned_level"] == "unit"]
    group_rows = assigned[assigned["assigned_level"] == "group"]
    per_unit = _aggregate(pd.DataFrame(unit_rows), osm_in_build=osm_in_build)
    per_group = _aggregate(pd.DataFrame(group_rows), osm_in_build=osm_in_build)

    units = layer.units.copy()
    agg = per_unit.reindex(units["id"].to_numpy())
    agg.index = units.index
    has_own = agg["cameras"].notna()

    # groups: population from the layer's group table, area from the member units
    groups = layer.groups.copy()
    groups["id"] = groups["id"].astype(str)
    member_area = units.groupby("group_id")["area_km2"].sum()
    groups["area_km2"] = groups["id"].map(member_area).astype(float)
    gagg = per_group.reindex(groups["id"].to_numpy())
    gagg.index = groups.index
    groups = pd.concat([groups.drop(columns=[c for c in gagg.columns if c in groups]), gagg],
                       axis=1)
    groups["cameras"] = groups["cameras"].astype("Int64")
    groups["population"] = groups["population"].astype("Int64")
    groups["cameras_per_1000"] = _per(groups["cameras"], groups["population"], 1000)
    groups["cameras_per_km2"] = _per(groups["cameras"], groups["area_km2"])
    groups["residents_per_camera"] = _per(groups["population"], groups["cameras"])

    for col in _AGG_COLUMNS:
        units[col] = agg[col]
    units["cameras_per_1000"] = _per(units["cameras"], units["population"], 1000)
    units["cameras_per_km2"] = _per(units["cameras"], units["area_km2"])
    units["residents_per_camera"] = _per(units["population"], units["cameras"])

    # rank units with their own figure and groups with a group-level figure, together
    entities = pd.concat([
        pd.DataFrame({"key": "u:" + units["id"], "v": units["cameras_per_1000"]}),
        pd.DataFrame({"key": "g:" + groups["id"], "v": groups["cameras_per_1000"]}),
    ], ignore_index=True).dropna(subset=["v"])
    entities["rank"] = entities["v"].astype(float).rank(method="min", ascending=False)
    rank = dict(zip(entities["key"], entities["rank"].astype(int), strict=True))
    ranked = len(entities)
    units["rank"] = pd.array([rank.get("u:" + i, pd.NA) for i in units["id"]], dtype="Int64")
    units["ranked"] = ranked
    groups["rank"] = pd.array([rank.get("g:" + i, pd.NA) for i in groups["id"]], dtype="Int64")
    groups["ranked"] = ranked

    gi = groups.set_index("id")
    gid = units["group_id"]

    def from_group(col: str, dtype: str) -> pd.Series:
        values = [gi.at[g, col] if isinstance(g, str) and g in gi.index else pd.NA for g in gid]
        return pd.Series(pd.array(values, dtype=dtype), index=units.index)

    has_group_figure = from_group("cameras", "Int64").notna()
    units["group_cameras"] = from_group("cameras", "Int64").where(has_group_figure)
    units["group_population"] = from_group("population", "Int64").where(has_group_figure)
    units["group_area_km2"] = from_group("area_km2", "Float64").where(has_group_figure)
    units["group_cameras_per_1000"] = from_group("cameras_per_1000", "Float64")
    units["group_cameras_per_km2"] = from_group("cameras_per_km2", "Float64")
    units["group_rank"] = from_group("rank", "Int64")
    units["group_facial_recognition_cameras"] = from_group("facial_recognition_cameras", "Int64")
    units["evidence"] = np.select([has_own, has_group_figure], ["unit", "group"], "none")
    units["evidence"] = units["evidence"].astype("string")
    # a unit whose only evidence is a group figure shows the group's documents and sources
    for col in ("vendors", "sources", "documents"):
        gvals = from_group(col, "string")
        units[col] = units[col].where(has_own, gvals)
    units = units[[*layer.units.columns.drop("geometry"), *METRIC_COLUMNS, "geometry"]]
    return Metrics(gpd.GeoDataFrame(units, geometry="geometry", crs=layer.units.crs), groups)
