"""Point layers: camera points from any vector format GDAL reads, and GeoJSON as the web has it.

Reads GeoJSON (RFC 7946, and the loose GeoJSON web maps publish: Features without
``properties``, JSON wrapped in a JavaScript assignment ``var cams = {...};`` or a JSONP
call, newline-delimited GeoJSON, uMap exports), KML and KMZ (Google My Maps), GeoPackage,
Shapefile (also zipped), FlatGeobuf and GPX through pyogrio (GDAL), and GeoParquet through
pyarrow. Each layer becomes a table whose columns are the feature's longitude and latitude
(EPSG:4326) and its properties, read by the FOI register reader
(:func:`camera_map.sources.foi.register_from_table`): property names go through the same alias
table as register headers (``camera_map/data/foi_aliases.toml``), columns whose names say
nothing are read by their values, and every feature is accounted for as accepted or
rejected. Properties that are OpenStreetMap tags (``man_made=surveillance``,
``surveillance:type``, ``camera:direction``, …) are read the way
:func:`camera_map.sources.osm.normalise_tags` reads OSM data.

Features are numbered from 1 in ``source_ref`` and in messages (``cams.geojson#row 3`` is
the third feature); a file with several layers names the layer as the sheet.
"""

from __future__ import annotations

import json
import logging
import math
import re
import sys
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from ..errors import InputError, Problem, UnknownFormatError
from .tabular import Cell, Sheet, Table, check_zip, decode_bytes

log = logging.getLogger(__name__)

#: Kinds of point layer :func:`sniff_point_layer` tells apart, with a readable name.
POINT_KINDS: Final[dict[str, str]] = {
    "geojson": "GeoJSON", "kml": "KML", "kmz": "KMZ (zipped KML)", "gpkg": "GeoPackage",
    "shp": "Shapefile", "shp-zip": "zipped Shapefile", "fgb": "FlatGeobuf",
    "parquet": "GeoParquet", "gpx": "GPX",
}  # fmt: skip
#: File name endings of point layers, for picking files out of a folder.
SUFFIXES: Final = (".geojson", ".json", ".js", ".ndjson", ".geojsonl", ".geojsons", ".jsonl",
                   ".kml", ".kmz", ".gpkg", ".shp", ".zip", ".fgb", ".parquet", ".geoparquet",
                   ".gpx")
LON: Final = "longitude (geometry)"
LAT: Final = "latitude (geometry)"
_MAX_JSON: Final = 512 * 1024 * 1024
_JS_COMMENTS = re.compile(rb"^(?:\s*(?://[^\n]*|/\*.*?\*/))*\s*", re.S)
_JS_ASSIGN = re.compile(rb"^\s*(?:export\s+default\s+|(?:(?:var|let|const)\s+[\w$]+|"
                        rb"(?:window\.)?[\w$.\[\]'\"]+)\s*=\s*)")
_JSONP = re.compile(rb"^\s*[\w$.]+\s*\(\s*(?=[{\[])")
_JSON_TYPES = re.compile(rb'"type"\s*:\s*"(?:FeatureCollection|Feature|umap|Point|MultiPoint)"')
#: Property keys that make a feature's properties OpenStreetMap tags.
_OSM_KEYS: Final = frozenset({"man_made", "surveillance", "surveillance:type",
                              "surveillance:zone", "camera:type", "camera:mount",
                              "camera:direction", "direction"})
_OSM_MARKERS: Final = frozenset({"man_made", "surveillance:type", "surveillance:zone",
                                 "camera:type", "camera:mount", "camera:direction"})
#: OSM-derived values and the camera-table target each fills.
_FROM_OSM: Final = ("surveillance", "surveillance_type", "zone", "camera_type", "mount",
                    "direction", "height", "operator", "manufacturer", "model", "name",
                    "description", "installed", "address", "facial_recognition", "status")
_GPX_LAYERS: Final = ("waypoints",)
#: Plain keys :func:`camera_map.sources.osm.normalise_tags` reads too (kept in tags, not read
#: twice).
_READ_FROM_TAGS: Final = frozenset({"name", "description", "operator", "manufacturer", "model",
                                    "height", "start_date", "direction", "disused",
                                    "removed", "construction"})


# --- what kind of file ----------------------------------------------------------------------


def sniff_point_layer(path: Path, head: bytes) -> str | None:
    """The kind of point layer a file is (a key of :data:`POINT_KINDS`), or None."""
    if head.startswith(b"SQLite format 3\x00") and head[68:72] in (b"GPKG", b"GP10", b"GP11"):
        return "gpkg"
    if head.startswith(b"fgb\x03"):
        return "fgb"
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"\x00\x00\x27\x0a"):
        return "shp"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as zf:
                names = [n.lower() for n in zf.namelist()]
        except zipfile.BadZipFile:
            return None
        if any(n.endswith(".kml") for n in names):
            return "kmz"
        if any(n.endswith(".shp") for n in names):
            return "shp-zip"
        return None
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"<"):
        low = text[:2048].lower()
        if b"<kml" in low:
            return "kml"
        if b"<gpx" in low:
            return "gpx"
        return None
    text = text.lstrip(b"\x1e")  # RFC 8142 record separator
    text = text[_JS_COMMENTS.match(text).end():]  # type: ignore[union-attr]
    m = _JS_ASSIGN.match(text) or _JSONP.match(text)
    if m:
        text = text[m.end():]
    if text[:1] in (b"{", b"[") and _JSON_TYPES.search(head):
        return "geojson"
    return None


# --- reading ------------------------------------------------------------------------------


def read_point_layer(path: str | Path, *, kind: str | None = None,
                     mapping: Mapping[str, str] | str | Path | None = None,
                     **options: Any) -> Any:
    """Read a point layer into the camera table, feature by feature.

    Parameters
    ----------
    path
        The file; its kind is told by its content (:func:`sniff_point_layer`).
    kind
        Skip detection: a key of :data:`POINT_KINDS`.
    mapping
        Extra property name → column mapping, as for registers.
    options
        ``units``, ``default_municipality``, ``document``, ``crs``, ``repair``: as for
        :func:`camera_map.sources.foi.read_register`. ``crs`` is for coordinates held in
        properties; the geometry's own CRS is read from the file.

    Returns
    -------
    camera_map.sources.foi.RegisterResult
    """
    from .foi import header_key, load_mapping, register_from_table

    p = Path(path)
    if kind is None:
        with p.open("rb") as fh:
            kind = sniff_point_layer(p, fh.read(65536))
        if kind is None:
            raise UnknownFormatError(f"{p.name}: not a point layer GDAL reads")
    problems: list[Problem] = []
    try:
        layers = _geojson_layers(p) if kind == "geojson" else _gdal_layers(p, kind, problems)
    except RecursionError:  # Python's JSON parser stops at about 1,000 levels
        raise UnknownFormatError(
            f"{p.name}: JSON nested more deeply than camera-map reads (about "
            f"{sys.getrecursionlimit():,} levels; GeoJSON needs 5): not a point layer"
        ) from None
    if not any(rows for _, rows in layers):
        raise InputError(
            f"{p.name}: the {POINT_KINDS[kind]} file holds no features: expected one point "
            "per camera (or per site, with a number of cameras)")
    user = {header_key(LON): "longitude", header_key(LAT): "latitude"}
    sheets: list[Sheet] = []
    several = len(layers) > 1
    for name, features in layers:
        sheet, mapped = _sheet(name if several else None, features, p.name, problems)
        user.update(mapped)
        sheets.append(sheet)
    user.update(load_mapping(mapping))
    table = Table(kind=kind, sheets=sheets, all_sheet_names=[str(n) for n, _ in layers])
    keep = {k: v for k, v in options.items()
            if k in ("units", "default_municipality", "document", "crs", "repair")
            and v is not None}
    result = register_from_table(table, p.name, mapping=user, row_shift=-1, **keep)
    result.problems[:0] = problems
    return result


Feature = tuple[BaseGeometry | None, dict[str, Any]]


def _geojson_layers(path: Path) -> list[tuple[str, list[Feature]]]:
    """Features of a GeoJSON file as web maps publish it, per layer (uMap keeps layers)."""
    size = path.stat().st_size
    if size > _MAX_JSON:
        raise InputError(f"{path.name}: {size:,} bytes is more GeoJSON than camera-map reads "
                         f"at once ({_MAX_JSON:,}); split it, or convert it to GeoPackage")
    data = path.read_bytes()
    text, _ = decode_bytes(data, name=path.name)
    raw = text.lstrip("\ufeff \t\r\n").encode()
    raw = raw[_JS_COMMENTS.match(raw).end():]  # type: ignore[union-attr]
    body = raw.decode()
    m = _JS_ASSIGN.match(raw) or _JSONP.match(raw)
    if m:
        body = raw[m.end():].decode().rstrip().rstrip(";").rstrip()
        if _JSONP.match(raw):
            body = body.removesuffix(")")
    try:
        docs: list[Any] = [json.loads(body)]
    except json.JSONDecodeError as exc:
        docs = []
        for n, line in enumerate(body.splitlines(), 1):
            line = line.strip().lstrip("\x1e").rstrip(",")
            if not line:
                continue
            try:
                docs.append(json.loads(line))
            except json.JSONDecodeError:
                raise InputError(
                    f"{path.name}: not valid JSON ({exc.msg} at line {exc.lineno}, column "
                    f"{exc.colno}), nor newline-delimited GeoJSON (line {n} is not JSON): "
                    "check that the download finished") from None
    layers: list[tuple[str, list[Feature]]] = []
    loose: list[Feature] = []
    for doc in docs:
        _collect(doc, path.name, layers, loose)
    seen_collection = any(not n for n, _ in layers)
    layers = [(n, f) for n, f in layers if n or f]
    if loose or (not layers and seen_collection):
        layers.insert(0, (path.stem, loose))
    if not layers:
        raise UnknownFormatError(
            f"{path.name}: JSON, but neither GeoJSON (no Feature or FeatureCollection) nor "
            "Overpass API JSON: expected a FeatureCollection of camera points")
    return layers


def _collect(doc: Any, file: str, layers: list[tuple[str, list[Feature]]],
             loose: list[Feature]) -> None:
    if isinstance(doc, list):
        for item in doc:
            _collect(item, file, layers, loose)
        return
    if not isinstance(doc, dict):
        return
    kind = doc.get("type")
    if kind == "umap" or (kind is None and isinstance(doc.get("layers"), list)):
        for i, layer in enumerate(doc.get("layers") or []):
            opts = layer.get("_umap_options") if isinstance(layer, dict) else None
            name = opts.get("name") if isinstance(opts, dict) else None
            features: list[Feature] = []
            _collect(layer, file, [], features)
            layers.append((str(name or f"layer {i + 1}"), features))
        return
    if kind == "FeatureCollection" or (kind is None and isinstance(doc.get("features"), list)):
        if not layers:
            layers.append(("", []))  # GeoJSON, even when it holds no feature
        for item in doc.get("features") or []:
            _collect(item, file, layers, loose)
        return
    if kind == "Feature" or (kind is None and "geometry" in doc):
        props = doc.get("properties")
        props = dict(props) if isinstance(props, dict) else {}
        if "id" in doc and "id" not in props and "@id" not in props:
            props["@id"] = doc["id"]
        loose.append((_geometry(doc.get("geometry")), props))
        return
    if kind in ("Point", "MultiPoint"):
        loose.append((_geometry(doc), {}))


def _geometry(obj: Any) -> BaseGeometry | None:
    if not isinstance(obj, dict) or obj.get("coordinates") in (None, []):
        return None
    try:
        geom = shape(obj)
    except (ValueError, TypeError, AttributeError, IndexError):
        return None
    return None if geom.is_empty else geom


def _gdal_layers(path: Path, kind: str, problems: list[Problem]) -> list[tuple[str, list[Feature]]]:
    import pyogrio

    if kind == "parquet":
        frames = [(path.stem, gpd.read_parquet(path))]
    else:
        source = _gdal_path(path, kind)
        frames = []
        try:
            names = [str(n) for n, *_ in pyogrio.list_layers(source)]
        except Exception as exc:  # pyogrio raises DataSourceError and plain errors alike
            raise InputError(f"{path.name}: GDAL cannot open this {POINT_KINDS[kind]} file "
                             f"({exc}); check that it is complete") from None
        for name in names:
            if kind == "gpx" and name not in _GPX_LAYERS:
                continue
            try:
                frame = pyogrio.read_dataframe(source, layer=name)
            except Exception as exc:
                problems.append(Problem(f"layer {name!r} not read: {exc}", file=path.name))
                continue
            if isinstance(frame, gpd.GeoDataFrame):
                frames.append((name, frame))
    out: list[tuple[str, list[Feature]]] = []
    for name, frame in frames:
        if frame.crs is not None and not frame.crs.equals("EPSG:4326") and len(frame):
            frame = frame.to_crs("EPSG:4326")
        cols = [c for c in frame.columns if c != frame.geometry.name]
        records = frame[cols].to_dict("records") if cols else [{} for _ in range(len(frame))]
        geoms = list(frame.geometry.values)
        out.append((name, [(g if g is not None and not g.is_empty else None, dict(r))
                           for g, r in zip(geoms, records, strict=True)]))
    if kind == "gpx" and not out:
        problems.append(Problem("no waypoints: tracks and routes are lines, not cameras",
                                file=path.name))
    return out


def _gdal_path(path: Path, kind: str) -> str:
    """The name GDAL opens: the file, or a KML/Shapefile inside a ZIP archive."""
    if kind not in ("kmz", "shp-zip"):
        return str(path)
    suffix = ".kml" if kind == "kmz" else ".shp"
    check_zip(path)  # a KMZ that unpacks to gigabytes is refused before GDAL reads it
    with zipfile.ZipFile(path) as zf:
        inner = sorted(n for n in zf.namelist() if n.lower().endswith(suffix))
    # doc.kml is the main document of a KMZ; otherwise the first one
    pick = next((n for n in inner if n.lower().endswith("doc.kml")), inner[0])
    return f"/vsizip/{{{path.resolve()}}}/{pick}"  # braces: any file name, not only .zip


# --- features → table -------------------------------------------------------------------------


def _is_osm(props: Mapping[str, Any]) -> bool:
    if props.get("man_made") == "surveillance":
        return True
    return len(_OSM_MARKERS & set(props)) >= 1 and "surveillance" in " ".join(map(str, props))


def _sheet(name: str | None, features: list[Feature], file: str,
           problems: list[Problem]) -> tuple[Sheet, dict[str, str]]:
    """One layer as a grid: geometry lon/lat, OSM-derived values, then the properties.

    Returns the sheet and the mapping for its synthetic columns (folded header → target).
    """
    from .foi import header_key
    from .osm import normalise_tags

    keys: list[str] = []
    seen: set[str] = set()
    for _, props in features:
        for k in props:
            if k not in seen and not str(k).startswith("_umap"):
                seen.add(k)
                keys.append(k)
    osm_values: list[dict[str, Any]] = []
    for n, (_, props) in enumerate(features, 1):
        values: dict[str, Any] = {}
        if _is_osm(props):
            tags = {str(k): str(v) for k, v in props.items() if _filled(v)}
            found: list[Problem] = []
            values = normalise_tags(tags, ref=f"feature {n}", problems=found, file=file)
            problems.extend(Problem(p.message, file=file, sheet=name, row=n,
                                    column=p.column, value=p.value) for p in found)
        osm_values.append(values)
    # only the OSM-derived columns some feature fills (the others would only be noise)
    targets = [t for t in _FROM_OSM if any(_filled(v.get(t)) for v in osm_values)]
    mapped: dict[str, str] = {}
    osm_headers = [f"{t} (OSM tags)" for t in targets]
    if any(osm_values):
        mapped.update({header_key(h): t for h, t in zip(osm_headers, targets, strict=True)})
        # the tags themselves are kept as they are; their meaning comes through the above
        mapped.update({header_key(k): "tags" for k in keys
                       if _is_osm_key(k) or k in _READ_FROM_TAGS})
    header: list[Cell] = [LON, LAT, *osm_headers, *keys]
    rows: list[list[Cell]] = [header]
    for n, ((geom, props), values) in enumerate(zip(features, osm_values, strict=True), 1):
        lon, lat = _lonlat(geom, n, name, file, problems)
        extra = [_cell(values.get(t)) for t in targets]
        rows.append([lon, lat, *extra, *(_cell(props.get(k)) for k in keys)])
    return Sheet(name, rows), mapped


def _is_osm_key(key: str) -> bool:
    return key in _OSM_KEYS or key.startswith(("surveillance:", "camera:", "addr:",
                                               "man_made"))


def _lonlat(geom: BaseGeometry | None, n: int, layer: str | None, file: str,
            problems: list[Problem]) -> tuple[Cell, Cell]:
    if geom is None:
        return None, None
    if geom.geom_type == "MultiPoint" and len(geom.geoms) == 1:
        geom = geom.geoms[0]
    if geom.geom_type != "Point":
        point = geom.representative_point() if geom.geom_type != "MultiPoint" else geom.centroid
        problems.append(Problem(
            f"feature {n} is a {geom.geom_type}, not a point: a point inside it "
            f"({point.y:.6f}, {point.x:.6f}, lat, lon) stands for it", file=file, sheet=layer,
            row=n))
        geom = point
    x, y = float(shapely.get_x(geom)), float(shapely.get_y(geom))
    if not (math.isfinite(x) and math.isfinite(y)):
        return None, None
    return x, y


def _filled(v: object) -> bool:
    if v is None:
        return False
    if isinstance(v, float) and math.isnan(v):
        return False
    return not (isinstance(v, str) and not v.strip())


def _cell(v: object) -> Cell:
    """A property value as a table cell: nested values as JSON text, NaN/NaT as empty."""
    if not _filled(v):
        return None
    if isinstance(v, bool | int | float | str):
        return v
    if isinstance(v, dict | list):
        return json.dumps(v, ensure_ascii=False, sort_keys=True)
    if hasattr(v, "to_pydatetime"):
        try:
            return v.to_pydatetime()
        except ValueError:
            return None
    if hasattr(v, "item"):  # numpy scalars
        return _cell(v.item())
    text = str(v)
    return text if text not in ("NaT", "nan") else None

