"""The command-line options every command shares, defined once and parsed at the boundary.

As rasterio's ``rio/options.py`` and sqlite-utils' shared option decorators do, each group of
options is one decorator; a command stacks the groups it takes. The decorators also collect
their options into one typed object (:class:`InputOptions`, :class:`MapOptions`), checked for
bad combinations before the command runs, so a command receives ``inputs`` and ``map_opts``
instead of thirty loose parameters, and ``build`` and ``town`` cannot drift apart.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from .layers import Layer

F = TypeVar("F", bound=Callable[..., Any])

LANGUAGES = ("en", "sr-Latn", "sr-Cyrl")
METRICS = ("cameras_per_1000", "cameras_per_km2", "cameras")

_path = click.Path(path_type=Path)

CAMERAS = [
    click.option("--cameras", "cameras", multiple=True, type=_path, metavar="PATH",
                 help="Camera file or folder (FOI register CSV/XLSX/ODS, OSM "
                 ".osm/.osm.bz2/.osm.pbf, Overpass JSON, or a point layer: GeoJSON, KML/KMZ, "
                 "GeoPackage, Shapefile, FlatGeobuf, GeoParquet, GPX). Repeat for several. "
                 "Default: the bundled evidence."),
    click.option("--with-bundled-evidence", "bundled_evidence", is_flag=True, default=None,
                 help="Also read the bundled evidence of the default layer (public reporting, "
                 "with its claims and national context) beside your --cameras files; without "
                 "--cameras it is always read."),
]

LAYER = [
    click.option("--layer", default=None, help="Bundled boundary layer (default: serbia)."),
    click.option("--boundaries", type=_path, default=None,
                 help="Your own boundaries (any format GDAL reads) instead of a bundled "
                 "layer."),
    click.option("--id-field", default=None, help="Column of unique unit ids in --boundaries."),
    click.option("--name-field", default=None, help="Column of unit names in --boundaries."),
    click.option("--population", type=_path, default=None,
                 help="CSV of population keyed by the boundaries' id (columns: id, "
                 "population); with `town PLACE --online`, the number of residents."),
    click.option("--population-field", default=None,
                 help="Population column already in --boundaries."),
]

OSM = [
    click.option("--osm-area", default=None, help="Also fetch OSM cameras live from Overpass "
                 "for this area name (e.g. \"Osečina\")."),
    click.option("--osm-bbox", default=None, metavar="W,S,E,N",
                 help="Also fetch OSM cameras live from Overpass for this bounding box."),
    click.option("--overpass-url", default=None, help="Overpass API endpoint."),
]

GEOCODE = [
    click.option("--extract", type=_path, default=None,
                 help="OSM extract (.osm.pbf or .osm) for offline geocoding of addresses."),
    click.option("--online", is_flag=True, help="Allow Nominatim for addresses the offline "
                 "gazetteer cannot place (1 request/s, cached on disk)."),
    click.option("--nominatim-url", default=None, help="Nominatim endpoint (with --online)."),
]

READ = [
    click.option("--sheet", default=None, help="Spreadsheet sheet to read (name or 0-based "
                 "number; default: every sheet)."),
    click.option("--encoding", default=None, help="Text encoding of CSV registers "
                 "(default: detected; e.g. cp1250, cp1251, utf-8)."),
    click.option("--delimiter", default=None, help="CSV delimiter (default: detected; also "
                 "tab, comma, semicolon, pipe)."),
    click.option("--crs", default=None, help="CRS of projected x/y coordinates in registers "
                 "(e.g. EPSG:31277, Serbian Gauss-Krüger zone 7)."),
    click.option("--mapping", type=_path, default=None,
                 help="TOML file mapping your column headers to camera-table columns."),
    click.option("--municipality", "default_municipality", default=None,
                 help="Municipality of every register row that names none (e.g. a reply "
                 "from one municipality)."),
    click.option("--document", default=None, help="Document (title, URL or reference) of "
                 "every register row that cites none."),
    click.option("--repair/--no-repair", "repair", default=True, show_default=True,
                 help="Put back decimal points a spreadsheet dropped from coordinates "
                 "(461.993.881 → 46.1993881) when exactly one placement falls inside the "
                 "boundaries; every repair is listed in problems.csv. --no-repair rejects "
                 "such rows."),
]

MERGE = [
    click.option("--claims", type=_path, default=None,
                 help="CSV of reported figures to check against the data."),
    click.option("--merge/--no-merge", "merge", default=True, show_default=True,
                 help="Merge cameras that several sources describe (by distance and "
                 "agreement)."),
    click.option("--merge-distance", default=None, metavar="PREC=M,...",
                 help="Merge thresholds in metres per geocode precision, e.g. "
                 "\"exact=15,address=30,street=60,settlement=none\"."),
    click.option("--max-direction-difference", type=float, default=45.0, show_default=True,
                 help="Largest difference of view directions (degrees) that still agree."),
    click.option("--strict", is_flag=True, help="Fail (exit 4) if any input row is rejected."),
]

MAP_TITLE = [click.option("--title", default=None, help="Title of the map.")]

MAP = [
    click.option("--tiles", default=None, help="Base map: an xyzservices provider name such "
                 "as OpenStreetMap.Mapnik, or 'none' (default: none when self-contained, since "
                 "tiles are requests to another host; OpenStreetMap.Mapnik with --cdn)."),
    click.option("--lang", type=click.Choice(LANGUAGES), default="en", show_default=True,
                 help="Language of the map, the pages and the summary."),
    click.option("--metric", type=click.Choice(METRICS), default=None,
                 help="Figure the map opens with (default: cameras_per_1000)."),
    click.option("--scheme", default=None, help="mapclassify scheme for the choropleth "
                 "(default: fisher_jenks; e.g. quantiles, natural_breaks, equal_interval)."),
    click.option("-k", "--classes", "k", type=int, default=None,
                 help="Number of classes (default: 5)."),
    click.option("--self-contained/--cdn", default=True, show_default=True,
                 help="Inline every script so the map works offline, or load them from CDNs."),
    click.option("--basemap", default=None, metavar="FILE",
                 help="OSM extract (.osm.pbf) to draw an offline base map from: roads, "
                 "railways, water and place names around the cameras, inside the page "
                 "(default: the --extract file; 'none' for no base map)."),
]


@dataclass(frozen=True)
class InputOptions:
    """Where the cameras and the boundaries come from and how to read them.

    Fields a command does not offer keep their defaults, so every command hands the library
    the same keywords.
    """

    cameras: tuple[Path, ...] = ()
    bundled_evidence: bool | None = None
    layer: str | None = None
    boundaries: Path | None = None
    id_field: str | None = None
    name_field: str | None = None
    population: Path | None = None
    population_field: str | None = None
    osm_area: str | None = None
    osm_bbox: str | None = None
    overpass_url: str | None = None
    extract: Path | None = None
    online: bool = False
    nominatim_url: str | None = None
    sheet: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    crs: str | None = None
    mapping: Path | None = None
    default_municipality: str | None = None
    document: str | None = None
    repair: bool = True
    claims: Path | None = None
    merge: bool = True
    merge_distance: str | None = None
    max_direction_difference: float = 45.0
    strict: bool = False

    def population_count(self) -> int | None:
        """``--population N``: a number of residents rather than a CSV (``town --online``).

        >>> InputOptions(population=Path("110_979")).population_count()
        110979
        >>> InputOptions(population=Path("population.csv")).population_count() is None
        True
        """
        text = str(self.population or "").replace("_", "").replace(",", "")
        if self.population is None or not text.isdigit() or Path(self.population).exists():
            return None
        return int(text)

    def check(self) -> None:
        """Reject combinations of options that cannot go together (click's exit code 2)."""
        if self.population_count() is not None:
            ctx = click.get_current_context(silent=True)
            if not (self.online and ctx is not None and ctx.info_name == "town"):
                raise click.UsageError("--population N (a number of residents) goes with "
                                       "`town PLACE --online`; elsewhere --population is a "
                                       "CSV that goes with --boundaries")
            if self.boundaries is not None:
                raise click.UsageError("with --boundaries, --population is a CSV keyed by "
                                       "the boundaries' id, not a number")
        elif self.boundaries is None and (self.id_field or self.name_field or self.population
                                          or self.population_field):
            raise click.UsageError("--id-field, --name-field, --population and "
                                   "--population-field go with --boundaries")
        if self.boundaries is not None and self.layer:
            raise click.UsageError("use just one of --layer or --boundaries")
        if self.bundled_evidence and self.boundaries is not None:
            raise click.UsageError("--with-bundled-evidence goes with the bundled layer, not "
                                   "with --boundaries")
        if self.population and self.population_field:
            raise click.UsageError("use just one of --population (a CSV) or "
                                   "--population-field")

    def load_layer(self) -> Layer:
        """The boundary layer: the user's files, or a bundled layer by name."""
        from .layers import layer_from_files, load_layer

        if self.boundaries is not None:
            return layer_from_files(self.boundaries, id_field=self.id_field,
                                    name_field=self.name_field, population=self.population,
                                    population_field=self.population_field)
        return load_layer(self.layer)

    def read_options(self) -> dict[str, Any]:
        """Keywords for :func:`camera_map.sources.foi.read_register`."""
        return {"sheet": self.sheet, "encoding": self.encoding, "delimiter": self.delimiter,
                "crs": self.crs, "mapping": self.mapping,
                "default_municipality": self.default_municipality, "document": self.document,
                "repair": self.repair}

    def analyse_options(self) -> dict[str, Any]:
        """Keywords for :func:`camera_map.pipeline.analyse` (and ``build``), cameras apart."""
        distances = None
        if self.merge_distance:
            from .merge import distances_from_text

            distances = distances_from_text(self.merge_distance)
        layer: Layer | str | None = self.layer
        if self.boundaries is not None:
            layer = self.load_layer()
        return {"layer": layer, "osm_area": self.osm_area, "osm_bbox": self.osm_bbox,
                "overpass_url": self.overpass_url, "claims": self.claims,
                "bundled_evidence": self.bundled_evidence or None,
                "extract": self.extract, "online": self.online,
                "nominatim_url": self.nominatim_url, "read_options": self.read_options(),
                "merge": self.merge, "merge_distances": distances,
                "max_direction_difference": self.max_direction_difference,
                "strict": self.strict}

    def camera_paths(self) -> list[Path] | None:
        """The camera inputs, or None for the bundled default."""
        return list(self.cameras) or None


@dataclass(frozen=True)
class MapOptions:
    """How the map and pages look; options left unset keep the renderer's defaults."""

    lang: str = "en"
    self_contained: bool = True
    title: str | None = None
    tiles: str | None = None
    metric: str | None = None
    scheme: str | None = None
    k: int | None = None
    basemap: str | None = None

    def render_options(self, *, title: bool = True) -> dict[str, Any]:
        """Keywords for :func:`camera_map.render.render_map` (``title=False``: for
        :func:`camera_map.render.town.render_town`, which titles the page by its town).

        Only what was given goes in, and ``none`` turns tiles or the base map off:

        >>> MapOptions(tiles="none", k=7, title="Kamere").render_options(title=False)
        {'lang': 'en', 'self_contained': True, 'k': 7, 'tiles': None}
        """
        options: dict[str, Any] = {"lang": self.lang, "self_contained": self.self_contained}
        for key in ("title", "scheme", "k", "metric") if title else ("scheme", "k", "metric"):
            value = getattr(self, key)
            if value is not None:
                options[key] = value
        if self.tiles is not None:
            options["tiles"] = None if self.tiles.lower() == "none" else self.tiles
        if self.basemap is not None:
            options["basemap"] = None if self.basemap.lower() == "none" else Path(self.basemap)
        return options


def _group(options: list[Callable[[Any], Any]], target: type, keyword: str) -> Callable[[F], F]:
    """A decorator adding ``options`` to a command and passing their values as one object.

    The values go into the ``keyword`` argument as a ``target`` instance (several groups with
    the same target fill one object); ``target.check()`` runs before the command.
    """
    names = {f.name for f in fields(target)}

    def decorator(command: F) -> F:
        clash = names & set(inspect.signature(command).parameters)
        if clash:  # the group would swallow the command's own parameter
            raise TypeError(f"{command.__name__}: parameter(s) {sorted(clash)} clash with "
                            f"the {target.__name__} group; rename them")

        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            given = {k: kwargs.pop(k) for k in list(kwargs) if k in names}
            previous = kwargs.get(keyword)
            if previous is not None:
                given = {**{f.name: getattr(previous, f.name) for f in fields(target)},
                         **given}
            value = target(**given)
            if hasattr(value, "check"):
                value.check()
            kwargs[keyword] = value
            return command(*args, **kwargs)

        result: Any = wrapper
        for option in reversed(options):
            result = option(result)
        return result

    return decorator


def _inputs(options: list[Callable[[Any], Any]]) -> Callable[[F], F]:
    return _group(options, InputOptions, "inputs")


#: --cameras (files and folders to read).
cameras_option = _inputs(CAMERAS)
#: --layer, --boundaries, --id-field, --name-field, --population, --population-field.
layer_options = _inputs(LAYER)
#: --osm-area, --osm-bbox, --overpass-url.
osm_options = _inputs(OSM)
#: --extract, --online, --nominatim-url.
geocode_options = _inputs(GEOCODE)
#: --sheet, --encoding, --delimiter, --crs, --mapping, --municipality, --document,
#: --repair/--no-repair.
read_options = _inputs(READ)
#: --claims, --merge/--no-merge, --merge-distance, --max-direction-difference, --strict.
merge_options = _inputs(MERGE)
#: Every input option: what ``build`` and ``town`` read and how.
input_options = _inputs(CAMERAS + LAYER + OSM + GEOCODE + READ + MERGE)
#: The look of the map: --title and the :data:`page_options`.
map_options = _group(MAP_TITLE + MAP, MapOptions, "map_opts")
#: The look of a page with a map: --tiles, --lang, --metric, --scheme, -k, --self-contained.
page_options = _group(MAP, MapOptions, "map_opts")


def _seconds(*, positive: bool) -> Callable[[click.Context, click.Parameter, str | None], Any]:
    """A click callback that checks a duration (see :func:`camera_map.settings.parse_seconds`)."""

    def check(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        if value is None:
            return None
        from .settings import parse_seconds

        try:
            seconds = parse_seconds(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None
        if positive and not seconds:
            raise click.BadParameter(f"{value!r}: give a time longer than 0, e.g. 30 or 2m")
        return value

    return check


NETWORK = [
    click.option("--timeout", default=None, metavar="SECONDS", callback=_seconds(positive=True),
                 help="Seconds to wait for one try of a network request (default 180; "
                 "environment CAMERA_MAP_TIMEOUT). A request gives up after "
                 "CAMERA_MAP_DEADLINE (300 s) in all, its retries included."),
    click.option("--max-age", default=None, metavar="AGE", callback=_seconds(positive=False),
                 help="Oldest cached Overpass answer to use: 0 (ask again), 30m, 12h, 1d "
                 "(default), 2w or none (any age); environment CAMERA_MAP_MAX_AGE."),
]


def network_options(command: F) -> F:
    """--timeout and --max-age: set ``settings.timeout`` and ``settings.overpass_max_age``
    for the command's run (and put them back after it, for callers in the same process)."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from . import settings

        timeout, max_age = kwargs.pop("timeout"), kwargs.pop("max_age")
        saved = settings.timeout, settings.overpass_max_age
        try:
            if timeout is not None:
                settings.timeout = settings.parse_seconds(timeout) or settings.timeout
            if max_age is not None:
                settings.overpass_max_age = settings.parse_seconds(max_age)
            return command(*args, **kwargs)
        finally:
            settings.timeout, settings.overpass_max_age = saved

    result: Any = wrapper
    for option in reversed(NETWORK):
        result = option(result)
    return result
