"""Any town, online: a place no bundled layer covers, taken from OpenStreetMap by name.

Its boundary (and OSM's ``population`` tag) comes from a Nominatim search with
``polygon_geojson=1`` and ``extratags=1``
(https://nominatim.org/release-docs/latest/api/Search/), its cameras from the Overpass API
inside that boundary (:mod:`camera_map.sources.overpass`, area by OSM id). Both requests go through
the one HTTP layer, :mod:`camera_map._http`: the same disk cache with dates, the same
machine-wide one request per second to Nominatim, retries, deadline and User-Agent.

The result is chosen as osmnx's ``geocode_to_gdf`` chooses it: the most important result
whose geometry is a polygon; it must be an OSM relation or way, since Overpass searches
areas by those. osmnx itself is not used at run time: its transport retries 429/504
forever with 55 s pauses, keeps its own cache without dates and no cross-process throttle,
so it could not follow the rules above (the tests compare our choice with osmnx's).

:func:`place_from_answer` reads an answer in a pure function; :func:`place_from_osm` asks;
:func:`layer_from_place` makes the one-unit :class:`~camera_map.layers.Layer` that
:func:`camera_map.pipeline.analyse` and :func:`camera_map.render.town.render_town` use.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import geopandas as gpd
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from . import _http, settings
from .errors import InputError, UnknownPlaceError
from .geocode.nominatim import parse_answer
from .layers import OSM_ATTRIBUTION, Census, Layer, _conform_units, area_km2

__all__ = ["OsmPlace", "layer_from_place", "place_from_answer", "place_from_osm",
           "place_params"]

log = logging.getLogger(__name__)

_POLYGONS = ("Polygon", "MultiPolygon")
_COUNT = re.compile(r"[0-9]+|[0-9]{1,3}(?:([ ,.'\u00a0\u202f])[0-9]{3})(?:\1[0-9]{3})*",
                    re.ASCII)


@dataclass(frozen=True)
class OsmPlace:
    """A place's boundary and population as OpenStreetMap has them (EPSG:4326 degrees).

    Attributes
    ----------
    osm_type, osm_id
        The OSM element of the boundary (``relation`` or ``way``).
    name, display_name
        The place's name and Nominatim's full description of it.
    geometry
        The boundary polygon(s).
    population
        OSM's ``population`` tag, if it holds a whole number; ``None`` otherwise.
    population_date
        The ``population:date`` tag, if any.
    population_source
        The ``source:population`` tag, if any.
    provenance
        Where the answer came from (asked now, or the cache and its age).
    """

    osm_type: str
    osm_id: int
    name: str
    display_name: str
    geometry: BaseGeometry
    population: int | None = None
    population_date: str | None = None
    population_source: str | None = None
    provenance: str = ""

    @property
    def ref(self) -> str:
        """``"relation/2088990"``: the element, as Overpass and the camera table write it."""
        return f"{self.osm_type}/{self.osm_id}"

    def population_note(self) -> str:
        """Where the population figure comes from, with its date and a caveat."""
        if self.population is None:
            return ("OpenStreetMap has no population for this place; give one with "
                    "--population N")
        date = f"dated {self.population_date}" if self.population_date else "undated"
        source = f", source: {self.population_source}" if self.population_source else ""
        return (f"population tag of OpenStreetMap {self.ref} ({date}{source}): mapped by "
                "volunteers, not an official count; check it against the census and give "
                "the official figure with --population N")


def place_params(name: str, *, country_codes: str | None = None) -> dict[str, str]:
    """The Nominatim ``/search`` parameters for a place's boundary. Pure function.

    >>> place_params("Ljig")["polygon_geojson"]
    '1'
    """
    if not name.strip():
        raise InputError("the place name is empty; give a town such as 'Ljig' or "
                         "'Ljig, Serbia'")
    params = {"q": " ".join(name.split()), "format": "json", "polygon_geojson": "1",
              "extratags": "1", "limit": "10", "dedupe": "0"}
    if country_codes:
        params["countrycodes"] = country_codes
    return params


def _importance(result: Mapping[str, Any]) -> float:
    value = result.get("importance")
    try:
        return float(value) if not isinstance(value, bool) else 0.0  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0


def _whole_number(value: object) -> int | None:
    """A population tag as a whole number: ``"9951"``, ``"9 951"``, ``"9,951"``; else None."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip()
    if not _COUNT.fullmatch(text):  # separators only between groups of three digits
        return None
    digits = re.sub(r"\D", "", text)
    return int(digits) if len(digits) < 12 else None


def place_from_answer(results: object, name: str) -> OsmPlace:
    """Choose the boundary of ``name`` from a Nominatim answer. Pure function.

    Parameters
    ----------
    results
        The parsed JSON answer (a list of places).
    name
        The name asked for, for messages.

    Raises
    ------
    UnknownPlaceError
        Nothing found, or nothing with a polygon boundary that is an OSM relation or way;
        the message says what was found instead and what to do.
    """
    if not isinstance(results, list):
        raise UnknownPlaceError(f"Nominatim's answer for {name!r} is not a list of places")
    places = sorted((r for r in results if isinstance(r, Mapping)), key=_importance,
                    reverse=True)
    if not places:
        raise UnknownPlaceError(
            f"OpenStreetMap knows no place called {name!r}; check the spelling, add the "
            "country ('Ljig, Serbia'), or give the boundary with --boundaries")
    found: list[str] = []
    for raw in places:
        place = _boundary(raw, name)
        if isinstance(place, OsmPlace):
            return place
        found.append(place)
    raise UnknownPlaceError(
        f"OpenStreetMap has no boundary for {name!r}: Nominatim found "
        + "; ".join(found[:3]) + ". Add the country or region to the name, or give the "
        "boundary with --boundaries")


def _boundary(raw: Mapping[str, Any], name: str) -> OsmPlace | str:
    """The place of one Nominatim result, if it is a usable polygon of an OSM relation or
    way; else what it is, for the message."""
    label = str(raw.get("display_name") or raw.get("name") or "?")
    geojson = raw.get("geojson")
    kind = geojson.get("type") if isinstance(geojson, Mapping) else None
    osm_type, osm_id = raw.get("osm_type"), raw.get("osm_id")
    if kind not in _POLYGONS or osm_type not in ("relation", "way"):
        return f"{label} ({osm_type} with a {kind or 'missing'} geometry)"
    try:
        geometry = shape(geojson)
        if not geometry.is_valid:
            geometry = shapely.make_valid(geometry)
    except (ValueError, TypeError, AttributeError, IndexError, KeyError,
            shapely.errors.GEOSException) as exc:
        return f"{label} (a boundary that cannot be read: {exc})"
    ident = _whole_number(osm_id)
    if ident is None or geometry.is_empty:
        return f"{label} (no usable OSM id or an empty boundary)"
    tags = raw.get("extratags") if isinstance(raw.get("extratags"), Mapping) else {}
    assert isinstance(tags, Mapping)
    text = lambda v: str(v) if isinstance(v, str | int | float) and str(v) else None  # noqa: E731
    return OsmPlace(
        osm_type=str(osm_type), osm_id=ident,
        name=text(raw.get("name")) or label.split(",")[0].strip() or name,
        display_name=label, geometry=geometry,
        population=_whole_number(tags.get("population")),
        population_date=text(tags.get("population:date")),
        population_source=text(tags.get("source:population")),
    )


def place_from_osm(
    name: str, *, url: str | None = None, country_codes: str | None = None
) -> OsmPlace:
    """Ask Nominatim for the boundary and population of the place called ``name``.

    Parameters
    ----------
    name
        Free text: "Ljig", "Ljig, Serbia", "Осечина".
    url
        Nominatim base URL; default ``settings.nominatim_url``.
    country_codes
        ISO 3166-1 alpha-2 codes to search in (comma-separated); default anywhere.

    Raises
    ------
    NetworkError
        Nominatim failed after its retries or the deadline.
    UnknownPlaceError
        No polygon boundary of that name (see :func:`place_from_answer`).
    """
    base = (url or settings.nominatim_url).rstrip("/")
    response = _http.request(
        f"{base}/search", params=place_params(name, country_codes=country_codes),
        validate=parse_answer, max_age=settings.nominatim_max_age,
        min_interval=settings.nominatim_min_delay, service="Nominatim",
        hint="Give the boundary with --boundaries to work offline.")
    place = place_from_answer(response.parsed, name)
    log.info("%s: %s (%s)", name, place.display_name, response.provenance())
    return replace(place, provenance=response.provenance())


def layer_from_place(place: OsmPlace, *, population: int | None = None) -> Layer:
    """The one-unit layer of a place: id ``relation/…``, its name, area and population.

    ``population`` (the user's figure) wins over OSM's tag; the unit's
    ``population_method`` says which was used.
    """
    if population is not None and population < 0:
        raise InputError(f"population {population} is negative; give the number of residents")
    units = gpd.GeoDataFrame({"id": [place.ref], "name": [place.name]},
                             geometry=[place.geometry], crs="EPSG:4326")
    units["area_km2"] = area_km2(units).round(3)
    if population is not None:
        units["population"] = [population]
        units["population_method"] = ["given with --population"]
    else:
        units["population"] = [place.population]
        units["population_method"] = [place.population_note()]
    return Layer(name="osm", title=f"OpenStreetMap: {place.display_name}",
                 units=_conform_units(units), attribution=[OSM_ATTRIBUTION],
                 census=Census(source=units["population_method"].iloc[0]), contains_osm=True)
