"""An offline base map from an OpenStreetMap extract: roads, railways, water and place names.

The interactive map draws no tiles when it is self-contained (tiles are images from another
host), so a reader zoomed to a camera would see one flat colour. This module reads the
extract (``.osm.pbf``, ``.osm``, ``.osm.bz2``; the same file ``--extract`` geocodes with)
with pyosmium, keeps what orients a reader — roads by class, railways, rivers and lakes,
place names — and makes it small enough to travel inside the page:

- **clipped** to the areas around the cameras the map draws (plus a margin) and to the
  units a town page is about; names of cities and towns are kept everywhere;
- **generalised per zoom**: three bands (up to zoom 11: main roads, railways, rivers;
  12–13: plus secondary roads and lakes; from 14: every street), each simplified to about
  a pixel of its zoom;
- **within a budget** (:data:`BUDGET_BYTES`): when the encoded base map is larger, detail is
  dropped step by step (minor streets first) and the page says so.

Coordinates are integers of 1e-5 degree (about 1 m), delta-encoded per line. Data ©
OpenStreetMap contributors, ODbL 1.0: the page carries that attribution.
"""

from __future__ import annotations

import functools
import json
import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import shapely

from ..errors import InputError
from ..names import to_latin
from . import i18n

logger = logging.getLogger(__name__)

#: Largest encoded base map (bytes of JSON) a page carries; the 5 MB page budget keeps the
#: rest for units and cameras.
BUDGET_BYTES: Final = 2_500_000
SCALE: Final = 100_000
ATTRIBUTION: Final = "Base map: © OpenStreetMap contributors, ODbL 1.0"

_ROAD: Final[dict[str, str]] = {
    **dict.fromkeys(("motorway", "trunk", "primary", "motorway_link", "trunk_link",
                     "primary_link"), "major"),
    **dict.fromkeys(("secondary", "tertiary", "secondary_link", "tertiary_link"), "secondary"),
    **dict.fromkeys(("residential", "unclassified", "living_street", "pedestrian", "road",
                     "busway"), "street"),
    "service": "service",
}  # fmt: skip
_RAIL: Final = frozenset({"rail", "light_rail", "subway", "tram", "narrow_gauge", "monorail"})
_RIVER: Final[dict[str, str]] = {"river": "river", "canal": "river", "stream": "stream"}
#: Place kinds and the zoom from which their names show.
PLACES: Final[dict[str, int]] = {
    "city": 7, "town": 9, "village": 12, "suburb": 12, "quarter": 14, "neighbourhood": 15,
    "hamlet": 14, "isolated_dwelling": 16,
}  # fmt: skip
#: Place kinds named everywhere, not only near cameras.
_WIDE_PLACES: Final = frozenset({"city", "town"})


@dataclass(frozen=True)
class Band:
    """The base map drawn between two zoom levels."""

    min_zoom: int
    max_zoom: int
    kinds: frozenset[str]
    #: simplification tolerance, degrees (about a pixel at ``max_zoom``)
    tolerance: float
    #: margin around the cameras, metres
    margin_m: float


#: Levels of detail, finest first; the first that fits the budget is used.
DETAIL: Final[tuple[tuple[Band, ...], ...]] = (
    (
        Band(0, 11, frozenset({"major", "rail", "river", "water"}), 0.0008, 20_000),
        Band(12, 13, frozenset({"major", "secondary", "rail", "river", "water"}), 0.00015,
             5_000),
        Band(14, 18, frozenset({"major", "secondary", "street", "service", "rail", "river",
                                "stream", "water"}), 0.00001, 800),
    ),
    (
        Band(0, 11, frozenset({"major", "rail", "river", "water"}), 0.0015, 10_000),
        Band(12, 13, frozenset({"major", "secondary", "rail", "river", "water"}), 0.0003,
             3_000),
        Band(14, 18, frozenset({"major", "secondary", "street", "rail", "river", "water"}),
             0.00003, 500),
    ),
    (
        Band(0, 11, frozenset({"major", "rail", "river"}), 0.003, 5_000),
        Band(12, 13, frozenset({"major", "secondary", "rail", "river"}), 0.0006, 1_500),
        Band(14, 18, frozenset({"major", "secondary", "street", "rail", "river", "water"}),
             0.00006, 300),
    ),
    (
        Band(0, 13, frozenset({"major", "rail"}), 0.003, 2_000),
        Band(14, 18, frozenset({"major", "secondary", "street", "rail", "river"}), 0.0001,
             150),
    ),
)


@dataclass
class Extract:
    """What an extract holds for the base map, as shapely geometries in EPSG:4326."""

    kinds: list[str]
    geoms: np.ndarray
    place_kinds: list[str]
    place_points: np.ndarray
    place_names: list[dict[str, str]]


def _name_tags(tags: Any) -> dict[str, str]:
    return {k: str(v) for k, v in tags if k == "name" or k.startswith("name:")}


def place_label(names: dict[str, str], lang: str) -> str | None:
    """Return a place's name in the script of ``lang`` (Serbian Latin from Cyrillic if need be)."""
    if lang == "sr-Cyrl":
        return names.get("name:sr") or names.get("name")
    for key in (("name:en",) if lang == "en" else ()) + ("name:sr-Latn", "name:latn"):
        if names.get(key):
            return names[key]
    name = names.get("name")
    return to_latin(name) if name else None


def _kind(tags: Any) -> str | None:
    highway = tags.get("highway")
    if highway is not None:
        return _ROAD.get(highway)
    railway = tags.get("railway")
    if railway is not None:
        return "rail" if railway in _RAIL and tags.get("tunnel") != "yes" else None
    waterway = tags.get("waterway")
    if waterway is not None:
        return "water" if waterway == "riverbank" else _RIVER.get(waterway)
    if tags.get("natural") == "water" or tags.get("landuse") == "reservoir":
        return "water"
    return None


def read_extract(path: str | os.PathLike[str]) -> Extract:
    """Read the roads, railways, water and places of an OSM extract (cached per file).

    Raises
    ------
    InputError
        The file does not exist or is not an OSM file pyosmium can read.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"base map extract {str(p)!r} does not exist; give an .osm.pbf file "
                         "(e.g. the one --extract uses) or leave --basemap out")
    st = p.stat()
    return _read_extract(str(p.resolve()), st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=2)
def _read_extract(path: str, _size: int, _mtime: int) -> Extract:
    import osmium

    wkb = osmium.geom.WKBFactory()
    kinds: list[str] = []
    blobs: list[bytes] = []
    place_kinds: list[str] = []
    place_xy: list[tuple[float, float]] = []
    place_names: list[dict[str, str]] = []
    keys = ("highway", "railway", "waterway", "natural", "landuse", "place")
    processor = (
        osmium.FileProcessor(path, osmium.osm.NODE | osmium.osm.WAY | osmium.osm.AREA)
        .with_locations()
        .with_areas(osmium.filter.KeyFilter("natural", "waterway", "landuse"))
        .with_filter(osmium.filter.KeyFilter(*keys))
    )
    try:
        for obj in processor:
            tags = obj.tags
            if isinstance(obj, osmium.osm.Node):
                place = tags.get("place")
                if place in PLACES and "name" in tags and obj.location.valid():
                    place_kinds.append(place)
                    place_xy.append((obj.location.lon, obj.location.lat))
                    place_names.append(_name_tags(tags))
                continue
            kind = _kind(tags)
            if kind is None:
                continue
            try:
                if isinstance(obj, osmium.osm.Area):
                    if kind != "water":
                        continue
                    blob = wkb.create_multipolygon(obj)
                elif isinstance(obj, osmium.osm.Way) and kind != "water":
                    blob = wkb.create_linestring(obj)
                else:
                    continue  # closed water ways come back as areas
            except (RuntimeError, osmium.InvalidLocationError):
                continue  # nodes outside the extract: nothing to draw
            kinds.append(kind)
            blobs.append(bytes.fromhex(blob) if isinstance(blob, str) else blob)
    except RuntimeError as exc:
        raise InputError(f"cannot read the base map extract {path!r}: {exc}. Give an OSM "
                         "file (.osm.pbf, .osm, .osm.bz2)") from None
    geoms = shapely.from_wkb(blobs) if blobs else np.empty(0, dtype=object)
    points = shapely.points(place_xy) if place_xy else np.empty(0, dtype=object)
    logger.info("base map extract %s: %d lines and areas, %d places", path, len(blobs),
                len(place_xy))
    return Extract(kinds, np.asarray(geoms, dtype=object), place_kinds,
                   np.asarray(points, dtype=object), place_names)


def _region(points: np.ndarray, margin_m: float, extra: Sequence[Any]) -> Any:
    """Union of squares around ``points`` (lon, lat degrees) ``margin_m`` wide, and ``extra``."""
    parts: list[Any] = [g for g in extra if g is not None and not g.is_empty]
    if len(points):
        lat = float(np.median(points[:, 1]))
        dy = margin_m / 111_320
        dx = margin_m / (111_320 * max(np.cos(np.radians(lat)), 0.05))
        # cameras snapped to a grid of the margin's size: one square per occupied cell
        cells = np.unique(np.floor(points / [dx, dy]).astype(np.int64), axis=0)
        boxes = shapely.box(cells[:, 0] * dx - dx, cells[:, 1] * dy - dy,
                            (cells[:, 0] + 2) * dx, (cells[:, 1] + 2) * dy)
        parts.extend(boxes.tolist())
    if not parts:
        return None
    return shapely.union_all(parts)


def _encode_line(coords: np.ndarray) -> list[int]:
    q = np.round(coords[:, ::-1] * SCALE).astype(np.int64)  # (lat, lon)
    q = q[np.concatenate(([True], np.any(np.diff(q, axis=0) != 0, axis=1)))]
    if len(q) < 2:
        return []
    d = np.vstack([q[:1], np.diff(q, axis=0)])
    return [int(v) for v in d.ravel()]


def _lines(geom: Any) -> Iterable[np.ndarray]:
    for part in getattr(geom, "geoms", [geom]):
        if part.geom_type == "LineString" and not part.is_empty:
            yield shapely.get_coordinates(part)
        elif part.geom_type in ("MultiLineString", "GeometryCollection"):
            yield from _lines(part)


def _rings(geom: Any) -> Iterable[list[np.ndarray]]:
    for part in getattr(geom, "geoms", [geom]):
        if part.geom_type == "Polygon" and not part.is_empty:
            yield [shapely.get_coordinates(part.exterior)] + [
                shapely.get_coordinates(r) for r in part.interiors
            ]
        elif part.geom_type in ("MultiPolygon", "GeometryCollection"):
            yield from _rings(part)


def _band_payload(ext: Extract, band: Band, region: Any) -> dict[str, Any]:
    kinds = np.asarray(ext.kinds, dtype=object)
    keep = np.isin(kinds, list(band.kinds)) if len(kinds) else np.zeros(0, dtype=bool)
    if region is None or not keep.any():
        return {"z": [band.min_zoom, band.max_zoom], "lines": {}, "areas": {}}
    geoms, kinds = ext.geoms[keep], kinds[keep]
    shapely.prepare(region)
    hit = shapely.intersects(region, geoms)
    geoms, kinds = geoms[hit], kinds[hit]
    clipped = shapely.intersection(geoms, region)
    simple = shapely.simplify(clipped, band.tolerance, preserve_topology=False)
    lines: dict[str, list[list[int]]] = {}
    areas: dict[str, list[list[list[int]]]] = {}
    for geom, kind in zip(simple, kinds, strict=True):
        if geom is None or geom.is_empty:
            continue
        if kind == "water":
            for rings in _rings(geom):
                encoded = [_encode_line(r) for r in rings]
                if encoded[0]:
                    areas.setdefault(kind, []).append([e for e in encoded if e])
        else:
            for coords in _lines(geom):
                enc = _encode_line(coords)
                if enc:
                    lines.setdefault(kind, []).append(enc)
    # sorted output: the same extract and cameras give the same page
    lines = {k: sorted(v) for k, v in sorted(lines.items())}
    areas = {k: sorted(v) for k, v in sorted(areas.items())}
    return {"z": [band.min_zoom, band.max_zoom], "lines": lines, "areas": areas}


def basemap_payload(
    path: str | os.PathLike[str],
    points: np.ndarray,
    *,
    lang: str = "en",
    areas: Sequence[Any] = (),
    budget: int = BUDGET_BYTES,
    detail: Sequence[Sequence[Band]] = DETAIL,
) -> dict[str, Any]:
    """Return the base map the page draws, as JSON-ready data.

    Parameters
    ----------
    path
        OSM extract.
    points
        Drawn cameras as an (n, 2) array of lon, lat degrees: the base map is kept around them.
    lang
        Script of place names.
    areas
        Further shapes (EPSG:4326) to keep the base map in, e.g. the unit of a town page.
    budget
        Most bytes the encoded base map may take; detail is dropped until it fits.
    detail
        Levels of detail to try, finest first (default :data:`DETAIL`).

    Returns
    -------
    dict
        ``bands`` (zoom range, lines and areas per kind), ``places`` ([lat, lon, name,
        min zoom]), ``detail`` (0 = finest level of detail used), ``bytes``.
    """
    ext = read_extract(path)
    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    payload: dict[str, Any] = {}
    for level, bands in enumerate(detail):
        regions = {b.margin_m: _region(pts, b.margin_m, areas) for b in bands}
        wide = _region(pts, max(regions), areas)
        payload = {
            "scale": SCALE,
            "bands": [_band_payload(ext, b, regions[b.margin_m]) for b in bands],
            "places": _places(ext, wide, lang),
            "detail": level,
        }
        size = len(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
        payload["bytes"] = size
        if size <= budget:
            break
        logger.warning("base map from %s is %.1f MB at level of detail %d, over %.1f MB: "
                       "dropping detail", path, size / 1e6, level, budget / 1e6)
    else:
        logger.warning("base map from %s stays over budget at the coarsest detail: only place "
                       "names are drawn", path)
        payload["bands"] = []
    return payload


def _places(ext: Extract, region: Any, lang: str) -> list[list[Any]]:
    out: list[list[Any]] = []
    if not len(ext.place_points):
        return out
    near = (shapely.intersects(region, ext.place_points) if region is not None
            else np.zeros(len(ext.place_points), dtype=bool))
    for i, kind in enumerate(ext.place_kinds):
        if not (near[i] or kind in _WIDE_PLACES):
            continue
        name = place_label(ext.place_names[i], lang)
        if not name or i18n.is_missing(name):
            continue
        pt = ext.place_points[i]
        out.append([round(pt.y, 5), round(pt.x, 5), name, PLACES[kind]])
    return sorted(out, key=lambda p: (p[3], p[2], p[0], p[1]))
