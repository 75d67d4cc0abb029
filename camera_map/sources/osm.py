"""OpenStreetMap cameras: OSM XML, bz2/gzip XML, PBF and Overpass JSON into the camera table.

Reads every object tagged ``man_made=surveillance`` (see
https://wiki.openstreetmap.org/wiki/Tag:man_made=surveillance) and turns its tags into the
columns of :mod:`camera_map.table` the way mappers mean them.

Files are read with pyosmium without a Python call per object: libosmium's tag filter
passes only ``man_made=surveillance`` objects to its OPL writer, Arrow parses the OPL text
into columns, and each distinct tag list is normalised once. A country extract streams at
the speed of ``osmium tags-filter``. Camera *ways* (a camera mapped as an area or line)
need the positions of their nodes; instead of keeping every node location of the file in
memory, a second pass fetches only the nodes those ways use. Memory therefore grows with
the number of cameras, not with the size of the file. (DuckDB's ``ST_ReadOSM`` was
measured too: as fast on 1 M cameras, but PBF only and without element versions and
timestamps.)

Decisions that a reader of the data should know:

* ``status`` is ``"installed"``: OpenStreetMap maps objects that exist on the ground (as of
  ``source_date``). ``removed=yes`` / ``demolished=yes`` / ``destroyed=yes`` give
  ``"removed"`` and ``proposed=yes`` gives ``"planned"``. Lifecycle prefixes
  (``disused:man_made``, ``removed:man_made``) do not match ``man_made=surveillance`` and
  are not read at all.
* ``facial_recognition`` is true only when a tag says so (``surveillance:recognition=face``,
  ``face_recognition=yes``, …), false only when a tag says so (``face_recognition=no``),
  and unknown otherwise: OpenStreetMap has no standard tag for it.
* Ways and relations get one point: the centroid of the way (``note`` says
  ``centroid of way/45``) or the centre Overpass computed (``out center``).
  ``geocode_precision`` is ``"exact"`` for all of them.
* Every original tag is kept in ``tags`` (JSON), including values that could not be read
  (an unparseable ``camera:direction`` or ``height``), which are also reported as problems.

The data are © OpenStreetMap contributors, available under the ODbL 1.0
(:data:`OSM_ATTRIBUTION`); every map or export that contains them must say so.
"""

from __future__ import annotations

import bz2
import contextlib
import functools
import gc
import gzip
import json
import logging
import math
import os
import re
import sys
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, Polygon

from ..directions import direction_from_tags
from ..errors import InputError, Problem, UnknownFormatError
from ..layers import OSM_ATTRIBUTION
from ..table import COLUMNS, CRS, tags_json

__all__ = [
    "OSM_ATTRIBUTION",
    "OsmReadResult",
    "cameras_from_osm",
    "cameras_from_overpass_json",
    "normalise_tags",
    "parse_height",
    "read_osm",
    "read_overpass_json",
    "sniff_osm",
]

logger = logging.getLogger(__name__)


#: Formats :func:`sniff_osm` recognises, with the libosmium format name used to read them.
_OSMIUM_FORMAT: Final = {
    "osm-xml": "osm",
    "osm-pbf": "pbf",
    "osm-bz2": "osm.bz2",
    "osm-gz": "osm.gz",
}

_EXPECTED: Final = (
    "OSM XML (<osm ...>), OSM PBF, bz2- or gzip-compressed OSM XML, or Overpass JSON "
    '(an object with "elements", or a list of elements)'
)

_KIND_ORDER: Final = {"node": 0, "way": 1, "relation": 2}


@dataclass
class OsmReadResult:
    """Cameras read from OpenStreetMap, with everything worth telling the user.

    Attributes
    ----------
    cameras
        The camera table (:mod:`camera_map.table`), EPSG:4326.
    problems
        Human-readable problems, each naming the element (``node/123: ...``): values that
        could not be read, objects without a position that were left out.
    attribution
        The licence notice every output containing these data must carry.
    """

    cameras: gpd.GeoDataFrame
    problems: list[Problem] = field(default_factory=list)
    attribution: str = OSM_ATTRIBUTION

    def messages(self) -> list[str]:
        """Return every problem as one line of text."""
        return [str(p) for p in self.problems]


# --------------------------------------------------------------------------- detection


def sniff_osm(path: str | os.PathLike[str]) -> str | None:
    """Say which OpenStreetMap format a file holds, from its first bytes.

    Parameters
    ----------
    path
        File to look at; its name is not used.

    Returns
    -------
    str or None
        ``"osm-xml"``, ``"osm-pbf"``, ``"osm-bz2"`` (bz2-compressed OSM XML), ``"osm-gz"``
        (gzip-compressed OSM XML), ``"overpass-json"``, or ``None`` for anything else
        (including a file that cannot be opened).
    """
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
        if head.startswith(b"BZh"):
            with bz2.open(path, "rb") as zh:
                return "osm-bz2" if _looks_like_xml(zh.read(4096)) else None
        if head.startswith(b"\x1f\x8b"):
            with gzip.open(path, "rb") as zh:
                return "osm-gz" if _looks_like_xml(zh.read(4096)) else None
    except (OSError, EOFError, ValueError, zlib.error):
        return None
    # A PBF file starts with the length of a BlobHeader whose type is "OSMHeader".
    if b"OSMHeader" in head[:64]:
        return "osm-pbf"
    if _looks_like_xml(head):
        return "osm-xml"
    text = head.decode("utf-8", errors="ignore").lstrip("\ufeff \t\r\n")
    if text.startswith("{") and re.search(r'"elements"\s*:', text):
        return "overpass-json"
    if text.startswith("{") and re.search(r'"type"\s*:\s*"(node|way|relation)"', text):
        return "overpass-json"  # a single element
    if text.startswith("[") and (
        re.match(r"\[\s*\]\s*$", text)
        or re.search(r'"type"\s*:\s*"(node|way|relation|count)"', text)
    ):
        return "overpass-json"
    return None


def _looks_like_xml(head: bytes) -> bool:
    text = head.decode("utf-8", errors="ignore").lstrip("\ufeff \t\r\n")
    text = re.sub(r"^<\?xml[^>]*\?>\s*", "", text)
    while text.startswith("<!--"):
        end = text.find("-->")
        if end < 0:
            return False
        text = text[end + 3 :].lstrip()
    return re.match(r"<osm[\s>/]", text) is not None


# --------------------------------------------------------------------------- tag reading

_YES: Final = frozenset({"yes", "true", "1"})
_NO: Final = frozenset({"no", "false", "0"})
_FACE_FLAG_KEYS: Final = (
    "face_recognition",
    "facial_recognition",
    "surveillance:face_recognition",
    "camera:face_recognition",
)
_RECOGNITION_KEYS: Final = ("surveillance:recognition", "camera:recognition", "recognition")
_TYPE_ALIASES: Final = {"anpr": "ALPR", "alpr": "ALPR", "lpr": "ALPR"}
_HEIGHT_M = re.compile(r"^(\d+(?:[.,]\d+)?|[.,]\d+)\s*(m|metres?|meters?|м)?\.?$", re.IGNORECASE)
_HEIGHT_FT = re.compile(
    r"^(\d+(?:\.\d+)?)\s*(?:'|ft|feet|foot)\s*(?:(\d+(?:\.\d+)?)\s*(?:\"|in))?$"
)
_ISO_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:T[\d:.]+Z?)?$")


def parse_height(text: object) -> float | None:
    """Read an OSM ``height`` value in metres; ``None`` when it cannot be read.

    Accepts ``5``, ``5.5``, ``5,5`` (decimal comma), ``5 m``, ``5m``, ``5 metres`` and
    feet/inches such as ``16'`` or ``16'4"`` (converted to metres). Negative heights and
    anything else give ``None``.
    """
    if text is None:
        return None
    value = str(text).strip()
    m = _HEIGHT_M.match(value)
    if m:
        return float(m.group(1).replace(",", "."))
    m = _HEIGHT_FT.match(value)
    if m:
        inches = float(m.group(2)) if m.group(2) else 0.0
        return round(float(m.group(1)) * 0.3048 + inches * 0.0254, 3)
    return None


def _iso_date(text: str) -> str | None:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (checked), else ``None``."""
    m = _ISO_DATE.match(text.strip())
    if not m:
        return None
    year, month, day = m.group(1), m.group(2), m.group(3)
    try:
        if day:
            return date(int(year), int(month), int(day)).isoformat()
        if month:
            date(int(year), int(month), 1)
            return f"{year}-{month}"
    except ValueError:
        return None
    return year


def _lower(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value.lower() if value else None


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _surveillance_type(value: str | None) -> str | None:
    if value is None:
        return None
    parts = [p.strip().lower() for p in value.split(";") if p.strip()]
    out = [_TYPE_ALIASES.get(p, p) for p in parts]
    return ";".join(dict.fromkeys(out)) or None


def _facial_recognition(tags: Mapping[str, str], problem: Any) -> bool | None:
    """True/False only when a tag says so; ``None`` (unknown) otherwise."""
    said: set[bool] = set()
    for key in _RECOGNITION_KEYS:
        value = tags.get(key)
        if value is None:
            continue
        kinds = {p.strip().lower() for p in value.split(";")}
        if kinds & {"face", "faces", "facial", "face_recognition"}:
            said.add(True)
    for key in _FACE_FLAG_KEYS:
        value = tags.get(key)
        if value is None:
            continue
        flag = value.strip().lower()
        if flag in _YES:
            said.add(True)
        elif flag in _NO:
            said.add(False)
        else:
            problem(
                f"{key}={value!r} is neither yes nor no; facial recognition left unknown",
                key,
                value,
            )
    if len(said) == 1:
        return said.pop()
    if len(said) > 1:
        problem("tags disagree on facial recognition; left unknown", None, None)
    return None


def _status(tags: Mapping[str, str]) -> str:
    for key in ("removed", "demolished", "destroyed", "razed"):
        if _lower(tags.get(key)) in _YES:
            return "removed"
    if _lower(tags.get("proposed")) in _YES:
        return "planned"
    return "installed"


def _address(tags: Mapping[str, str]) -> str | None:
    street = _clean(tags.get("addr:street")) or _clean(tags.get("addr:place"))
    if not street:
        return None
    number = _clean(tags.get("addr:housenumber"))
    city = _clean(tags.get("addr:city"))
    text = f"{street} {number}" if number else street
    return f"{text}, {city}" if city else text


def normalise_tags(
    tags: Mapping[str, str],
    *,
    ref: str,
    problems: list[Problem] | None = None,
    file: str | None = None,
) -> dict[str, Any]:
    """Turn the tags of one ``man_made=surveillance`` object into camera-table values.

    Parameters
    ----------
    tags
        The object's tags.
    ref
        The element, ``"node/123"``, used in problem messages.
    problems
        Problems found (unreadable direction, height, start_date, …) are appended here.
    file
        Name of the input, for problem messages.

    Returns
    -------
    dict
        Values for the camera-table columns ``surveillance``, ``surveillance_type``,
        ``zone``, ``camera_type``, ``mount``, ``direction``, ``height``, ``operator``,
        ``manufacturer``, ``model``, ``name``, ``description``, ``installed``,
        ``address``, ``facial_recognition``, ``status`` and ``tags`` (every original
        tag, as sorted JSON). A value the tags do not give is ``None``.
    """
    values, found = _normalised(tuple(tags.items()))
    if problems is not None:
        problems.extend(
            Problem(f"{ref}: {message}", file=file, column=key, value=value)
            for message, key, value in found
        )
    return dict(values)


_Found = tuple[tuple[str, str | None, object], ...]


@functools.lru_cache(maxsize=16_384)
def _normalised(items: tuple[tuple[str, str], ...]) -> tuple[dict[str, Any], _Found]:
    """Camera-table values and problems for one set of tags, whatever element has them.

    Cached: real data repeat the same few tag sets over and over (``man_made=surveillance``
    plus ``surveillance:type=camera``), and this is where a reader spends its time.
    The returned dict is shared; callers copy it.
    """
    tags = dict(items)
    found: list[tuple[str, str | None, object]] = []

    def problem(message: str, key: str | None, value: object) -> None:
        found.append((message, key, value))

    rec: dict[str, Any] = {
        "surveillance": _lower(tags.get("surveillance")),
        "surveillance_type": _surveillance_type(tags.get("surveillance:type")),
        "zone": _lower(tags.get("surveillance:zone")),
        "camera_type": _lower(tags.get("camera:type")),
        "mount": _lower(tags.get("camera:mount")),
        "operator": _clean(tags.get("operator")),
        "manufacturer": _clean(tags.get("manufacturer")),
        "model": _clean(tags.get("model")),
        "name": _clean(tags.get("name")),
        "description": _clean(tags.get("description")),
        "address": _address(tags),
        "status": _status(tags),
        "tags": tags_json(tags),
    }
    key, direction = direction_from_tags(tags)
    rec["direction"] = None
    if direction is not None:
        if direction.ok:
            rec["direction"] = direction.canonical
            for note in direction.notes:
                problem(f"{key} {note}", key, None)
        else:
            problem(
                f"{key} could not be read: {'; '.join(direction.notes)}; the text is kept "
                "in tags and the direction left unknown",
                key,
                direction.raw,
            )
    # (column, tag, parser, what a readable value looks like, what is left unknown)
    for column, key, parse, expected, unknown in (
        ("height", "height", parse_height, "a number of metres (e.g. '5', '5.5 m')",
         "height"),
        ("installed", "start_date", _iso_date, "an ISO date (YYYY, YYYY-MM or YYYY-MM-DD)",
         "installation date"),
    ):
        text = tags.get(key)
        rec[column] = None if text is None else parse(text)
        if text is not None and rec[column] is None:
            problem(f"{key} is not {expected}; kept in tags, {unknown} left unknown", key,
                    text)
    rec["facial_recognition"] = _facial_recognition(tags, problem)
    return rec, tuple(found)


@dataclass(frozen=True, slots=True)
class _Camera:
    """One camera found in the input, before it becomes a table row."""

    kind: int  # _KIND_ORDER
    id: int
    ref: str
    lon: float
    lat: float
    version: int | None
    timestamp: str | None
    note: str | None
    values: dict[str, Any]  # shared with the _normalised cache: never mutate


def _record(
    ref: str,
    items: tuple[tuple[str, str], ...],
    lon: float,
    lat: float,
    *,
    version: int | None,
    timestamp: str | None,
    note: str | None,
    problems: list[Problem],
    file: str | None,
) -> _Camera:
    values, found = _normalised(items)
    for message, key, value in found:
        problems.append(Problem(f"{ref}: {message}", file=file, column=key, value=value))
    kind, _, number = ref.partition("/")
    return _Camera(_KIND_ORDER[kind], int(number), ref, lon, lat, version, timestamp, note, values)


_FROM_TAGS: Final = (
    "surveillance", "surveillance_type", "zone", "camera_type", "mount", "operator",
    "manufacturer", "model", "name", "description", "address", "status", "tags", "direction",
    "height", "installed", "facial_recognition",
)  # fmt: skip


@dataclass
class _Columns:
    """Cameras as columns, before they become the table (see :func:`_table_from_columns`)."""

    kind: np.ndarray  # _KIND_ORDER, int64
    ids: np.ndarray  # int64
    lon: np.ndarray
    lat: np.ndarray
    version: Any  # pyarrow string arrays, null when unknown
    timestamp: Any
    note: Any
    set_index: np.ndarray  # int64 index into values
    values: list[dict[str, Any]]  # shared with the _normalised cache: never mutate


def _columns_of(cameras: Sequence[_Camera]) -> _Columns:
    import pyarrow as pa

    n = len(cameras)
    first: dict[int, int] = {}
    set_index = np.fromiter((first.setdefault(id(c.values), len(first)) for c in cameras),
                            dtype=np.int64, count=n)
    return _Columns(
        kind=np.fromiter((c.kind for c in cameras), dtype=np.int64, count=n),
        ids=np.fromiter((c.id for c in cameras), dtype=np.int64, count=n),
        lon=np.fromiter((c.lon for c in cameras), dtype=float, count=n),
        lat=np.fromiter((c.lat for c in cameras), dtype=float, count=n),
        version=pa.array([str(c.version) if c.version else None for c in cameras], pa.string()),
        timestamp=pa.array([c.timestamp for c in cameras], pa.string()),
        note=pa.array([c.note for c in cameras], pa.string()),
        set_index=set_index,
        values=list({id(c.values): c.values for c in cameras}.values()),
    )


def _table(cameras: Sequence[_Camera]) -> gpd.GeoDataFrame:
    return _table_from_columns([_columns_of(cameras)])


def _table_from_columns(parts: Sequence[_Columns]) -> gpd.GeoDataFrame:
    """Build the camera table column by column (fast for a million cameras).

    Gives what :func:`camera_map.table.cameras_from_records` would for these rows, which
    are well-formed by construction; ``tests/test_osm.py`` checks that
    :func:`camera_map.table.validate_cameras` returns the table unchanged. The values
    derived from tags are shared by every camera with the same tags (see
    :func:`_normalised`), so each distinct set is turned into columns once and then taken.
    Rows are sorted by ``camera_id``, the order of every later stage: sorted here, column by
    column before the table exists, the rows need not be reordered as a whole table (a
    second copy of it) later. The columns no camera has a value for share one Arrow array.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    offsets = np.cumsum([0, *(len(p.values) for p in parts)])
    kind = np.concatenate([p.kind for p in parts])
    ids = np.concatenate([p.ids for p in parts])
    set_index = np.concatenate([p.set_index + o for p, o in zip(parts, offsets, strict=False)])
    values = [v for p in parts for v in p.values]
    n = len(ids)
    nulls = pa.nulls(n, pa.large_string())
    number = pc.cast(pa.array(ids), pa.string())
    kind_index = pa.array(kind)
    camera_id = pc.binary_join_element_wise(
        pa.array(["osm-node-", "osm-way-", "osm-relation-"]).take(kind_index), number, "")
    source_ref = pc.binary_join_element_wise(
        pa.array(["node/", "way/", "relation/"]).take(kind_index), number, "")
    # Arrow sorts UTF-8 bytes: the code point order of Python's str
    order: np.ndarray | None = pc.sort_indices(camera_id).to_numpy()
    if np.array_equal(np.asarray(order), np.arange(n)):
        order = None
    else:
        camera_id, source_ref, set_index = (camera_id.take(order), source_ref.take(order),
                                            set_index[order])

    def strings(arrays: Sequence[Any]) -> Any:
        chunks = [c for a in arrays for c in getattr(a, "chunks", [a])]
        out = pa.chunked_array(chunks, pa.string())
        return out if order is None else out.take(order)

    def constant(text: str) -> Any:
        return pa.array([text], pa.string()).take(np.zeros(n, dtype=np.int64))

    columns: dict[str, Any] = {
        "camera_id": camera_id,
        "count": np.ones(n, dtype=np.int64),
        "source": constant("osm"),
        "source_ref": source_ref,
        "source_version": strings([p.version for p in parts]),
        "source_date": strings([p.timestamp for p in parts]),
        "geocode_precision": constant("exact"),
        "note": strings([p.note if p.note is not None else pa.nulls(len(p.ids), pa.string())
                         for p in parts]),
    }
    for col in _FROM_TAGS:
        uniques = pd.array([v[col] for v in values], dtype=COLUMNS[col])
        if not uniques.isna().all():
            columns[col] = uniques.take(set_index)
    for col in ("source_version", "source_date", "note"):
        if columns[col].null_count == n:
            del columns[col]
    data = {
        col: pd.array(columns[col], dtype=dtype) if col in columns
        else pd.array(nulls, dtype=dtype) if dtype == "string"
        else pd.Series(pd.NA, index=range(n), dtype=dtype).array
        for col, dtype in COLUMNS.items()
    }
    lon = np.concatenate([p.lon for p in parts])
    lat = np.concatenate([p.lat for p in parts])
    if order is not None:
        lon, lat = lon[order], lat[order]
    geometry = gpd.GeoSeries(shapely.points(lon, lat), crs=CRS)
    return gpd.GeoDataFrame(data, geometry=geometry, crs=CRS)


def _iso_time(when: datetime | None) -> str | None:
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if when.timestamp() <= 0:  # libosmium's "no timestamp"
        return None
    text = when.astimezone(UTC).replace(microsecond=0).isoformat()
    return text.removesuffix("+00:00") + "Z"


def _point_of(coords: Sequence[tuple[float, float]], ref: str) -> tuple[float, float, str]:
    """A representative point of a way and the note that says how it was found."""
    if len(set(coords)) == 1:
        return coords[0][0], coords[0][1], f"position of the only node of {ref}"
    closed = len(coords) >= 4 and coords[0] == coords[-1]
    if closed:
        poly = Polygon(coords)
        if poly.is_valid and poly.area > 0:
            c = poly.centroid
            return c.x, c.y, f"centroid of {ref} (area)"
    c = LineString(coords).centroid
    return c.x, c.y, f"centroid of {ref} (line)"


# --------------------------------------------------------------------------- files


def read_osm(path: str | os.PathLike[str], *, source_name: str | None = None) -> OsmReadResult:
    """Read the cameras of an OpenStreetMap file of any supported format.

    The format is detected from the content (:func:`sniff_osm`), not the name: ``.osm``,
    ``.osm.bz2``, ``.osm.gz``, ``.osm.pbf`` and Overpass JSON (see
    :func:`read_overpass_json`).

    Parameters
    ----------
    path
        The file.
    source_name
        How to name the input in problems and log messages; default the file name.

    Returns
    -------
    OsmReadResult
        The camera table and the problems found.

    Raises
    ------
    UnknownFormatError
        The file is not in any OSM format (the message says what it looks like), or is a
        history file with several versions of each object.
    InputError
        The file does not exist or libosmium cannot read it.
    """
    p = Path(path)
    label = source_name or p.name
    if not p.is_file():
        raise InputError(f"{p}: no such file; give the path of an OSM extract or Overpass JSON")
    kind = sniff_osm(p)
    if kind is None:
        with open(p, "rb") as fh:
            head = fh.read(40)
        raise UnknownFormatError(
            f"{p}: not an OpenStreetMap file (it starts with {head!r}); expected {_EXPECTED}. "
            "Download an extract (e.g. from download.geofabrik.de) or save an Overpass "
            "result with `camera-map fetch`."
        )
    if kind == "overpass-json":
        return read_overpass_json(p, source_name=label)
    if kind in ("osm-bz2", "osm-gz"):
        check_decompressed_size(p, kind)
    import osmium

    try:
        with _gc_paused():
            return _read_osmium(p, _OSMIUM_FORMAT[kind], label)
    except osmium.InvalidLocationError as exc:  # libosmium stops the whole file on one
        raise InputError(
            f"{label}: a node's position cannot be read ({exc}): every lat/lon must be a "
            "decimal number of degrees; find that value in the file (e.g. lat=\"nan\") and "
            "correct or delete the node"
        ) from None


def check_decompressed_size(path: str | os.PathLike[str], kind: str) -> int:
    """Decompress ``.osm.bz2``/``.osm.gz`` once, counting, and refuse a bomb early.

    A file is refused as soon as it has unpacked to more than
    :data:`camera_map.settings.max_compression_ratio` times its own size (and more than
    :data:`camera_map.settings.compressed_floor_bytes`): real OSM XML compresses 10-20
    times, a "zip bomb" of blank space thousands of times, and would otherwise keep
    libosmium busy for as long as it takes to parse all of it. Costs one decompression of
    the file; returns the decompressed size.
    """
    from .. import settings
    from ..errors import LimitError

    p = Path(path)
    size = p.stat().st_size
    allowed = max(settings.compressed_floor_bytes, settings.max_compression_ratio * size)
    total = 0
    opener = bz2.open if kind == "osm-bz2" else gzip.open
    try:
        with opener(p, "rb") as fh:
            while total <= allowed and (chunk := fh.read(1 << 20)):
                total += len(chunk)
    except (OSError, EOFError, ValueError, zlib.error) as exc:  # damaged or truncated stream
        raise InputError(
            f"{p.name}: the compressed data are damaged after {total:,} bytes ({exc}); "
            "is the download complete?"
        ) from None
    if total > allowed:
        raise LimitError(
            f"{p.name}: unpacks to more than {allowed:,} bytes from {size:,} (more than "
            f"{settings.max_compression_ratio} times its size, settings.max_compression_ratio): "
            "a small file that unpacks to this much is a 'zip bomb', not an OSM extract; if the "
            "file is genuine, raise the limit with the environment variable "
            "CAMERA_MAP_MAX_COMPRESSION_RATIO"
        )
    return total


def cameras_from_osm(
    path: str | os.PathLike[str], *, source_name: str | None = None
) -> gpd.GeoDataFrame:
    """Return the camera table of an OpenStreetMap file; problems are logged as warnings.

    Same as :func:`read_osm` but returns only the table; use :func:`read_osm` to get the
    problems as a list.
    """
    result = read_osm(path, source_name=source_name)
    _log_problems(result.problems)
    return result.cameras


def _log_problems(problems: Iterable[Problem]) -> None:
    for p in problems:
        logger.warning("%s", p)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a reader creates many objects.

    Those objects hold no reference cycles, but every collection the allocations trigger
    would scan all of them again.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


#: libosmium's OPL writer with only the metadata the camera table keeps. Every object that
#: passes the C++ tag filter is written as one line: ``n<id> v<version> d<V|D>
#: t<timestamp> T<k=v,...> x<lon> y<lat>`` for nodes, ``... N<n1,n2,...>`` for ways and
#: ``... M<members>`` for relations (https://osmcode.org/opl-file-format/).
_OPL_FORMAT: Final = "opl,add_metadata=version+timestamp"
_OPL_NODE_FIELDS: Final = ("id", "version", "visible", "timestamp", "tags", "lon", "lat")
_OPL_ESCAPE = re.compile(r"%([0-9a-fA-F]{1,6})%")


def _opl_unescape(text: str) -> str:
    """Undo OPL's ``%hex%`` escapes (spaces, commas, ``=``, ``%``, control characters)."""
    if "%" not in text:
        return text
    return _OPL_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def _opl_tags(text: str) -> tuple[tuple[str, str], ...]:
    """An OPL tag list (``k=v,k2=v2``, escaped) as ``(key, value)`` pairs."""
    if not text:
        return ()
    items = []
    for pair in text.split(","):
        key, _, value = pair.partition("=")
        items.append((_opl_unescape(key), _opl_unescape(value)))
    return tuple(items)


def _read_osmium(path: Path, fmt: str, label: str) -> OsmReadResult:
    """Read an OSM XML/PBF file: libosmium filters and writes, Arrow parses.

    No per-object Python: libosmium's tag filter passes only ``man_made=surveillance``
    objects to its OPL writer (a temporary file), Arrow's CSV reader splits the node lines
    into columns, and the tags are normalised once per distinct tag list. Ways and
    relations (a few lines) are parsed in Python. 1 M cameras in a 6 M-node PBF: the
    filter takes as long as ``osmium tags-filter``, the rest about a second.
    """
    import tempfile

    import osmium

    osm_file = osmium.io.File(str(path), fmt)
    try:
        reader = osmium.io.Reader(osm_file, osmium.osm.NOTHING)
        try:
            multiple = reader.header().has_multiple_object_versions
        finally:
            reader.close()
        if multiple:
            raise UnknownFormatError(
                f"{path}: is an OSM history file (several versions of each object); "
                "expected a plain extract. Use `osmium time-filter` to make a snapshot."
            )
        with tempfile.TemporaryDirectory(prefix="camera-map-osm-") as tmp:
            opl = Path(tmp) / "cameras.opl"
            writer = osmium.SimpleWriter(osmium.io.File(str(opl), _OPL_FORMAT))
            try:
                osmium.apply(osm_file, osmium.filter.TagFilter(("man_made", "surveillance")),
                             writer)
            finally:
                writer.close()
            nodes, others = _read_opl(opl)
    except RuntimeError as exc:  # libosmium: corrupt or truncated input
        raise InputError(
            f"{path}: could not be read as {fmt} ({exc}); is the file complete?"
        ) from exc
    problems: list[Problem] = []
    ways: list[_Way] = []
    for line in others:
        kind, number = line[0], int(line[1 : line.index(" ")])
        fields = {f[0]: f[1:] for f in line.split(" ")[1:] if f}
        if fields.get("d") == "D":
            continue
        if kind == "w":
            refs = tuple(int(r[1:]) for r in fields.get("N", "").split(",") if r)
            version = int(fields.get("v") or 0)
            ways.append((number, refs, _opl_tags(fields.get("T", "")), version,
                         fields.get("t") or None))
        elif kind == "r":
            problems.append(Problem(
                f"relation/{number}: is tagged man_made=surveillance, but a relation has "
                "no single position and was left out; map the camera as a node",
                file=label,
            ))  # fmt: skip
    parts = [_node_columns(nodes, problems, label)]
    del nodes  # the text of every node line: gone before the table is built
    try:
        if ways:
            parts.append(_columns_of(_way_records(osm_file, ways, problems, label)))
    except RuntimeError as exc:
        raise InputError(
            f"{path}: could not be read as {fmt} ({exc}); is the file complete?"
        ) from exc
    table = _table_from_columns(parts)
    del parts
    _release_arrow_memory()
    logger.info("%s: %d camera(s) read, %d problem(s)", label, len(table), len(problems))
    return OsmReadResult(table, problems)


def _release_arrow_memory() -> None:
    """Give the memory Arrow's allocator keeps for reuse back to the system.

    Parsing leaves hundreds of MB of freed buffers in the pool (1 M cameras: 0.5 GB), which
    the rest of a build, mostly numpy and Python objects, cannot use.
    """
    import pyarrow as pa

    pa.default_memory_pool().release_unused()


def _read_opl(opl: Path) -> tuple[Any, list[str]]:
    """Node lines of an OPL file as an Arrow table of strings, other lines as text."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    others: list[str] = []

    def not_a_node(row: Any) -> str:
        others.append(row.text)
        return "skip"

    names = list(_OPL_NODE_FIELDS)
    return pcsv.read_csv(
        opl,
        read_options=pcsv.ReadOptions(column_names=names, block_size=1 << 22),
        parse_options=pcsv.ParseOptions(
            delimiter=" ", quote_char=False, escape_char=False, double_quote=False,
            newlines_in_values=False, ignore_empty_lines=True, invalid_row_handler=not_a_node,
        ),
        convert_options=pcsv.ConvertOptions(
            # tag lists repeat: read them as a dictionary, one string per distinct list
            column_types={**dict.fromkeys(names, pa.string()),
                          "tags": pa.dictionary(pa.int32(), pa.string())},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    ), others


def _node_columns(nodes: Any, problems: list[Problem], label: str) -> _Columns:
    """The cameras of the node lines of an OPL file (see :func:`_read_opl`)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def field(name: str, letter: str) -> Any:
        column = nodes.column(name)
        if len(column) and not pc.all(pc.starts_with(column, letter)).as_py():
            raise RuntimeError(f"unexpected OPL from libosmium in column {name}")
        return pc.utf8_slice_codeunits(column, 1)

    kinds = pc.utf8_slice_codeunits(nodes.column("id"), 0, 1)
    keep = pc.and_(pc.equal(kinds, "n"), pc.equal(field("visible", "d"), "V"))
    nodes = nodes.filter(keep)
    ids = pc.cast(field("id", "n"), pa.int64()).to_numpy()
    lon_text, lat_text = field("lon", "x"), field("lat", "y")
    has_position = pc.and_(pc.not_equal(lon_text, ""), pc.not_equal(lat_text, "")).to_numpy(
        zero_copy_only=False)
    lon = pc.cast(pc.if_else(has_position, lon_text, "nan"), pa.float64()).to_numpy()
    lat = pc.cast(pc.if_else(has_position, lat_text, "nan"), pa.float64()).to_numpy()
    # libosmium writes what the file says: lat="95" or lon="190" is no place on Earth
    with np.errstate(invalid="ignore"):
        has_position &= (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
    version = field("version", "v")
    version = pc.if_else(pc.is_in(version, pa.array(["", "0"])), None, version)
    timestamp = field("timestamp", "t")
    timestamp = pc.if_else(pc.equal(timestamp, ""), None, timestamp)
    # normalise each distinct tag list once
    tags = nodes.column("tags").unify_dictionaries().combine_chunks()
    distinct = [_normalised(_opl_tags(t[1:])) for t in tags.dictionary.to_pylist()]
    set_index = tags.indices.to_numpy(zero_copy_only=False)
    with_problems = np.array([bool(found) for _, found in distinct] + [False])
    bad_rows = np.flatnonzero(~has_position | with_problems[set_index])
    for i in bad_rows:  # in file order, like the messages of every other reader
        ref = f"node/{ids[i]}"
        if not has_position[i]:
            where = "" if np.isnan(lat[i]) else f" ({lat[i]}, {lon[i]} is not lat, lon)"
            problems.append(Problem(f"{ref}: has no valid position{where} and was left out",
                                    file=label))
            continue
        for message, key, value in distinct[set_index[i]][1]:
            problems.append(Problem(f"{ref}: {message}", file=label, column=key, value=value))
    take = np.flatnonzero(has_position)
    return _Columns(
        kind=np.zeros(len(take), dtype=np.int64), ids=ids[take], lon=lon[take], lat=lat[take],
        version=version.take(take), timestamp=timestamp.take(take), note=None,
        set_index=set_index[take].astype(np.int64), values=[v for v, _ in distinct],
    )


_Way = tuple[int, tuple[int, ...], tuple[tuple[str, str], ...], int, str | None]


def _way_records(
    osm_file: Any,
    ways: list[_Way],
    problems: list[Problem],
    label: str,
) -> list[_Camera]:
    """Second pass: fetch only the nodes that camera ways use, then place each way."""
    import osmium

    wanted = {ref for _, refs, _, _, _ in ways for ref in refs}
    where: dict[int, tuple[float, float]] = {}
    nodes = osmium.FileProcessor(osm_file, osmium.osm.NODE).with_filter(
        osmium.filter.IdFilter(wanted)
    )
    for node in nodes:
        if isinstance(node, osmium.osm.Node) and node.location.valid():
            where[node.id] = (node.location.lon, node.location.lat)
            if len(where) == len(wanted):
                break  # ids are sorted in an extract: nothing more to find
    out: list[_Camera] = []
    for way_id, refs, items, version, when in ways:
        ref = f"way/{way_id}"
        coords = [where[r] for r in refs if r in where]
        if not coords:
            problems.append(Problem(
                f"{ref}: none of its {len(refs)} node(s) is in the file, so it has no "
                "position and was left out; use an extract that includes them "
                "(osmium extract --strategy complete_ways)",
                file=label,
            ))  # fmt: skip
            continue
        if len(coords) < len(refs):
            problems.append(Problem(
                f"{ref}: {len(refs) - len(coords)} of its {len(refs)} node(s) are missing "
                "from the file; its position is the centroid of the others",
                file=label,
            ))  # fmt: skip
        lon, lat, note = _point_of(coords, ref)
        out.append(_record(
            ref, items, lon, lat, version=version, timestamp=when, note=note,
            problems=problems, file=label,
        ))  # fmt: skip
    return out


# --------------------------------------------------------------------------- Overpass JSON


def _load_json(
    source: str | os.PathLike[str] | Mapping[str, Any] | Sequence[Any],
) -> tuple[Any, str]:
    if isinstance(source, str | os.PathLike):
        from .. import settings
        from ..errors import LimitError

        p = Path(source)
        try:
            size = p.stat().st_size
            if size > settings.max_json_bytes:
                raise LimitError(
                    f"{p.name}: the file's size ({size:,} bytes) is more than camera-map reads "
                    f"as JSON ({settings.max_json_bytes:,} bytes, settings.max_json_bytes); "
                    "if the file is genuine, raise the limit with the environment variable "
                    "CAMERA_MAP_MAX_JSON_BYTES, or convert it to .osm.pbf (osmium cat)")
            text = p.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise InputError(f"{p}: no such file; give the path of an Overpass JSON file") from None
        except UnicodeDecodeError as exc:
            raise UnknownFormatError(f"{p}: not UTF-8 text ({exc}); expected {_EXPECTED}") from None
        return parse_json(text, p.name), p.name
    return source, "Overpass JSON"


def parse_json(text: str | bytes, label: str) -> Any:
    """Parse JSON text; a clear error for invalid or too deeply nested JSON.

    Python's parser recurses once per level and stops at about 1,000 levels with a
    ``RecursionError`` (bounded time and memory); an Overpass answer is 4 levels deep.
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnknownFormatError(
            f"{label}: not valid JSON ({exc}); expected {_EXPECTED}. If it came from "
            "Overpass, the download may have been cut short: fetch it again."
        ) from None
    except RecursionError:
        raise UnknownFormatError(
            f"{label}: JSON nested more deeply than camera-map reads (about "
            f"{sys.getrecursionlimit():,} levels; an Overpass answer has 4): not an Overpass "
            f"answer; expected {_EXPECTED}"
        ) from None


def read_overpass_json(
    source: str | os.PathLike[str] | Mapping[str, Any] | Sequence[Any],
    *,
    source_name: str | None = None,
) -> OsmReadResult:
    """Read the cameras of an Overpass API (or OSM API) JSON answer.

    Parameters
    ----------
    source
        A file path, the parsed JSON object (``{"elements": [...], ...}``), or a bare list
        of elements.
    source_name
        How to name the input in problems; default the file name or ``"Overpass JSON"``.

    Returns
    -------
    OsmReadResult
        Nodes are placed at their ``lat``/``lon``; ways and relations at the ``center``
        Overpass computed with ``out center`` (``note`` says so), at the centroid of their
        ``geometry`` (``out geom``), or of their member nodes when those are in the answer
        too; otherwise at the centre of their ``bounds``. Elements with no position are
        left out and reported. Elements not tagged ``man_made=surveillance`` (such as the
        untagged nodes of ways) are skipped.

    Raises
    ------
    UnknownFormatError
        The input is not Overpass JSON.
    """
    data, default_label = _load_json(source)
    label = source_name or default_label
    problems: list[Problem] = []
    usable = _usable_elements(_overpass_elements(data, label, problems), label, problems)
    chosen = _latest_surveillance(usable, label)
    records = _overpass_records(chosen, _node_positions(usable), label, problems)
    logger.info("%s: %d camera(s) read, %d problem(s)", label, len(records), len(problems))
    return OsmReadResult(_table(records), problems)


def _overpass_elements(data: Any, label: str, problems: list[Problem]) -> list[Any]:
    """The element list of an answer, a bare list or a single element; Overpass's remark
    becomes a problem. UnknownFormatError for JSON that is none of these."""
    if isinstance(data, Mapping) and "elements" in data:
        elements = data["elements"]
        remark = data.get("remark")
        if remark:
            problems.append(
                Problem(f"Overpass remarked: {remark}; the answer may be incomplete", file=label)
            )
    elif isinstance(data, Mapping) and "type" in data and "id" in data:
        elements = [data]
    elif isinstance(data, list):
        elements = data
    else:
        raise UnknownFormatError(f"{label}: JSON, but not Overpass JSON; expected {_EXPECTED}")
    if not isinstance(elements, list):
        raise UnknownFormatError(f'{label}: "elements" is not a list; expected {_EXPECTED}')
    return elements


def _usable_elements(elements: list[Any], label: str,
                     problems: list[Problem]) -> list[Mapping[str, Any]]:
    """The nodes, ways and relations that are well formed; the others are problems (the
    ``count`` and ``area`` elements of an area query are skipped silently)."""
    usable: list[Mapping[str, Any]] = []
    for i, el in enumerate(elements):
        if not isinstance(el, Mapping) or el.get("type") not in _KIND_ORDER or "id" not in el:
            if not (isinstance(el, Mapping) and el.get("type") in ("count", "area")):
                problems.append(Problem(
                    f"element {i + 1} is not an OSM node, way or relation and was skipped",
                    file=label, value=str(el)[:80]))  # fmt: skip
            continue
        wrong = _element_problem(el)
        if wrong:
            problems.append(Problem(f"element {i + 1} ({el['type']}): {wrong}; skipped",
                                    file=label, value=str(el)[:80]))
            continue
        usable.append(el)
    return usable


def _node_positions(usable: list[Mapping[str, Any]]) -> dict[int, tuple[float, float]]:
    """Where each node of the answer is (lon, lat), to place ways by their member nodes."""
    node_at: dict[int, tuple[float, float]] = {}
    for el in usable:
        if el["type"] == "node" and _has_latlon(el):
            node_at[int(el["id"])] = (float(el["lon"]), float(el["lat"]))
    return node_at


def _latest_surveillance(usable: list[Mapping[str, Any]],
                         label: str) -> dict[str, Mapping[str, Any]]:
    """The ``man_made=surveillance`` objects by ref ("node/1"), the highest version of an
    object that comes more than once."""
    chosen: dict[str, Mapping[str, Any]] = {}
    skipped = 0
    for el in usable:
        tags = el.get("tags") or {}
        if tags.get("man_made") != "surveillance":
            skipped += 1
            continue
        ref = f"{el['type']}/{el['id']}"
        previous = chosen.get(ref)
        if previous is None or int(el.get("version") or 0) > int(previous.get("version") or 0):
            chosen[ref] = el
    if skipped:
        logger.debug("%s: %d element(s) without man_made=surveillance skipped", label, skipped)
    return chosen


def _overpass_records(chosen: dict[str, Mapping[str, Any]],
                      node_at: Mapping[int, tuple[float, float]], label: str,
                      problems: list[Problem]) -> list[_Camera]:
    """One camera record per object that has a position in longitude/latitude; the others
    are problems."""
    records: list[_Camera] = []
    for ref, el in chosen.items():
        placed = _place(el, node_at)
        if placed is None:
            problems.append(Problem(
                f"{ref}: has no position (no lat/lon, center, geometry or bounds; query "
                "with `out center`) and was left out", file=label))  # fmt: skip
            continue
        lon, lat, note = placed
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            problems.append(Problem(
                f"{ref}: position {lon}, {lat} is not longitude/latitude; left out",
                file=label))  # fmt: skip
            continue
        items = tuple((str(k), str(v)) for k, v in (el.get("tags") or {}).items())
        version = el.get("version")
        records.append(_record(
            ref, items, lon, lat,
            version=int(version) if isinstance(version, int | str) and str(version).isdigit()
            else None,
            timestamp=_overpass_time(el.get("timestamp")), note=note,
            problems=problems, file=label,
        ))  # fmt: skip
    return records


def cameras_from_overpass_json(
    source: str | os.PathLike[str] | Mapping[str, Any] | Sequence[Any],
    *,
    source_name: str | None = None,
) -> gpd.GeoDataFrame:
    """Return the camera table of an Overpass JSON answer; problems are logged as warnings.

    See :func:`read_overpass_json`.
    """
    result = read_overpass_json(source, source_name=source_name)
    _log_problems(result.problems)
    return result.cameras


def _element_problem(el: Mapping[str, Any]) -> str | None:
    """What makes an Overpass element unusable (``None`` when it is fine).

    The id must be a whole number, ``tags`` an object of text values, ``version`` a whole
    number if present: anything else comes from a broken or hostile answer.
    """
    ident = el.get("id")
    if isinstance(ident, bool) or not (
        isinstance(ident, int) or (isinstance(ident, str) and ident.isascii()
                                   and ident.isdigit())
    ):
        return f"id {ident!r} is not a whole number"
    if int(ident) >= 2**63:
        return f"id {ident!r} is too large for an OSM id"
    tags = el.get("tags")
    if tags is not None and not isinstance(tags, Mapping):
        return f'"tags" is {type(tags).__name__}, not an object of key/value pairs'
    if isinstance(tags, Mapping) and any(
        isinstance(v, Mapping | list) or v is None for v in tags.values()
    ):
        return '"tags" holds a value that is not text'
    version = el.get("version")
    if version is not None and (isinstance(version, bool) or not (
        isinstance(version, int) or (isinstance(version, str) and version.isascii()
                                     and version.isdigit())
    )):
        return f"version {version!r} is not a whole number"
    return None


def _has_latlon(el: Mapping[str, Any]) -> bool:
    lat, lon = el.get("lat"), el.get("lon")
    return _is_number(lat) and _is_number(lon)


def _is_number(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return False
    try:
        return math.isfinite(float(value))
    except ValueError:
        return False


def _place(
    el: Mapping[str, Any], node_at: Mapping[int, tuple[float, float]]
) -> tuple[float, float, str | None] | None:
    ref = f"{el['type']}/{el['id']}"
    if _has_latlon(el):
        return float(el["lon"]), float(el["lat"]), None
    center = el.get("center")
    if isinstance(center, Mapping) and _has_latlon(center):
        return float(center["lon"]), float(center["lat"]), f"center of {ref} (Overpass out center)"
    geometry = el.get("geometry")
    if isinstance(geometry, list):
        coords = [(float(g["lon"]), float(g["lat"])) for g in geometry
                  if isinstance(g, Mapping) and _has_latlon(g)]  # fmt: skip
        if coords:
            return _point_of(coords, ref)
    refs = el.get("nodes")
    if isinstance(refs, list):
        coords = [node_at[int(r)] for r in refs if isinstance(r, int) and r in node_at]
        if coords:
            return _point_of(coords, ref)
    bounds = el.get("bounds")
    if isinstance(bounds, Mapping) and all(
        _is_number(bounds.get(k)) for k in ("minlat", "minlon", "maxlat", "maxlon")
    ):
        lon = (float(bounds["minlon"]) + float(bounds["maxlon"])) / 2
        lat = (float(bounds["minlat"]) + float(bounds["maxlat"])) / 2
        return lon, lat, f"centre of the bounding box of {ref}"
    return None


def _overpass_time(value: object) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return _iso_time(when)
