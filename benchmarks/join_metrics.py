"""Benchmark: camera_map's join + metrics against ``geopandas.sjoin`` + groupby.

Reads the synthetic 1 M-camera PBF of ``benchmarks/pipeline.py`` (generated once, cached),
then times (wall clock and CPU time of the process), interleaved and best of
``--repeat``:

* the anchor: ``gpd.sjoin(points, units, predicate="within")`` and a groupby count per unit;
* :func:`camera_map.join.join_cameras` + :func:`camera_map.metrics.compute_metrics`, which
  also resolve border ties, name-only rows, groups and every figure of the unit table.

Usage::

    python benchmarks/join_metrics.py [--cameras 1000000] [--dir /tmp/camera-map-bench]

Not a test: run it by hand and quote the figures. Goal: at most 1.2 × the anchor.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/camera-map-bench"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(Path(__file__).parent))
    import geopandas as gpd
    import pipeline

    from camera_map.join import join_cameras
    from camera_map.layers import load_layer
    from camera_map.metrics import compute_metrics
    from camera_map.sources.osm import read_osm

    pbf = pipeline.generate(args.dir / f"cameras-{args.cameras}.osm.pbf", args.cameras)
    cameras = read_osm(pbf).cameras
    layer = load_layer("serbia")
    units = layer.units[["id", "geometry"]]

    def anchor() -> None:
        points = gpd.GeoDataFrame(geometry=cameras.geometry.values, crs=cameras.crs)
        joined = gpd.sjoin(points, units, predicate="within", how="left")
        joined.groupby("id").size()

    def ours() -> None:
        joined = join_cameras(cameras, layer)
        compute_metrics(joined.cameras, layer, osm_in_build=True)

    def join_only() -> None:
        join_cameras(cameras, layer)

    names = ("sjoin + groupby", "join + metrics", "join")
    wall: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(args.repeat):
        for name, fn in zip(names, (anchor, ours, join_only), strict=True):
            t, c = time.perf_counter(), time.process_time()
            fn()
            wall[name].append(time.perf_counter() - t)
            cpu[name].append(time.process_time() - c)
    print(f"{len(cameras):,} cameras x {len(units)} units, best of {args.repeat}; load "
          f"average {os.getloadavg()[0]:.1f} (on a loaded machine, trust the CPU times)")
    for name in names:
        w, c = min(wall[name]), min(cpu[name])
        print(f"{name:>16}: {w:6.2f} s wall ({w / min(wall[names[0]]):.2f} x the anchor), "
              f"{c:6.2f} s CPU ({c / min(cpu[names[0]]):.2f} x)")


if __name__ == "__main__":
    main()
