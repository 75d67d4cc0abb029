"""A polite Nominatim client: throttled, cached on disk, resumable, with clear errors.

Speaks the Nominatim ``/search`` API (https://nominatim.org/release-docs/latest/api/Search/)
through geopy. Its usage policy (https://operations.osmfoundation.org/policies/nominatim/)
asks for at most one request per second, a User-Agent naming the application, and caching
of results; this client does all three:

- **throttle**: at least ``settings.nominatim_min_delay`` seconds between the *starts* of
  two requests to one server, for every client in the process (retries included), and
  across processes through the time of the last request stored in the cache file;
- **cache**: every answer, including "no result", is stored in SQLite under the normalised
  query and committed at once, so a second run, or a run after a crash, Ctrl-C or kill,
  asks nothing that was already answered;
- **errors**: 429, 5xx, timeouts and dropped connections are retried with exponential
  back-off (``settings.max_tries``, ``settings.backoff``; ``Retry-After`` is honoured), then
  raise :class:`camera_map.errors.NetworkError` saying what failed and what to do.

Query building (:func:`query_for`), cache keys (:func:`cache_key`) and reading answers
(:func:`answer_from_raw`, :func:`precision_for`) are pure functions; only
:class:`NominatimClient` talks to the network.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
import threading
import time
import unicodedata
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from . import settings
from .addresses import AddressQuery
from .errors import InputError, NetworkError

log = logging.getLogger(__name__)

__all__ = [
    "NominatimAnswer",
    "NominatimClient",
    "answer_from_raw",
    "cache_key",
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

    lon: float
    lat: float
    precision: str
    display_name: str
    osm_type: str | None = None
    osm_id: int | None = None
    category: str | None = None
    type: str | None = None


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


def answer_from_raw(raw: Mapping[str, Any]) -> NominatimAnswer:
    """Build a :class:`NominatimAnswer` from one element of Nominatim's JSON answer."""
    osm_id = raw.get("osm_id")
    return NominatimAnswer(
        lon=float(raw["lon"]), lat=float(raw["lat"]), precision=precision_for(raw),
        display_name=str(raw.get("display_name") or ""),
        osm_type=raw.get("osm_type"), osm_id=int(osm_id) if osm_id is not None else None,
        category=raw.get("class") or raw.get("category"), type=raw.get("type"),
    )


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


# One throttle per server for the whole process: every client shares it.
_THROTTLE_LOCK = threading.Lock()
_LAST_START: dict[str, float] = {}  # netloc -> time.time() of the last request start


class NominatimClient:
    """Search Nominatim politely; see the module docstring for the guarantees.

    Parameters
    ----------
    url
        Base URL of the Nominatim server (``/search`` is appended); default
        ``settings.nominatim_url``.
    country_codes
        Comma-separated ISO 3166-1 alpha-2 codes sent as ``countrycodes`` (default ``"rs"``).
    cache_path
        SQLite cache file; default ``settings.cache_dir / "nominatim.sqlite"``. With
        ``settings.use_cache`` false, answers are kept in memory only.
    min_delay
        Seconds between request starts; default ``settings.nominatim_min_delay``.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        country_codes: str | None = "rs",
        cache_path: str | os.PathLike[str] | None = None,
        min_delay: float | None = None,
    ) -> None:
        self.url = (url or settings.nominatim_url).rstrip("/")
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InputError(f"Nominatim URL {self.url!r} is not an http(s) URL; expected e.g. "
                             "https://nominatim.openstreetmap.org")
        self._scheme = parts.scheme
        self._domain = parts.netloc + parts.path.rstrip("/")
        self._netloc = parts.netloc
        self.country_codes = country_codes
        self.min_delay = settings.nominatim_min_delay if min_delay is None else min_delay
        #: Requests sent by this client (retries included).
        self.requests_made = 0
        self._geocoder: Any = None
        if settings.use_cache:
            path = Path(cache_path) if cache_path else Path(settings.cache_dir) / "nominatim.sqlite"
            path.parent.mkdir(parents=True, exist_ok=True)
            self.cache_path: Path | None = path
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        else:
            self.cache_path = None
            self._db = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA busy_timeout = 10000")
        self._db.execute("CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, "
                         "answer TEXT, fetched REAL)")
        self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")

    # -- lifecycle
    def close(self) -> None:
        """Close the cache file."""
        self._db.close()

    def __enter__(self) -> NominatimClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- cache
    def cached(self, query: Query) -> tuple[bool, NominatimAnswer | None]:
        """Return ``(True, answer)`` if ``query`` was answered before (answer may be None)."""
        key = cache_key(query, url=self.url, country_codes=self.country_codes)
        row = self._db.execute("SELECT answer FROM answers WHERE key = ?", (key,)).fetchone()
        if row is None:
            return False, None
        return True, (NominatimAnswer(**json.loads(row[0])) if row[0] else None)

    def _store(self, query: Query, answer: NominatimAnswer | None) -> None:
        key = cache_key(query, url=self.url, country_codes=self.country_codes)
        value = json.dumps(asdict(answer), ensure_ascii=False) if answer else None
        # autocommit: the answer is on disk before the next request starts
        self._db.execute("INSERT OR REPLACE INTO answers VALUES (?, ?, ?)",
                         (key, value, time.time()))

    # -- transport
    def _client(self) -> Any:
        if self._geocoder is None:
            from geopy.adapters import RequestsAdapter
            from geopy.geocoders import Nominatim

            def adapter(**kw: Any) -> Any:
                # no silent urllib3 retries: every request goes through the throttle
                return RequestsAdapter(max_retries=0, **kw)

            self._geocoder = Nominatim(
                domain=self._domain, scheme=self._scheme, user_agent=settings.user_agent,
                timeout=settings.timeout, adapter_factory=adapter,
            )
        return self._geocoder

    def _wait_turn(self) -> None:
        with _THROTTLE_LOCK:
            last = _LAST_START.get(self._netloc)
            if last is None:
                row = self._db.execute("SELECT value FROM meta WHERE key = ?",
                                       (f"last_request:{self._netloc}",)).fetchone()
                last = float(row[0]) if row else 0.0
            pause = last + self.min_delay - time.time()
            if pause > 0:
                time.sleep(pause)
            now = time.time()
            _LAST_START[self._netloc] = now
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                             (f"last_request:{self._netloc}", repr(now)))
        self.requests_made += 1

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
            The server kept failing (429, 5xx, timeouts, resets) after every retry, or
            refused the request (403: blocked User-Agent or usage policy).
        """
        hit, answer = self.cached(query)
        if hit:
            return answer
        raw = self._fetch(query)
        answer = answer_from_raw(raw) if raw is not None else None
        self._store(query, answer)
        return answer

    def _fetch(self, query: Query) -> dict[str, Any] | None:
        from geopy import exc as gexc

        tries = max(1, int(settings.max_tries))
        shown = query if isinstance(query, str) else ", ".join(
            f"{k}={v}" for k, v in query.items())
        last = ""
        geocoder = self._client()  # set up before the clock starts: imports take time
        for attempt in range(tries):
            self._wait_turn()
            try:
                loc = geocoder.geocode(
                    dict(query) if isinstance(query, Mapping) else query, exactly_one=True,
                    country_codes=self.country_codes or None, timeout=settings.timeout,
                )
                return dict(loc.raw) if loc is not None else None
            except (gexc.GeocoderInsufficientPrivileges, gexc.GeocoderAuthenticationFailure,
                    gexc.GeocoderQueryError) as err:
                raise NetworkError(
                    f"Nominatim at {self.url} refused the query {shown!r}: "
                    f"{_describe(err)}. A 403 usually means the User-Agent or the usage "
                    "policy was not accepted: set camera_map.settings.user_agent to name "
                    "you, or use --nominatim-url for your own server"
                ) from err
            except gexc.GeocoderRateLimited as err:
                last = f"rate-limited ({_describe(err)})"
                wait = max(settings.backoff * 2**attempt, float(err.retry_after or 0))
            except (gexc.GeocoderServiceError, OSError) as err:
                last = _describe(err)
                wait = settings.backoff * 2**attempt
            if attempt + 1 < tries:
                log.warning("Nominatim %s for %r; retrying in %.1f s (try %d of %d)",
                            last, shown, wait, attempt + 2, tries)
                time.sleep(wait)
        raise NetworkError(
            f"Nominatim at {self.url} failed {tries} times for {shown!r}: {last}. "
            "Answers so far are cached; run again later to resume, use --nominatim-url "
            "for another server, or leave out --online to geocode offline"
        )


def _describe(err: BaseException) -> str:
    """Say what went wrong in HTTP terms: 'HTTP 503', 'timed out', 'connection failed'."""
    from geopy import exc as gexc
    from geopy.adapters import AdapterHTTPError

    cause = err.__cause__
    if isinstance(cause, AdapterHTTPError):
        return f"HTTP {cause.status_code}"
    if isinstance(err, gexc.GeocoderTimedOut):
        return f"timed out after {settings.timeout:g} s"
    if isinstance(err, gexc.GeocoderUnavailable):
        return f"connection failed ({err})"
    return f"{type(err).__name__}: {err}"
