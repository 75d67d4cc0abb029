"""Benchmark reading a large lon/lat CSV register, and the whole build from it.

For each size (default 100 k and 1 M rows) it writes, once and cached, a CSV register as a
municipality would export it: a running number, the camera's id, the municipality, a quoted
address (with a comma), longitude and latitude in decimal degrees (points drawn around the
Serbian units' centres in proportion to their population, 5 % anywhere in the country's
bounding box), vendor, model, status and installation date, plus a few odd rows (decimal
commas, degrees-minutes-seconds, a missing longitude, swapped coordinates, a repeated
header, a total row). Then, each in a fresh process (so that ``ru_maxrss`` is its own):

* ``read``: :func:`camera_map.sources.foi.read_register` with the Serbian units;
* ``build``: :func:`camera_map.pipeline.build` from the register (GeoParquet/auto exports);
* ``anchor``: ``pandas.read_csv`` + ``pandas.to_numeric`` (odd coordinates become NaN) +
  ``geopandas.points_from_xy`` + ``geopandas.sjoin`` (within) against the same units: the
  floor a column-wise reader can hope for (it checks nothing and reports nothing);

and prints wall time, CPU time (user + system) and peak RSS of each, and the ratios to the
anchor measured in the same run (the machine may be shared: quote the ratios and the load
average printed at the top).

Usage::

    python benchmarks/register.py [--sizes 100000 1000000] [--dir /tmp/camera-map-register]

Not a test: run it by hand and quote the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from pipeline import clustered_points, print_table  # benchmarks/pipeline.py, beside this script

CHILD = r"""
import json, resource, sys, time
what, path, out = sys.argv[1], sys.argv[2], sys.argv[3]
t0, c0 = time.perf_counter(), time.process_time()
if what == "anchor":
    import geopandas as gpd, pandas as pd
    from camera_map.layers import load_layer
    units = load_layer("serbia").units[["id", "geometry"]]
    t0, c0 = time.perf_counter(), time.process_time()
    df = pd.read_csv(path)
    lon, lat = (pd.to_numeric(df[c], errors="coerce") for c in ("Longitude", "Latitude"))
    pts = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    joined = gpd.sjoin(pts, units, predicate="within", how="left")
    n = int(joined["id"].notna().sum())
elif what == "read":
    from camera_map.layers import load_layer
    from camera_map.sources.foi import read_register
    units = load_layer("serbia").units
    t0, c0 = time.perf_counter(), time.process_time()
    reg = read_register(path, units=units)
    n = reg.accepted
else:
    from camera_map.pipeline import build
    res = build([path], layer="serbia", out_dir=out, formats=None, png=True)
    n = int(res.cameras["count"].sum())
print(json.dumps({"wall": time.perf_counter() - t0, "cpu": time.process_time() - c0,
                  "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "n": n}))
"""

HEADER = ("R.br.,ID kamere,Opština,Adresa,Longitude,Latitude,Proizvođač,Model,Status,"
          "Datum postavljanja\n")
_STREETS = ("Kralja Petra", "Njegoševa", "Bulevar oslobođenja", "Trg slobode", "Cara Dušana",
            "Vojvode Mišića", "Jug Bogdanova", "Svetog Save", "Karađorđeva", "Nemanjina")
_VENDORS = (("Dahua", "IPC-HFW2431S"), ("Huawei", "M2120-10-EI"), ("Hikvision", "DS-2CD2043"),
            ("Dahua", "SD49225XA"))
_STATUS = ("instalirano", "instalirano", "u funkciji", "planirano")


def generate(path: Path, n: int, *, seed: int = 11) -> Path:
    """Write a register of ``n`` rows to ``path`` (UTF-8 CSV); cached if it exists."""
    import numpy as np

    from camera_map.layers import load_layer

    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    units = load_layer("serbia").units
    lon, lat, pick = clustered_points(units, n, rng)
    # the points anywhere get a municipality at random (some then lie elsewhere)
    pick = np.where(pick < 0, rng.integers(0, len(units), n), pick)
    order = rng.permutation(n)
    lon, lat, owner = lon[order], lat[order], pick[order]
    names = units["name"].astype(str).to_numpy()
    tmp = path.with_suffix(".part")
    odd = 1000  # one odd row in 1,000
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        fh.write(HEADER)
        for i in range(n):
            la, lo = f"{lat[i]:.6f}", f"{lon[i]:.6f}"
            k = i // odd if i % odd == 0 else -1
            if k >= 0 and k % 6 == 0:
                la, lo = la.replace(".", ","), lo.replace(".", ",")  # decimal comma
                la, lo = f'"{la}"', f'"{lo}"'
            elif k >= 0 and k % 6 == 1:
                la = _dms(lat[i], "N")
            elif k >= 0 and k % 6 == 2:
                lo = ""
            elif k >= 0 and k % 6 == 3:
                la, lo = lo, la
            vendor, model = _VENDORS[i % len(_VENDORS)]
            street = _STREETS[i % len(_STREETS)]
            fh.write(f'{i + 1},CAM-{i + 1:07d},{names[owner[i]]},"{street} {i % 97 + 1}, '
                     f'{names[owner[i]]}",{lo},{la},{vendor},{model},{_STATUS[i % 4]},'
                     f"{1 + i % 28:02d}.{1 + i % 12:02d}.{2015 + i % 9}\n")
            if k >= 0 and k % 6 == 4:
                fh.write(HEADER)
            elif k >= 0 and k % 6 == 5 and i % 3 == 0:
                fh.write(",,Ukupno,,,,,,,\n")
    tmp.rename(path)
    return path


def _dms(value: float, hemisphere: str) -> str:
    d = int(value)
    m = int((value - d) * 60)
    s = (value - d - m / 60) * 3600
    text = f"{d}°{m:02d}'{s:05.2f}\"\"{hemisphere}"  # the second quote: CSV quoting
    return f'"{text}"'


def run(what: str, path: Path, out: Path) -> dict[str, float]:
    res = subprocess.run([sys.executable, "-c", CHILD, what, str(path), str(out)],
                         capture_output=True, text=True)
    if res.returncode != 0:
        print(res.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"{what} of {path.name} failed")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--dir", type=Path, default=Path("/tmp/camera-map-register"))
    ap.add_argument("--repeat", type=int, default=2, help="best of N for each measurement")
    ap.add_argument("--skip", nargs="*", default=[], choices=("read", "build"))
    args = ap.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    print(f"load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    header = ("rows", "work", "wall", "CPU", "peak RSS", "wall / anchor", "CPU / anchor")
    rows = []
    for n in args.sizes:
        path = generate(args.dir / f"register-{n}.csv", n)
        anchor: dict[str, float] | None = None
        for what in ("anchor", "read", "build"):
            if what in args.skip:
                continue
            runs = [run(what, path, args.dir / f"out-{n}") for _ in range(args.repeat)]
            best = {k: min(r[k] for r in runs) for k in ("wall", "cpu", "peak_kb")}
            anchor = anchor or best
            label = {"anchor": "pandas.read_csv + points_from_xy + sjoin",
                     "read": "read_register (units given)",
                     "build": "whole build (camera_map.pipeline.build)"}[what]
            rows.append((f"{n:,}", label, f"{best['wall']:.2f} s", f"{best['cpu']:.2f} s",
                         f"{best['peak_kb'] / 1024:.0f} MB",
                         f"{best['wall'] / anchor['wall']:.1f}",
                         f"{best['cpu'] / anchor['cpu']:.1f}"))
    print(f"load average at end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print_table(header, rows)


if __name__ == "__main__":
    main()
