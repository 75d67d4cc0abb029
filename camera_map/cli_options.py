"""The command-line options every command shares, defined once and parsed at the boundary.

As rasterio's ``rio/options.py`` and sqlite-utils' shared option decorators do, each group of
options is one decorator; a command stacks the groups it takes. The decorators also collect
their options into one typed object (:class:`InputOptions`, :class:`MapOptions`), checked for
bad combinations before the command runs, so a command receives ``inputs`` and ``map_opts``
instead of thirty loose parameters, and ``build`` and ``town`` cannot drift apart.

Each option is declared once, as a field of a group class (:class:`_Layer`, :class:`_Read`,
...) that says its flag, type, default and help (:func:`_option`); the decorator of a group
is made from its class's fields, and :class:`InputOptions` inherits every input group.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from .layers import Layer

F = TypeVar("F", bound=Callable[..., Any])

LANGUAGES = ("en", "sr-Latn", "sr-Cyrl")
METRICS = ("cameras_per_1000", "cameras_per_km2", "cameras")

_path = click.Path(path_type=Path)

def _option(*decls: str, default: Any = None, **attrs: Any) -> Any:
    """A field of an options object that is also its command-line option.

    ``decls`` and ``attrs`` go to :func:`click.option`, with the field's name as the
    parameter's name and the field's default as the option's, so that each option is
    declared once: its name, type, default and help.
    """
    return field(default=default, metadata={"decls": decls, "attrs": attrs})


def _click_options(*groups: type) -> list[Callable[[Any], Any]]:
    """The click options of the fields declared by ``groups``, in the fields' order."""
    return [click.option(*f.metadata["decls"], f.name, default=f.default, **f.metadata["attrs"])
            for group in groups for f in fields(group)]


# The groups of input options, each a decorator below (``layer_options`` ...) and all of
# them one InputOptions.

@dataclass(frozen=True)
class _Cameras:
    """What to read (:data:`cameras_option`): files and folders, and the bundled evidence."""

    cameras: tuple[Path, ...] = _option(
        "--cameras", default=(), multiple=True, type=_path, metavar="PATH",
        help="Camera file or folder (FOI register CSV/XLSX/ODS, OSM .osm/.osm.bz2/.osm.pbf, "
        "Overpass JSON, or a point layer: GeoJSON, KML/KMZ, GeoPackage, Shapefile, "
        "FlatGeobuf, GeoParquet, GPX). Repeat for several. Default: the bundled evidence.")
    bundled_evidence: bool | None = _option(
        "--with-bundled-evidence", is_flag=True, help="Also read the bundled evidence of the "
        "default layer (public reporting, with its claims and national context) beside your "
        "--cameras files; without --cameras it is always read.")


@dataclass(frozen=True)
class _Layer:
    """The boundaries and their population (:data:`layer_options`): a bundled layer, or
    the user's own file with the columns that hold id, name and population."""

    layer: str | None = _option("--layer", help="Bundled boundary layer (default: serbia).")
    boundaries: Path | None = _option("--boundaries", type=_path, help="Your own boundaries "
                                      "(any format GDAL reads) instead of a bundled layer.")
    id_field: str | None = _option("--id-field", help="Column of unique unit ids in "
                                   "--boundaries.")
    name_field: str | None = _option("--name-field",
                                     help="Column of unit names in --boundaries.")
    population: Path | None = _option(
        "--population", type=_path, help="CSV of population keyed by the boundaries' id "
        "(columns: id, population); with `town PLACE --online`, the number of residents.")
    population_field: str | None = _option("--population-field",
                                           help="Population column already in --boundaries.")


@dataclass(frozen=True)
class _Osm:
    """OpenStreetMap cameras fetched live during the command (:data:`osm_options`)."""

    osm_area: str | None = _option("--osm-area", help="Also fetch OSM cameras live from "
                                   "Overpass for this area name (e.g. \"Osečina\").")
    osm_bbox: str | None = _option("--osm-bbox", metavar="W,S,E,N", help="Also fetch OSM "
                                   "cameras live from Overpass for this bounding box.")
    overpass_url: str | None = _option("--overpass-url", help="Overpass API endpoint.")


@dataclass(frozen=True)
class _Geocode:
    """How addresses are placed (:data:`geocode_options`): an OSM extract offline, and
    Nominatim only when allowed."""

    extract: Path | None = _option("--extract", type=_path, help="OSM extract (.osm.pbf or "
                                   ".osm) for offline geocoding of addresses.")
    online: bool = _option("--online", default=False, is_flag=True, help="Allow Nominatim for "
                           "addresses the offline gazetteer cannot place (1 request/s, cached "
                           "on disk).")
    nominatim_url: str | None = _option("--nominatim-url",
                                        help="Nominatim endpoint (with --online).")


@dataclass(frozen=True)
class _Read:
    """How registers are read (:data:`read_options`): the keywords of
    :func:`camera_map.sources.foi.read_register`."""

    sheet: str | None = _option("--sheet", help="Spreadsheet sheet to read (name or 0-based "
                                "number; default: every sheet).")
    encoding: str | None = _option("--encoding", help="Text encoding of CSV registers "
                                   "(default: detected; e.g. cp1250, cp1251, utf-8).")
    delimiter: str | None = _option("--delimiter", help="CSV delimiter (default: detected; "
                                    "also tab, comma, semicolon, pipe).")
    crs: str | None = _option("--crs", help="CRS of projected x/y coordinates in registers "
                              "(e.g. EPSG:31277, Serbian Gauss-Krüger zone 7).")
    mapping: Path | None = _option("--mapping", type=_path, help="TOML file mapping your "
                                   "column headers to camera-table columns.")
    default_municipality: str | None = _option(
        "--municipality", help="Municipality of every register row that names none (e.g. a "
        "reply from one municipality).")
    document: str | None = _option("--document", help="Document (title, URL or reference) of "
                                   "every register row that cites none.")
    repair: bool = _option(
        "--repair/--no-repair", default=True, show_default=True,
        help="Put back decimal points a spreadsheet dropped from coordinates (461.993.881 → "
        "46.1993881) when exactly one placement falls inside the boundaries; every repair is "
        "listed in problems.csv. --no-repair rejects such rows.")


@dataclass(frozen=True)
class _Merge:
    """After reading (:data:`merge_options`): claims to check, merging of cameras that
    several sources describe, and whether a rejected row fails the run."""

    claims: Path | None = _option("--claims", type=_path, help="CSV of reported figures to "
                                  "check against the data.")
    merge: bool = _option("--merge/--no-merge", default=True, show_default=True,
                          help="Merge cameras that several sources describe (by distance and "
                          "agreement).")
    merge_distance: str | None = _option(
        "--merge-distance", metavar="PREC=M,...", help="Merge thresholds in metres per "
        "geocode precision, e.g. \"exact=15,address=30,street=60,settlement=none\".")
    max_direction_difference: float = _option(
        "--max-direction-difference", default=45.0, type=float, show_default=True,
        help="Largest difference of view directions (degrees) that still agree.")
    strict: bool = _option("--strict", default=False, is_flag=True,
                           help="Fail (exit 4) if any input row is rejected.")


#: The groups in the order of InputOptions' fields and of the options in ``--help``.
_INPUT_GROUPS: tuple[type, ...] = (_Cameras, _Layer, _Osm, _Geocode, _Read, _Merge)


@dataclass(frozen=True)
class InputOptions(_Merge, _Read, _Geocode, _Osm, _Layer, _Cameras):
    """Where the cameras and the boundaries come from and how to read them.

    Fields a command does not offer keep their defaults, so every command hands the library
    the same keywords. (A dataclass takes the fields of its bases last base first.)
    """

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
        """Keywords for :func:`camera_map.sources.foi.read_register` (the fields of _Read)."""
        return {f.name: getattr(self, f.name) for f in fields(_Read)}

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
class _Title:
    """The map's title (:data:`map_options`; a town page is titled by its town)."""

    title: str | None = _option("--title", help="Title of the map.")


@dataclass(frozen=True)
class _Page:
    """The look of a page with a map (:data:`page_options`)."""

    tiles: str | None = _option(
        "--tiles", help="Base map: an xyzservices provider name such as OpenStreetMap.Mapnik, "
        "or 'none' (default: none when self-contained, since tiles are requests to another "
        "host; OpenStreetMap.Mapnik with --cdn).")
    lang: str = _option("--lang", default="en", type=click.Choice(LANGUAGES), show_default=True,
                        help="Language of the map, the pages and the summary.")
    metric: str | None = _option("--metric", type=click.Choice(METRICS),
                                 help="Figure the map opens with (default: cameras_per_1000).")
    scheme: str | None = _option("--scheme", help="mapclassify scheme for the choropleth "
                                 "(default: fisher_jenks; e.g. quantiles, natural_breaks, "
                                 "equal_interval).")
    k: int | None = _option("-k", "--classes", type=int, help="Number of classes (default: 5).")
    self_contained: bool = _option(
        "--self-contained/--cdn", default=True, show_default=True,
        help="Inline every script so the map works offline, or load them from CDNs.")
    basemap: str | None = _option(
        "--basemap", metavar="FILE", help="OSM extract (.osm.pbf) to draw an offline base map "
        "from: roads, railways, water and place names around the cameras, inside the page "
        "(default: the --extract file; 'none' for no base map).")


@dataclass(frozen=True)
class MapOptions(_Page, _Title):
    """How the map and pages look; options left unset keep the renderer's defaults."""

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


def _inputs(*groups: type) -> Callable[[F], F]:
    return _group(_click_options(*groups), InputOptions, "inputs")


#: --cameras (files and folders to read).
cameras_option = _inputs(_Cameras)
#: --layer, --boundaries, --id-field, --name-field, --population, --population-field.
layer_options = _inputs(_Layer)
#: --osm-area, --osm-bbox, --overpass-url.
osm_options = _inputs(_Osm)
#: --extract, --online, --nominatim-url.
geocode_options = _inputs(_Geocode)
#: --sheet, --encoding, --delimiter, --crs, --mapping, --municipality, --document,
#: --repair/--no-repair.
read_options = _inputs(_Read)
#: --claims, --merge/--no-merge, --merge-distance, --max-direction-difference, --strict.
merge_options = _inputs(_Merge)
#: Every input option: what ``build`` and ``town`` read and how.
input_options = _inputs(*_INPUT_GROUPS)
#: The look of the map: --title and the :data:`page_options`.
map_options = _group(_click_options(_Title, _Page), MapOptions, "map_opts")
#: The look of a page with a map: --tiles, --lang, --metric, --scheme, -k, --self-contained.
page_options = _group(_click_options(_Page), MapOptions, "map_opts")


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
