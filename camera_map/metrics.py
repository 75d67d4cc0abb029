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

import json
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from .companies import company_names
from .layers import Layer
from .table import is_premises

#: Columns the metrics add to the layer's units, in output order.
METRIC_COLUMNS = [
    "evidence", "cameras", "estimate_counts", "estimate_status", "estimate_as_of",
    "estimate_source", "estimate_document", "estimate_basis", "cameras_low", "cameras_high",
    "cameras_planned", "cameras_contracted", "cameras_testing", "cameras_installed",
    "premises_cameras", "premises", "unnumbered", "cameras_points", "cameras_counted",
    "cameras_per_1000", "cameras_per_km2", "residents_per_camera", "rank", "ranked",
    "foi_points", "foi_counted", "osm_points", "documented", "mapped", "evidence_gap",
    "exact_share", "newest_evidence",
    "group_cameras", "group_population", "group_area_km2", "group_cameras_per_1000",
    "group_cameras_per_km2", "group_rank",
    "group_facial_recognition_cameras",
    "facial_recognition_cameras", "facial_recognition", "facial_recognition_software",
    "vendors", "suppliers", "sources", "documents", "figures",
]  # fmt: skip

#: The rule that picks the best estimate among several figures for one place (documented
#: in the README and printed with the figures): public-space figures with a number only;
#: the most advanced status first (installed, then testing, then unknown, then contracted,
#: then planned; removed never), then the newest ``as_of``, then the larger number. Located
#: cameras are a figure too: when more cameras are located than the chosen figure counts,
#: the located cameras are the estimate.
STATUS_ORDER: dict[str, int] = {"installed": 4, "testing": 3, "unknown": 2, "contracted": 1,
                                "planned": 0}
ESTIMATE_RULE = ("public space only; the most advanced status (installed > testing > "
                 "unknown > contracted > planned), then the newest date, then the larger "
                 "number; located cameras when they are more")

#: Columns of the per-place figures table (:attr:`Metrics.figures`).
FIGURE_COLUMNS = ["id", "level", "value", "counts", "status", "as_of", "source", "scope",
                  "document", "note", "facial_recognition", "facial_recognition_software",
                  "best"]


@dataclass
class Metrics:
    """Figures per unit (a GeoDataFrame, one row per layer unit) and per group.

    ``figures`` lists every figure the evidence gives for a unit or group (one row per
    figure: a document's count with its status, date and scope, or the located cameras of
    one kind of source), ``best`` marking the one the estimate uses.
    """

    units: gpd.GeoDataFrame
    groups: pd.DataFrame
    figures: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=FIGURE_COLUMNS))

    def unit(self, id_or_name: str) -> pd.Series:
        """The row of one unit, by id or exact name."""
        hit = self.units[(self.units["id"] == id_or_name) | (self.units["name"] == id_or_name)]
        if hit.empty:
            raise KeyError(id_or_name)
        return hit.iloc[0]

    def group(self, id_or_name: str) -> pd.Series:
        """The row of one group (a city made of several units), by id or exact name."""
        g = self.groups
        hit = g[(g["id"].astype(str) == id_or_name) | (g["name"] == id_or_name)]
        if hit.empty:
            raise KeyError(id_or_name)
        return hit.iloc[0]

    def figures_of(self, id_: str) -> pd.DataFrame:
        """The figures of one unit or group id, the best estimate first, then newest first."""
        f = self.figures[self.figures["id"].astype(str) == str(id_)]
        return _ordered_figures(f)


def _ordered_figures(f: pd.DataFrame) -> pd.DataFrame:
    if f.empty:
        return f.reset_index(drop=True)
    key = f.assign(_b=~f["best"].astype(bool), _d=f["as_of"].fillna(""),
                   _v=f["value"].astype("Float64").fillna(-1))
    key = key.sort_values(["_b", "_d", "_v"], ascending=[True, False, False], kind="stable")
    return key.drop(columns=["_b", "_d", "_v"]).reset_index(drop=True)


def _joined(values: pd.Series) -> object:
    items = sorted({str(v).strip() for v in values.dropna() if str(v).strip()})
    return "; ".join(items) if items else pd.NA


_AGG_COLUMNS = [
    "cameras", "estimate_counts", "estimate_status", "estimate_as_of", "estimate_source",
    "estimate_document", "estimate_basis", "cameras_low", "cameras_high", "cameras_planned",
    "cameras_contracted", "cameras_testing", "cameras_installed", "premises_cameras",
    "premises", "unnumbered", "cameras_points", "cameras_counted", "foi_points",
    "foi_counted", "osm_points", "documented", "mapped", "evidence_gap", "exact_share",
    "newest_evidence", "facial_recognition_cameras", "facial_recognition",
    "facial_recognition_software", "vendors", "suppliers", "sources", "documents", "figures",
]  # fmt: skip
_INT_COLUMNS = ("cameras", "cameras_low", "cameras_high", "cameras_planned",
                "cameras_contracted", "cameras_testing", "cameras_installed",
                "premises_cameras", "unnumbered", "cameras_points", "cameras_counted",
                "foi_points", "foi_counted", "osm_points", "documented", "mapped",
                "evidence_gap", "facial_recognition_cameras")


def _joined_by(ids: pd.Series, values: pd.Series, *, split: str | None = None) -> pd.Series:
    """Distinct non-empty values per id, sorted and "; "-joined (distinct pairs first: fast)."""
    # typed (Arrow) strings, not Python objects: a million rows stay cheap
    pairs = pd.DataFrame({"id": ids.reset_index(drop=True),
                          "v": values.astype("string").reset_index(drop=True)})
    pairs = pairs.dropna().drop_duplicates()
    if split:
        pairs = pairs.assign(v=pairs["v"].str.split(split)).explode("v")
    return _by_str(pairs.groupby("id", sort=True, observed=True)["v"].agg(_joined))


def _by_str(series: pd.Series) -> pd.Series:
    """``series`` with its (possibly categorical) index as plain strings."""
    series.index = pd.Index(series.index.astype(str), name=series.index.name)
    return series


def _companies_by(ids: pd.Series, values: pd.Series) -> pd.Series:
    """Normalised company names per id (``camera_map/data/companies.csv``), "; "-joined."""
    pairs = pd.DataFrame({"id": ids.reset_index(drop=True),
                          "v": values.astype("string").reset_index(drop=True)})
    pairs = pairs.dropna().drop_duplicates()
    if pairs.empty:
        return pd.Series(dtype="string")
    names = {v: company_names(v) for v in pairs["v"].unique()}
    pairs = pairs.assign(v=pairs["v"].map(names)).explode("v").dropna()
    return _by_str(pairs.groupby("id", sort=True, observed=True)["v"].agg(_joined))


def _col(rows: pd.DataFrame, name: str) -> pd.Series:
    if name in rows.columns:
        return rows[name]
    return pd.Series(pd.NA, index=rows.index, dtype="string")


def _figure_rank(status: object, as_of: object, value: object) -> tuple[int, str, int]:
    st = status if isinstance(status, str) and status in STATUS_ORDER else "unknown"
    return (STATUS_ORDER[st], as_of if isinstance(as_of, str) else "",
            -1 if value is None or pd.isna(value) else int(value))  # type: ignore[call-overload]


def _figures(rows: pd.DataFrame, is_point: np.ndarray, level: str) -> pd.DataFrame:
    """One row per figure: count rows summed per (place, file, document, status, counts,
    scope, date); located cameras per (place, kind of source)."""
    counts = rows.loc[~is_point]
    out: list[dict[str, object]] = []
    if len(counts):
        file = counts["source_ref"].astype("string").str.split("#").str[0]
        frame = pd.DataFrame({
            "id": counts["municipality_id"].astype("string"), "file": file,
            "document": _col(counts, "document").astype("string"),
            "status": _col(counts, "status").astype("string"),
            "counts": _col(counts, "counts").astype("string").fillna("cameras"),
            "scope": _col(counts, "scope").astype("string").fillna("public space"),
            "as_of": _col(counts, "as_of").astype("string"),
            "source": counts["source"].astype("string"),
            "note": _col(counts, "note").astype("string"),
            "count": counts["count"].astype("Int64"),
            "fr": _col(counts, "facial_recognition").astype("boolean"),
            "frs": _col(counts, "facial_recognition_software").astype("string"),
        })
        keys = ["id", "file", "document", "status", "counts", "scope", "as_of", "source"]
        for key, part in frame.groupby(keys, dropna=False, sort=True):
            values = part["count"]
            value = None if values.isna().all() else int(values.sum())
            fr = part["fr"]
            fr_value: object = pd.NA
            if fr.notna().any():
                fr_value = bool(fr.fillna(False).any())
            notes = [str(n) for n in part["note"].dropna().unique()]
            software = sorted({str(v) for v in part["frs"].dropna()})
            rec = dict(zip(keys, key, strict=True))
            out.append({
                "id": rec["id"], "level": level, "value": value,
                "counts": rec["counts"], "status": _na(rec["status"]),
                "as_of": _na(rec["as_of"]), "source": _na(rec["source"]),
                "scope": rec["scope"], "document": _na(rec["document"]),
                "note": " ".join(notes) if notes else None,
                "facial_recognition": fr_value,
                "facial_recognition_software": "; ".join(software) or None,
                "fr_cameras": (int(part["count"].where(part["fr"].fillna(False), 0).sum())
                               if fr.notna().any() else None),
                "best": False,
            })
    points = rows.loc[is_point]
    if len(points):
        fr = _col(points, "facial_recognition").astype("boolean")
        frame = pd.DataFrame({
            "id": points["municipality_id"].astype("string"),
            "source": points["source"].astype("string").fillna("unknown"),
            "date": _col(points, "source_date").astype("string").str.slice(0, 10),
            "fr": fr.fillna(False).to_numpy(), "fr_known": fr.notna().to_numpy(),
            "status": _col(points, "status").astype("string").to_numpy(),
        })
        g = frame.groupby(["id", "source"], sort=True)
        agg = g.agg(value=("fr", "size"), as_of=("date", "max"), fr=("fr", "sum"),
                    fr_known=("fr_known", "any"), statuses=("status", "nunique"),
                    status=("status", "first"),
                    status_known=("status", "count")).reset_index()
        for r in agg.itertuples(index=False):
            # the located cameras' status when every one of them states the same one
            one_status = r.statuses == 1 and r.status_known == r.value
            out.append({
                "id": r.id, "level": level, "value": int(r.value), "counts": "cameras",
                "status": r.status if one_status else None, "as_of": _na(r.as_of),
                "source": r.source,
                "scope": "public space", "document": None, "note": None,
                "facial_recognition": (bool(r.fr > 0) if r.fr_known else pd.NA),
                "facial_recognition_software": None,
                "fr_cameras": int(r.fr) if r.fr_known else None,
                "best": False, "located": True,
            })
    figs = pd.DataFrame(out)
    if figs.empty:
        return pd.DataFrame(columns=[*FIGURE_COLUMNS, "fr_cameras", "located"])
    if "located" not in figs:
        figs["located"] = False
    figs["located"] = figs["located"].fillna(False).astype(bool)
    return figs


def _na(v: object) -> object:
    return None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else v


def _pick(figs: pd.DataFrame) -> pd.DataFrame:
    """Mark the best estimate of each place (see :data:`ESTIMATE_RULE`)."""
    if figs.empty:
        return figs
    figs = figs.copy()
    public = ~figs["scope"].map(is_premises).astype(bool)
    numbered = figs["value"].notna()
    removed = (figs["status"] == "removed").fillna(False)
    located = figs["located"].to_numpy(dtype=bool)
    candidates = figs[public & numbered & ~removed & ~located]
    chosen: dict[str, tuple[tuple[int, str, int], int]] = {}
    for pos, pid, st, d, v in zip(candidates.index, candidates["id"], candidates["status"],
                                  candidates["as_of"], candidates["value"], strict=True):
        rank = _figure_rank(st, d, v)
        if pid not in chosen or rank > chosen[pid][0]:
            chosen[pid] = (rank, pos)
    best = np.zeros(len(figs), dtype=bool)
    best[figs.index.get_indexer([p for _, p in chosen.values()])] = True
    # located cameras win when they are more than the chosen document figure
    loc = figs[located & public.to_numpy()]
    if len(loc):
        total = loc.groupby("id")["value"].sum()
        value = {pid: figs.at[pos, "value"] for pid, (_, pos) in chosen.items()}
        ids = figs["id"].to_numpy()
        for pid, n in total.items():
            if pid not in value or n > value[pid]:
                best[(ids == pid) & ~located] = False
                best[(ids == pid) & located] = True
    figs["best"] = best
    return figs


def _aggregate(rows: pd.DataFrame, *, osm_in_build: bool, level: str
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Figures per ``municipality_id`` from the rows assigned to it, and the figures table.

    Located cameras (points) and counts from documents are two kinds of evidence that may
    describe the same cameras, so they are never added; nor are two documents' figures for
    one place (a contracted total and an installed count describe the same cameras at two
    stages). One rule (:data:`ESTIMATE_RULE`) picks the best estimate; the others stay in
    ``figures`` with their dates, and ``cameras_low``/``cameras_high`` give the range.
    Counts of locations are lower bounds on cameras (``estimate_counts == "locations"``);
    cameras on premises (schools, ...) are listed apart (``premises_cameras``) and never
    added to the public-space figures. ``documented`` is what documents (FOI replies,
    tenders, reports, surveys) say, ``mapped`` what OpenStreetMap holds (only when the
    build read OSM data; else unknown), ``evidence_gap`` the first minus the second.
    """
    if rows.empty:
        return pd.DataFrame(columns=_AGG_COLUMNS), _figures(rows, np.zeros(0, bool), level)
    count = rows["count"].astype("Int64")
    is_point = (rows["assigned_by"] == "point").to_numpy()
    all_sources = (rows["sources_all"].fillna(rows["source"]) if "sources_all" in rows
                   else rows["source"]).astype("string").fillna("")
    codes, lists = pd.factorize(all_sources)
    split = [set(str(s).split("; ")) for s in lists]
    is_doc = np.array([bool(s - {"osm", ""}) for s in split] + [False])[codes]
    is_osm = np.array([("osm" in s) for s in split] + [False])[codes]
    exact = (rows["geocode_precision"] == "exact").fillna(False).to_numpy()
    scope = _col(rows, "scope").astype("string")
    public = ~(scope.str.lower().str.startswith("premises").fillna(False)).to_numpy()
    removed = (_col(rows, "status") == "removed").fillna(False).to_numpy()
    pts = is_point & public & ~removed
    # one factorisation of the ids for every groupby below (a million strings cost ~0.05 s
    # each time they are grouped)
    ids_cat = pd.Series(pd.Categorical(rows["municipality_id"].astype("string")),
                        index=rows.index)
    frame = pd.DataFrame({
        "id": ids_cat,
        "points": count.where(pts, 0),
        "doc_points": count.where(pts & is_doc, 0),
        "osm_points": count.where(pts & is_osm, 0),
        "exact": count.where(pts & exact, 0),
        "date": _col(rows, "source_date").astype("string").str.slice(0, 10),
        "as_of": _col(rows, "as_of").astype("string").str.slice(0, 10),
        "has_doc": is_doc,
    })
    g = frame.groupby("id", sort=True, observed=True)
    sums = g[["points", "doc_points", "osm_points", "exact"]].sum().astype("Int64")
    sums.index = pd.Index(sums.index.astype(str), name="id")
    out = pd.DataFrame(index=sums.index)

    figs = _pick(_figures(rows, is_point, level))
    counted = figs[~figs["located"]] if len(figs) else figs
    # located cameras of several kinds of source are all "best": describe the place by the
    # largest of them (their total is the estimate)
    best = (figs[figs["best"]].sort_values(["value"], ascending=False, kind="stable")
            .drop_duplicates("id").set_index("id") if len(figs) else figs)
    best_count = counted[counted["best"]].set_index("id") if len(counted) else counted
    idx = out.index

    def per_id(series: pd.Series) -> pd.Series:
        return series.reindex(idx)

    chosen_value = per_id(best_count["value"]).astype("Int64") if len(best_count) else \
        pd.Series(pd.NA, index=idx, dtype="Int64")
    out["cameras_points"] = sums["points"]
    out["cameras_counted"] = chosen_value
    est = pd.concat([sums["points"].where(sums["points"] > 0), chosen_value], axis=1).max(
        axis=1).astype("Int64")
    out["cameras"] = est
    located_best = per_id(best["located"]).fillna(False).astype(bool) if len(best) else \
        pd.Series(False, index=idx)
    for col in ("counts", "status", "as_of", "source", "document"):
        vals = per_id(best[col]) if len(best) else pd.Series(pd.NA, index=idx)
        out[f"estimate_{col}"] = vals.where(est.notna()).astype("string")
    out.loc[located_best.to_numpy(), "estimate_counts"] = "cameras"
    has_counts = chosen_value.notna()
    has_points = sums["points"] > 0
    out["estimate_basis"] = np.select(
        [~has_counts & ~has_points, ~has_counts, ~has_points,
         sums["points"] == chosen_value.fillna(-1), located_best.to_numpy()],
        ["", "located cameras", "counts in documents", "counts and located cameras agree",
         "located cameras (more than the documents count)"],
        "counts in documents (more than the located cameras)")
    public_numbered = (figs[~figs["scope"].map(is_premises).astype(bool)
                            & figs["value"].notna() & (figs["status"] != "removed")]
                       if len(figs) else figs)
    if len(public_numbered):
        rng = public_numbered.groupby("id")["value"].agg(["min", "max"])
        out["cameras_low"] = per_id(rng["min"]).astype("Int64")
        out["cameras_high"] = per_id(rng["max"]).astype("Int64")
    else:
        out["cameras_low"] = out["cameras_high"] = pd.NA
    # each status apart: the best figure of that status (located cameras count for it when
    # their rows say so)
    status = _col(rows, "status").astype("string")
    for st in ("planned", "contracted", "testing", "installed"):
        st_points = frame["points"].where((status == st).fillna(False).to_numpy(), 0)
        pts_st = st_points.groupby(frame["id"], observed=True).sum()
        pts_st.index = pts_st.index.astype(str)
        pts_st = pts_st.where(pts_st > 0).reindex(idx)
        part = public_numbered[(public_numbered["status"] == st)
                               & ~public_numbered["located"]] if len(public_numbered) else \
            public_numbered
        if len(part):
            ranks = part.assign(_r=[_figure_rank(s, d, v) for s, d, v in
                                    zip(part["status"], part["as_of"], part["value"],
                                        strict=True)])
            top = ranks.sort_values("_r").groupby("id").tail(1).set_index("id")["value"]
            fig_st = per_id(top).astype("Int64")
        else:
            fig_st = pd.Series(pd.NA, index=idx, dtype="Int64")
        out[f"cameras_{st}"] = pd.concat([pts_st.astype("Int64"), fig_st], axis=1).max(
            axis=1).astype("Int64")
    premises_figs = figs[figs["scope"].map(is_premises).astype(bool) & figs["value"].notna()] \
        if len(figs) else figs
    if len(premises_figs):
        # one figure per kind of premises (the newest): schools and kindergartens add up
        newest = premises_figs.sort_values(["as_of", "value"]).groupby(
            ["id", "scope"]).tail(1)
        out["premises_cameras"] = per_id(newest.groupby("id")["value"].sum()).astype("Int64")
        out["premises"] = per_id(newest.groupby("id").apply(
            lambda d: "; ".join(f"{int(v):,} in {_premises_kind(s)}"
                                + (f" ({a})" if isinstance(a, str) else "")
                                for v, s, a in zip(d["value"], d["scope"], d["as_of"],
                                                   strict=True)),
            include_groups=False))
    else:
        out["premises_cameras"] = pd.NA
        out["premises"] = pd.NA
    unnumbered = figs[figs["value"].isna()] if len(figs) else figs
    out["unnumbered"] = (per_id(unnumbered.groupby("id").size()).astype("Int64")
                         if len(unnumbered) else pd.NA)
    out.loc[(~has_counts & ~has_points).to_numpy() & out["unnumbered"].notna().to_numpy(),
            "estimate_basis"] = "cameras named without a number"
    has_doc = g["has_doc"].any()
    has_doc.index = sums.index
    out["foi_points"] = sums["doc_points"].where(has_doc)
    out["foi_counted"] = chosen_value.where(has_doc)
    out["osm_points"] = sums["osm_points"] if osm_in_build else pd.NA
    out["documented"] = pd.concat([sums["doc_points"].where(sums["doc_points"] > 0),
                                   chosen_value], axis=1).max(axis=1).astype("Int64")
    out["documented"] = out["documented"].where(has_doc)
    out.loc[has_doc & out["documented"].isna() & (sums["doc_points"] == 0)
            & chosen_value.isna() & out["unnumbered"].isna(), "documented"] = 0
    out["mapped"] = sums["osm_points"] if osm_in_build else pd.NA
    out["evidence_gap"] = out["documented"] - out["mapped"]
    out["exact_share"] = (sums["exact"].astype("Float64")
                          / sums["points"].astype("Float64").where(sums["points"] > 0))
    newest = pd.concat([g["date"].max(), g["as_of"].max()], axis=1).max(axis=1)
    newest.index = sums.index
    out["newest_evidence"] = newest
    # face recognition of the cameras the estimate counts; the statement over all evidence
    fr_cams = per_id(best["fr_cameras"]) if len(best) else pd.Series(pd.NA, index=idx)
    if len(best):
        located_fr = figs[figs["located"]].groupby("id")["fr_cameras"].sum(min_count=1)
        fr_cams = fr_cams.where(~located_best, per_id(located_fr))
    out["facial_recognition_cameras"] = pd.to_numeric(fr_cams, errors="coerce").astype("Int64")
    fr = _col(rows, "facial_recognition").astype("boolean")
    fr_frame = pd.DataFrame({"id": frame["id"], "yes": fr.fillna(False).to_numpy(),
                             "known": fr.notna().to_numpy()}).groupby("id", observed=True)
    yes, known = (_by_str(fr_frame["yes"].any()).reindex(idx),
                  _by_str(fr_frame["known"].any()).reindex(idx))
    state = pd.Series(pd.NA, index=idx, dtype="string")
    state[known.fillna(False).astype(bool)] = "no"
    state[yes.fillna(False).astype(bool)] = "yes"
    out["facial_recognition"] = state
    software = _joined_by(frame["id"], _col(rows, "facial_recognition_software")).reindex(idx)
    out["facial_recognition_software"] = software.where(yes)
    ids = frame["id"]
    out["vendors"] = _companies_by(ids, rows["manufacturer"]).reindex(idx)
    out["suppliers"] = _companies_by(ids, _col(rows, "supplier")).reindex(idx)
    out["sources"] = _joined_by(ids, all_sources, split="; ").reindex(idx)
    out["documents"] = _joined_by(ids, rows["document"]).reindex(idx)
    out["figures"] = _figures_json(figs).reindex(idx)
    for col in _INT_COLUMNS:
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("Int64")
    out["exact_share"] = out["exact_share"].astype("Float64")
    for col in ("estimate_basis", "newest_evidence", "vendors", "suppliers", "sources",
                "documents", "figures", "premises", "facial_recognition",
                "facial_recognition_software"):
        out[col] = out[col].astype("string")
    out["estimate_basis"] = out["estimate_basis"].replace("", pd.NA)
    return out[_AGG_COLUMNS], figs


def _premises_kind(scope: str) -> str:
    inner = scope[scope.find("(") + 1: scope.rfind(")")] if "(" in scope else ""
    return inner.strip() or "premises"


def _figures_json(figs: pd.DataFrame) -> pd.Series:
    """Each place's figures as a JSON list (best first, then newest), for exports."""
    if figs.empty:
        return pd.Series(dtype="string")
    keys = ("level", "value", "counts", "status", "as_of", "source", "scope", "document",
            "note", "facial_recognition", "best")
    by_id: dict[str, list[dict[str, object]]] = {}
    # few rows (one per figure, not per camera): plain Python is faster than groupby here
    for rec in figs[["id", *keys]].to_dict("records"):
        by_id.setdefault(str(rec["id"]), []).append({k: _plain(rec[k]) for k in keys})

    out = {}
    for pid, items in by_id.items():
        # best first, then newest, then larger (stable sorts, the last one decides first)
        items.sort(key=lambda i: -(float(i["value"]) if isinstance(i["value"], int | float)
                                   else -1.0))
        items.sort(key=lambda i: str(i["as_of"] or ""), reverse=True)
        items.sort(key=lambda i: not i["best"])
        out[pid] = json.dumps(items, ensure_ascii=False, sort_keys=True)
    return pd.Series(out, dtype="string").sort_index()


def _plain(v: object) -> object:
    if v is None or v is pd.NA:
        return None
    if isinstance(v, float) and np.isnan(v):
        return None
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


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
                          "source", "sources_all", "source_ref", "facial_recognition",
                          "facial_recognition_software", "geocode_precision", "status",
                          "counts", "scope", "as_of", "note", "source_date", "manufacturer",
                          "supplier", "document")
              if c in cameras.columns]
    frame = pd.DataFrame(cameras[needed])
    assigned = frame[frame["municipality_id"].notna()]
    unit_rows = assigned[assigned["assigned_level"] == "unit"]
    group_rows = assigned[assigned["assigned_level"] == "group"]
    per_unit, unit_figs = _aggregate(pd.DataFrame(unit_rows), osm_in_build=osm_in_build,
                                     level="unit")
    per_group, group_figs = _aggregate(pd.DataFrame(group_rows), osm_in_build=osm_in_build,
                                       level="group")

    units = layer.units.copy()
    agg = per_unit.reindex(units["id"].to_numpy())
    agg.index = units.index
    # any evidence makes a unit "unit": a figure, or cameras named without a number
    has_own = agg["figures"].notna()

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

    has_group_figure = from_group("figures", "string").notna()
    units["group_cameras"] = from_group("cameras", "Int64").where(has_group_figure)
    units["group_population"] = from_group("population", "Int64").where(has_group_figure)
    units["group_area_km2"] = from_group("area_km2", "Float64").where(has_group_figure)
    units["group_cameras_per_1000"] = from_group("cameras_per_1000", "Float64")
    units["group_cameras_per_km2"] = from_group("cameras_per_km2", "Float64")
    units["group_rank"] = from_group("rank", "Int64")
    units["group_facial_recognition_cameras"] = from_group("facial_recognition_cameras", "Int64")
    units["evidence"] = np.select([has_own, has_group_figure], ["unit", "group"], "none")
    units["evidence"] = units["evidence"].astype("string")
    # a unit whose only evidence is a group figure shows the group's documents, sources and
    # what its figures are (never its numbers: those stay in the group_* columns)
    for col in _GROUP_TEXT:
        gvals = from_group(col, "string")
        units[col] = units[col].where(has_own, gvals)
    units = units[[*layer.units.columns.drop("geometry"), *METRIC_COLUMNS, "geometry"]]
    frames = [f for f in (unit_figs, group_figs) if len(f)]
    figures = (pd.concat(frames, ignore_index=True)[FIGURE_COLUMNS] if frames
               else pd.DataFrame(columns=FIGURE_COLUMNS))
    return Metrics(gpd.GeoDataFrame(units, geometry="geometry", crs=layer.units.crs), groups,
                   figures)


#: Text columns a unit shows from its city when the city's evidence is all there is.
_GROUP_TEXT = ("vendors", "suppliers", "sources", "documents", "figures", "estimate_counts",
               "estimate_status", "estimate_as_of", "estimate_source", "estimate_document",
               "estimate_basis", "facial_recognition", "facial_recognition_software",
               "premises", "newest_evidence")
