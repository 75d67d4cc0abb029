"""Benchmark: :func:`camera_map.merge.merge_cameras` on synthetic OSM + FOI cameras.

Generates ``--osm`` OSM nodes and ``--foi`` FOI register rows (defaults 100 k each) around
Serbian-sized towns: town sizes follow a Pareto law, cameras sit in groups of 1–4 on
poles/junctions a few metres apart (so many close pairs are *not* duplicates), and
``--duplicates`` (default 20 %) of the FOI rows re-describe an OSM camera up to 10 m away.
A few duplicates disagree on type or direction (they must end up in the conflicts), a few
FOI rows are only geocoded to a street or to their settlement (the latter never merge).

Reports the seconds of ``merge_cameras`` alone (best of ``--repeat``), merges found, true
duplicates found and false merges (a merge of two records that are not the same camera)::

    python benchmarks/merge.py                         # 100 k + 100 k
    python benchmarks/merge.py --osm 500000 --foi 500000

Not a test: run it by hand and quote the figures. Goal: 1 M points in a few seconds.
"""

from __future__ import annotations

import argparse
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from camera_map.merge import merge_cameras
from camera_map.table import COLUMNS

M_PER_DEG = 111_320.0


def _offsets(rng: np.random.Generator, n: int, metres: float) -> tuple[np.ndarray, np.ndarray]:
    """Uniform offsets within a disc of ``metres``, as (east, north) metres."""
    r = metres * np.sqrt(rng.random(n))
    a = rng.random(n) * 2 * np.pi
    return r * np.sin(a), r * np.cos(a)


def _sites(rng: np.random.Generator, n_cameras: int) -> tuple[np.ndarray, np.ndarray]:
    """Camera positions: towns (Pareto sizes) → junctions (Gaussian) → pole groups.

    About 600 cameras per town; 100 k cameras cover Serbia's extent, more cameras a
    proportionally larger area (so density stays that of a well-watched country).
    """
    towns = max(20, n_cameras // 600)
    size = rng.pareto(1.2, towns) + 1
    size = size / size.sum()
    grow = np.sqrt(n_cameras / 100_000)
    t_lon = 21.0 + rng.uniform(-2.0, 2.0, towns) * grow
    t_lat = 44.2 + rng.uniform(-1.9, 1.9, towns) * grow
    town = rng.choice(towns, n_cameras, p=size)
    per_town = np.bincount(town, minlength=towns)
    # ~3 km for a Belgrade of 8,000 cameras: density stays bounded however many there are
    spread = 300 + 35 * np.sqrt(per_town[town])
    junction_e = rng.normal(0, 1, n_cameras) * spread
    junction_n = rng.normal(0, 1, n_cameras) * spread
    # round to a 100 m street grid: cameras of one junction share it
    junction_e = np.round(junction_e / 100) * 100
    junction_n = np.round(junction_n / 100) * 100
    de, dn = _offsets(rng, n_cameras, 12.0)
    lat = t_lat[town] + (junction_n + dn) / M_PER_DEG
    lon = t_lon[town] + (junction_e + de) / (M_PER_DEG * np.cos(np.radians(lat)))
    return lon, lat


def generate(n_osm: int, n_foi: int, duplicates: float, *, seed: int = 7
             ) -> tuple[gpd.GeoDataFrame, int]:
    """Return the synthetic camera table and the number of true duplicates in it."""
    rng = np.random.default_rng(seed)
    types = np.array([None, None, None, "fixed", "dome", "panning"], dtype=object)
    o_lon, o_lat = _sites(rng, n_osm)
    o_type = rng.choice(types, n_osm)
    o_dir = np.where(rng.random(n_osm) < 0.4, rng.integers(0, 360, n_osm).astype(str), None)

    n_dup = int(n_foi * duplicates)
    twin = rng.choice(n_osm, n_dup, replace=False)
    de, dn = _offsets(rng, n_dup, 10.0)
    d_lat = o_lat[twin] + dn / M_PER_DEG
    d_lon = o_lon[twin] + de / (M_PER_DEG * np.cos(np.radians(d_lat)))
    d_type = o_type[twin].copy()
    d_dir = o_dir[twin].copy()
    flip = rng.random(n_dup) < 0.03  # the register disagrees: must not merge
    d_type[flip] = np.where(o_type[twin][flip] == "dome", "fixed", "dome")
    f_lon, f_lat = _sites(rng, n_foi - n_dup)
    f_lon, f_lat = np.concatenate([d_lon, f_lon]), np.concatenate([d_lat, f_lat])
    f_type = np.concatenate([d_type, rng.choice(types, n_foi - n_dup)])
    f_dir = np.concatenate([d_dir, np.full(n_foi - n_dup, None, dtype=object)])
    f_prec = rng.choice(np.array(["exact", "address", "street", "settlement"]), n_foi,
                        p=[0.8, 0.12, 0.05, 0.03])
    f_prec[:n_dup] = np.where(f_prec[:n_dup] == "settlement", "exact", f_prec[:n_dup])
    truth = np.full(n_foi, -1)
    truth[:n_dup] = twin
    truth[:n_dup][flip] = -1

    files = rng.integers(0, 40, n_foi)
    n = n_osm + n_foi
    data: dict[str, object] = {c: pd.Series(pd.NA, index=range(n), dtype=t)
                               for c, t in COLUMNS.items()}
    osm_ids = [f"osm-node-{i}" for i in range(n_osm)]
    foi_ids = [f"foi-{i:08x}" for i in range(n_foi)]
    data["camera_id"] = pd.array(osm_ids + foi_ids, dtype="string")
    data["count"] = pd.array(np.ones(n, dtype=np.int64), dtype="Int64")
    data["source"] = pd.array(["osm"] * n_osm + ["foi"] * n_foi, dtype="string")
    data["source_ref"] = pd.array(
        [f"node/{i}" for i in range(n_osm)]
        + [f"register-{f}.xlsx#Sheet1!row {i + 2}" for i, f in enumerate(files)],
        dtype="string")
    data["camera_type"] = pd.array(np.concatenate([o_type, f_type]), dtype="string")
    data["direction"] = pd.array(np.concatenate([o_dir, f_dir]), dtype="string")
    data["geocode_precision"] = pd.array(
        np.concatenate([np.full(n_osm, "exact", dtype=object), f_prec]), dtype="string")
    geometry = shapely.points(np.concatenate([o_lon, f_lon]), np.concatenate([o_lat, f_lat]))
    table = gpd.GeoDataFrame(data, geometry=geometry, crs="EPSG:4326")
    table.attrs["truth"] = dict(zip(foi_ids, (osm_ids[t] if t >= 0 else None for t in truth),
                                    strict=True))
    return table, int((truth >= 0).sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--osm", type=int, default=100_000)
    parser.add_argument("--foi", type=int, default=100_000)
    parser.add_argument("--duplicates", type=float, default=0.2)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    t = time.perf_counter()
    table, true_dups = generate(args.osm, args.foi, args.duplicates)
    print(f"generated {len(table):,} points in {time.perf_counter() - t:.1f} s "
          f"({true_dups:,} true duplicates)")
    truth = table.attrs.pop("truth")
    best = float("inf")
    result = None
    for _ in range(args.repeat):
        t = time.perf_counter()
        result = merge_cameras(table)
        best = min(best, time.perf_counter() - t)
    assert result is not None
    g = result.groups
    g = g[g.duplicated("merged_camera_id", keep=False)]
    found = wrong = 0
    for _, members in g.groupby("merged_camera_id")["camera_id"]:
        ids = list(members)
        osm = {c for c in ids if c.startswith("osm-")}
        foi = [c for c in ids if c.startswith("foi-")]
        true = sum(1 for c in foi if truth.get(c) in osm)
        found += true
        wrong += len(ids) - 1 - true
    print(f"merge_cameras: {best:.2f} s (best of {args.repeat}) for {len(table):,} points; "
          f"{result.merges:,} merges, {len(result.conflicts):,} conflicts")
    print(f"true duplicates found: {found:,} of {true_dups:,} ({found / max(true_dups, 1):.1%});"
          f" other merges (not a planted twin): {wrong:,}")


if __name__ == "__main__":
    main()
