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
from collections.abc import Callable
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
_STATUSES = ("planned", "contracted", "testing", "installed")

#: A value per place (``None`` = unknown), in the order of :attr:`_Rows.ids`.
_PerPlace = list[object]


def _col(rows: pd.DataFrame, name: str) -> pd.Series:
    if name in rows.columns:
        return rows[name]
    return pd.Series(pd.NA, index=rows.index, dtype="string")


_Codes = tuple[np.ndarray, list[str]]


def _text_codes(values: pd.Series) -> _Codes:
    """Integer codes of a text column (-1 for missing) and its distinct values: string
    work then runs once per distinct value, not once per row."""
    if not values.count():
        return np.full(len(values), -1, dtype=np.int64), []
    codes, uniques = pd.factorize(values.astype("string"), use_na_sentinel=True)
    return np.asarray(codes, dtype=np.int64), [str(u) for u in uniques]


def _by_code(codes: np.ndarray, per_value: list[bool]) -> np.ndarray:
    """``per_value`` (a boolean per distinct value) looked up for each row (False for -1)."""
    return np.array([*per_value, False], dtype=bool)[codes]


class _Table:
    """The camera-table columns the figures use, each text column turned into integer
    codes once (for the rows of both levels)."""

    def __init__(self, table: pd.DataFrame) -> None:
        self.frame = table
        self._codes: dict[str, _Codes] = {}
        self._arrays: dict[str, np.ndarray] = {}

    def text(self, name: str) -> _Codes:
        """A text column as integer codes and distinct values (:func:`_text_codes`)."""
        if name not in self._codes:
            if name == "all_sources":  # the kinds of source merged into the row
                column = self.frame["source"]
                if "sources_all" in self.frame:
                    column = self.frame["sources_all"].fillna(column)
                self._codes[name] = _text_codes(column.astype("string").fillna(""))
            else:
                self._codes[name] = _text_codes(_col(self.frame, name))
        return self._codes[name]

    def array(self, name: str) -> np.ndarray:
        """``count`` (0 when unknown), or a yes/no column as ``name:yes`` (True when yes)
        and ``name:known`` (True when stated), as a NumPy array."""
        if name not in self._arrays:
            if name == "count":
                values = self.frame["count"].astype("Int64").fillna(0).to_numpy(np.float64)
            else:
                column, which = name.split(":")
                flags = _col(self.frame, column).astype("boolean")
                values = (flags.fillna(False) if which == "yes" else flags.notna()).to_numpy(
                    dtype=bool)
            self._arrays[name] = values
        return self._arrays[name]


class _Rows:
    """The rows of the camera table assigned to the places of one level, each with its
    place as an integer code (places in the order of their ids), and the per-row facts
    the figures use; every sum, maximum and list per place is taken over integer codes,
    not by grouping strings."""

    def __init__(self, table: _Table, rows: np.ndarray) -> None:
        self.table, self.rows = table, rows
        place, ids = table.text("municipality_id")
        place = place[rows]
        # the places these rows name, in the order of their ids
        present = np.flatnonzero(np.bincount(place, minlength=len(ids)))
        present = present[np.argsort(np.array(ids, dtype=object)[present])]
        code = np.full(len(ids), -1, dtype=np.int64)
        code[present] = np.arange(len(present))
        self.place = code[place]
        self.ids = [ids[i] for i in present]
        #: the row's count, 0 when unknown
        self.count = table.array("count")[rows]
        #: located by its point (the others were assigned by the name they give)
        self.is_point = self.is_("assigned_by", lambda v: v == "point")
        #: a document (not only OpenStreetMap) gives the row
        self.is_doc = self.is_("all_sources", lambda v: bool(set(v.split("; ")) - {"osm", ""}))
        self.is_osm = self.is_("all_sources", lambda v: "osm" in v.split("; "))
        premises = self.is_("scope", lambda v: v.lower().startswith("premises"))
        #: located, public space and not removed: counted as located cameras
        self.points = self.is_point & ~premises & ~self.is_("status", lambda v: v == "removed")

    def text(self, name: str) -> _Codes:
        """A text column of these rows as codes and the distinct values of the table."""
        codes, texts = self.table.text(name)
        return codes[self.rows], texts

    def is_(self, name: str, test: Callable[[str], bool]) -> np.ndarray:
        """Per row: whether its text in column ``name`` passes ``test`` (False: missing)."""
        codes, texts = self.text(name)
        return _by_code(codes, [test(t) for t in texts])

    def flag(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Per row: whether a yes/no column says yes, and whether it says anything."""
        return (self.table.array(f"{name}:yes")[self.rows],
                self.table.array(f"{name}:known")[self.rows])

    def frame(self, mask: np.ndarray) -> pd.DataFrame:
        """The rows in ``mask`` with all their columns."""
        return self.table.frame.iloc[self.rows[mask]]

    def total(self, mask: np.ndarray) -> np.ndarray:
        """Per place: the counts of the rows in ``mask``."""
        return np.bincount(self.place, self.count * mask, len(self.ids)).astype(np.int64)

    def any(self, mask: np.ndarray) -> np.ndarray:
        """Per place: whether any of its rows is in ``mask``."""
        return np.bincount(self.place[mask], minlength=len(self.ids)) > 0

    def distinct(self, codes: np.ndarray, texts: list[str]) -> list[tuple[int, str]]:
        """The distinct (place, text) pairs of a text column, missing values left out."""
        keep = codes >= 0
        if not keep.any():
            return []
        width = len(texts)
        keys = np.unique(self.place[keep] * width + codes[keep])
        return [(int(k) // width, texts[int(k) % width]) for k in keys]

    def joined(self, codes: _Codes, *, split: str | None = None) -> _PerPlace:
        """Per place: its distinct non-empty texts, sorted and "; "-joined (None: none)."""
        items: list[set[str]] = [set() for _ in self.ids]
        for pid, text in self.distinct(*codes):
            for part in text.split(split) if split else [text]:
                items[pid].add(part.strip())
        return [_joined(i) for i in items]

    def companies(self, name: str) -> _PerPlace:
        """Per place: the normalised company names (``camera_map/data/companies.csv``)."""
        items: list[set[str]] = [set() for _ in self.ids]
        names: dict[str, list[str]] = {}
        for pid, text in self.distinct(*self.text(name)):
            if text not in names:
                names[text] = company_names(text)
            items[pid].update(n.strip() for n in names[text])
        return [_joined(i) for i in items]

    def newest(self, name: str) -> _PerPlace:
        """Per place: the largest of its texts, cut to 10 characters (the newest date)."""
        return _largest_by(self.place, len(self.ids), self.text(name))


def _largest_by(keys: np.ndarray, n: int, codes: _Codes, width: int = 10) -> _PerPlace:
    """For each of ``n`` keys, the largest text of its rows, cut to ``width`` characters
    (None when it has none); the largest of the cut texts is the cut of the largest."""
    values, texts = codes
    order = np.argsort(np.array(texts, dtype=object))
    rank = np.empty(len(texts), dtype=np.int64)
    rank[order] = np.arange(len(texts))
    best = np.full(n, -1, dtype=np.int64)
    keep = values >= 0
    np.maximum.at(best, keys[keep], rank[values[keep]])
    return [texts[order[b]][:width] if b >= 0 else None for b in best]


def _joined(items: set[str]) -> str | None:
    items.discard("")
    return "; ".join(sorted(items)) if items else None


def _figure_rank(status: object, as_of: object, value: object) -> tuple[int, str, int]:
    st = status if isinstance(status, str) and status in STATUS_ORDER else "unknown"
    return (STATUS_ORDER[st], as_of if isinstance(as_of, str) else "",
            -1 if value is None or pd.isna(value) else int(value))  # type: ignore[call-overload]


def _figures(rows: _Rows, level: str) -> pd.DataFrame:
    """One row per figure: count rows summed per (place, file, document, status, counts,
    scope, date); located cameras per (place, kind of source)."""
    out = _counted_figures(rows.frame(~rows.is_point), level) if not rows.is_point.all() \
        else []
    out.extend(_located_figures(rows, level))
    figs = pd.DataFrame(out)
    if figs.empty:
        return pd.DataFrame(columns=[*FIGURE_COLUMNS, "fr_cameras", "located"])
    if "located" not in figs:
        figs["located"] = False
    figs["located"] = figs["located"].fillna(False).astype(bool)
    return figs


def _counted_figures(counts: pd.DataFrame, level: str) -> list[dict[str, object]]:
    """The figures of count rows: summed per (place, file, document, status, counts,
    scope, date, source)."""
    out: list[dict[str, object]] = []
    if not len(counts):
        return out
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
    return out


def _located_figures(rows: _Rows, level: str) -> list[dict[str, object]]:
    """The figures of located cameras: one per (place, kind of source), every located row
    counted once whatever its ``count``, in the order of place and source."""
    pts = rows.is_point
    if not pts.any():
        return []
    src, sources = rows.text("source")
    src = src[pts]
    if (src < 0).any():  # a located camera of no stated source
        if "unknown" not in sources:
            sources = [*sources, "unknown"]
        src = np.where(src < 0, sources.index("unknown"), src)
    order = np.argsort(np.array(sources, dtype=object))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    width = len(order)
    key = rows.place[pts] * width + rank[src]
    size = len(rows.ids) * width
    value = np.bincount(key, minlength=size)
    yes, known = rows.flag("facial_recognition")
    fr_yes = np.bincount(key, yes[pts], minlength=size)
    fr_known = np.bincount(key, known[pts], minlength=size) > 0
    # the cameras with face recognition among those the estimate counts (public space,
    # not removed): never more than the located cameras counted
    fr_counted = np.bincount(key, (rows.count * (yes & rows.points))[pts], minlength=size)
    # the located cameras' status when every one of them states the same one
    st, statuses = rows.text("status")
    st = st[pts]
    stated = st >= 0
    st_known = np.bincount(key[stated], minlength=size)
    st_low = np.full(size, len(statuses), dtype=np.int64)
    st_high = np.full(size, -1, dtype=np.int64)
    np.minimum.at(st_low, key[stated], st[stated])
    np.maximum.at(st_high, key[stated], st[stated])
    date, dates = rows.text("source_date")
    as_of = _largest_by(key, size, (date[pts], dates))
    out: list[dict[str, object]] = []
    for k in np.flatnonzero(value):
        one_status = st_known[k] == value[k] and st_low[k] == st_high[k]
        out.append({
            "id": rows.ids[k // width], "level": level, "value": int(value[k]),
            "counts": "cameras", "status": statuses[st_low[k]] if one_status else None,
            "as_of": as_of[k], "source": sources[order[k % width]],
            "scope": "public space", "document": None, "note": None,
            "facial_recognition": (bool(fr_yes[k] > 0) if fr_known[k] else pd.NA),
            "facial_recognition_software": None,
            "fr_cameras": int(fr_counted[k]) if fr_known[k] else None,
            "best": False, "located": True,
        })
    return out


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


@dataclass
class _Chosen:
    """What :func:`_pick` chose per place: the figure that describes the place (the
    largest of the located cameras when they win) and the document figure chosen."""

    best: list[dict[str, object] | None]
    counted: _PerPlace  # the value of the chosen document figure
    located_best: list[bool]

    @classmethod
    def of(cls, figs: pd.DataFrame, ids: list[str]) -> _Chosen:
        pos = {pid: i for i, pid in enumerate(ids)}
        best: list[dict[str, object] | None] = [None] * len(ids)
        counted: _PerPlace = [None] * len(ids)
        if len(figs):
            for rec in figs[figs["best"]].to_dict("records"):
                i = pos[rec["id"]]
                if not rec["located"]:
                    counted[i] = int(rec["value"])
                # located cameras of several kinds of source are all "best": the place is
                # described by the largest of them (their total is the estimate)
                current = best[i]
                if current is None or rec["value"] > current["value"]:
                    best[i] = rec
        return cls(best, counted, [b is not None and bool(b["located"]) for b in best])


def _aggregate(table: _Table, rows: np.ndarray, *, osm_in_build: bool, level: str
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Figures per ``municipality_id`` from the ``rows`` (positions in ``table``) assigned
    to it, and the figures table.

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
    if not len(rows):
        return pd.DataFrame(columns=_AGG_COLUMNS), pd.DataFrame(
            columns=[*FIGURE_COLUMNS, "fr_cameras", "located"])
    facts = _Rows(table, rows)
    figs = _pick(_figures(facts, level))
    chosen = _Chosen.of(figs, facts.ids)
    out: dict[str, _PerPlace] = {}
    out.update(_estimate(facts, figs, chosen))
    out.update(_by_status(facts, figs))
    out.update(_premises(figs, facts.ids))
    out.update(_documented(facts, chosen, out["unnumbered"], osm_in_build=osm_in_build))
    out.update(_face_recognition(facts, figs, chosen))
    out.update(_texts(facts, figs))
    return _typed(out, facts.ids), figs


def _estimate(rows: _Rows, figs: pd.DataFrame, chosen: _Chosen) -> dict[str, _PerPlace]:
    """The estimate per place (:data:`ESTIMATE_RULE`), what it rests on, the range of the
    public-space figures and the figures without a number."""
    points = rows.total(rows.points)
    est = [_larger(p if p > 0 else None, c) for p, c in zip(points, chosen.counted,
                                                            strict=True)]
    out: dict[str, _PerPlace] = {"cameras_points": [int(p) for p in points],
                                 "cameras_counted": chosen.counted, "cameras": est}
    for col in ("counts", "status", "as_of", "source", "document"):
        out[f"estimate_{col}"] = [_na(b[col]) if b is not None and e is not None else None
                                  for b, e in zip(chosen.best, est, strict=True)]
    out["estimate_counts"] = ["cameras" if lb else v for lb, v in
                              zip(chosen.located_best, out["estimate_counts"], strict=True)]
    numbered = _public_numbered(figs)
    low = numbered.groupby("id")["value"].min() if len(numbered) else {}
    high = numbered.groupby("id")["value"].max() if len(numbered) else {}
    out["cameras_low"] = [low.get(i) for i in rows.ids]
    out["cameras_high"] = [high.get(i) for i in rows.ids]
    unnumbered = figs.loc[figs["value"].isna(), "id"].value_counts() if len(figs) else {}
    out["unnumbered"] = [unnumbered.get(i) for i in rows.ids]
    out["estimate_basis"] = [
        _basis(int(p), c, lb, u) for p, c, lb, u in zip(
            points, chosen.counted, chosen.located_best, out["unnumbered"], strict=True)]
    return out


def _basis(points: int, counted: object, located_best: bool, unnumbered: object) -> str | None:
    """What the estimate of a place rests on."""
    if counted is None:
        if points > 0:
            return "located cameras"
        return "cameras named without a number" if unnumbered is not None else None
    if points == 0:
        return "counts in documents"
    if points == counted:
        return "counts and located cameras agree"
    if located_best:
        return "located cameras (more than the documents count)"
    return "counts in documents (more than the located cameras)"


def _larger(a: object, b: object) -> object:
    """The larger of two figures; None (unknown) only when both are."""
    if a is None:
        return b
    return a if b is None else max(a, b)  # type: ignore[call-overload]


def _public_numbered(figs: pd.DataFrame) -> pd.DataFrame:
    """The figures with a number about public space (not removed cameras)."""
    if not len(figs):
        return figs
    return figs[~figs["scope"].map(is_premises).astype(bool) & figs["value"].notna()
                & (figs["status"] != "removed")]


def _by_status(rows: _Rows, figs: pd.DataFrame) -> dict[str, _PerPlace]:
    """Each status apart: the best figure of that status (located cameras count for it
    when their rows say so)."""
    numbered = _public_numbered(figs)
    numbered = numbered[~numbered["located"]] if len(numbered) else numbered
    out: dict[str, _PerPlace] = {}
    for st in _STATUSES:
        located = rows.total(rows.points & rows.is_("status", st.__eq__))
        top: dict[str, tuple[tuple[int, str, int], int]] = {}
        if len(numbered):
            part = numbered[numbered["status"] == st]
            for pid, d, v in zip(part["id"], part["as_of"], part["value"], strict=True):
                rank = _figure_rank(st, d, v)
                if pid not in top or rank > top[pid][0]:
                    top[pid] = (rank, int(v))
        out[f"cameras_{st}"] = [
            _larger(int(n) if n > 0 else None, top[pid][1] if pid in top else None)
            for pid, n in zip(rows.ids, located, strict=True)]
    return out


def _premises(figs: pd.DataFrame, ids: list[str]) -> dict[str, _PerPlace]:
    """Cameras on premises (schools, kindergartens, ...): listed apart, never added to
    the public-space figures; one figure per kind of premises (the newest), the kinds
    added up."""
    premises_figs = figs[figs["scope"].map(is_premises).astype(bool) & figs["value"].notna()] \
        if len(figs) else figs
    if not len(premises_figs):
        return {"premises_cameras": [None] * len(ids), "premises": [None] * len(ids)}
    newest = premises_figs.sort_values(["as_of", "value"]).groupby(["id", "scope"]).tail(1)
    total: dict[str, int] = {}
    text: dict[str, list[str]] = {}
    for pid, v, s, a in zip(newest["id"], newest["value"], newest["scope"], newest["as_of"],
                            strict=True):
        total[pid] = total.get(pid, 0) + int(v)
        text.setdefault(pid, []).append(f"{int(v):,} in {_premises_kind(s)}"
                                        + (f" ({a})" if isinstance(a, str) else ""))
    return {"premises_cameras": [total.get(i) for i in ids],
            "premises": ["; ".join(text[i]) if i in text else None for i in ids]}


def _documented(rows: _Rows, chosen: _Chosen, unnumbered: _PerPlace, *, osm_in_build: bool
                ) -> dict[str, _PerPlace]:
    """What documents say against what OpenStreetMap holds, how exact the points are and
    the newest evidence."""
    points = rows.total(rows.points)
    doc_points = rows.total(rows.points & rows.is_doc)
    osm_points = rows.total(rows.points & rows.is_osm)
    precision, precisions = rows.text("geocode_precision")
    exact = rows.total(rows.points & _by_code(precision, [p == "exact" for p in precisions]))
    has_doc = rows.any(rows.is_doc)
    out: dict[str, _PerPlace] = {
        "foi_points": [int(d) if h else None for d, h in zip(doc_points, has_doc, strict=True)],
        "foi_counted": [c if h else None for c, h in zip(chosen.counted, has_doc, strict=True)],
        "osm_points": [int(n) for n in osm_points] if osm_in_build else [None] * len(rows.ids),
    }
    documented: _PerPlace = []
    for d, c, h, u in zip(doc_points, chosen.counted, has_doc, unnumbered, strict=True):
        value = _larger(int(d) if d > 0 else None, c) if h else None
        if h and value is None and u is None:
            value = 0  # a document that names no camera of the place: zero, not unknown
        documented.append(value)
    out["documented"] = documented
    out["mapped"] = out["osm_points"]
    out["evidence_gap"] = [d - m if d is not None and m is not None else None  # type: ignore[operator]
                           for d, m in zip(documented, out["mapped"], strict=True)]
    out["exact_share"] = [float(e) / float(p) if p > 0 else None
                          for e, p in zip(exact, points, strict=True)]
    out["newest_evidence"] = [_larger(d, a) for d, a in zip(
        rows.newest("source_date"), rows.newest("as_of"), strict=True)]
    return out


def _face_recognition(rows: _Rows, figs: pd.DataFrame, chosen: _Chosen
                      ) -> dict[str, _PerPlace]:
    """Face recognition of the cameras the estimate counts, and the statement over all
    the evidence ("yes" when any says so, "no" when some say and none says yes)."""
    located_fr: dict[str, int] = {}
    if len(figs):
        for pid, n in zip(figs["id"][figs["located"]], figs["fr_cameras"][figs["located"]],
                          strict=True):
            if n is not None and not pd.isna(n):
                located_fr[pid] = located_fr.get(pid, 0) + int(n)
    cameras: _PerPlace = []
    for pid, b, lb in zip(rows.ids, chosen.best, chosen.located_best, strict=True):
        n = located_fr.get(pid) if lb else (b["fr_cameras"] if b is not None else None)
        cameras.append(None if n is None or pd.isna(n) else int(n))  # type: ignore[call-overload]
    said_yes, said = rows.flag("facial_recognition")
    yes, known = rows.any(said_yes), rows.any(said)
    software = rows.joined(rows.text("facial_recognition_software"))
    return {"facial_recognition_cameras": cameras,
            "facial_recognition": ["yes" if y else "no" if k else None
                                   for y, k in zip(yes, known, strict=True)],
            "facial_recognition_software": [s if y else None
                                            for s, y in zip(software, yes, strict=True)]}


def _texts(rows: _Rows, figs: pd.DataFrame) -> dict[str, _PerPlace]:
    """Vendors, suppliers, kinds of source, documents and the figures (JSON) per place."""
    figures = _figures_json(figs)
    return {"vendors": rows.companies("manufacturer"),
            "suppliers": rows.companies("supplier"),
            "sources": rows.joined(rows.text("all_sources"), split="; "),
            "documents": rows.joined(rows.text("document")),
            "figures": [figures.get(i) for i in rows.ids]}


def _typed(out: dict[str, _PerPlace], ids: list[str]) -> pd.DataFrame:
    """The per-place figures as a frame indexed by id: whole numbers as ``Int64``, the
    share as ``Float64``, texts as ``string``; None is ``<NA>``."""
    columns: dict[str, object] = {}
    for col in _AGG_COLUMNS:
        dtype = ("Int64" if col in _INT_COLUMNS else "Float64" if col == "exact_share"
                 else "string")
        columns[col] = pd.array(out[col], dtype=dtype)
    return pd.DataFrame(columns, index=pd.Index(ids, name="id"))


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
    table, unit_rows, group_rows = _level_rows(cameras)
    per_unit, unit_figs = _aggregate(table, unit_rows, osm_in_build=osm_in_build,
                                     level="unit")
    per_group, group_figs = _aggregate(table, group_rows, osm_in_build=osm_in_build,
                                       level="group")
    groups = _group_table(layer, per_group)
    units = _unit_table(layer, per_unit)
    _rank(units, groups)
    units = _with_group_figures(units, groups)
    units = units[[*layer.units.columns.drop("geometry"), *METRIC_COLUMNS, "geometry"]]
    frames = [f for f in (unit_figs, group_figs) if len(f)]
    figures = (pd.concat(frames, ignore_index=True)[FIGURE_COLUMNS] if frames
               else pd.DataFrame(columns=FIGURE_COLUMNS))
    return Metrics(gpd.GeoDataFrame(units, geometry="geometry", crs=layer.units.crs), groups,
                   figures)


def _level_rows(cameras: gpd.GeoDataFrame) -> tuple[_Table, np.ndarray, np.ndarray]:
    """The columns the figures need, and the positions of the rows assigned to a unit and
    of those assigned to a group as a whole."""
    # only the columns the figures need; rows are taken column by column when used, so
    # that a million-row table is not copied
    needed = [c for c in ("municipality_id", "assigned_level", "assigned_by", "count",
                          "source", "sources_all", "source_ref", "facial_recognition",
                          "facial_recognition_software", "geocode_precision", "status",
                          "counts", "scope", "as_of", "note", "source_date", "manufacturer",
                          "supplier", "document")
              if c in cameras.columns]
    table = pd.DataFrame(cameras[needed])
    assigned = table["municipality_id"].notna().to_numpy(dtype=bool)
    level = table["assigned_level"]
    return (_Table(table),
            np.flatnonzero(assigned & (level == "unit").to_numpy(dtype=bool, na_value=False)),
            np.flatnonzero(assigned & (level == "group").to_numpy(dtype=bool, na_value=False)))


def _group_table(layer: Layer, per_group: pd.DataFrame) -> pd.DataFrame:
    """The layer's groups with their figures: population from the group table, area from
    the member units."""
    groups = layer.groups.copy()
    groups["id"] = groups["id"].astype(str)
    member_area = layer.units.groupby("group_id")["area_km2"].sum()
    groups["area_km2"] = groups["id"].map(member_area).astype(float)
    gagg = per_group.reindex(groups["id"].to_numpy())
    gagg.index = groups.index
    groups = pd.concat([groups.drop(columns=[c for c in gagg.columns if c in groups]), gagg],
                       axis=1)
    groups["cameras"] = groups["cameras"].astype("Int64")
    groups["population"] = groups["population"].astype("Int64")
    return _with_rates(groups)


def _unit_table(layer: Layer, per_unit: pd.DataFrame) -> pd.DataFrame:
    """The layer's units with their own figures."""
    agg = per_unit.reindex(layer.units["id"].to_numpy())
    agg.index = layer.units.index
    units = pd.concat([pd.DataFrame(layer.units.drop(
        columns=[c for c in _AGG_COLUMNS if c in layer.units])), agg[_AGG_COLUMNS]], axis=1)
    return _with_rates(units)


def _with_rates(places: pd.DataFrame) -> pd.DataFrame:
    places["cameras_per_1000"] = _per(places["cameras"], places["population"], 1000)
    places["cameras_per_km2"] = _per(places["cameras"], places["area_km2"])
    places["residents_per_camera"] = _per(places["population"], places["cameras"])
    return places


def _rank(units: pd.DataFrame, groups: pd.DataFrame) -> None:
    """Rank units with their own figure and groups with a group-level figure, together,
    by cameras per 1,000 residents (ties share the better rank)."""
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


def _with_group_figures(units: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    """Each unit with the figures of its group (``group_*``), and its kind of evidence."""
    position = {g: i for i, g in enumerate(groups["id"])}
    of_unit = [position.get(g, -1) if isinstance(g, str) else -1 for g in units["group_id"]]

    def from_group(col: str, dtype: str) -> pd.Series:
        values = groups[col].to_numpy(dtype=object)
        return pd.Series(pd.array([values[i] if i >= 0 else pd.NA for i in of_unit],
                                  dtype=dtype), index=units.index)

    has_own = units["figures"].notna()  # a figure, or cameras named without a number
    has_group_figure = from_group("figures", "string").notna()
    extra = {
        "group_cameras": from_group("cameras", "Int64").where(has_group_figure),
        "group_population": from_group("population", "Int64").where(has_group_figure),
        "group_area_km2": from_group("area_km2", "Float64").where(has_group_figure),
        "group_cameras_per_1000": from_group("cameras_per_1000", "Float64"),
        "group_cameras_per_km2": from_group("cameras_per_km2", "Float64"),
        "group_rank": from_group("rank", "Int64"),
        "group_facial_recognition_cameras": from_group("facial_recognition_cameras", "Int64"),
        "evidence": pd.Series(np.select([has_own, has_group_figure], ["unit", "group"],
                                        "none"), index=units.index).astype("string"),
    }
    # a unit whose only evidence is a group figure shows the group's documents, sources and
    # what its figures are (never its numbers: those stay in the group_* columns)
    for col in _GROUP_TEXT:
        extra[col] = units[col].where(has_own, from_group(col, "string"))
    return pd.concat([units.drop(columns=[c for c in extra if c in units]),
                      pd.DataFrame(extra, index=units.index)], axis=1)


#: Text columns a unit shows from its city when the city's evidence is all there is.
_GROUP_TEXT = ("vendors", "suppliers", "sources", "documents", "figures", "estimate_counts",
               "estimate_status", "estimate_as_of", "estimate_source", "estimate_document",
               "estimate_basis", "facial_recognition", "facial_recognition_software",
               "premises", "newest_evidence")
