"""Benchmark the whole pipeline on synthetic cameras against the Serbian layer.

For each size (default 10 k, 100 k and 1 M cameras) it generates, once and cached, an
OpenStreetMap PBF of camera nodes with realistic clustering — cameras drawn around the
municipalities' centres in proportion to their population (Gaussian, σ ≈ 3 km), 5 % spread
uniformly over the country's bounding box (some fall outside every unit) — then runs
``camera_map.build`` in a fresh process and reports

* wall time per stage (layer, read, normalise, join, metrics, render, export) and in all;
* peak resident memory of the process (``ru_maxrss``);
* the size of every output;

plus the *import floor* (the time to import the libraries the pipeline uses, in a fresh
process) and the wall time of the default ``camera-map build``, so figures can be read as
overhead above it.

Usage::

    python benchmarks/pipeline.py [--sizes 10000 100000 1000000] [--dir /tmp/camera-map-bench]

Not a test: run it by hand and quote the figures.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
import camera_map
from camera_map.pipeline import build
t1 = time.perf_counter()
res = build([sys.argv[1]], layer="serbia", out_dir=sys.argv[2],
            formats=sys.argv[3].split(","), png=True)
t2 = time.perf_counter()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
sizes = {name: path.stat().st_size for name, path in res.outputs.items()}
print(json.dumps({"import": t1 - t0, "pipeline": t2 - t1, "stages": res.timings,
                  "peak_kb": peak, "sizes": sizes, "cameras": int(res.cameras["count"].sum())}))
"""

IMPORT_FLOOR = (
    "import time; t = time.perf_counter(); "
    "import geopandas, pandas, shapely, pyproj, pyogrio, folium, branca, mapclassify, osmium, "
    "scipy.spatial, matplotlib.pyplot; "
    "print(time.perf_counter() - t)"
)


def generate(path: Path, n: int, *, seed: int = 7) -> Path:
    """Write ``n`` synthetic camera nodes to ``path`` (PBF); cached if it exists."""
    import numpy as np
    import osmium
    from osmium.osm.mutable import Node

    from camera_map.layers import load_layer

    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    units = load_layer("serbia").units
    centres = units.geometry.representative_point()
    weights = units["population"].fillna(0).to_numpy(float)
    weights /= weights.sum()
    n_uniform = n // 20
    pick = rng.choice(len(units), size=n - n_uniform, p=weights)
    lon = centres.x.to_numpy()[pick] + rng.normal(0, 0.04, size=pick.size)
    lat = centres.y.to_numpy()[pick] + rng.normal(0, 0.027, size=pick.size)
    minx, miny, maxx, maxy = units.total_bounds
    lon = np.concatenate([lon, rng.uniform(minx, maxx, n_uniform)])
    lat = np.concatenate([lat, rng.uniform(miny, maxy, n_uniform)])
    types = ["fixed", "dome", "panning"]
    tmp = path.with_suffix(".part.pbf")
    tmp.unlink(missing_ok=True)
    writer = osmium.SimpleWriter(str(tmp))
    try:
        for i in range(n):
            tags = {"man_made": "surveillance", "surveillance": "public",
                    "surveillance:type": "camera", "camera:type": types[i % 3]}
            if i % 4 == 0:
                tags["camera:direction"] = str((i * 37) % 360)
            if i % 10 == 0:
                tags["manufacturer"] = "Dahua" if i % 20 else "Huawei"
            writer.add_node(Node(id=i + 1, version=1, location=(float(lon[i]), float(lat[i])),
                                 tags=tags))
    finally:
        writer.close()
    tmp.rename(path)
    return path


def fmt_size(n: int) -> str:
    return f"{n / 1e6:.2f} MB" if n >= 1e5 else f"{n / 1e3:.1f} kB"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--dir", type=Path, default=Path("/tmp/camera-map-bench"))
    ap.add_argument("--formats", default="geojson,csv,gpkg")
    args = ap.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)

    floor = min(float(subprocess.run([sys.executable, "-c", IMPORT_FLOOR], capture_output=True,
                                     text=True, check=True).stdout) for _ in range(3))
    walls = []
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run(["camera-map", "build", "--out", str(args.dir / "default")], check=True,
                       capture_output=True)
        walls.append(time.perf_counter() - t)
    print(f"import floor (geopandas, folium, osmium, ... in a fresh process): {floor:.2f} s")
    print(f"default `camera-map build` wall time (best of 3, whole process): {min(walls):.2f} s"
          f" = import floor + {min(walls) - floor:.2f} s")
    print()
    header = ("cameras", "read", "normalise", "merge", "join", "metrics", "render", "export",
              "pipeline", "peak RSS", "map.html", "cameras.geojson", "camera-map.gpkg")
    rows = []
    for n in args.sizes:
        t = time.perf_counter()
        pbf = generate(args.dir / f"cameras-{n}.osm.pbf", n)
        gen = time.perf_counter() - t
        out = args.dir / f"out-{n}"
        res = subprocess.run([sys.executable, "-c", CHILD, str(pbf), str(out), args.formats],
                             capture_output=True, text=True)
        if res.returncode != 0:
            print(res.stderr[-3000:], file=sys.stderr)
            raise SystemExit(f"build of {n:,} cameras failed")
        r = json.loads(res.stdout.strip().splitlines()[-1])
        s = r["stages"]
        rows.append((f"{n:,}", *(f"{s.get(k, 0):.2f} s" for k in header[1:8]),
                     f"{r['pipeline']:.2f} s", f"{r['peak_kb'] / 1024:.0f} MB",
                     *(fmt_size(r["sizes"].get(k, 0)) for k in header[10:])))
        print(f"{n:,} cameras: generated in {gen:.1f} s (cached afterwards); "
              f"imports {r['import']:.2f} s; {r['cameras']:,} assigned+unassigned cameras",
              file=sys.stderr)
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]
    print(" | ".join(h.rjust(w) for h, w in zip(header, widths, strict=True)))
    print("-|-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
