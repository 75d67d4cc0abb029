"""Live OpenStreetMap cameras from the Overpass API (https://wiki.openstreetmap.org/wiki/Overpass_API).

:func:`overpass_query` builds the Overpass QL text in a pure function; :func:`fetch_overpass`
sends it (as the form field ``data`` of a POST, the Overpass convention) through the one
HTTP layer, :mod:`camera_map._http`, which caches answers on disk with their date (used up
to ``settings.overpass_max_age``, a day by default), sends the User-Agent, retries on
429/5xx/timeouts and gives up at ``settings.deadline``. An answer is checked before it is
cached (JSON with an ``elements`` list, no runtime error); a single malformed element is
reported and skipped by the reader, never a crash. :func:`save_overpass` writes an answer
to a file that :func:`camera_map.sources.osm.read_osm` reads back offline; :func:`read_overpass` and
:func:`cameras_from_overpass` go straight to the camera table.

The endpoint is ``settings.overpass_url`` unless a call passes ``url``. The data are
© OpenStreetMap contributors, ODbL 1.0.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TypedDict, Unpack

import geopandas as gpd

from .. import _http, settings
from .._io import write_text_atomic
from ..errors import InputError, UnknownPlaceError
from ..names import to_cyrillic, to_latin
from .osm import OsmReadResult, read_overpass_json

__all__ = [
    "OverpassAnswer",
    "OverpassSearch",
    "cameras_from_overpass",
    "fetch_overpass",
    "overpass_answer",
    "overpass_query",
    "parse_bbox",
    "read_overpass",
    "save_overpass",
]

logger = logging.getLogger(__name__)

#: Seconds the Overpass server may spend on the query (``[timeout:...]``).
SERVER_TIMEOUT: Final = 180

#: Name keys an area name is matched against.
AREA_NAME_KEYS: Final = ("name", "name:sr-Latn", "name:sr", "name:en")

#: Words that may precede a place name in the name of its administrative area.
_UNIT_WORDS: Final = (
    "Општина", "Opština", "Opstina", "Градска општина", "Gradska opština", "Град", "Grad",
    "City of", "Municipality of",
)  # fmt: skip

_OSM_AREA_ID: Final = re.compile(r"^\s*(relation|way|r|w)\s*[/ ]?\s*(\d+)\s*$", re.IGNORECASE)
_REGEX_SPECIAL: Final = set(".^$*+?()[]{}|\\")


def parse_bbox(value: str | Sequence[float]) -> tuple[float, float, float, float]:
    """Read a bounding box ``W,S,E,N`` in degrees (EPSG:4326).

    Parameters
    ----------
    value
        ``"19.6,44.3,19.7,44.4"`` (commas and/or spaces) or a sequence of four numbers:
        west, south, east, north.

    Raises
    ------
    InputError
        Not four numbers, out of range, or west ≥ east / south ≥ north (the message
        shows the expected order).
    """
    if isinstance(value, str):
        parts = [p for p in re.split(r"[,\s]+", value.strip()) if p]
    else:
        parts = [str(v) for v in value]
    expected = "expected W,S,E,N in degrees, e.g. 19.80,44.35,19.95,44.45"
    if len(parts) != 4:
        raise InputError(f"bounding box {value!r} has {len(parts)} value(s); {expected}")
    try:
        west, south, east, north = (float(p) for p in parts)
    except ValueError:
        raise InputError(f"bounding box {value!r} is not four numbers; {expected}") from None
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= 90
            and -90 <= north <= 90):  # fmt: skip
        raise InputError(
            f"bounding box {value!r} is outside longitude -180..180 / latitude -90..90; {expected}"
        )
    if west >= east or south >= north:
        raise InputError(
            f"bounding box {value!r}: west must be less than east and south less than "
            f"north; {expected} (a box across the 180° meridian must be split in two)"
        )
    return west, south, east, north


def _ql_string(text: str) -> str:
    """Quote ``text`` as an Overpass QL string literal."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _regex_escape(text: str) -> str:
    return "".join("\\" + ch if ch in _REGEX_SPECIAL else ch for ch in text)


def _area_set(area: str) -> str:
    """Overpass QL statements that put the area(s) named ``area`` into ``.searchArea``."""
    m = _OSM_AREA_ID.match(area)
    if m:
        offset = 3_600_000_000 if m.group(1).lower().startswith("r") else 2_400_000_000
        return f"area(id:{offset + int(m.group(2))})->.searchArea;\n.searchArea out count;"
    name = " ".join(area.split())
    spellings = list(dict.fromkeys([name, to_latin(name), to_cyrillic(name)]))
    names = "|".join(_regex_escape(s) for s in spellings)
    words = "|".join(_regex_escape(w) for w in _UNIT_WORDS)
    pattern = f"^(({words}) )?({names})$"
    lines = [f"  area[{_ql_string(key)}~{_ql_string(pattern)},i];" for key in AREA_NAME_KEYS]
    return "(\n" + "\n".join(lines) + "\n)->.searchArea;\n.searchArea out count;"


def overpass_query(
    *,
    area: str | None = None,
    bbox: str | Sequence[float] | None = None,
    server_timeout: int = SERVER_TIMEOUT,
) -> str:
    """Build the Overpass QL query for every ``man_made=surveillance`` node, way and relation.

    Pure function: no network.

    Parameters
    ----------
    area
        A place name, matched case-insensitively against ``name``, ``name:sr-Latn``,
        ``name:sr`` and ``name:en`` of OSM areas, in the given spelling and in Serbian
        Latin and Cyrillic, optionally preceded by a unit word ("Opština Osečina",
        "Град Београд"); or an OSM id such as ``"relation/2088990"``. Every matching area
        is searched, and the query also reports how many areas matched (``out count``),
        which :func:`fetch_overpass` checks.
    bbox
        ``W,S,E,N`` in degrees (see :func:`parse_bbox`).
    server_timeout
        Seconds the server may spend (``[timeout:...]``).

    Returns
    -------
    str
        The query; ways and relations come with their centre and every element with its
        version and timestamp (``out center meta``).

    Raises
    ------
    InputError
        Neither or both of ``area`` and ``bbox``, an empty name or a bad bounding box.
    """
    if (area is None) == (bbox is None):
        raise InputError("give either an area name or a bounding box (W,S,E,N), not both")
    head = f"[out:json][timeout:{int(server_timeout)}];"
    if area is not None:
        if not area.strip():
            raise InputError("the area name is empty; give a place name such as 'Osečina'")
        return (
            f"{head}\n{_area_set(area)}\n"
            'nwr["man_made"="surveillance"](area.searchArea);\n'
            "out center meta;\n"
        )
    assert bbox is not None
    west, south, east, north = parse_bbox(bbox)
    return (
        f"{head}\n"
        f'nwr["man_made"="surveillance"]({south:g},{west:g},{north:g},{east:g});\n'
        "out center meta;\n"
    )


def _parse_answer(body: bytes) -> dict[str, Any]:
    """The JSON of an Overpass answer, parsed once and checked: ValueError when it cannot
    be used (so that it is retried, not cached)."""
    data = _http.json_answer(body, "an Overpass answer")
    if not isinstance(data, dict) or not isinstance(data.get("elements"), list):
        raise ValueError('JSON without an "elements" list')
    remark = data.get("remark")
    if isinstance(remark, str) and "error" in remark.lower():
        raise ValueError(f"Overpass reported: {remark}")
    return data


def _areas_matched(result: Mapping[str, Any]) -> int | None:
    for el in result.get("elements", []):
        if isinstance(el, Mapping) and el.get("type") == "count":
            try:
                return int((el.get("tags") or {}).get("areas", 0))
            except (TypeError, ValueError):
                return None
    return None


@dataclass(frozen=True)
class OverpassAnswer:
    """An Overpass answer and where it came from.

    Attributes
    ----------
    data
        The JSON answer (``{"version": ..., "osm3s": ..., "elements": [...]}``).
    response
        The HTTP layer's record: when it was fetched and whether from the cache.
    """

    data: dict[str, Any]
    response: _http.Response

    def provenance(self) -> str:
        """``"answered now (…)"`` or ``"from the cache: fetched …, 3 h old"``."""
        return self.response.provenance()


def overpass_answer(
    *,
    area: str | None = None,
    bbox: str | Sequence[float] | None = None,
    url: str | None = None,
    timeout: float | None = None,
) -> OverpassAnswer:
    """Ask the Overpass API for the cameras in an area or bounding box.

    Parameters
    ----------
    area, bbox
        What to search; exactly one of them (see :func:`overpass_query`).
    url
        Overpass interpreter endpoint; default ``settings.overpass_url``.
    timeout
        Seconds to wait for one HTTP try; default ``settings.timeout``.

    Returns
    -------
    OverpassAnswer
        The JSON answer, from the disk cache when the same query was answered within
        ``settings.overpass_max_age`` seconds (a day by default), and when it was fetched.

    Raises
    ------
    NetworkError
        The endpoint failed after every retry or the deadline; the message names the URL,
        the tries and the last failure.
    UnknownPlaceError
        No OSM area matches ``area``.
    InputError
        Bad arguments.
    """
    query = overpass_query(area=area, bbox=bbox)
    endpoint = url or settings.overpass_url
    logger.info("asking %s for cameras in %s", endpoint, area if area is not None else bbox)
    response = _http.request(
        endpoint,
        method="POST",
        data={"data": query},
        timeout=timeout,
        validate=_parse_answer,
        max_age=settings.overpass_max_age,
        stale_if_error=True,
        service="Overpass API",
        hint=(
            "Public Overpass servers are often busy: a smaller area helps, and a result saved "
            "with `camera-map fetch --out FILE.json` can be reused offline."
        ),
    )
    result: dict[str, Any] = response.parsed
    if area is not None and _areas_matched(result) == 0 and _OSM_AREA_ID.match(area):
        raise UnknownPlaceError(
            f"Overpass has no area for OpenStreetMap {area.strip()}: its area index may lag "
            "behind recent edits, or the element is not a closed, named boundary; try again "
            "later or use a bounding box (--osm-bbox W,S,E,N)"
        )
    if area is not None and _areas_matched(result) == 0:
        raise UnknownPlaceError(
            f"no OpenStreetMap area is named {area!r} (searched {', '.join(AREA_NAME_KEYS)}, "
            "in Latin and Cyrillic); check the spelling, give an OSM id such as "
            "'relation/2088990', or use a bounding box (--osm-bbox W,S,E,N)"
        )
    return OverpassAnswer(result, response)


class OverpassSearch(TypedDict, total=False):
    """The keyword arguments of :func:`overpass_answer`, taken alike by
    :func:`fetch_overpass`, :func:`read_overpass` and :func:`cameras_from_overpass`:
    ``area`` or ``bbox`` (see :func:`overpass_query`), the endpoint ``url`` and the
    per-try ``timeout``."""

    area: str | None
    bbox: str | Sequence[float] | None
    url: str | None
    timeout: float | None


def fetch_overpass(**search: Unpack[OverpassSearch]) -> dict[str, Any]:
    """Return the Overpass JSON answer for an area or bounding box.

    The same as :func:`overpass_answer`, without the record of where it came from.
    """
    return overpass_answer(**search).data


def save_overpass(result: Mapping[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write an Overpass answer to ``path`` as JSON, atomically; return the path.

    The file keeps the answer as received (including the ODbL notice in ``osm3s``) and is
    read back by :func:`camera_map.sources.osm.read_osm`.
    """
    text = json.dumps(result, ensure_ascii=False, indent=1, sort_keys=False) + "\n"
    return write_text_atomic(path, text)


def read_overpass(**search: Unpack[OverpassSearch]) -> OsmReadResult:
    """Fetch (see :func:`overpass_answer`) and read the cameras of an area or bounding box."""
    answer = overpass_answer(**search)
    return read_answer(answer, area=search.get("area"), bbox=search.get("bbox"))


def read_answer(
    answer: OverpassAnswer, *, area: str | None = None, bbox: object = None
) -> OsmReadResult:
    """Read the cameras of an answer; malformed elements are problems, never a crash."""
    what = f"area {area!r}" if area is not None else f"bbox {bbox}"
    return read_overpass_json(answer.data, source_name=f"Overpass API ({what})")


def cameras_from_overpass(**search: Unpack[OverpassSearch]) -> gpd.GeoDataFrame:
    """Return the camera table of an area or bounding box from the Overpass API.

    Problems (unreadable tags, elements without a position) are logged as warnings; use
    :func:`read_overpass` to get them as a list.
    """
    result = read_overpass(**search)
    for problem in result.problems:
        logger.warning("%s", problem)
    return result.cameras
