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

and, for each file, the time ``osmium tags-filter`` (libosmium's C++ tool) needs to find the
cameras in it, measured in the same run: the ratio of the two is the figure to quote on a
shared machine.

Usage::

    python benchmarks/pipeline.py [--sizes 10000 100000 1000000] [--dir /tmp/camera-map-bench]
    python benchmarks/pipeline.py --sizes 1000000 --other-nodes 5000000   # a 6 M-node extract

Not a test: run it by hand and quote the figures.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

CHILD = r"""
import json, os, resource, sys, threading, time
t0 = time.perf_counter()
import camera_map
from camera_map.pipeline import build
t1 = time.perf_counter()
c1 = time.process_time()
page = os.sysconf("SC_PAGE_SIZE")
stage, stage_peak, stage_end, done = ["imports"], {}, {}, threading.Event()

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * page

def sample():  # resident memory every 5 ms, the peak kept per stage
    while not done.wait(0.005):
        now, at = rss(), stage[0]
        stage_peak[at] = max(stage_peak.get(at, 0), now)

def progress(name):
    now = rss()
    stage_end[stage[0]] = now
    stage_peak[stage[0]] = max(stage_peak.get(stage[0], 0), now)
    stage[0] = name

threading.Thread(target=sample, daemon=True).start()
res = build([sys.argv[1]], layer="serbia", out_dir=sys.argv[2], progress=progress,
            formats=None if sys.argv[3] == "auto" else sys.argv[3].split(","), png=True)
t2 = time.perf_counter()
progress("end")
done.set()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
sizes = {name: path.stat().st_size for name, path in res.outputs.items()}
print(json.dumps({"import": t1 - t0, "pipeline": t2 - t1, "cpu": time.process_time() - c1,
                  "stages": res.timings, "peak_kb": peak, "sizes": sizes,
                  "stage_peak": stage_peak, "stage_end": stage_end,
                  "cameras": int(res.cameras["count"].sum())}))
"""

#: The libraries any build needs: the floor a default build is measured against.
IMPORT_FLOOR = "import geopandas, folium, shapely, pyproj, matplotlib.pyplot"


def timed(cmd: list[str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of a command, in seconds."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def clustered_points(units: Any, n: int, rng: Any) -> tuple[Any, Any, Any]:
    """``n`` points around the units' centres in proportion to their population (σ ≈ 3 km),
    5 % anywhere in their bounding box; returns ``(lon, lat, unit drawn or -1)`` arrays."""
    import numpy as np

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
    return lon, lat, np.concatenate([pick, np.full(n_uniform, -1)])


def generate(path: Path, n: int, *, seed: int = 7, other: int = 0) -> Path:
    """Write ``n`` synthetic camera nodes to ``path`` (PBF); cached if it exists.

    ``other`` non-camera nodes (4 % of them tagged ``highway=crossing``) are interleaved with
    the cameras, to give a reader a realistic extract to filter.
    """
    import numpy as np
    import osmium
    from osmium.osm.mutable import Node

    from camera_map.layers import load_layer

    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    units = load_layer("serbia").units
    lon, lat, _ = clustered_points(units, n, rng)
    minx, miny, maxx, maxy = units.total_bounds
    types = ["fixed", "dome", "panning"]
    tmp = path.with_suffix(".part.pbf")
    tmp.unlink(missing_ok=True)
    writer = osmium.SimpleWriter(str(tmp))
    start = datetime(2017, 7, 14, tzinfo=UTC)
    per_camera = other // n if n else 0
    olon = rng.uniform(minx, maxx, per_camera * n)
    olat = rng.uniform(miny, maxy, per_camera * n)
    node_id = 0
    try:
        for i in range(n):
            tags = {"man_made": "surveillance", "surveillance": "public",
                    "surveillance:type": "camera", "camera:type": types[i % 3]}
            if i % 4 == 0:
                tags["camera:direction"] = str((i * 37) % 360)
            if i % 10 == 0:
                tags["manufacturer"] = "Dahua" if i % 20 else "Huawei"
            node_id += 1
            writer.add_node(Node(id=node_id, version=1 + i % 3,
                                 timestamp=start + timedelta(seconds=i),
                                 location=(float(lon[i]), float(lat[i])), tags=tags))
            for j in range(i * per_camera, (i + 1) * per_camera):
                node_id += 1
                writer.add_node(Node(id=node_id, version=1, location=(olon[j], olat[j]),
                                     tags={"highway": "crossing"} if j % 25 == 0 else {}))
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
    ap.add_argument("--formats", default="auto",
                    help="exports, comma-separated, or auto (what `camera-map build` chooses)")
    ap.add_argument("--other-nodes", type=int, default=0, metavar="N",
                    help="also write N non-camera nodes per camera-count file (e.g. 5000000 "
                    "with --sizes 1000000 for a 6 M-node extract)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--builds-only", action="store_true",
                    help="skip the anchors (import floor, default build, osmium tags-filter): "
                    "for memory per stage")
    args = ap.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)

    floors, builds = [], []
    # interleaved, best of N: the machine may be shared
    for _ in range(0 if args.builds_only else args.repeat):
        floors.append(timed([sys.executable, "-c", IMPORT_FLOOR]))
        builds.append(timed([sys.executable, "-m", "camera_map", "build", "--out",
                             str(args.dir / "default")]))
    for i, what in enumerate(("wall", "CPU") if builds else ()):
        floor, built = min(f[i] for f in floors), min(b[i] for b in builds)
        print(f"default `camera-map build`, {what} time (best of {args.repeat}): {built:.2f} s "
              f"= import floor {floor:.2f} s + {built - floor:.2f} s")
    print()
    header = ("cameras", "read", "normalise", "merge", "join", "metrics", "render", "export",
              "pipeline", "CPU", "tags-filter", "ratio", "peak RSS", "map.html",
              "cameras.geojson", "cameras.parquet", "camera-map.gpkg")
    rows = []
    memory: list[tuple[str, dict]] = []
    for n in args.sizes:
        t = time.perf_counter()
        name = f"cameras-{n}" + (f"-other-{args.other_nodes}" if args.other_nodes else "")
        pbf = generate(args.dir / f"{name}.osm.pbf", n, other=args.other_nodes)
        gen = time.perf_counter() - t
        out = args.dir / f"out-{n}"
        # the anchor: libosmium's own tool finding the same cameras (C++, to OPL)
        anchor = min((timed(["osmium", "tags-filter", "--overwrite", "-f", "opl", "-o",
                             str(args.dir / "anchor.opl"), str(pbf), "nwr/man_made=surveillance"])
                      for _ in range(0 if args.builds_only else args.repeat)),
                     default=(math.nan, math.nan))
        res = subprocess.run([sys.executable, "-c", CHILD, str(pbf), str(out), args.formats],
                             capture_output=True, text=True)
        if res.returncode != 0:
            print(res.stderr[-3000:], file=sys.stderr)
            raise SystemExit(f"build of {n:,} cameras failed")
        r = json.loads(res.stdout.strip().splitlines()[-1])
        s = r["stages"]
        rows.append((f"{n:,}", *(f"{s.get(k, 0):.2f} s" for k in header[1:8]),
                     f"{r['pipeline']:.2f} s", f"{r['cpu']:.2f} s",
                     f"{anchor[0]:.2f} s", f"{r['pipeline'] / anchor[0]:.1f}",
                     f"{r['peak_kb'] / 1024:.0f} MB",
                     *(fmt_size(r["sizes"].get(k, 0)) for k in header[13:])))
        print(f"{n:,} cameras: generated in {gen:.1f} s (cached afterwards); "
              f"imports {r['import']:.2f} s; {r['cameras']:,} assigned+unassigned cameras",
              file=sys.stderr)
        memory.append((f"{n:,}", r))
    print("ratio = pipeline / osmium tags-filter wall time on the same file (goal <= 10)")
    print_table(header, rows)
    print()
    print_memory(memory)


def print_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Print a Markdown table, columns right-aligned."""
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]
    print(" | ".join(h.rjust(w) for h, w in zip(header, widths, strict=True)))
    print("-|-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))


def print_memory(memory: list[tuple[str, dict]]) -> None:
    """Resident memory per stage (MB, sampled every 5 ms): the peak while the stage ran,
    and what was left when it ended."""
    print("resident memory per stage, MB: peak while it ran / left at its end")
    for label, r in memory:
        peaks, ends = r["stage_peak"], r["stage_end"]
        parts = [f"{s} {peaks[s] / 2**20:.0f}/{ends.get(s, 0) / 2**20:.0f}" for s in peaks]
        print(f"{label}: " + " -> ".join(parts))


if __name__ == "__main__":
    main()
