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
from typing import TYPE_CHECKING, Any, NoReturn

import click
from rich.console import Console

from ._version import __version__
from .cli_options import (
    LANGUAGES,
    InputOptions,
    MapOptions,
    geocode_options,
    input_options,
    layer_options,
    map_options,
    network_options,
    page_options,
    read_options,
)
from .errors import CameraMapError, NetworkError, StrictError
from .text import terminal_text

if TYPE_CHECKING:
    from .pipeline import Analysis, BuildResult
    from .place import OsmPlace
    from .request import RequestFiles

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
    """The stage being run on stderr, with rows done and time left while geocoding.

    Used as a context manager: the display stops however the block ends (an error such as
    ``--strict`` refusing rejected rows, :class:`~camera_map.errors.StrictError`, is turned
    into its exit code by :func:`_errors`, by its class).
    """

    def __init__(self) -> None:
        import time

        self._clock = time.monotonic
        self._status = err.status("starting", spinner="dots")
        self._status.start()
        self._started = 0.0

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self._status.stop()

    def __call__(self, stage: str) -> None:
        self._status.update(f"{stage}…")

    def geocoding(self, done: int, total: int) -> None:
        if done == 0 or not self._started:
            self._started = self._clock()
        left = ""
        if 0 < done < total:
            seconds = (self._clock() - self._started) / done * (total - done)
            left = f", about {seconds:,.0f} s left"
        self._status.update(f"geocoding {done:,} of {total:,} addresses{left}…")


def _print_size(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--print-size``, checked as it is parsed."""
    from .errors import InputError
    from .render.static import print_size as parse_print_size

    if value is not None:
        try:
            parse_print_size(value)
        except InputError as exc:
            raise click.BadParameter(str(exc), param_hint="--print-size") from None
    return value


def _print_formats(ctx: click.Context, param: click.Parameter, value: str) -> list[str]:
    """``--print-format png,svg``: the formats of the printed map, as a list."""
    from .render.static import FORMATS as PRINT_FORMATS

    chosen = [f.strip().lower().lstrip(".") for f in value.split(",") if f.strip()]
    bad = sorted(set(chosen) - set(PRINT_FORMATS))
    if bad or not chosen:
        raise click.BadParameter(f"unknown print format(s) {', '.join(bad) or '(none)'}"
                                 f"; choose from {', '.join(PRINT_FORMATS)}",
                                 param_hint="--print-format")
    return chosen


def _export_formats(ctx: click.Context, param: click.Parameter,
                    value: str | None) -> list[str] | None:
    """``--format geojson,csv``: the exports, as a list (None: the default ones)."""
    from .pipeline import FORMATS

    if value is None:
        return None
    chosen = [f.strip().lower() for f in value.split(",") if f.strip()]
    bad = sorted(set(chosen) - set(FORMATS))
    if bad:
        raise click.BadParameter(f"unknown format(s) {', '.join(bad)}; choose from "
                                 f"{', '.join(FORMATS)}", param_hint="--format")
    return chosen


@main.command()
@input_options
@map_options
@network_options
@click.option("--png/--no-png", default=True, show_default=True,
              help="Also write the printed map (map.png, and --print-format).")
@click.option("--print-size", default=None, metavar="SIZE", callback=_print_size,
              help="Size of the printed map: pixels (2400x1600, or 2400x1600@300 for 300 "
              "dpi) or a paper size at a DPI (A4@300, A3-landscape@150). Default 1600x1600.")
@click.option("--print-format", "print_formats", default="png", show_default=True,
              metavar="LIST", callback=_print_formats,
              help="Formats of the printed map, comma-separated: png, svg, pdf (map.png, "
              "map.svg, map.pdf).")
@click.option("--format", "formats", default=None, metavar="LIST", callback=_export_formats,
              help="Exports, comma-separated: geojson, csv, gpkg (GeoPackage with layers "
              "municipalities, cameras, cities, rejected, conflicts, problems), fgb "
              "(FlatGeobuf), parquet (cameras as GeoParquet). Default: geojson,csv,gpkg; from "
              "200,000 cameras on, the cameras only as cameras.parquet.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Output folder (default: output/).")
def build(inputs: InputOptions, map_opts: MapOptions, png: bool, print_size: str | None,
          print_formats: list[str], formats: list[str] | None, out_dir: Path | None) -> None:
    """Build the map, figures and exports. With no options: the bundled Serbian default."""
    from .pipeline import build as run_build

    with _errors():
        options = inputs.analyse_options()
        with _Progress() as step:
            result = run_build(inputs.camera_paths(), out_dir=out_dir,
                               geocode_progress=step.geocoding,
                               map_options=map_opts.render_options(), formats=formats,
                               png=png, print_size=print_size, print_formats=print_formats,
                               progress=step, **options)
    _show_build(result)


def _show_build(result: BuildResult) -> None:
    """The summary, the notes, the files written and the attribution."""
    _out(result.summary(), markup=False, soft_wrap=True)
    for note in result.notes:
        _out(note, markup=False, soft_wrap=True)
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
@read_options
@layer_options
@click.option("--strict", "fail_on_rejected", is_flag=True,
              help="Exit 4 if any row would be rejected.")
def check(file: Path, inputs: InputOptions, fail_on_rejected: bool) -> None:
    """Validate a camera file without building: what would be read, how, and problems."""
    from .sources import check_source

    with _errors():
        units = inputs.load_layer().units
        report = check_source(file, units=units, **inputs.read_options())
    _out(report.format(), markup=False, soft_wrap=True)
    if fail_on_rejected and not report.ok:
        sys.exit(EXIT_STRICT)


@main.command()
@click.option("--area", default=None, help="Area name, e.g. \"Osečina\" (Latin or Cyrillic).")
@click.option("--bbox", default=None, metavar="W,S,E,N", help="Bounding box in degrees.")
@click.option("--overpass-url", default=None, help="Overpass API endpoint.")
@click.option("--out", "out_file", type=click.Path(path_type=Path), required=True,
              help="Where to save the Overpass JSON (reuse it with build --cameras).")
@network_options
def fetch(area: str | None, bbox: str | None, overpass_url: str | None,
          out_file: Path) -> None:
    """Fetch OSM surveillance objects from Overpass and save them for reuse."""
    from .sources.osm import read_overpass_json
    from .sources.overpass import overpass_answer, parse_bbox, save_overpass

    if bool(area) == bool(bbox):
        raise click.UsageError("give one of --area or --bbox")
    with _errors():
        box = parse_bbox(bbox) if bbox else None
        with err.status("querying Overpass…", spinner="dots"):
            answer = overpass_answer(area=area, bbox=box, url=overpass_url)
        result = answer.data
        save_overpass(result, out_file)
        cameras = read_overpass_json(result).cameras
    _out(f"Overpass: {answer.provenance()}.", markup=False, soft_wrap=True)
    _out(f"Saved {len(result.get('elements', [])):,} element(s), {len(cameras):,} "
              f"camera object(s), to {out_file}. Data © OpenStreetMap contributors, ODbL 1.0.",
              markup=False, soft_wrap=True)


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--out", "out_file", type=click.Path(path_type=Path), required=True,
              help="CSV to write: the register with latitude, longitude, geocode_precision "
              "and geocoder columns (unplaced rows go to <out>-unplaced.csv).")
@geocode_options
@layer_options
@read_options
@network_options
def geocode(file: Path, out_file: Path, inputs: InputOptions) -> None:
    """Geocode a register's addresses and write it back with coordinates and precision."""
    from rich.progress import BarColumn, Progress, TimeRemainingColumn

    from .geocode import geocode_file

    if inputs.nominatim_url and not inputs.online:
        raise click.UsageError("--nominatim-url goes with --online")
    with _errors():
        units = inputs.load_layer().units
        with Progress("[progress.description]{task.description}", BarColumn(),
                      "{task.completed}/{task.total}", TimeRemainingColumn(),
                      console=err, transient=True) as bar:
            task = bar.add_task("geocoding", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            result = geocode_file(file, out_file, extract=inputs.extract,
                                  online=inputs.online, nominatim_url=inputs.nominatim_url,
                                  units=units, progress=progress, **inputs.read_options())
    counts = ", ".join(f"{k}: {v:,}" for k, v in result.counts().items())
    _out(f"Wrote {out_file} ({counts})", markup=False, soft_wrap=True)
    if result.report is not None:
        _out(f"Rows that could not be placed, with the reason: {result.report}",
                  markup=False, soft_wrap=True)


@main.command()
@click.argument("name")
@input_options
@page_options
@network_options
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Output folder (default: output/); the page goes to towns/<name>.html.")
def town(name: str, inputs: InputOptions, map_opts: MapOptions, out_dir: Path | None) -> None:
    """Check one town: its figures, rank, vendors, face recognition and sources.

    NAME is the municipality in Latin, Cyrillic or ASCII spelling, or its official code.
    Prints the summary and writes a page with the town's map. With --online, a place that
    no bundled layer covers ("Ljig, Serbia", "Tuzla") is taken from OpenStreetMap: its
    boundary from Nominatim, its cameras from Overpass, its population from --population N
    or, with a caveat, from OpenStreetMap.
    """
    from . import settings
    from ._outdir import output_lock
    from .render.town import render_town

    with _errors():
        place = _online_place(name, inputs)
        analysis = _analyse_town(inputs, place)
        name = place.ref if place is not None else _unit_name(analysis, name)
        page_opts = map_opts.render_options(title=False)
        if "basemap" not in page_opts and inputs.extract is not None:
            page_opts["basemap"] = inputs.extract  # the streets of the town, offline
        folder = out_dir or settings.output_dir
        with output_lock(folder):  # not while a build replaces the folder
            path, summary = render_town(analysis.metrics.units, analysis.cameras, name,
                                        folder, attribution=analysis.attribution,
                                        **page_opts)
    _out(summary, markup=False, soft_wrap=True)
    if place is not None:
        _out(_place_provenance(place, analysis), markup=False, soft_wrap=True)
    _out(f"Wrote {path}", markup=False, soft_wrap=True)


def _analyse_town(inputs: InputOptions, place: OsmPlace | None) -> Analysis:
    """The analysis a town page shows: the layer's, or that of a place from OSM."""
    from .pipeline import analyse, analyse_place

    options = inputs.analyse_options()
    with _Progress() as step:
        if place is None:
            return analyse(inputs.camera_paths(), progress=step,
                           geocode_progress=step.geocoding, **options)
        for key in ("layer", "osm_area", "osm_bbox"):
            options.pop(key)
        return analyse_place(place, inputs.cameras, population=inputs.population_count(),
                             progress=step, geocode_progress=step.geocoding, **options)


def _unit_name(analysis: Analysis, name: str) -> str:
    """The unit's id for ``name`` (the layer knows aliases: "Medijana" is part of Niš); a
    city of several units keeps its name, for render_town to list its members."""
    match = analysis.layer.match(name)
    if match is None:
        return name
    return match.id if match.level == "unit" else match.name


def _place_provenance(place: OsmPlace, analysis: Analysis) -> str:
    """Where an OSM place's boundary, population and cameras come from."""
    lines = [f"Boundary: OpenStreetMap {place.ref}, {place.display_name} "
             f"(Nominatim: {place.provenance})",
             f"Population: {analysis.layer.units['population_method'].iloc[0]}"]
    lines += [f"{s.path}: {s.details['provenance']}" for s in analysis.sources
              if s.details.get("provenance")]
    return "\n".join(lines)


def _online_place(name: str, inputs: InputOptions) -> OsmPlace | None:
    """The OpenStreetMap place ``town --online`` looks up, or None for a layer's unit."""
    if not inputs.online or inputs.boundaries is not None:
        return None
    if inputs.load_layer().match(name) is not None:
        if inputs.population_count() is not None:
            raise click.UsageError(f"{name!r} is in the bundled layer, which has its census "
                                   "population; --population N is for places outside it")
        return None
    from .place import place_from_osm

    with err.status(f"asking OpenStreetMap for the boundary of {name}…", spinner="dots"):
        return place_from_osm(name, url=inputs.nominatim_url)


@main.command()
@click.argument("name")
@click.option("--lang", type=click.Choice(LANGUAGES), default="sr-Latn", show_default=True,
              help="Language of the request and the register template (the authority's "
              "name follows the script).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Output folder (default: output/requests/).")
def request(name: str, lang: str, out_dir: Path | None) -> None:
    """Write a request for information on the cameras of a municipality or city.

    NAME is the municipality or city (Latin, Cyrillic or ASCII spelling, or its official
    code). The request, under Serbia's Law on Free Access to Information of Public
    Importance, is written as text (to paste into an e-mail) and as an ODT document (to
    print and sign), with a register template (XLSX and CSV) for the answer that
    `camera-map build --cameras` reads back as it is.
    """
    from . import settings
    from ._outdir import output_lock
    from .request import write_request

    with _errors():
        if out_dir is None:
            with output_lock(settings.output_dir):  # not while a build replaces output/
                files = write_request(name, lang=lang,
                                      out_dir=Path(settings.output_dir) / "requests")
        else:
            files = write_request(name, lang=lang, out_dir=out_dir)
    _show_request(files, name, lang)


def _show_request(files: RequestFiles, name: str, lang: str) -> None:
    """Who the request goes to, the files written, and what to do with them."""
    who = files.authority
    _out(f"Request to {who.title} ({who.id}), {lang}:", markup=False, soft_wrap=True)
    if who.note:
        _out(f"  ({name}: {who.note})", markup=False, soft_wrap=True)
    if who.parent:
        _out(f"  {who.title} is part of {who.parent}: cameras the city bought may be "
             f"the city's; consider a request to the city as well.", markup=False,
             soft_wrap=True)
    for label, path in (("text, to paste into an e-mail", files.text),
                        ("document, to print and sign", files.document),
                        ("register template", files.xlsx),
                        ("register template", files.csv)):
        _out(f"  {path}  ({label})", markup=False, soft_wrap=True)
    _out("Fill in your name and address and the authority's address. Keep a copy and "
         "proof that it was sent: the authority must answer within 15 days (40 at most, "
         "if it tells you at once why), and a complaint to the Commissioner for "
         "Information of Public Importance and Personal Data Protection needs both. "
         f"Read the answer back with: camera-map build --cameras {files.xlsx.name}",
         markup=False, soft_wrap=True)


@main.command("layers")
def layers_cmd() -> None:
    """List the bundled boundary layers."""
    from .layers import available_layers, load_layer

    with _errors():
        for name in available_layers():
            lay = load_layer(name)
            _out(f"{name}: {lay.title} — {len(lay.units)} units, population "
                      f"{lay.census.source or 'none'}", markup=False)


if __name__ == "__main__":  # pragma: no cover
    main()
