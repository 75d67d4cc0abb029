"""What the map page needs to help a reader find a place: labels, search keys, deep links.

Each unit gets a label position inside its polygon (the pole of inaccessibility of its
largest part, so a label never sits in a neighbour), a label priority (ranked units first,
then city groups, then by population), the slug used by the ``#town=<slug>`` deep link (the
same as the town page's file name) and search keys in every spelling a reader might type:
Latin, Cyrillic and ASCII without diacritics, all compared after
:func:`camera_map.names.fold`.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from shapely.ops import polylabel

from ..names import fold, fold_loose, slug
from . import i18n


def label_point(geom: Any) -> tuple[float, float] | None:
    """Return (lat, lon) where a unit's label goes: inside its largest polygon, or None."""
    if geom is None or geom.is_empty:
        return None
    parts = list(getattr(geom, "geoms", [geom]))
    polys = [p for p in parts if p.geom_type == "Polygon" and not p.is_empty]
    if not polys:
        pt = geom.representative_point()
        return round(pt.y, 5), round(pt.x, 5)
    largest = max(polys, key=lambda p: p.area)
    minx, miny, maxx, maxy = largest.bounds
    try:
        pt = polylabel(largest, tolerance=max(maxx - minx, maxy - miny) / 200 or 1e-6)
    except (ValueError, shapely.errors.ShapelyError):  # an invalid ring: any inside point
        pt = largest.representative_point()
    if not largest.contains(pt):
        pt = largest.representative_point()
    return round(pt.y, 5), round(pt.x, 5)


def label_order(units: pd.DataFrame) -> list[int]:
    """Return each unit's label priority (0 first): ranked, then in a ranked city, then big."""
    rank = pd.to_numeric(units["rank"], errors="coerce")
    group_rank = pd.to_numeric(units.get("group_rank"), errors="coerce") if "group_rank" in units \
        else pd.Series(float("nan"), index=units.index)
    pop = pd.to_numeric(units["population"], errors="coerce")
    tier = pd.Series(3, index=units.index)
    tier = tier.mask(group_rank.notna(), 1).mask(rank.notna(), 0)
    key = pd.DataFrame({
        "tier": tier.to_numpy(),
        "rank": rank.fillna(group_rank).fillna(1e12).to_numpy(),
        "pop": (-pop.fillna(-1)).to_numpy(),
        "name": units["name"].astype(str).to_numpy(),
        "pos": range(len(units)),
    })  # fmt: skip
    ordered = key.sort_values(["tier", "rank", "pop", "name", "pos"], kind="stable")["pos"]
    order = [0] * len(units)
    for priority, pos in enumerate(ordered.tolist()):
        order[int(pos)] = priority
    return order


def search_keys(*names: object) -> list[str]:
    """Return the folded spellings of ``names`` (strict and loose), without duplicates."""
    keys: list[str] = []
    for name in names:
        if i18n.is_missing(name) or not str(name).strip():
            continue
        for key in (fold(name, drop_unit_words=False), fold(name), fold_loose(name)):
            if key and key not in keys:
                keys.append(key)
    return keys


def unit_navigation(units: gpd.GeoDataFrame, lang: str) -> list[dict[str, Any]]:
    """Return, per unit (in frame order), its label text, point, priority, slug and keys."""
    order = label_order(units)
    ranked = pd.to_numeric(units["rank"], errors="coerce").notna().tolist()
    out: list[dict[str, Any]] = []
    geoms = units.geometry.tolist()
    for i, row in enumerate(units[["name", "name_cyr"]].to_dict("records")):
        name_cyr = row.get("name_cyr")
        point = label_point(geoms[i])
        out.append({
            "n": i18n.unit_name(row, lang),
            "s": slug(str(row["name"])),
            "k": search_keys(row["name"], name_cyr, i18n.unit_name(row, "sr-Cyrl")),
            "r": order[i],
            "top": bool(ranked[i]),
            "l": list(point) if point else None,
        })  # fmt: skip
    return out


def group_navigation(units: gpd.GeoDataFrame, lang: str) -> list[dict[str, Any]]:
    """Return the city groups (e.g. Beograd) a reader can search for and link to."""
    if "group_id" not in units.columns:
        return []
    out = []
    gids = units["group_id"].astype("string")
    for gid in sorted({str(g) for g in gids.dropna().tolist()}):
        members = units[gids == gid]
        name = members["group_name"].dropna()
        if name.empty:
            continue
        text = str(name.iloc[0])
        point = label_point(members.geometry.union_all())
        ranked = "group_rank" in members and members["group_rank"].notna().any()
        out.append({
            "id": gid,
            "n": i18n.place_name(text, lang),
            "s": slug(text),
            "k": search_keys(text, i18n.place_name(text, "sr-Cyrl")),
            "m": [str(v) for v in members["id"].tolist()],
            "l": list(point) if point else None,
            "top": bool(ranked),
        })  # fmt: skip
    return out
