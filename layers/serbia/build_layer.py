#!/usr/bin/env python3
"""Rebuild ``units.geojson`` and ``groups.csv`` of the Serbian layer from ``sources/``.

Steps (see README.md for the why of each):

1. Read geoBoundaries ADM2 (145 features) and the 2022 census table (167 rows).
2. Match every geoBoundaries feature but Belgrade to exactly one census row by folded
   name (diacritics folded, " Municipality"/" City" dropped); "Nis City" takes the City
   of Niš total. Any unmatched or doubly matched feature stops the build.
3. Replace the single Belgrade feature with Belgrade's 17 city municipalities from
   Who's On First: keep only the part of Palilula north of 44.3°N (the record merges
   Belgrade's and Niš's Palilula), clip each unit to geoBoundaries' Belgrade outline,
   then give every uncovered sliver to the unit it shares the longest border with, so
   the 17 units tile Belgrade's outline with no gap and no overlap.
4. Compute areas in EPSG:3035 (ETRS89 / LAEA Europe, equal-area), attach codes, Latin
   and Cyrillic names and population (empty where no sourced figure exists), and write
   the layer with coordinates kept at full source precision (rounding makes slivers).

Run from anywhere: ``python layers/serbia/build_layer.py``. Needs geopandas and shapely.
"""

from __future__ import annotations

import csv
import json
import os
import sys
import unicodedata
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry import box
from shapely.ops import unary_union

HERE = Path(__file__).resolve().parent
#: Where the built layer goes: inside the package, so that it ships in the wheel.
OUT = Path(os.environ.get("CAMERA_MAP_LAYER_OUT",
                         HERE.parent.parent / "camera_map" / "data" / "layers" / "serbia"))
SOURCES = HERE / "sources"
EQUAL_AREA = "EPSG:3035"
BELGRADE_CITY = "71308"
NIS_CITY = "70858"

# Who's On First id -> official code (by the record's wof:name; Palilula is Belgrade's).
WOF_CODES = {
    "1108809835": "70092",  # Barajevo
    "1108809881": "70254",  # Čukarica
    "1108809899": "70122",  # Grocka
    "1108809951": "70165",  # Lazarevac
    "1108809985": "70173",  # Mladenovac
    "1108809997": "70181",  # Novi Beograd
    "1108810007": "70190",  # Obrenovac
    "1108810015": "70203",  # Palilula (Belgrade part only)
    "1108810049": "70211",  # Rakovica
    "1108810063": "70220",  # Savski Venac
    "1108810083": "70238",  # Sopot
    "1108810095": "70246",  # Stari Grad
    "1108810099": "71293",  # Surčin
    "1108810141": "70106",  # Voždovac
    "1108810145": "70114",  # Vračar
    "1108810165": "70157",  # Zemun
    "1108810173": "70149",  # Zvezdara
}
NIS_CITY_MUNICIPALITIES = ("71315", "71331", "71323", "71307", "71285")
PALILULA_SPLIT_LAT = 44.3


def fold(name: str) -> str:
    """ASCII key for matching: diacritics folded (đ → dj), unit words dropped."""
    name = name.replace("đ", "dj").replace("Đ", "Dj")
    name = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    name = name.lower().replace("-", " ").replace("*", "")
    for suffix in (" municipality", " municipal", " city"):
        name = name.removesuffix(suffix)
    return " ".join(name.split())


def read_census() -> dict[str, dict[str, str]]:
    with (SOURCES / "census-2022.csv").open(encoding="utf-8", newline="") as fh:
        return {row["code"]: row for row in csv.DictReader(fh)}


def match_geoboundaries(gb: gpd.GeoDataFrame, census: dict[str, dict[str, str]]) -> list[str]:
    """Return the census code of each non-Belgrade geoBoundaries feature, in order."""
    skip = {BELGRADE_CITY, *WOF_CODES.values(), *NIS_CITY_MUNICIPALITIES}
    by_key: dict[str, list[str]] = {}
    for code, row in census.items():
        if code not in skip:
            by_key.setdefault(fold(row["name_lat"]), []).append(code)
    codes, errors = [], []
    for name in gb["shapeName"]:
        found = by_key.get(fold(name), [])
        if len(found) != 1:
            errors.append(f"{name!r}: {len(found)} census matches {found}")
        codes.append(found[0] if found else "")
    if len(set(codes)) != len(codes):
        errors.append("a census row matched two features")
    if errors:
        sys.exit("name matching failed:\n  " + "\n  ".join(errors))
    return codes


def belgrade_units(outline: shapely.Geometry) -> gpd.GeoDataFrame:
    """Belgrade's 17 city municipalities tiling ``outline`` with no gap or overlap."""
    rows = []
    for wof_id, code in WOF_CODES.items():
        feature = json.loads((SOURCES / "wof-belgrade" / f"{wof_id}.geojson").read_text("utf-8"))
        geom = shapely.geometry.shape(feature["geometry"])
        if code == "70203":  # drop Niš's Palilula, merged into the same record
            geom = geom.intersection(box(19.0, PALILULA_SPLIT_LAT, 22.0, 46.0))
        rows.append({"id": code, "geometry": geom.intersection(outline)})
    units = gpd.GeoDataFrame(rows, crs="EPSG:4326")
    gaps = outline.difference(unary_union(units.geometry.values))
    parts = [g for g in getattr(gaps, "geoms", [gaps]) if g.area > 0]
    geoms = list(units.geometry.values)
    for part in parts:
        border = [part.boundary.intersection(g.boundary).length for g in geoms]
        if max(border) == 0:  # touches nothing: give it to the nearest unit
            border = [-part.distance(g) for g in geoms]
        i = max(range(len(geoms)), key=border.__getitem__)
        geoms[i] = geoms[i].union(part)
    units["geometry"] = [shapely.make_valid(g) for g in geoms]
    return units


def main() -> None:
    census = read_census()
    gb = gpd.read_file(SOURCES / "geoboundaries-srb-adm2.geojson").to_crs("EPSG:4326")
    is_belgrade = gb["shapeName"] == "Belgrade"
    outline = gb.loc[is_belgrade, "geometry"].iloc[0]
    rest = gb.loc[~is_belgrade].reset_index(drop=True)
    rest["id"] = match_geoboundaries(rest, census)
    rest["kind"] = ["city" if n.endswith(" City") else "municipality" for n in rest["shapeName"]]
    rest["geometry_source"] = "geoBoundaries SRB ADM2 (" + rest["shapeID"] + ")"
    bg = belgrade_units(outline)
    bg["kind"] = "city municipality"
    bg["geometry_source"] = "Who's On First (clipped to geoBoundaries' Belgrade)"
    units = pd.concat([rest[["id", "kind", "geometry_source", "geometry"]], bg],
                      ignore_index=True)
    units = gpd.GeoDataFrame(units, geometry="geometry", crs="EPSG:4326")

    def name_cyr(code: str) -> str:
        name = census[code]["name_cyr"]
        return name.removeprefix("Београд-").replace(" (град)", "")

    units["name"] = [census[c]["name_lat"] for c in units["id"]]
    units["name_cyr"] = [name_cyr(c) for c in units["id"]]
    units["population"] = pd.array(
        [int(census[c]["population_2022"]) if census[c]["population_2022"] else pd.NA
         for c in units["id"]], dtype="Int64")
    units["population_method"] = [census[c]["method"] for c in units["id"]]
    units["group_id"] = [BELGRADE_CITY if k == "city municipality" else None
                         for k in units["kind"]]
    units["group_name"] = ["Beograd" if isinstance(g, str) else None for g in units["group_id"]]
    units["area_km2"] = (units.to_crs(EQUAL_AREA).area / 1e6).round(3)
    units = units.sort_values("id").reset_index(drop=True)
    cols = ["id", "name", "name_cyr", "kind", "group_id", "group_name", "population",
            "population_method", "area_km2", "geometry_source", "geometry"]
    units = units[cols]
    out = OUT / "units.geojson"
    tmp = out.with_suffix(".tmp")
    units.to_file(tmp, driver="GeoJSON", engine="pyogrio", layer_options={
        "RFC7946": "YES", "WRITE_NAME": "NO"})
    tmp.replace(out)

    bg_units = units[units["group_id"] == BELGRADE_CITY]
    groups = pd.DataFrame([{
        "id": BELGRADE_CITY, "name": "Beograd", "name_cyr": "Београд", "name_en": "Belgrade",
        "kind": "city", "members": len(bg_units),
        "population": int(census[BELGRADE_CITY]["population_2022"]),
        "population_method": census[BELGRADE_CITY]["method"],
        "area_km2": round(float(bg_units["area_km2"].sum()), 3),
    }])
    groups.to_csv(OUT / "groups.csv", index=False, lineterminator="\n")
    print(f"wrote {out.name}: {len(units)} units, population {int(units['population'].sum()):,},"
          f" area {units['area_km2'].sum():,.1f} km²; groups.csv: {len(groups)} group(s)")


if __name__ == "__main__":
    main()
