"""The ``camera-map`` command: parse options, show progress, turn errors into exit codes.

All the work happens in the library; this module only wires options to it. Exit codes:
0 success, 1 bad input (a file, a column, a value), 2 bad options (from click),
3 a network service failed, 4 ``--strict`` found rejected rows.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.console import Console

from ._version import __version__
from .errors import CameraMapError, NetworkError, StrictError
from .text import terminal_text

err = Console(stderr=True, highlight=False)
out = Console(highlight=False)


#: Exit codes (README "Exit codes"); click itself exits 2 on bad options.
EXIT_INPUT, EXIT_NETWORK, EXIT_STRICT, EXIT_INTERNAL, EXIT_INTERRUPTED = 1, 3, 4, 5, 130

_verbosity = 0


def _fail(message: str, code: int) -> NoReturn:
    """Print ``error: message`` (control characters removed) and exit with ``code``."""
    err.print("[bold red]error:[/] ", end="", markup=True)
    err.print(terminal_text(message), markup=False, soft_wrap=True)
    sys.exit(code)


def _exit_for(exc: BaseException) -> NoReturn:
    """Turn any exception into one clear message and an exit code; never a traceback
    (unless -vv asked for one)."""
    if _verbosity >= 2 and not isinstance(exc, KeyboardInterrupt):
        import traceback

        err.print(terminal_text(traceback.format_exc()), markup=False, soft_wrap=True)
    if isinstance(exc, StrictError):
        _fail(str(exc), EXIT_STRICT)
    if isinstance(exc, NetworkError):
        _fail(str(exc), EXIT_NETWORK)
    if isinstance(exc, CameraMapError):
        _fail(str(exc), EXIT_INPUT)
    if isinstance(exc, KeyboardInterrupt):
        _fail("interrupted; the output folder keeps its previous build", EXIT_INTERRUPTED)
    if isinstance(exc, MemoryError):
        _fail("out of memory; use a smaller input, or split it by area "
              "(README, \"Large inputs\")", EXIT_INPUT)
    if isinstance(exc, OSError):
        where = f" {exc.filename!r}" if getattr(exc, "filename", None) else ""
        _fail(f"cannot read or write{where}: {exc.strerror or exc}", EXIT_INPUT)
    first = (str(exc).strip().splitlines() or [""])[0][:300]
    _fail(f"internal error ({type(exc).__name__}: {first}); this is a bug in camera-map: "
          "run again with -vv and report the traceback", EXIT_INTERNAL)


@contextmanager
def _errors() -> Iterator[None]:
    """Turn library errors into one clear message (plus details) and an exit code."""
    try:
        yield
    except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort,
            SystemExit):
        raise
    except BaseException as exc:  # every failure ends in a message and an exit code
        _exit_for(exc)


class _Group(click.Group):
    """The command group: any error a command did not handle becomes one message."""

    def invoke(self, ctx: click.Context) -> Any:
        with _errors():
            return super().invoke(ctx)


def _out(text: str, **options: Any) -> None:
    """Print to stdout with control characters removed (names come from strangers' files)."""
    out.print(terminal_text(text), **options)


class _CleanFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return terminal_text(super().format(record))


def _setup_logging(verbose: int) -> None:
    level = logging.WARNING - 10 * verbose
    fmt = "%(levelname)s %(name)s: %(message)s"
    logging.basicConfig(level=level, format=fmt)
    for handler in logging.getLogger().handlers:
        handler.setFormatter(_CleanFormatter(fmt))


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="camera-map")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
def main(verbose: int) -> None:
    """Surveillance cameras per municipality, from FOI replies, tenders and OpenStreetMap.

    Run `camera-map build` with no options to build the bundled Serbian default into
    output/.
    """
    global _verbosity
    _verbosity = verbose
    _setup_logging(verbose)


class _Progress:
    """The stage being run on stderr, with rows done and time left while geocoding."""

    def __init__(self) -> None:
        import time

        self._clock = time.monotonic
        self._status = err.status("starting", spinner="dots")
        self._status.start()
        self._started = 0.0

    def __call__(self, stage: str) -> None:
        self._status.update(f"{stage}…")
        if stage == "done":
            self._status.stop()

    def geocoding(self, done: int, total: int) -> None:
        if done == 0 or not self._started:
            self._started = self._clock()
        left = ""
        if 0 < done < total:
            seconds = (self._clock() - self._started) / done * (total - done)
            left = f", about {seconds:,.0f} s left"
        self._status.update(f"geocoding {done:,} of {total:,} addresses{left}…")


def _progress() -> _Progress:
    return _Progress()


@main.command()
@click.option("--cameras", "cameras", multiple=True, type=click.Path(path_type=Path),
              metavar="PATH", help="Camera file or folder (FOI register CSV/XLSX/ODS, OSM "
              ".osm/.osm.bz2/.osm.pbf, Overpass JSON). Repeat for several.")
@click.option("--layer", default=None, help="Bundled boundary layer (default: serbia).")
@click.option("--boundaries", type=click.Path(path_type=Path), default=None,
              help="Your own boundaries (any format GDAL reads) instead of a bundled layer.")
@click.option("--id-field", default=None, help="Column of unique unit ids in --boundaries.")
@click.option("--name-field", default=None, help="Column of unit names in --boundaries.")
@click.option("--population", type=click.Path(path_type=Path), default=None,
              help="CSV of population keyed by the boundaries' id (columns: id, population).")
@click.option("--population-field", default=None,
              help="Population column already in --boundaries.")
@click.option("--osm-area", default=None, help="Also fetch OSM cameras live from Overpass "
              "for this area name (e.g. \"Osečina\").")
@click.option("--osm-bbox", default=None, metavar="W,S,E,N",
              help="Also fetch OSM cameras live from Overpass for this bounding box.")
@click.option("--overpass-url", default=None, help="Overpass API endpoint.")
@click.option("--extract", type=click.Path(path_type=Path), default=None,
              help="OSM extract (.osm.pbf) for offline geocoding of addresses.")
@click.option("--online", is_flag=True, help="Allow Nominatim for addresses the offline "
              "gazetteer cannot place (1 request/s, cached on disk).")
@click.option("--nominatim-url", default=None, help="Nominatim endpoint (with --online).")
@click.option("--claims", type=click.Path(path_type=Path), default=None,
              help="CSV of reported figures to check against the data.")
@click.option("--sheet", default=None, help="Spreadsheet sheet to read (default: all).")
@click.option("--encoding", default=None, help="Text encoding of CSV registers "
              "(default: detected; e.g. cp1250, cp1251, utf-8).")
@click.option("--delimiter", default=None, help="CSV delimiter (default: detected).")
@click.option("--crs", default=None, help="CRS of projected x/y coordinates in registers "
              "(e.g. EPSG:31277, Serbian Gauss-Krüger zone 7).")
@click.option("--mapping", type=click.Path(path_type=Path), default=None,
              help="TOML file mapping your column headers to camera-table columns.")
@click.option("--municipality", "default_municipality", default=None,
              help="Municipality of every register row that names none (e.g. a reply from "
              "one municipality).")
@click.option("--document", default=None, help="Document (title, URL or reference) of every "
              "register row that cites none.")
@click.option("--title", default=None, help="Title of the map.")
@click.option("--tiles", default=None, help="Base map: an xyzservices provider name such as "
              "OpenStreetMap.Mapnik, or 'none' (default: none when self-contained, since tiles "
              "are requests to another host; OpenStreetMap.Mapnik with --cdn).")
@click.option("--lang", type=click.Choice(["en", "sr-Latn", "sr-Cyrl"]), default="en",
              show_default=True, help="Language of the map.")
@click.option("--metric", type=click.Choice(["cameras_per_1000", "cameras_per_km2", "cameras"]),
              default=None, help="Figure the map opens with (default: cameras_per_1000).")
@click.option("--scheme", default=None, help="mapclassify scheme for the choropleth "
              "(default: fisher_jenks; e.g. quantiles, natural_breaks, equal_interval).")
@click.option("-k", "--classes", "k", type=int, default=None,
              help="Number of classes (default: 5).")
@click.option("--png/--no-png", default=True, show_default=True,
              help="Also write map.png, the choropleth for print.")
@click.option("--merge/--no-merge", "merge", default=True, show_default=True,
              help="Merge cameras that several sources describe (by distance and agreement).")
@click.option("--merge-distance", default=None, metavar="PREC=M,...",
              help="Merge thresholds in metres per geocode precision, e.g. "
              "\"exact=15,address=30,street=60,settlement=none\".")
@click.option("--max-direction-difference", type=float, default=45.0, show_default=True,
              help="Largest difference of view directions (degrees) that still agree.")
@click.option("--self-contained/--cdn", default=True, show_default=True,
              help="Inline every script so the map works offline, or load them from CDNs.")
@click.option("--format", "formats", default="geojson,csv,gpkg", show_default=True,
              metavar="LIST", help="Exports, comma-separated: geojson, csv, gpkg (GeoPackage "
              "with layers municipalities, cameras, cities, rejected, conflicts, problems), "
              "fgb (FlatGeobuf).")
@click.option("--strict", is_flag=True, help="Fail (exit 4) if any input row is rejected.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Output folder (default: output/).")
def build(cameras: tuple[Path, ...], layer: str | None, boundaries: Path | None,
          id_field: str | None, name_field: str | None, population: Path | None,
          population_field: str | None, osm_area: str | None, osm_bbox: str | None,
          overpass_url: str | None, extract: Path | None, online: bool,
          nominatim_url: str | None, claims: Path | None, sheet: str | None,
          encoding: str | None, delimiter: str | None, crs: str | None,
          mapping: Path | None, default_municipality: str | None, document: str | None,
          title: str | None, tiles: str | None, lang: str, metric: str | None,
          scheme: str | None, k: int | None, png: bool, merge: bool,
          merge_distance: str | None, max_direction_difference: float,
          self_contained: bool, formats: str, strict: bool, out_dir: Path | None) -> None:
    """Build the map, figures and exports. With no options: the bundled Serbian default."""
    from .layers import layer_from_files
    from .pipeline import build as run_build

    if boundaries is None and (id_field or name_field or population or population_field):
        raise click.UsageError("--id-field, --name-field, --population and --population-field "
                               "go with --boundaries")
    if boundaries is not None and layer:
        raise click.UsageError("use just one of --layer or --boundaries")
    if population and population_field:
        raise click.UsageError("use just one of --population (a CSV) or --population-field")
    from .pipeline import FORMATS

    format_list = [f.strip().lower() for f in formats.split(",") if f.strip()]
    bad = sorted(set(format_list) - set(FORMATS))
    if bad:
        raise click.BadParameter(f"unknown format(s) {', '.join(bad)}; choose from "
                                 f"{', '.join(FORMATS)}", param_hint="--format")
    with _errors():
        the_layer: Any = layer
        if boundaries is not None:
            the_layer = layer_from_files(boundaries, id_field=id_field, name_field=name_field,
                                         population=population,
                                         population_field=population_field)
        map_options: dict[str, Any] = {"lang": lang, "self_contained": self_contained}
        for key, value in (("title", title), ("scheme", scheme), ("k", k), ("metric", metric)):
            if value is not None:
                map_options[key] = value
        if tiles is not None:
            map_options["tiles"] = None if tiles.lower() == "none" else tiles
        read_options = {"sheet": sheet, "encoding": encoding, "delimiter": delimiter,
                        "crs": crs, "mapping": mapping,
                        "default_municipality": default_municipality, "document": document}
        distances = None
        if merge_distance:
            from .merge import distances_from_text

            distances = distances_from_text(merge_distance)
        step = _progress()
        try:
            result = run_build(
                list(cameras) or None, layer=the_layer, out_dir=out_dir, osm_area=osm_area,
                osm_bbox=osm_bbox, overpass_url=overpass_url, claims=claims, extract=extract,
                online=online, nominatim_url=nominatim_url, geocode_progress=step.geocoding,
                read_options=read_options, map_options=map_options, formats=format_list,
                png=png, merge=merge, merge_distances=distances,
                max_direction_difference=max_direction_difference, strict=strict,
                progress=step)
        finally:
            step("done")
    _out(result.summary(), markup=False, soft_wrap=True)
    folder = result.outputs["map.html"].parent
    sizes = ", ".join(f"{name} ({_size(path)})" for name, path in result.outputs.items())
    _out(f"Wrote to {folder}/: {sizes}", markup=False, soft_wrap=True)
    if result.attribution:
        _out("Attribution: " + " | ".join(result.attribution), markup=False,
                  soft_wrap=True)


def _size(path: Path) -> str:
    n = path.stat().st_size
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--sheet", default=None, help="Sheet to read (name or 0-based number; "
              "default: every sheet).")
@click.option("--encoding", default=None, help="Text encoding (default: detected).")
@click.option("--delimiter", default=None, help="CSV delimiter (default: detected; also "
              "tab, comma, semicolon, pipe).")
@click.option("--crs", default=None, help="CRS of projected x/y coordinates.")
@click.option("--mapping", type=click.Path(path_type=Path), default=None,
              help="TOML file mapping your column headers to camera-table columns.")
@click.option("--municipality", "default_municipality", default=None,
              help="Municipality of every row that names none.")
@click.option("--layer", default=None, help="Bundled layer to check places against "
              "(default: serbia).")
@click.option("--strict", is_flag=True, help="Exit 4 if any row would be rejected.")
def check(file: Path, sheet: str | None, encoding: str | None, delimiter: str | None,
          crs: str | None, mapping: Path | None, default_municipality: str | None,
          layer: str | None, strict: bool) -> None:
    """Validate a FOI register without building: what would be read, mapping, problems."""
    from .foi import check_register
    from .layers import load_layer

    with _errors():
        units = load_layer(layer).units
        report = check_register(file, sheet=sheet, encoding=encoding, delimiter=delimiter,
                                crs=crs, mapping=mapping, units=units,
                                default_municipality=default_municipality)
    _out(report.format(), markup=False, soft_wrap=True)
    if strict and not report.ok:
        sys.exit(4)


@main.command()
@click.option("--area", default=None, help="Area name, e.g. \"Osečina\" (Latin or Cyrillic).")
@click.option("--bbox", default=None, metavar="W,S,E,N", help="Bounding box in degrees.")
@click.option("--overpass-url", default=None, help="Overpass API endpoint.")
@click.option("--out", "out_file", type=click.Path(path_type=Path), required=True,
              help="Where to save the Overpass JSON (reuse it with build --cameras).")
def fetch(area: str | None, bbox: str | None, overpass_url: str | None,
          out_file: Path) -> None:
    """Fetch OSM surveillance objects from Overpass and save them for reuse."""
    from .osm import read_overpass_json
    from .overpass import fetch_overpass, parse_bbox, save_overpass

    if bool(area) == bool(bbox):
        raise click.UsageError("give one of --area or --bbox")
    with _errors():
        box = parse_bbox(bbox) if bbox else None
        with err.status("querying Overpass…", spinner="dots"):
            result = fetch_overpass(area=area, bbox=box, url=overpass_url)
        save_overpass(result, out_file)
        cameras = read_overpass_json(result).cameras
    _out(f"Saved {len(result.get('elements', [])):,} element(s), {len(cameras):,} "
              f"camera object(s), to {out_file}. Data © OpenStreetMap contributors, ODbL 1.0.",
              markup=False, soft_wrap=True)


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--out", "out_file", type=click.Path(path_type=Path), required=True,
              help="CSV to write: the register with latitude, longitude, geocode_precision "
              "and geocoder columns (unplaced rows go to <out>-unplaced.csv).")
@click.option("--extract", type=click.Path(path_type=Path), default=None,
              help="OSM extract (.osm.pbf or .osm) for the offline gazetteer.")
@click.option("--online", is_flag=True, help="Allow Nominatim (1 request/s, cached on disk).")
@click.option("--nominatim-url", default=None, help="Nominatim endpoint (with --online).")
@click.option("--layer", default=None, help="Bundled layer for municipality scoping and the "
              "last fallback (default: serbia).")
def geocode(file: Path, out_file: Path, extract: Path | None, online: bool,
            nominatim_url: str | None, layer: str | None) -> None:
    """Geocode a register's addresses and write it back with coordinates and precision."""
    from rich.progress import BarColumn, Progress, TimeRemainingColumn

    from .geocode import geocode_file
    from .layers import load_layer

    if nominatim_url and not online:
        raise click.UsageError("--nominatim-url goes with --online")
    with _errors():
        units = load_layer(layer).units
        with Progress("[progress.description]{task.description}", BarColumn(),
                      "{task.completed}/{task.total}", TimeRemainingColumn(),
                      console=err, transient=True) as bar:
            task = bar.add_task("geocoding", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            result = geocode_file(file, out_file, extract=extract, online=online,
                                  nominatim_url=nominatim_url, units=units, progress=progress)
    counts = ", ".join(f"{k}: {v:,}" for k, v in result.counts().items())
    _out(f"Wrote {out_file} ({counts})", markup=False, soft_wrap=True)
    if result.report is not None:
        _out(f"Rows that could not be placed, with the reason: {result.report}",
                  markup=False, soft_wrap=True)


@main.command()
@click.argument("name")
@click.option("--cameras", "cameras", multiple=True, type=click.Path(path_type=Path),
              metavar="PATH", help="Camera files or folders (default: the bundled example).")
@click.option("--layer", default=None, help="Bundled boundary layer (default: serbia).")
@click.option("--extract", type=click.Path(path_type=Path), default=None,
              help="OSM extract (.osm.pbf) for offline geocoding of addresses.")
@click.option("--lang", type=click.Choice(["en", "sr-Latn", "sr-Cyrl"]), default="en",
              show_default=True, help="Language of the page and the summary.")
@click.option("--tiles", default=None, help="Base map (xyzservices name) or 'none'.")
@click.option("--self-contained/--cdn", default=True, show_default=True,
              help="Inline every script so the page works offline.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Output folder (default: output/); the page goes to towns/<name>.html.")
def town(name: str, cameras: tuple[Path, ...], layer: str | None, extract: Path | None,
         lang: str, tiles: str | None, self_contained: bool, out_dir: Path | None) -> None:
    """Check one town: its figures, rank, vendors, face recognition and sources.

    NAME is the municipality in Latin, Cyrillic or ASCII spelling, or its official code.
    Prints the summary and writes a page with the town's map.
    """
    from . import settings
    from ._outdir import output_lock
    from .pipeline import analyse
    from .town import render_town

    with _errors():
        step = _progress()
        try:
            analysis = analyse(list(cameras) or None, layer=layer, extract=extract,
                               progress=step)
        finally:
            step("done")
        options: dict[str, Any] = {"lang": lang, "self_contained": self_contained}
        if tiles is not None:
            options["tiles"] = None if tiles.lower() == "none" else tiles
        # the layer knows aliases ("Medijana" is part of Niš); a city of several units is
        # left to render_town, which lists its members
        match = analysis.layer.match(name)
        if match is not None:
            name = match.id if match.level == "unit" else match.name
        folder = out_dir or settings.output_dir
        with output_lock(folder):  # not while a build replaces the folder
            path, summary = render_town(analysis.metrics.units, analysis.cameras, name,
                                        folder, attribution=analysis.attribution, **options)
    _out(summary, markup=False, soft_wrap=True)
    _out(f"Wrote {path}", markup=False, soft_wrap=True)


@main.command("layers")
def layers_cmd() -> None:
    """List the bundled boundary layers."""
    from .layers import available_layers, load_layer

    with _errors():
        for name in available_layers():
            lay = load_layer(name)
            _out(f"{name}: {lay.title} — {len(lay.units)} units, population "
                      f"{lay.population_source or 'none'}", markup=False)


if __name__ == "__main__":  # pragma: no cover
    main()
