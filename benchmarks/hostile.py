"""Benchmark: time and memory of the readers on full-size hostile files (bombs).

Makes each file of ``tests/hostile_files.py`` at full size (once, cached in ``--dir``), then
reads it with :func:`camera_map.sources.read_source` in a fresh subprocess under an address
space limit (``ulimit -v``, default 3 GB), and reports the outcome (rows read, or the first
line of the error), the wall time of the read and the peak resident memory of the process,
next to a baseline process that only imports the same modules.

Usage::

    python benchmarks/hostile.py [--dir /tmp/camera-map-hostile] [--ulimit-kb 3000000]

Not a test (no timing assertions in the test suite): run it by hand and quote the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import hostile_files as hf  # noqa: E402

CHILD = r"""
import json, resource, sys, time
import geopandas, pyogrio, osmium, openpyxl  # noqa: F401 - imported before timing
from camera_map.sources import read_source
from camera_map.errors import CameraMapError
t = time.perf_counter()
try:
    out = read_source(sys.argv[1]) if sys.argv[1] != "-" else []
    what = "read: " + ", ".join(f"{r.rows_read} rows" for r in out)
    problems = [str(p) for r in out for p in r.problems][:1]
    if problems:
        what += "; first problem: " + problems[0]
except CameraMapError as exc:
    what = "error: " + str(exc).splitlines()[0]
except BaseException as exc:  # a traceback would be a failure of the readers
    what = f"TRACEBACK {type(exc).__name__}: {exc}"
secs = time.perf_counter() - t
print(json.dumps({"what": what, "secs": secs,
                  "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def make_files(d: Path) -> dict[str, Path]:
    d.mkdir(parents=True, exist_ok=True)
    makers = {
        "ods-repeat-bomb.ods": lambda p: hf.ods_repeat_bomb(p),
        "ods-bomb-500-cols.ods": lambda p: hf.ods_repeat_bomb(p, columns=500),
        "xlsx-far-empty-cell.xlsx": lambda p: hf.xlsx_far_cell(p),
        "xlsx-far-value.xlsx": lambda p: hf.xlsx_far_cell(p, value="x"),
        "xlsx-zip-bomb.xlsx": lambda p: hf.zip_bomb_xlsx(p, padding=1 << 30),
        "kmz-bomb.kmz": lambda p: hf.kmz_bomb(p, padding=1 << 30),
        "one-line-50MB.csv": lambda p: hf.csv_one_line(p, size=50_000_000),
        "letters-40k.csv": lambda p: hf.csv_letter_run(p, letters=40_000),
        "stray-quote-100-rows.csv": lambda p: hf.csv_stray_quote(p),
        "mixed-encodings.csv": lambda p: hf.csv_mixed_encoding(p),
        "osm-bz2-bomb.osm.bz2": lambda p: hf.osm_compressed_bomb(p, padding=4 << 30),
        "osm-gz-bomb.osm.gz": lambda p: hf.osm_compressed_bomb(p, padding=4 << 30, kind="gz"),
        "deep.json": lambda p: hf.deep_json(p, depth=1_000_000),
        "deep.geojson": lambda p: hf.deep_geojson(p, depth=1_000_000),
        "nan.osm": lambda p: hf.osm_xml(p, [{"id": "1", "lat": "nan", "lon": "19.7"}]),
    }
    files = {}
    for name, make in makers.items():
        path = d / name
        if not path.exists():
            part = d / f".part-{name}"
            make(part)
            part.rename(path)
        files[name] = path
    return files


def run(path: str, limit_kb: int) -> dict[str, object]:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit_kb * 1024, limit_kb * 1024))

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", CHILD, path], capture_output=True, text=True,
                          preexec_fn=limit, env=env, timeout=600, check=False)
    wall = time.perf_counter() - start
    lines = proc.stdout.strip().splitlines()
    if proc.returncode or not lines:
        return {"what": f"CRASH rc={proc.returncode}: {proc.stderr.strip()[-300:]}",
                "secs": wall, "peak_kb": 0}
    return dict(json.loads(lines[-1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, default=Path("/tmp/camera-map-hostile"))
    ap.add_argument("--ulimit-kb", type=int, default=3_000_000)
    args = ap.parse_args()
    files = make_files(args.dir)
    base = run("-", args.ulimit_kb)
    print(f"baseline (imports only): peak {base['peak_kb'] / 1024:.0f} MB; "
          f"ulimit -v {args.ulimit_kb:,} kB\n")
    print(f"{'file':28} {'size':>12} {'read':>8} {'peak':>8} {'over base':>9}  outcome")
    for name, path in files.items():
        r = run(str(path), args.ulimit_kb)
        size = path.stat().st_size
        peak = int(r["peak_kb"]) / 1024  # type: ignore[call-overload]
        over = peak - int(base["peak_kb"]) / 1024  # type: ignore[call-overload]
        print(f"{name:28} {size:>12,} {float(r['secs']):>7.2f}s {peak:>7.0f}M {over:>8.0f}M"  # type: ignore[arg-type]
              f"  {str(r['what'])[:150]}")


if __name__ == "__main__":
    main()
