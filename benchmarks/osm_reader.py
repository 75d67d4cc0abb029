"""Benchmark: camera-map's OSM reader next to ``osmium tags-filter`` on a synthetic PBF.

Generates (once, cached) synthetic extracts of 0.5 M and 2 M nodes with ~1 % cameras
(``man_made=surveillance``), ~0.5 % other ``man_made`` nodes, a way for every 10 nodes and a
camera area for every 1,000 ways, then reports

* nodes/s of :func:`camera_map.sources.osm.read_osm` (best of ``--repeat`` runs, each in a fresh
  subprocess, timing only the read, not the imports);
* nodes/s of Debian's ``osmium tags-filter`` on the same file, with and without the
  referenced nodes of matching ways (``--omit-referenced``);
* the reader's peak resident memory (``ru_maxrss``) for each size, and its growth over the
  interpreter with everything imported, to show that memory does not grow with the file.

Usage::

    python benchmarks/osm_reader.py [--dir /tmp/camera-map-bench] [--sizes 500000 2000000]

Not a test: run it by hand and quote the figures. Goal: at least half of osmium-tool's
throughput, memory flat in file size.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
from camera_map.sources.osm import read_osm
import osmium, geopandas  # noqa: F401 - imported before the baseline is taken
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
result = read_osm(sys.argv[1])
seconds = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "cameras": len(result.cameras),
                  "problems": len(result.problems), "base_kb": base, "peak_kb": peak}))
"""


def generate(path: Path, nodes: int, *, cameras: float = 0.01, seed: int = 3) -> Path:
    """Write a synthetic PBF of ``nodes`` nodes, a share ``cameras`` of them cameras.

    Cached: nothing is done if ``path`` exists.
    """
    import osmium
    from osmium.osm.mutable import Node, Way

    if path.exists():
        return path
    rng = random.Random(seed)
    tmp = path.with_suffix(".part.pbf")
    if tmp.exists():
        tmp.unlink()
    start = datetime(2015, 1, 1, tzinfo=UTC)
    writer = osmium.SimpleWriter(str(tmp))
    types = ["camera", "camera", "camera", "ALPR", "guard"]
    directions = ["90", "NE", "350-20", "45;135", "0-360", "forward", "S"]
    try:
        for i in range(1, nodes + 1):
            lon = 18.8 + (i % 2000) * 0.002 + rng.random() * 0.001
            lat = 42.2 + (i // 2000) * 0.0002 + rng.random() * 0.0001
            r = rng.random()
            tags: dict[str, str] = {}
            if r < cameras:
                tags = {
                    "man_made": "surveillance",
                    "surveillance": "public",
                    "surveillance:type": rng.choice(types),
                    "camera:direction": rng.choice(directions),
                    "height": f"{rng.randint(2, 9)} m",
                }
            elif r < cameras + 0.005:
                tags = {"man_made": rng.choice(["tower", "mast", "water_tower", "pipeline"])}
            elif r < cameras + 0.04:
                tags = {"highway": "crossing"}
            when = start + timedelta(seconds=rng.randint(0, 300_000_000))
            writer.add_node(
                Node(
                    id=i,
                    location=(lon, lat),
                    tags=tags,
                    version=1 + i % 5,
                    timestamp=when,
                    changeset=i // 100 + 1,
                    uid=1,
                    user="bench",
                )
            )
        for way_id, first in enumerate(range(1, nodes - 10, 10), start=1):
            if way_id % 1000 == 0:
                refs = [
                    first,
                    first + 1,
                    first + 2001 if first + 2001 <= nodes else first + 2,
                    first,
                ]  # a small closed ring
                tags = {"man_made": "surveillance", "surveillance:type": "camera"}
            else:
                refs = list(range(first, first + 10))
                tags = {"highway": "residential"}
            writer.add_way(
                Way(
                    id=way_id,
                    nodes=refs,
                    tags=tags,
                    version=1,
                    timestamp=start,
                    changeset=1,
                    uid=1,
                    user="bench",
                )
            )
    finally:
        writer.close()
    tmp.rename(path)
    return path


def run_reader(path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def run_osmium(path: Path, out: Path, *, omit_referenced: bool) -> float:
    cmd = [
        "osmium",
        "tags-filter",
        "--overwrite",
        "-f",
        "opl",
        "-o",
        str(out),
        str(path),
        "nwr/man_made=surveillance",
    ]
    if omit_referenced:
        cmd.insert(2, "--omit-referenced")
    t = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=Path("/tmp/camera-map-bench"))
    parser.add_argument("--sizes", type=int, nargs="+", default=[500_000, 2_000_000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if shutil.which("osmium") is None:
        sys.exit("osmium-tool is missing: apt-get install osmium-tool")
    args.dir.mkdir(parents=True, exist_ok=True)
    # (nodes, camera share): 1 % cameras at every size, plus the largest size with as many
    # cameras as the smallest, to separate growth with cameras from growth with nodes
    cases = [(size, 0.01) for size in args.sizes]
    if len(args.sizes) > 1:
        cases.append((max(args.sizes), 0.01 * min(args.sizes) / max(args.sizes)))
    rows = []
    for size, share in cases:
        path = args.dir / f"synthetic-{size}-{share:g}.osm.pbf"
        t = time.perf_counter()
        generate(path, size, cameras=share)
        made = time.perf_counter() - t
        print(f"{path} ({path.stat().st_size / 1e6:.1f} MB; ready in {made:.1f} s)", flush=True)
        reader, with_refs, omit = [], [], []
        for _ in range(args.repeat):  # interleaved, best of N: the machine may be shared
            reader.append(run_reader(path))
            with_refs.append(run_osmium(path, args.dir / "out.opl", omit_referenced=False))
            omit.append(run_osmium(path, args.dir / "out.opl", omit_referenced=True))
        best = min(reader, key=lambda r: r["seconds"])
        rows.append((size, best, min(with_refs), min(omit)))

    print()
    print(
        f"{'nodes':>10} {'cameras':>8} {'reader s':>9} {'reader n/s':>11} "
        f"{'osmium s':>9} {'osmium n/s':>11} {'ratio':>6} {'osm -R n/s':>11} "
        f"{'ratio':>6} {'peak MB':>8} {'growth MB':>9}"
    )
    for size, best, osm_ref, osm_omit in rows:
        rate = size / best["seconds"]
        print(
            f"{size:>10,} {best['cameras']:>8,} {best['seconds']:>9.3f} {rate / 1e6:>9.2f} M "
            f"{osm_ref:>9.3f} {size / osm_ref / 1e6:>9.2f} M {osm_ref / best['seconds']:>6.2f} "
            f"{size / osm_omit / 1e6:>9.2f} M {osm_omit / best['seconds']:>6.2f} "
            f"{best['peak_kb'] / 1024:>8.1f} {(best['peak_kb'] - best['base_kb']) / 1024:>9.1f}"
        )
    print(
        "\nratio = reader throughput / osmium tags-filter throughput (goal >= 0.5); "
        "osm -R = --omit-referenced; growth = peak RSS minus RSS after imports; "
        "best of",
        args.repeat,
        "interleaved runs",
    )


if __name__ == "__main__":
    main()
