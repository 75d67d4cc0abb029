"""A polite Nominatim client: throttled across processes, cached on disk, resumable.

Speaks the Nominatim ``/search`` API (https://nominatim.org/release-docs/latest/api/Search/)
through the one HTTP layer, :mod:`camera_map._http`, like the Overpass client. Nominatim's
usage policy (https://operations.osmfoundation.org/policies/nominatim/) asks for at most one
request per second, a User-Agent naming the application, and caching of results; this
client does all three:

- **throttle**: at least ``settings.nominatim_min_delay`` seconds from the end of one
  request to the start of the next, for every process on the machine (a lock file in
  ``settings.cache_dir / "throttle"``), retries included;
- **cache**: every answer, including "no result", is stored on disk under the normalised
  query as soon as it arrives (used up to ``settings.nominatim_max_age``), so a second run,
  or a run after a crash, Ctrl-C or kill, asks nothing that was already answered;
- **errors**: 429, 5xx, timeouts and dropped connections are retried with exponential
  back-off within ``settings.deadline``, then raise :class:`camera_map.errors.NetworkError`
  saying what failed and what to do; an answer whose coordinates are not a latitude and a
  longitude (``"abc"``, ``NaN``, 91) is rejected with an :class:`~camera_map.errors.InputError`.

Query building (:func:`query_for`), cache keys (:func:`cache_key`) and reading answers
(:func:`answer_from_raw`, :func:`precision_for`) are pure functions; only
:class:`NominatimClient` talks to the network. geopy is not used: it brought a second HTTP
stack (requests) with its own retries and no cross-process throttle or cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .. import _http, settings
from ..errors import InputError
from .addresses import AddressQuery

log = logging.getLogger(__name__)

__all__ = [
    "NominatimAnswer",
    "NominatimClient",
    "answer_from_raw",
    "cache_key",
    "parse_answer",
    "precision_for",
    "query_for",
]

Query = str | Mapping[str, str]

_SETTLEMENT_TYPES = frozenset({
    "city", "town", "village", "hamlet", "suburb", "neighbourhood", "quarter", "locality",
    "isolated_dwelling", "farm", "allotments", "borough", "city_block", "plot", "square",
})  # fmt: skip
_ADDRESS_CLASSES = frozenset({
    "building", "amenity", "shop", "tourism", "office", "leisure", "craft", "healthcare",
    "historic", "man_made", "emergency", "public_transport", "railway", "aeroway",
})  # fmt: skip


@dataclass(frozen=True)
class NominatimAnswer:
    """One geocoded point from Nominatim (longitude/latitude in EPSG:4326 degrees)."""

    #: Longitude, degrees east.
    lon: float
    #: Latitude, degrees north.
    lat: float
    #: ``"address"``, ``"street"``, ``"settlement"`` or ``"municipality"``
    #: (:func:`precision_for`, from the result's class, type and rank).
    precision: str
    #: Nominatim's full description of the place found.
    display_name: str
    #: The OSM element found, as the camera table writes it ("node/42"), if the answer
    #: names one.
    osm: str | None = None


def precision_for(raw: Mapping[str, Any]) -> str:
    """Map a Nominatim result's class/type (and ``place_rank``) to a geocode precision.

    >>> precision_for({"class": "place", "type": "house"})
    'address'
    >>> precision_for({"class": "highway", "type": "residential"})
    'street'
    >>> precision_for({"class": "boundary", "type": "administrative", "place_rank": 16})
    'municipality'
    """
    cls = str(raw.get("class") or raw.get("category") or "")
    typ = str(raw.get("type") or "")
    addresstype = str(raw.get("addresstype") or "")
    if (cls == "place" and typ in ("house", "building")) or cls in _ADDRESS_CLASSES \
            or addresstype in ("building", "house"):
        return "address"
    if cls == "highway" or addresstype in ("road", "street"):
        return "street"
    if cls == "place" and typ in _SETTLEMENT_TYPES:
        return "settlement"
    if cls == "boundary":
        return "municipality"
    try:
        rank = int(raw.get("place_rank") or 0)
    except (TypeError, ValueError):
        rank = 0
    if rank >= 28:
        return "address"
    if rank >= 26:
        return "street"
    if rank >= 17:
        return "settlement"
    return "municipality"


def _coordinate(raw: Mapping[str, Any], key: str, limit: float) -> float:
    value = raw.get(key)
    number = math.nan
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        with contextlib.suppress(ValueError):
            number = float(value)
    if not (math.isfinite(number) and -limit <= number <= limit):
        what = "latitude" if key == "lat" else "longitude"
        raise InputError(f"Nominatim answered {what} {value!r}, not a number in "
                         f"-{limit:g}..{limit:g}; the answer was not used")
    return number


def answer_from_raw(raw: Mapping[str, Any]) -> NominatimAnswer:
    """Build a :class:`NominatimAnswer` from one element of Nominatim's JSON answer.

    Raises
    ------
    InputError
        The element's ``lat``/``lon`` are not a latitude and a longitude.

    >>> a = answer_from_raw({"lat": "44.37", "lon": "19.6", "class": "highway",
    ...                      "osm_type": "way", "osm_id": 42})
    >>> (a.lon, a.lat, a.precision, a.osm)
    (19.6, 44.37, 'street', 'way/42')
    """
    if not isinstance(raw, Mapping):
        raise InputError(f"Nominatim answered {str(raw)[:60]!r}, not a place; the answer "
                         "was not used")
    lat, lon = _coordinate(raw, "lat", 90), _coordinate(raw, "lon", 180)
    return NominatimAnswer(lon=lon, lat=lat, precision=precision_for(raw),
                           display_name=str(raw.get("display_name") or ""), osm=_osm_ref(raw))


def _osm_ref(raw: Mapping[str, Any]) -> str | None:
    """``"node/42"`` from a result's ``osm_type`` and ``osm_id``; None unless both are
    usable (a type of OSM element and a whole number)."""
    osm_type, osm_id = raw.get("osm_type"), raw.get("osm_id")
    if osm_type not in ("node", "way", "relation"):
        return None
    if isinstance(osm_id, bool) or not (isinstance(osm_id, int) or (
            isinstance(osm_id, str) and osm_id.isascii() and osm_id.isdigit())):
        return None
    return f"{osm_type}/{int(osm_id)}"


def query_for(query: AddressQuery) -> Query | None:
    """Return the Nominatim query for a parsed address, or ``None`` if there is none.

    A street with a settlement or municipality becomes a structured query
    (``street="12 Karađorđeva", city="Osečina"``); anything else is free-form text.
    Nominatim cannot look up intersections: the first street is asked for instead.
    """
    town = query.place or query.municipality
    if query.kind in ("address", "street", "intersection") and query.streets:
        street = query.streets[0]
        if query.housenumber and query.kind == "address":
            street = f"{query.housenumber} {street}"
        if town:
            return {"street": street, "city": town}
        return street
    if query.kind == "landmark" and query.landmark:
        return ", ".join(x for x in (query.landmark, town) if x)
    if query.kind == "place" and town:
        return {"city": town}
    return None


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFC", text).casefold()
    text = re.sub(r"[\s,;]+", " ", text)
    return text.strip(" .")


def cache_key(query: Query, *, url: str, country_codes: str | None) -> str:
    """Return the cache key of a query: the endpoint, country codes and normalised text.

    Case, spacing and separators do not change the key; script and diacritics do
    (Nominatim may answer "Ђаковачка" and "Djakovacka" differently).
    """
    if isinstance(query, Mapping):
        q: Any = {k: _norm(str(v)) for k, v in sorted(query.items()) if v}
    else:
        q = _norm(query)
    parts = urlsplit(url)
    endpoint = f"{parts.netloc}{parts.path.rstrip('/')}"
    return json.dumps({"url": endpoint, "cc": (country_codes or "").lower(), "q": q},
                      ensure_ascii=False, sort_keys=True)


def parse_answer(body: bytes) -> list[Any]:
    """The JSON of a Nominatim ``/search`` answer, parsed once and checked: ValueError when
    it is not a list of results (so that it is retried, not cached)."""
    data = _http.json_answer(body, "a Nominatim answer")
    if isinstance(data, Mapping) and "error" in data:
        raise ValueError(f"Nominatim reported an error: {str(data['error'])[:200]}")
    if not isinstance(data, list):
        raise ValueError(f"expected a list of places, got {type(data).__name__}")
    return data


class NominatimClient:
    """Search Nominatim politely; see the module docstring for the guarantees.

    Parameters
    ----------
    url
        Base URL of the Nominatim server (``/search`` is appended); default
        ``settings.nominatim_url``.
    country_codes
        Comma-separated ISO 3166-1 alpha-2 codes sent as ``countrycodes`` (default ``"rs"``).
    min_delay
        Seconds from the end of one request to the start of the next; default
        ``settings.nominatim_min_delay``.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        country_codes: str | None = "rs",
        min_delay: float | None = None,
    ) -> None:
        self.url = (url or settings.nominatim_url).rstrip("/")
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InputError(f"Nominatim URL {self.url!r} is not an http(s) URL; expected e.g. "
                             "https://nominatim.openstreetmap.org")
        self.country_codes = country_codes
        self.min_delay = settings.nominatim_min_delay if min_delay is None else min_delay
        #: Answers received from the server by this client (cached ones not counted).
        self.requests_made = 0
        self._memory: dict[str, list[Any]] = {}  # answers of this run when the cache is off

    # -- lifecycle (nothing to release: kept for ``with`` blocks)
    def close(self) -> None:
        """Nothing to close; every answer is on disk as soon as it arrives."""

    def __enter__(self) -> NominatimClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _params(self, query: Query) -> dict[str, str]:
        params = {"format": "json", "limit": "1"}
        if self.country_codes:
            params["countrycodes"] = self.country_codes
        if isinstance(query, Mapping):
            params.update({str(k): str(v) for k, v in query.items() if v})
        else:
            params["q"] = query
        return params

    def raw_search(self, query: Query) -> list[Any]:
        """Return Nominatim's JSON answer for ``query`` (a list, best result first)."""
        key = hashlib.sha256(
            cache_key(query, url=self.url, country_codes=self.country_codes).encode("utf-8")
        ).hexdigest()
        results = self._memory.get(key)
        if results is None:
            shown = query if isinstance(query, str) else ", ".join(
                f"{k}={v}" for k, v in query.items())
            response = _http.request(
                f"{self.url}/search", params=self._params(query), key=key,
                validate=parse_answer, max_age=settings.nominatim_max_age,
                min_interval=self.min_delay, service="Nominatim",
                hint=(f"(query {shown!r}) A 403 usually means the User-Agent or the usage "
                      "policy was not accepted: set camera_map.settings.user_agent to name "
                      "you, or use --nominatim-url for your own server. Answers so far are "
                      "cached; run again later to resume, or leave out --online to geocode "
                      "offline."),
            )
            if not response.from_cache:
                self.requests_made += 1
            results = response.parsed
            if not settings.use_cache:
                self._memory[key] = results
        return results

    def search(self, query: Query) -> NominatimAnswer | None:
        """Geocode one query; ``None`` when Nominatim finds nothing.

        Parameters
        ----------
        query
            Free-form text ("Karađorđeva 12, Osečina") or a structured query with keys
            ``street``, ``city``, ``county``, ``state``, ``country``, ``postalcode``.

        Raises
        ------
        NetworkError
            The server kept failing (429, 5xx, timeouts, resets) until the last try or the
            deadline, or refused the request (403: blocked User-Agent or usage policy).
        InputError
            The best result's coordinates are not a latitude and a longitude.
        """
        results = self.raw_search(query)
        return answer_from_raw(results[0]) if results else None
