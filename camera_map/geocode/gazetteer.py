"""An offline gazetteer built from an OpenStreetMap extract into SQLite.

:func:`build_gazetteer` reads a user-supplied extract (``.osm.pbf``, ``.osm``, ``.osm.bz2``)
once with pyosmium, filtering on the C++ side, and stores in one SQLite file:

- **places**: nodes tagged ``place=city|town|village|hamlet|suburb|neighbourhood|
  quarter|locality|isolated_dwelling`` with a name;
- **streets**: named ``highway=*`` ways, grouped into streets (ways of one name that touch
  or lie within ~150 m of each other, in one municipal unit) with their node ids and
  coordinates, so that a street match gives a point *on* the street and two streets give
  their intersection;
- **addresses**: nodes and building ways (centroid) with ``addr:housenumber`` and
  ``addr:street`` or ``addr:place``, with ``addr:city``/``addr:place``.

When a municipal layer is given, every entry stores the id of the unit containing it, so a
lookup can be scoped to the municipality a register row names. Names are matched under the
keys of :mod:`camera_map.geocode.addresses` (script, diacritics, case, abbreviations and đ → dj/d
do not matter); ``name:sr``, ``name:sr-Latn``, ``alt_name`` and ``old_name`` are indexed too.

:class:`Gazetteer` loads the index into memory (dicts keyed on folded names) for fast
lookups; way geometries are read from SQLite only when an intersection needs them.
Coordinates are longitude/latitude degrees (EPSG:4326) throughout.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import sqlite3
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from .. import settings
from ..errors import InputError, UnknownFormatError
from .addresses import (
    AddressQuery,
    housenumber_key,
    nominative_guess,
    place_key,
    street_key,
    street_key_loose,
)

if TYPE_CHECKING:
    import geopandas as gpd

log = logging.getLogger(__name__)

__all__ = ["Gazetteer", "GazetteerMatch", "build_gazetteer", "default_gazetteer_path"]

#: Bump when the SQLite layout or what goes into it changes; old files are rebuilt.
FORMAT_VERSION = 4

PLACE_KINDS: dict[str, int] = {  # lower = preferred when a name is ambiguous
    "city": 0, "town": 1, "village": 2, "suburb": 3, "quarter": 4, "neighbourhood": 5,
    "hamlet": 6, "locality": 7, "isolated_dwelling": 8,
}  # fmt: skip
NAME_TAGS: tuple[str, ...] = ("name", "name:sr", "name:sr-Latn", "alt_name", "old_name")
_SKIP_HIGHWAY = frozenset({"platform", "bus_stop", "elevator", "proposed", "construction",
                           "traffic_signals", "crossing", "street_lamp", "milestone"})
#: Ways of one street farther apart than this are different streets (metres).
STREET_GAP_M = 150.0
#: Two streets without a shared node "meet" if their lines come this close (metres).
INTERSECTION_MAX_M = 30.0
#: Several candidates closer together than this are one answer (metres).
SAME_SPOT_M = 150.0
_EXTRACT_SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".osm.gz", ".o5m")
_M_PER_DEG = 111_320.0


@dataclass(frozen=True)
class GazetteerMatch:
    """A point the gazetteer found, with its precision and what it matched."""

    lon: float
    lat: float
    precision: str  # address | intersection | street | settlement
    label: str  # what was matched, for reports: "Karađorđeva 12", "Hakaniemi (suburb)"


@dataclass
class _Lookup:
    """Outcome of one lookup step: a match, or a reason a clerk can act on."""

    match: GazetteerMatch | None = None
    reason: str | None = None


def _metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Equirectangular distance in metres (plenty for the tens of metres compared here)."""
    k = math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot((lon2 - lon1) * k, lat2 - lat1) * _M_PER_DEG


# --------------------------------------------------------------------------- building


def _extract_fingerprint(extract: Path) -> str:
    st = extract.stat()
    return f"{extract.resolve()}|{st.st_size}|{int(st.st_mtime_ns)}"


def _units_fingerprint(units: gpd.GeoDataFrame | None) -> str:
    if units is None:
        return "none"
    h = hashlib.sha1()
    h.update("\x1f".join(map(str, units["id"])).encode())
    for wkb in shapely.to_wkb(np.asarray(units.geometry.values), hex=False):
        h.update(wkb)
    return h.hexdigest()[:16]


def default_gazetteer_path(
    extract: str | os.PathLike[str], *, units: gpd.GeoDataFrame | None = None
) -> Path:
    """Return where :func:`build_gazetteer` keeps the index of ``extract`` by default.

    The file lives under ``settings.cache_dir / "gazetteer"`` and is named after a hash of
    the extract's absolute path, size and modification time (and of the units layer, when
    given): a changed extract gets a fresh index.
    """
    extract = Path(extract)
    key = f"{_extract_fingerprint(extract)}|{_units_fingerprint(units)}|v{FORMAT_VERSION}"
    digest = hashlib.sha1(key.encode()).hexdigest()[:16]
    stem = extract.name.split(".")[0] or "extract"
    return Path(settings.cache_dir) / "gazetteer" / f"{stem}-{digest}.sqlite"


def _check_extract(extract: Path) -> None:
    if not extract.exists():
        raise InputError(f"OSM extract {extract} does not exist; pass the path of an .osm.pbf "
                         "file, e.g. one from https://download.geofabrik.de/europe/serbia.html")
    name = extract.name.lower()
    if not name.endswith(_EXTRACT_SUFFIXES):
        raise UnknownFormatError(
            f"{extract} is not an OSM extract: expected a file ending in "
            f"{', '.join(_EXTRACT_SUFFIXES)} (e.g. serbia-latest.osm.pbf from Geofabrik)"
        )


def _names(tags: Any) -> list[str]:
    out: list[str] = []
    for k in NAME_TAGS:
        v = tags.get(k)
        if v:
            out.extend(x.strip() for x in v.split(";") if x.strip())
    return out


@dataclass
class _Raw:
    places: list[tuple[str, str, str, float, float, str]] = field(default_factory=list)
    addresses: list[tuple[str, str, str, str, float, float]] = field(default_factory=list)
    way_ids: list[int] = field(default_factory=list)
    way_names: list[list[str]] = field(default_factory=list)
    way_nodes: list[np.ndarray] = field(default_factory=list)
    way_coords: list[np.ndarray] = field(default_factory=list)
    nodes_seen: int = 0


def _read_extract(extract: Path) -> _Raw:
    import osmium

    raw = _Raw()
    # C++ side: only objects with one of these keys reach Python; the location index
    # sees every node (it runs before the filters) so ways get their coordinates.
    proc = (
        osmium.FileProcessor(str(extract), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.KeyFilter("place", "addr:housenumber", "highway"))
    )
    try:
        for obj in proc:
            if isinstance(obj, osmium.osm.Node):
                _read_node(obj, raw)
            elif isinstance(obj, osmium.osm.Way):
                _read_way(obj, raw)
    except RuntimeError as exc:  # pyosmium reports unreadable files as RuntimeError
        raise UnknownFormatError(f"{extract} could not be read as an OSM file: {exc}; "
                                 "check that the download is complete") from exc
    return raw


def _address_tags(tags: Any) -> tuple[str | None, str | None, str]:
    """House number, street (or ``addr:place``) and city of an object's ``addr:*`` tags."""
    street = tags.get("addr:street") or tags.get("addr:place")
    city = tags.get("addr:city") or tags.get("addr:place") or ""
    return tags.get("addr:housenumber"), street, city


def _read_node(obj: Any, raw: _Raw) -> None:
    """A named place node (one entry per name) and/or an address node."""
    tags, loc = obj.tags, obj.location
    if not loc.valid():
        return
    kind = tags.get("place")
    if kind in PLACE_KINDS and "name" in tags:
        ref = f"node/{obj.id}"
        for nm in _names(tags):
            raw.places.append((ref, kind, nm, loc.lon, loc.lat, tags["name"]))
    hn, street, city = _address_tags(tags)
    if hn and street:
        raw.addresses.append((f"node/{obj.id}", street, hn, city, loc.lon, loc.lat))


def _read_way(obj: Any, raw: _Raw) -> None:
    """A named street (its nodes and coordinates) and/or a building with an address
    (placed at its centroid)."""
    tags = obj.tags
    hw = tags.get("highway")
    hn, street, city = _address_tags(tags)
    need_street = hw is not None and hw not in _SKIP_HIGHWAY and "name" in tags
    need_addr = bool(hn and street)
    if not (need_street or need_addr):
        return
    refs, coords = [], []
    for n in obj.nodes:
        if n.location.valid():
            refs.append(n.ref)
            coords.append((n.location.lon, n.location.lat))
    if len(coords) < 2:
        return
    xy = np.asarray(coords, dtype=np.float64)
    if need_street:
        raw.way_ids.append(obj.id)
        raw.way_names.append(_names(tags))
        raw.way_nodes.append(np.asarray(refs, dtype=np.int64))
        raw.way_coords.append(xy)
    if need_addr:
        c = (shapely.polygons(xy).centroid if len(xy) >= 4
             and refs[0] == refs[-1] else shapely.linestrings(xy).centroid)
        raw.addresses.append((f"way/{obj.id}", str(street), str(hn), city,
                              float(c.x), float(c.y)))


def _count_nodes(extract: Path) -> int:
    """Count the nodes of an extract (C++ side, for build statistics)."""
    import osmium

    n = 0
    for _ in osmium.FileProcessor(str(extract), osmium.osm.NODE):
        n += 1
    return n


def _assign_units(lon: np.ndarray, lat: np.ndarray,
                  units: gpd.GeoDataFrame | None) -> list[str | None]:
    """Return the id of the unit containing each point (vectorised; None outside all)."""
    out: list[str | None] = [None] * len(lon)
    if units is None or len(lon) == 0:
        return out
    pts = shapely.points(lon, lat)
    geoms = np.asarray(units.to_crs("EPSG:4326").geometry.values)
    ids = [str(v) for v in units["id"]]
    # the tree is built on the side we have more of (see NOTES.md): points, usually
    if len(pts) >= len(geoms):
        tree = shapely.STRtree(pts)
        poly_i, pt_i = tree.query(geoms, predicate="contains")
    else:
        tree = shapely.STRtree(geoms)
        pt_i, poly_i = tree.query(pts, predicate="within")
    for p, u in zip(pt_i.tolist(), poly_i.tolist(), strict=True):
        if out[p] is None:
            out[p] = ids[u]
    return out


def _lines(coords: Sequence[np.ndarray]) -> np.ndarray:
    """Build many LineStrings at once from coordinate arrays of different lengths."""
    lens = np.fromiter((len(c) for c in coords), dtype=np.intp, count=len(coords))
    return shapely.linestrings(np.concatenate(coords), indices=np.repeat(np.arange(len(lens)),
                                                                          lens))


def _midpoint(coords: np.ndarray) -> tuple[float, float]:
    line = shapely.linestrings(coords)
    pt = shapely.line_interpolate_point(line, 0.5, normalized=True)
    return float(shapely.get_x(pt)), float(shapely.get_y(pt))


def _group_streets(raw: _Raw, way_units: list[str | None]) -> list[dict[str, Any]]:
    """Group named ways into streets: one name, one unit, touching or within 150 m."""
    buckets: dict[tuple[str, str | None], list[int]] = defaultdict(list)
    for i, names in enumerate(raw.way_names):
        buckets[(street_key(names[0]), way_units[i])].append(i)
    return [_street_group(raw, comp, unit)
            for (_key, unit), members in buckets.items()
            for comp in _near_each_other(raw, members)]


def _near_each_other(raw: _Raw, members: list[int]) -> list[list[int]]:
    """The ways ``members`` (of one name and unit) in groups that touch or lie within
    ``STREET_GAP_M`` of each other, directly or through other ways of the group."""
    parent = list(range(len(members)))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    if len(members) > 1:
        lines = _lines([raw.way_coords[i] for i in members])
        lat0 = float(np.mean([raw.way_coords[i][0, 1] for i in members]))
        # degrees of longitude are shorter: scale the gap so that it is >= 150 m both ways
        dist = STREET_GAP_M / _M_PER_DEG / max(math.cos(math.radians(lat0)), 0.2)
        a_i, b_i = shapely.STRtree(lines).query(lines, predicate="dwithin", distance=dist)
        for a, b in zip(a_i.tolist(), b_i.tolist(), strict=True):
            if a < b:
                ra, rb = find(a), find(b)
                if ra != rb:
                    parent[rb] = ra
    comps: dict[int, list[int]] = defaultdict(list)
    for j, i in enumerate(members):
        comps[find(j)].append(i)
    return list(comps.values())


def _street_group(raw: _Raw, comp: list[int], unit: str | None) -> dict[str, Any]:
    """One street of the ways ``comp``: its first name and all its names, its unit, the
    midpoint of its longest merged line and its length in metres."""
    merged = shapely.line_merge(
        shapely.multilinestrings([shapely.linestrings(raw.way_coords[i]) for i in comp])
    )
    parts = shapely.get_parts(merged)
    lat_c = float(raw.way_coords[comp[0]][0, 1])
    k = math.cos(math.radians(lat_c))
    lengths = [shapely.length(shapely.linestrings(
        shapely.get_coordinates(p) * np.array([k, 1.0]))) for p in parts]
    longest = parts[int(np.argmax(lengths))]
    lon, lat = _midpoint(shapely.get_coordinates(longest))
    all_names: list[str] = []
    for i in comp:
        for nm in raw.way_names[i]:
            if nm not in all_names:
                all_names.append(nm)
    return {"name": raw.way_names[comp[0]][0], "names": all_names, "unit": unit,
            "lon": lon, "lat": lat, "length_m": float(sum(lengths)) * _M_PER_DEG, "ways": comp}


def _junctions(raw: _Raw, groups: list[dict[str, Any]]) -> list[tuple[int, int, int, float,
                                                                      float]]:
    """Nodes shared by two different streets: (street a, street b, node, lon, lat), a < b."""
    if not groups:
        return []
    gid_of_way = np.empty(len(raw.way_ids), dtype=np.int64)
    for gid, g in enumerate(groups):
        gid_of_way[g["ways"]] = gid
    lens = np.fromiter((len(n) for n in raw.way_nodes), dtype=np.intp)
    nodes = np.concatenate(raw.way_nodes)
    coords = np.concatenate(raw.way_coords)
    gids = np.repeat(gid_of_way, lens)
    # one row per (node, street); then nodes that belong to two or more streets
    order = np.lexsort((gids, nodes))
    nodes, gids, coords = nodes[order], gids[order], coords[order]
    keep = np.ones(len(nodes), dtype=bool)
    keep[1:] = (nodes[1:] != nodes[:-1]) | (gids[1:] != gids[:-1])
    nodes, gids, coords = nodes[keep], gids[keep], coords[keep]
    uniq, start, count = np.unique(nodes, return_index=True, return_counts=True)
    out: list[tuple[int, int, int, float, float]] = []
    for node, s0, c in zip(uniq[count > 1].tolist(), start[count > 1].tolist(),
                           count[count > 1].tolist(), strict=True):
        members = gids[s0:s0 + c].tolist()
        lon, lat = coords[s0].tolist()
        for x in range(c):
            for y in range(x + 1, c):
                out.append((members[x], members[y], node, lon, lat))
    return out


_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE places (id INTEGER PRIMARY KEY, osm TEXT, kind TEXT, name TEXT,
                     lon REAL, lat REAL, unit_id TEXT);
CREATE TABLE place_keys (key TEXT, loose INTEGER, place_id INTEGER);
CREATE TABLE streets (id INTEGER PRIMARY KEY, name TEXT, unit_id TEXT,
                      lon REAL, lat REAL, length_m REAL);
CREATE TABLE street_keys (key TEXT, loose INTEGER, street_id INTEGER);
CREATE TABLE street_ways (way_id INTEGER, street_id INTEGER, nodes BLOB, coords BLOB);
CREATE TABLE junctions (a INTEGER, b INTEGER, node INTEGER, lon REAL, lat REAL);
CREATE TABLE addresses (id INTEGER PRIMARY KEY, osm TEXT, street TEXT, housenumber TEXT,
                        city TEXT, key TEXT, loose TEXT, hn TEXT, city_key TEXT,
                        lon REAL, lat REAL, unit_id TEXT);
"""
_INDEXES = """
CREATE INDEX street_ways_street ON street_ways (street_id);
CREATE INDEX junctions_ab ON junctions (a, b);
"""


def build_gazetteer(
    extract: str | os.PathLike[str],
    path: str | os.PathLike[str] | None = None,
    *,
    units: gpd.GeoDataFrame | None = None,
    rebuild: bool = False,
) -> Path:
    """Build (or reuse) the SQLite gazetteer of an OSM extract and return its path.

    Parameters
    ----------
    extract
        An OpenStreetMap extract: ``.osm.pbf`` (e.g. ``serbia-latest.osm.pbf`` from
        Geofabrik), ``.osm`` or ``.osm.bz2``.
    path
        Where to write the index. By default a file under ``settings.cache_dir`` keyed on
        the extract's path, size and modification time (see
        :func:`default_gazetteer_path`); an existing, complete index there is reused.
    units
        Municipal units (``id`` and polygon ``geometry``, any CRS). Each entry then stores
        the id of the unit that contains it, and lookups can be scoped to a unit.
    rebuild
        Build again even if a matching index exists.

    Returns
    -------
    pathlib.Path
        The SQLite file.

    Raises
    ------
    InputError
        The extract does not exist; :class:`UnknownFormatError` if it is not an OSM file.
    """
    extract = Path(extract)
    _check_extract(extract)
    target = Path(path) if path is not None else default_gazetteer_path(extract, units=units)
    fingerprint = f"{_extract_fingerprint(extract)}|{_units_fingerprint(units)}"
    if target.exists() and not rebuild:
        if _is_complete(target, fingerprint):
            log.info("reusing gazetteer %s", target)
            return target
        log.info("gazetteer %s is stale or incomplete; rebuilding", target)

    t0 = time.perf_counter()
    raw = _read_extract(extract)
    t_read = time.perf_counter() - t0
    place_units, addr_units, way_units = _units_of(raw, units)
    groups = _group_streets(raw, way_units)

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.part")
    tmp.unlink(missing_ok=True)
    con = sqlite3.connect(tmp)
    try:
        con.executescript(_SCHEMA)
        counts = {"places": _insert_places(con, raw, place_units)}
        counts.update(_insert_streets(con, raw, groups))
        counts["addresses"] = _insert_addresses(con, raw, addr_units)
        con.executescript(_INDEXES)
        meta = {
            "format": str(FORMAT_VERSION), "fingerprint": fingerprint,
            "extract": str(extract.resolve()), "units": "yes" if units is not None else "no",
            **{name: str(n) for name, n in counts.items()},
            "junctions": str(con.execute("SELECT count(*) FROM junctions").fetchone()[0]),
            "read_seconds": f"{t_read:.3f}", "complete": "1",
        }  # fmt: skip
        con.executemany("INSERT INTO meta VALUES (?,?)", sorted(meta.items()))
        con.commit()
    finally:
        con.close()
    os.replace(tmp, target)
    log.info("built gazetteer %s in %.1f s: %s places, %s streets, %s addresses", target,
             time.perf_counter() - t0, meta["places"], meta["streets"], meta["addresses"])
    return target


def _is_complete(target: Path, fingerprint: str) -> bool:
    """Whether the index at ``target`` was fully built, in this format, from the same
    extract and units."""
    try:
        with sqlite3.connect(target) as con:
            meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.DatabaseError:
        return False
    return (meta.get("format") == str(FORMAT_VERSION)
            and meta.get("fingerprint") == fingerprint and meta.get("complete") == "1")


def _units_of(raw: _Raw, units: gpd.GeoDataFrame | None
              ) -> tuple[list[str | None], list[str | None], list[str | None]]:
    """The unit that contains each place, address and street way (by its midpoint), in
    one spatial query."""
    p_lon = np.array([p[3] for p in raw.places], dtype=float)
    p_lat = np.array([p[4] for p in raw.places], dtype=float)
    a_lon = np.array([a[4] for a in raw.addresses], dtype=float)
    a_lat = np.array([a[5] for a in raw.addresses], dtype=float)
    mids = np.array([_midpoint(c) for c in raw.way_coords], dtype=float).reshape(-1, 2)
    all_units = _assign_units(np.concatenate([p_lon, a_lon, mids[:, 0]]),
                              np.concatenate([p_lat, a_lat, mids[:, 1]]), units)
    n_p, n_a = len(p_lon), len(a_lon)
    return all_units[:n_p], all_units[n_p:n_p + n_a], all_units[n_p + n_a:]


def _insert_places(con: sqlite3.Connection, raw: _Raw,
                   place_units: Sequence[str | None]) -> int:
    """Write the places (one row per place and main name) and their keys; return how many
    places."""
    place_ids: dict[tuple[str, str], int] = {}
    place_rows, place_key_rows = [], []
    for (ref, kind, nm, lon, lat, main), unit in zip(raw.places, place_units, strict=True):
        pid = place_ids.get((ref, main))
        if pid is None:
            pid = place_ids[(ref, main)] = len(place_ids)
            place_rows.append((pid, ref, kind, main, lon, lat, unit))
        k = place_key(nm)
        place_key_rows.append((k, 0, pid))
        place_key_rows.append((k.replace("dj", "d"), 1, pid))
    con.executemany("INSERT INTO places VALUES (?,?,?,?,?,?,?)", place_rows)
    con.executemany("INSERT INTO place_keys VALUES (?,?,?)", place_key_rows)
    return len(place_rows)


def _insert_streets(con: sqlite3.Connection, raw: _Raw,
                    groups: list[dict[str, Any]]) -> dict[str, int]:
    """Write the streets, their keys (strict and loose), their ways and the junctions;
    return how many streets and ways."""
    street_rows: list[tuple[Any, ...]] = []
    skey_rows: list[tuple[str, int, int]] = []
    way_rows: list[tuple[Any, ...]] = []
    for gid, g in enumerate(groups):
        street_rows.append((gid, g["name"], g["unit"], g["lon"], g["lat"], g["length_m"]))
        keys = {street_key(n) for n in g["names"]}
        skey_rows.extend((k, 0, gid) for k in keys)
        skey_rows.extend((k, 1, gid) for k in {street_key_loose(n) for n in g["names"]})
        for i in g["ways"]:
            way_rows.append((raw.way_ids[i], gid, raw.way_nodes[i].tobytes(),
                             raw.way_coords[i].tobytes()))
    con.executemany("INSERT INTO streets VALUES (?,?,?,?,?,?)", street_rows)
    con.executemany("INSERT INTO street_keys VALUES (?,?,?)", skey_rows)
    con.executemany("INSERT INTO street_ways VALUES (?,?,?,?)", way_rows)
    con.executemany("INSERT INTO junctions VALUES (?,?,?,?,?)", _junctions(raw, groups))
    return {"streets": len(street_rows), "ways": len(way_rows)}


def _insert_addresses(con: sqlite3.Connection, raw: _Raw,
                      addr_units: Sequence[str | None]) -> int:
    """Write the addresses with their street, house number and place keys; return how
    many."""
    addr_rows = []
    for i, ((ref, street, hn, city, lon, lat), unit) in enumerate(
            zip(raw.addresses, addr_units, strict=True)):
        addr_rows.append((i, ref, street, hn, city, street_key(street),
                          street_key_loose(street), housenumber_key(hn),
                          place_key(city) if city else "", lon, lat, unit))
    con.executemany("INSERT INTO addresses VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", addr_rows)
    return len(addr_rows)


# --------------------------------------------------------------------------- lookups


def _keys_for(name: str) -> list[tuple[str, bool]]:
    """Keys to try for a street name, strict first: (key, loose)."""
    k = street_key(name)
    out = [(k, False), (street_key_loose(name), True)]
    nom = nominative_guess(k)
    if nom != k:
        out += [(nom, False), (nom.replace("dj", "d"), True)]
    return out


class Gazetteer:
    """An in-memory view of a gazetteer file built by :func:`build_gazetteer`.

    Lookups take ``scope`` (a set of unit ids the row's municipality stands for; entries
    outside it are not taken) and ``near`` (a lon/lat point, e.g. the settlement named in
    the row, used to choose between same-named streets).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise InputError(f"gazetteer {self.path} does not exist; build it with "
                             "build_gazetteer(extract)")
        con = sqlite3.connect(self.path)
        self._con = con
        self.meta: dict[str, str] = dict(con.execute("SELECT key, value FROM meta").fetchall())
        rows = con.execute("SELECT id, kind, name, lon, lat, unit_id FROM places ORDER BY id")
        self._place = rows.fetchall()
        place_keys: list[defaultdict[str, list[int]]] = [defaultdict(list), defaultdict(list)]
        for key, loose, pid in con.execute("SELECT key, loose, place_id FROM place_keys"):
            if pid not in place_keys[loose][key]:
                place_keys[loose][key].append(pid)
        self._street = con.execute(
            "SELECT id, name, unit_id, lon, lat, length_m FROM streets ORDER BY id").fetchall()
        street_keys: list[defaultdict[str, list[int]]] = [defaultdict(list), defaultdict(list)]
        for key, loose, sid in con.execute("SELECT key, loose, street_id FROM street_keys"):
            street_keys[loose][key].append(sid)
        addr_keys: list[defaultdict[tuple[str, str], list[int]]] = [defaultdict(list),
                                                                    defaultdict(list)]
        self._addr = con.execute(
            "SELECT id, street, housenumber, city_key, lon, lat, unit_id FROM addresses "
            "ORDER BY id").fetchall()
        for aid, key, loose, hn in con.execute("SELECT id, key, loose, hn FROM addresses"):
            addr_keys[0][(key, hn)].append(aid)
            addr_keys[1][(loose, hn)].append(aid)
        # tuples of ints, not lists: the garbage collector stops scanning them
        self._place_keys = [{k: tuple(v) for k, v in m.items()} for m in place_keys]
        self._street_keys = [{k: tuple(v) for k, v in m.items()} for m in street_keys]
        self._addr_keys = [{k: tuple(v) for k, v in m.items()} for m in addr_keys]
        self._junctions: dict[tuple[int, int], list[tuple[float, float]]] = defaultdict(list)
        for a, b, lon, lat in con.execute("SELECT a, b, lon, lat FROM junctions ORDER BY node"):
            self._junctions[(a, b)].append((lon, lat))
        self._ways: dict[int, list[np.ndarray]] = {}
        self._crossings: dict[tuple[int, int], tuple[float, float] | float] = {}

    def close(self) -> None:
        """Close the SQLite connection (lookups that need way geometry then fail)."""
        self._con.close()

    def __enter__(self) -> Gazetteer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- statistics
    def __repr__(self) -> str:
        return (f"Gazetteer({str(self.path)!r}: {len(self._place)} places, "
                f"{len(self._street)} streets, {len(self._addr)} addresses)")

    # -- helpers
    @staticmethod
    def _in_scope(unit: str | None, scope: frozenset[str] | None) -> bool:
        return scope is None or unit in scope

    def _pick(self, cands: Sequence[int], table: list[tuple[Any, ...]], lon_i: int,
              unit_i: int, scope: frozenset[str] | None, near: tuple[float, float] | None,
              what: str) -> tuple[int | None, str | None]:
        """Choose one candidate: in scope, all at one spot, or nearest to ``near``."""
        inside = [c for c in cands if self._in_scope(table[c][unit_i], scope)]
        if not inside:
            return None, f"{what} exists in the extract but not in the named municipality"
        if len(inside) == 1:
            return inside[0], None
        first = table[inside[0]]
        if all(_metres(first[lon_i], first[lon_i + 1], table[c][lon_i],
                       table[c][lon_i + 1]) <= SAME_SPOT_M for c in inside):
            return inside[0], None  # one spot (address nodes come before buildings)
        if near is not None:
            best = min(inside, key=lambda c: _metres(near[0], near[1], table[c][lon_i],
                                                    table[c][lon_i + 1]))
            if _metres(near[0], near[1], table[best][lon_i], table[best][lon_i + 1]) < 15_000:
                return best, None
        return None, (f"{what} matches {len(inside)} places far apart; add the municipality "
                      "or settlement to the row")

    # -- places
    def find_place(self, name: str, *, scope: frozenset[str] | None = None,
                   near: tuple[float, float] | None = None) -> _Lookup:
        """Find a settlement (or suburb, hamlet, ...) by name."""
        k = place_key(name)
        for loose, key in ((0, k), (1, k.replace("dj", "d"))):
            cands = self._place_keys[loose].get(key)
            if cands:
                best_rank = min(PLACE_KINDS.get(self._place[c][1], 9) for c in cands)
                top = [c for c in cands if PLACE_KINDS.get(self._place[c][1], 9) == best_rank]
                chosen, why = self._pick(top, self._place, 3, 5, scope, near, f"place {name!r}")
                if chosen is None:
                    return _Lookup(reason=why)
                _, kind, pname, lon, lat, _u = self._place[chosen]
                return _Lookup(GazetteerMatch(lon, lat, "settlement", f"{pname} ({kind})"))
        return _Lookup(reason=f"no place named {name!r} in the extract")

    # -- streets
    def _street_cands(self, name: str) -> Sequence[int]:
        for key, loose in _keys_for(name):
            cands = self._street_keys[int(loose)].get(key)
            if cands:
                return cands
        return ()

    def find_street(self, name: str, *, scope: frozenset[str] | None = None,
                    near: tuple[float, float] | None = None) -> _Lookup:
        """Find a street; the point is the midpoint of (the longest stretch of) the street."""
        cands = self._street_cands(name)
        if not cands:
            return _Lookup(reason=f"no street named {name!r} in the extract")
        chosen, why = self._pick(cands, self._street, 3, 2, scope, near, f"street {name!r}")
        if chosen is None:
            return _Lookup(reason=why)
        row = self._street[chosen]
        return _Lookup(GazetteerMatch(row[3], row[4], "street", row[1]))

    def find_address(self, street: str, housenumber: str, *,
                     scope: frozenset[str] | None = None,
                     near: tuple[float, float] | None = None,
                     city: str | None = None) -> _Lookup:
        """Find a house number on a street (address nodes and building centroids)."""
        hn = housenumber_key(housenumber)
        for key, loose in _keys_for(street):
            cands = self._addr_keys[int(loose)].get((key, hn))
            if not cands:
                continue
            if city:
                ck = place_key(city)
                # an address without addr:city is not in another town, only unknown
                same = tuple(c for c in cands if self._addr[c][3] in (ck, ""))
                cands = same or cands
            chosen, why = self._pick(cands, self._addr, 4, 6, scope, near,
                                     f"address {street} {housenumber!r}")
            if chosen is None:
                return _Lookup(reason=why)
            row = self._addr[chosen]
            return _Lookup(GazetteerMatch(row[4], row[5], "address", f"{row[1]} {row[2]}"))
        return _Lookup(reason=f"no house number {housenumber!r} on {street!r} in the extract")

    def _way_geoms(self, sid: int) -> list[np.ndarray]:
        """The coordinate arrays of a street's ways (read once, then cached)."""
        ways = self._ways.get(sid)
        if ways is None:
            rows = self._con.execute(
                "SELECT coords FROM street_ways WHERE street_id = ?", (sid,)).fetchall()
            ways = self._ways[sid] = [np.frombuffer(c, dtype=np.float64).reshape(-1, 2)
                                      for (c,) in rows]
        return ways

    def _crossing(self, a: int, b: int) -> tuple[float, float] | float:
        """Where streets ``a`` and ``b`` meet, or how far apart they stay (metres)."""
        key = (a, b) if a < b else (b, a)
        hit = self._crossings.get(key)
        if hit is not None:
            return hit
        shared = self._junctions.get(key)
        result: tuple[float, float] | float
        if shared:
            # several shared nodes (a dual carriageway, a street that touches twice):
            # take the one nearest to their middle
            pts = np.asarray(shared)
            centre = pts.mean(axis=0)
            j = int(np.argmin(((pts - centre) ** 2).sum(axis=1)))
            result = (float(pts[j, 0]), float(pts[j, 1]))
        else:
            la, lb = self._way_geoms(a), self._way_geoms(b)
            k = math.cos(math.radians(float(la[0][0, 1])))
            scale = np.array([k, 1.0])
            ga = shapely.multilinestrings(_lines([c * scale for c in la]))
            gb = shapely.multilinestrings(_lines([c * scale for c in lb]))
            pa, pb = shapely.shortest_line(ga, gb).coords
            gap = math.hypot(pa[0] - pb[0], pa[1] - pb[1]) * _M_PER_DEG
            if gap <= INTERSECTION_MAX_M:
                result = ((pa[0] + pb[0]) / 2 / k, (pa[1] + pb[1]) / 2)
            else:
                result = gap
        self._crossings[key] = result
        return result

    def find_intersection(self, a: str, b: str, *, scope: frozenset[str] | None = None,
                          near: tuple[float, float] | None = None) -> _Lookup:
        """Find where two streets meet: a shared node, else the closest points (≤ 30 m)."""
        ca, cb = self._street_cands(a), self._street_cands(b)
        missing = [n for n, c in ((a, ca), (b, cb)) if not c]
        if missing:
            names = " and ".join(repr(m) for m in missing)
            return _Lookup(reason=f"no street named {names} in the extract")
        ca = [c for c in ca if self._in_scope(self._street[c][2], scope)]
        cb = [c for c in cb if self._in_scope(self._street[c][2], scope)]
        if not ca or not cb:
            return _Lookup(reason=f"streets {a!r} and {b!r} are not both in the named "
                                  "municipality")
        hits: list[tuple[float, float]] = []
        closest = math.inf
        pairs = [(x, y) for x in ca for y in cb if x != y][:2000]
        for x, y in pairs:
            sx, sy = self._street[x], self._street[y]
            # streets whose midpoints are far apart cannot meet within 30 m...
            # ...unless they are long: compare with the sum of half-lengths
            reach = (sx[5] + sy[5]) / 2 + 2 * INTERSECTION_MAX_M + 100
            if _metres(sx[3], sx[4], sy[3], sy[4]) > reach:
                continue
            r = self._crossing(x, y)
            if isinstance(r, tuple):
                hits.append(r)
            else:
                closest = min(closest, r)
        if not hits:
            gap = "" if math.isinf(closest) else f" (closest {closest:.0f} m apart)"
            return _Lookup(reason=f"streets {a!r} and {b!r} do not meet in the extract{gap}")
        if len(hits) > 1:
            first = hits[0]
            if not all(_metres(*first, *h) <= SAME_SPOT_M for h in hits):
                if near is None:
                    return _Lookup(reason=f"{a!r} and {b!r} meet at {len(hits)} places far "
                                          "apart; add the municipality or settlement")
                hits.sort(key=lambda h: _metres(*near, *h))
        lon, lat = hits[0]
        return _Lookup(GazetteerMatch(lon, lat, "intersection", f"{a} / {b}"))

    # -- the whole query
    def lookup(self, query: AddressQuery, *, scope: frozenset[str] | None = None,
               near: tuple[float, float] | None = None) -> _Lookup:
        """Place a parsed query: address, intersection, street, then settlement.

        Returns the most precise match found, or the reasons nothing matched.
        """
        reasons: list[str] = []
        if query.place:
            pl = self.find_place(query.place, scope=scope, near=near)
            place_match = pl.match
            if pl.match is not None:
                near = (pl.match.lon, pl.match.lat)
            elif pl.reason:
                reasons.append(pl.reason)
        else:
            place_match = None
        if query.kind == "intersection":
            r = self.find_intersection(*query.streets[:2], scope=scope, near=near)
            if r.match:
                return r
            reasons.append(str(r.reason))
            if query.guessed_split:
                r = self.find_street(query.whole, scope=scope, near=near)
                if r.match:
                    return r
        elif query.kind in ("address", "street"):
            street = query.streets[0]
            if query.housenumber:
                r = self.find_address(street, query.housenumber, scope=scope, near=near,
                                      city=query.place)
                if r.match:
                    return r
                reasons.append(str(r.reason))
            r = self.find_street(street, scope=scope, near=near)
            if r.match:
                return r
            reasons.append(str(r.reason))
            if query.kind == "street" and not query.place:  # "Osečina" alone: a place?
                r = self.find_place(street, scope=scope, near=near)
                if r.match:
                    return r
        elif query.kind == "landmark":
            reasons.append(f"landmark {query.landmark!r} is not in the gazetteer "
                           "(it knows places, streets and addresses)")
        if place_match is not None:
            return _Lookup(place_match)
        return _Lookup(reason="; ".join(dict.fromkeys(reasons)) or "nothing to look up")

