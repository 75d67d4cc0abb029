"""Run the whole pipeline: sources → table → geocode → join → metrics → render / export.

:func:`build` is what ``camera-map build`` calls. With no arguments it builds the bundled
default: the Serbian layer plus its bundled evidence (``camera_map/data/layers/serbia/evidence/``).
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from . import settings
from ._io import write_text_atomic
from ._outdir import output_lock, staged_folder
from ._version import __version__
from .claims import ClaimCheck, ContextFact, check_claims, load_claims, load_context
from .errors import InputError, Problem, StrictError
from .export import (
    write_csv,
    write_flatgeobuf,
    write_geojson,
    write_geopackage,
    write_geoparquet,
    write_json,
    write_rejected,
)
from .join import JOIN_COLUMNS, join_cameras
from .layers import OSM_ATTRIBUTION, Layer, load_layer
from .merge import CONFLICT_COLUMNS, MERGE_COLUMNS
from .metrics import Metrics, compute_metrics
from .rejected import RejectedRows
from .sources import SourceResult, camera_files, read_sources
from .table import COLUMNS, clean_text_columns, empty_cameras, repeats_values, validate_cameras
from .text import clean_text

if TYPE_CHECKING:
    from .place import OsmPlace

log = logging.getLogger(__name__)

#: Export formats ``build`` can write (``formats=``); map.html and the reports always.
FORMATS = ("geojson", "csv", "gpkg", "fgb", "parquet")
DEFAULT_FORMATS = ("geojson", "csv", "gpkg")
#: From this many camera rows on, a build whose formats were not chosen writes the cameras
#: as GeoParquet only (cameras.parquet): as GeoJSON, CSV and a GeoPackage layer they would
#: take about 560, 260 and 350 bytes each (a million cameras: 0.56 GB of GeoJSON and half
#: a minute of writing), GeoParquet about 20 bytes and a second.
LARGE_BUILD_CAMERAS = 200_000


@dataclass
class Analysis:
    """Everything the pipeline computed, before anything is written."""

    layer: Layer
    metrics: Metrics
    cameras: gpd.GeoDataFrame
    sources: list[SourceResult]
    rejected: RejectedRows
    problems: list[Problem]
    claims: list[ClaimCheck]
    conflicts: pd.DataFrame
    timings: dict[str, float]
    attribution: list[str]
    #: whether the bundled evidence of the default layer was read (None: not a bundled layer)
    bundled_evidence: bool | None = None
    #: figures about the country that belong to no unit (the bundled evidence's context.csv)
    context: list[ContextFact] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return sum(s.rows_read for s in self.sources)

    def _figure_lines(self) -> list[str]:
        """Ranked places with what their figure is, then places with evidence but no number."""
        from .render import figure_caveats, row_figures

        units, groups = self.metrics.units, self.metrics.groups
        cols = ["name", "rank", "cameras", "cameras_per_1000", "residents_per_camera",
                "estimate_counts", "cameras_low", "cameras_high", "figures", "premises"]
        places = pd.concat([
            units.loc[units["evidence"] == "unit", cols],
            groups.loc[groups["figures"].notna(), cols].assign(
                name=lambda d: d["name"] + " (city)"),
        ])
        ranked = places[places["rank"].notna()].sort_values(["rank", "name"])
        lines = [line for row in ranked.head(10).to_dict("records")
                 for line in _ranked_lines(row)]
        unnumbered = places[places["cameras"].isna()]
        for row in unnumbered.sort_values("name").to_dict("records"):
            best = next(iter(row_figures(row)), {})
            lines.append(f"    -  {row['name']}: cameras named without a number (not zero; "
                         f"{figure_caveats(best, 'en')})")
        for row in places[places["premises"].notna()].sort_values("name").to_dict("records"):
            lines.append(f"    -  {row['name']}: on premises, not in the count: {row['premises']}")
        return lines

    def summary(self) -> str:
        """A plain-text summary for the terminal and for the record."""
        return "\n".join([*self._input_lines(), *self._count_lines(), *self._figure_lines(),
                          *self._evidence_lines(), *self._warning_lines()])

    def _input_lines(self) -> list[str]:
        """What was read: rows accepted, rejected and geocoded; where live data came from."""
        n_rej = len(self.rejected)
        n_acc = sum(len(s.cameras) for s in self.sources)
        needs = sum(int(s.details.get("needs_geocoding", 0)) for s in self.sources)
        return [f"Read {len(self.sources)} input(s): {self.rows_read:,} rows/objects, "
                f"{n_acc:,} accepted, {n_rej:,} rejected"
                + (" (see rejected.csv)" if n_rej else "")
                + f", {needs:,} needed geocoding",
                *(f"{s.path}: {s.details['provenance']}" for s in self.sources
                  if s.details.get("provenance"))]

    def _count_lines(self) -> list[str]:
        """The cameras in all, and how many units have a figure of their own."""
        units = self.metrics.units
        best = int(units["cameras"].sum()) + int(self.metrics.groups["cameras"].sum())
        n_figures = len(self.metrics.figures)
        own = int((units["evidence"] == "unit").sum())
        grp = int((units["evidence"] == "group").sum())
        none = int((units["evidence"] == "none").sum())
        return [f"Cameras: {best:,} (best estimates of units and cities, from "
                f"{n_figures:,} figure(s) in the evidence: figures for one place and "
                "located cameras are not added; cameras on premises are not counted)",
                f"Units with their own figure: {own}, with a city-level figure only: "
                f"{grp}, no data: {none} (of {len(units)}; no data is not zero)"]

    def _evidence_lines(self) -> list[str]:
        """Whether the bundled evidence was read, the national context, the claims."""
        from .render import kind_text

        lines = []
        if self.bundled_evidence is not None and self.sources:
            lines.append(
                f"Bundled evidence of layer {self.layer.name!r} (public reporting): "
                + ("included" if self.bundled_evidence else
                   "NOT included; add it to your files with --with-bundled-evidence"))
        lines += [f"Context (assigned to no unit): {fact.statement} "
                  f"[{kind_text(fact.source, 'en')}, {fact.as_of}: {fact.document}]"
                  for fact in self.context]
        lines += [("✓ " if check.ok else "✗ ") + check.text for check in self.claims]
        return lines

    def _warning_lines(self) -> list[str]:
        """Rows that count nowhere and warnings, pointing to problems.csv."""
        lines = []
        nowhere = int(self.cameras["municipality_id"].isna().sum())
        if nowhere:
            lines.append(f"{nowhere:,} of {len(self.cameras):,} rows count nowhere: see "
                         "problems.csv")
        if self.problems:
            lines.append(f"{len(self.problems)} warning(s) (see problems.csv)")
        return lines


def _ranked_lines(row: dict[str, Any]) -> list[str]:
    """A ranked place: rank, figure and what it is, per 1,000 residents, the range of the
    figures not added; then the best figure's note."""
    from .render import figure_caveats, figure_text, row_figures

    best = next((f for f in row_figures(row) if f.get("best")), None)
    what = figure_text(row["cameras"], row["estimate_counts"], "en")
    caveat = f" — {figure_caveats(best, 'en')}" if best else ""
    one_per = ("" if pd.isna(row["residents_per_camera"])
               else f" (one per {row['residents_per_camera']:,.0f})")
    rng = ""
    if not pd.isna(row["cameras_low"]) and row["cameras_low"] != row["cameras_high"]:
        rng = (f"; figures reported {int(row['cameras_low']):,}–"
               f"{int(row['cameras_high']):,}, not added")
    bound = "at least " if row["estimate_counts"] == "locations" else ""
    lines = [f"  {int(row['rank']):>3}. {row['name']}: {what}{caveat}; "
             f"{bound}{row['cameras_per_1000']:.2f} per 1,000 residents{one_per}{rng}"]
    if best and best.get("note"):
        lines.append(f"         note: {best['note']}")
    return lines


@dataclass
class BuildResult(Analysis):
    """Everything a build produced, with the files it wrote."""

    outputs: dict[str, Path] = field(default_factory=dict)
    #: What the build decided about its outputs, for the reader (e.g. exports not written).
    notes: list[str] = field(default_factory=list)


def default_example() -> Path:
    """Folder of the default layer's bundled evidence (``<layer>/evidence`` in the package)."""
    return Path(settings.layers_dir) / settings.default_layer / "evidence"


def default_cameras() -> list[Path]:
    """The bundled example camera files of the default layer."""
    return [default_example() / "cameras"]


def default_context() -> list[ContextFact]:
    """The bundled national context (figures that belong to no unit), if any."""
    path = default_example() / "context.csv"
    return load_context(path) if path.exists() else []


def analyse(
    cameras: Sequence[str | os.PathLike[str]] | None = None,
    *,
    layer: Layer | str | None = None,
    osm_area: str | None = None,
    osm_bbox: str | Sequence[float] | None = None,
    overpass_url: str | None = None,
    claims: str | os.PathLike[str] | None = None,
    bundled_evidence: bool | None = None,
    extract: str | os.PathLike[str] | None = None,
    online: bool = False,
    nominatim_url: str | None = None,
    read_options: dict[str, Any] | None = None,
    merge: bool = True,
    merge_distances: dict[str, float | None] | None = None,
    max_direction_difference: float = 45.0,
    strict: bool = False,
    progress: Callable[[str], None] | None = None,
    geocode_progress: Callable[[int, int], None] | None = None,
) -> Analysis:
    """Read, geocode, merge, join and measure camera evidence; write nothing.

    Parameters
    ----------
    cameras
        Camera files or folders (FOI registers, OSM files, Overpass JSON). ``None`` with no
        ``layer``, ``osm_area`` or ``osm_bbox`` uses the bundled example of the default
        layer (``camera_map/data/layers/serbia/evidence/``).
    layer
        A :class:`~camera_map.layers.Layer` (e.g. from
        :func:`~camera_map.layers.layer_from_files`) or a bundled layer name; default Serbia.
    osm_area, osm_bbox, overpass_url
        Also fetch OSM cameras live from Overpass for an area name or a W,S,E,N box.
    claims
        A claims CSV (:mod:`camera_map.claims`) to check; the default example has one.
    bundled_evidence
        Read the bundled evidence of the default layer (public reporting, with its claims
        and national context) as well as ``cameras``. Default: only when nothing else is
        given; ``True`` adds it to your own files (the common case: a register added to
        what is publicly known).
    extract, online, nominatim_url
        Geocoding of rows that give an address but no coordinates
        (:func:`camera_map.geocode.geocode_cameras`): an OSM extract for the offline
        gazetteer, and whether Nominatim may be asked (at most one request per second,
        cached on disk). Without either, such rows are placed at their municipality
        (precision ``municipality``), which counts them but never draws them as a position.
    read_options
        Options for FOI registers (``sheet``, ``encoding``, ``delimiter``, ``crs``,
        ``mapping``, ``default_municipality``, ``document``).
    merge, merge_distances, max_direction_difference
        Merge cameras that several sources describe (:func:`camera_map.merge.merge_cameras`):
        distance thresholds in metres per geocode precision, and the largest difference of
        view directions that still agree, in degrees.
    strict
        Raise :class:`~camera_map.errors.InputError` if any row is rejected.
    progress
        Called with the name of each stage as it starts (the CLI shows it).
    geocode_progress
        Called with (rows done, rows to geocode) while geocoding.
    """
    stages = _Stages(progress)
    with stages("layer"):
        the_layer, use_default, on_default_layer = _choose_layer(
            layer, bundled_evidence,
            nothing_given=cameras is None and layer is None and not osm_area and not osm_bbox)
    with stages("read"):
        inputs = [*(default_cameras() if use_default else []), *list(cameras or [])]
        sources = _read(inputs, read_options, the_layer)
        if osm_area or osm_bbox:
            sources.append(_fetch_overpass(osm_area, osm_bbox, overpass_url))
    with stages("normalise"):
        table, rejected = _normalise(sources, strict=strict)
        problems = _Problems([p for s in sources for p in s.problems])
    with stages("geocode"):
        table = _geocode(table, the_layer, problems, extract=extract, online=online,
                         nominatim_url=nominatim_url, progress=geocode_progress)
    with stages("merge"):
        table, conflicts = _merge(table, merge=merge, distances=merge_distances,
                                  max_direction_difference=max_direction_difference)
    with stages("join"):
        joined = join_cameras(table, the_layer)
        problems.add_once(_in_osm_files(_per_source_row(joined.problems), sources))
    with stages("metrics"):
        metrics = compute_metrics(joined.cameras, the_layer,
                                  osm_in_build=any(_is_osm(s) for s in sources))
        checks = _check_claims(claims, metrics, the_layer, use_default=use_default)
    return Analysis(the_layer, metrics, _in_id_order(joined.cameras), sources, rejected,
                    problems.found, checks, conflicts, stages.timings,
                    _attribution(the_layer, sources),
                    bundled_evidence=use_default if on_default_layer else None,
                    context=default_context() if use_default else [])


class _Stages:
    """Announce each stage of a run (``progress``) and time it into ``timings``."""

    def __init__(self, progress: Callable[[str], None] | None,
                 timings: dict[str, float] | None = None) -> None:
        self.timings = {} if timings is None else timings
        self._progress = progress or (lambda _stage: None)

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        self._progress(stage)
        started = time.perf_counter()
        yield
        self.timings[stage] = round(time.perf_counter() - started, 4)


def _choose_layer(layer: Layer | str | None, bundled_evidence: bool | None, *,
                  nothing_given: bool) -> tuple[Layer, bool, bool]:
    """The boundary layer, whether the bundled evidence is read, and whether the layer is
    the default one (the bundled evidence is about it alone)."""
    the_layer = layer if isinstance(layer, Layer) else load_layer(layer)
    on_default_layer = not isinstance(layer, Layer) and (
        layer is None or layer == settings.default_layer)
    if bundled_evidence and not on_default_layer:
        raise InputError("the bundled evidence is about the default layer "
                         f"({settings.default_layer!r}); it cannot go with another layer")
    use_default = nothing_given if bundled_evidence is None else bool(bundled_evidence)
    return the_layer, use_default, on_default_layer


def _read(inputs: list[str | os.PathLike[str]], read_options: dict[str, Any] | None,
          layer: Layer) -> list[SourceResult]:
    """Read every camera file, checking the units of the layer where a reader can."""
    options = dict(read_options or {})
    options.setdefault("units", layer.units)
    _check_distinct_names(inputs)
    return read_sources(inputs, **options) if inputs else []


def _normalise(sources: list[SourceResult], *,
               strict: bool) -> tuple[gpd.GeoDataFrame, RejectedRows]:
    """One camera table from every source, and the rows they rejected (refused with
    ``strict``: :class:`~camera_map.errors.StrictError`)."""
    tables = [s.cameras for s in sources if len(s.cameras)]
    table = pd.concat(tables, ignore_index=True) if tables else empty_cameras()
    table = _drop_repeated_elements(gpd.GeoDataFrame(table, geometry="geometry", crs="EPSG:4326"))
    table = clean_text_columns(validate_cameras(table, where="cameras read from the inputs"))
    rejected = RejectedRows.concat(s.rejected for s in sources)
    if strict and len(rejected):
        raise StrictError(f"{len(rejected)} row(s) rejected and --strict is set; see the "
                          "reasons below or run `camera-map check FILE`",
                          [r.problem() for r in rejected])
    return table, rejected


class _Problems:
    """The problems of a run, each fact once: a later stage does not repeat what an earlier
    one said about the same row (:meth:`camera_map.errors.Problem.key`)."""

    #: What a row's "not placed" problem says already: the row counts nowhere, or names
    #: a municipality the layer does not have (the geocoder gives every reason at once).
    COVERED_BY_NOT_PLACED = ("unknown-unit", "nowhere")

    def __init__(self, found: list[Problem]) -> None:
        self.found = found

    def add_once(self, problems: Iterable[Problem]) -> None:
        """Add the problems whose fact and place no earlier problem reported."""
        said = {p.key() for p in self.found if p.code}
        said |= {replace(p, code=code).key() for p in self.found if p.code == "not-placed"
                 for code in self.COVERED_BY_NOT_PLACED}
        self.found.extend(p for p in problems if p.key() not in said)

    def add_not_placed(self, problems: list[Problem]) -> None:
        """Add rows geocoding could not place, each replacing what an earlier stage said
        about the same row that its reasons include (an unknown municipality)."""
        rows = {replace(p, code=code).key() for p in problems
                for code in self.COVERED_BY_NOT_PLACED}
        self.found = [p for p in self.found if p.key() not in rows] + problems


def _per_source_row(problems: list[Problem]) -> list[Problem]:
    """A problem about a camera that several sources describe (merged: its ``source_ref``
    is theirs ``"; "``-joined) becomes one problem at each source's row, located as every
    other problem of that row."""
    out = []
    for p in problems:
        refs = (p.file or "").split("; ") if p.row is None else []
        if len(refs) < 2:
            out.append(p)
            continue
        out += [Problem.at_ref(p.message, ref, column=p.column, value=p.value, code=p.code)
                for ref in refs]
    return out


_OSM_REF = re.compile(r"^(?:node|way|relation)/\d+$")


def _in_osm_files(problems: list[Problem], sources: list[SourceResult]) -> list[Problem]:
    """Problems about an OpenStreetMap element (located by its ``source_ref``, e.g.
    ``node/123``) located as the OSM readers locate theirs: the file, then the element
    at the start of the message."""
    wanted = {p.file for p in problems if p.file and p.row is None and _OSM_REF.match(p.file)}
    if not wanted:
        return problems
    files: dict[str, str] = {}
    for s in sources:
        if _is_osm(s) and len(s.cameras):
            refs = s.cameras["source_ref"].astype("string")
            files.update(dict.fromkeys(refs[refs.isin(wanted)].tolist(), s.path.name))
    return [replace(p, file=files[p.file], message=f"{p.file}: {p.message}")
            if p.file in files and p.row is None and _OSM_REF.match(p.file) else p
            for p in problems]


def _geocode(table: gpd.GeoDataFrame, layer: Layer, problems: _Problems, *,
             extract: str | os.PathLike[str] | None, online: bool, nominatim_url: str | None,
             progress: Callable[[int, int], None] | None) -> gpd.GeoDataFrame:
    """Place the rows that give an address but no point; report those it cannot place."""
    needs = table.geometry.isna() & table["address"].notna() & (table["count"] == 1)
    if not needs.any():
        return table
    from .geocode import geocode_cameras

    geo = geocode_cameras(table, extract=extract, online=online, nominatim_url=nominatim_url,
                          units=layer.units, country_codes=layer.country.code,
                          progress=progress)
    problems.found.extend(geo.problems)
    # rows without an address were not asked about: what they count toward is the join's
    address = geo.unplaced["address"].astype("string").str.strip().fillna("")
    asked = geo.unplaced[(address != "").to_numpy()]
    problems.add_not_placed([
        Problem.at_ref(f"not placed: {row['reason']}", row["source_ref"],
                       value=row["address"], code="not-placed")
        for row in asked.to_dict("records")])
    return validate_cameras(geo.cameras, where="geocoded cameras")


def _merge(table: gpd.GeoDataFrame, *, merge: bool, distances: dict[str, float | None] | None,
           max_direction_difference: float) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Merge the cameras several sources describe; the pairs kept apart are conflicts."""
    if not merge or not len(table):
        return table, pd.DataFrame()
    from .merge import merge_cameras

    merged = merge_cameras(table, distances=distances,
                           max_direction_difference=max_direction_difference)
    if merged.merges:
        log.info("merged %d record(s) that describe cameras another source describes too",
                 merged.merges)
    return merged.cameras, merged.conflicts


def _check_claims(claims: str | os.PathLike[str] | None, metrics: Metrics, layer: Layer, *,
                  use_default: bool) -> list[ClaimCheck]:
    """Check the claims file given, or the bundled evidence's own claims."""
    path = claims
    if path is None and use_default:
        default_claims = default_example() / "claims.csv"
        path = default_claims if default_claims.exists() else None
    return check_claims(load_claims(Path(path)), metrics, layer) if path else []


def _attribution(layer: Layer, sources: list[SourceResult]) -> list[str]:
    """What anything published from the build must carry: OpenStreetMap first when its
    data are in the build, then the layer's sources."""
    attribution = list(layer.attribution)
    if any(_is_osm(s) for s in sources):
        attribution.insert(0, OSM_ATTRIBUTION)
    elif layer.contains_osm and not any("OpenStreetMap" in a for a in attribution):
        attribution.append(OSM_ATTRIBUTION)
    return attribution


def _in_id_order(cameras: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The cameras sorted by ``camera_id`` (stable outputs), with a fresh index."""
    if not cameras["camera_id"].is_monotonic_increasing:  # merge already sorts: no copy
        cameras = cameras.sort_values("camera_id", kind="stable")
    return cameras.reset_index(drop=True)


def analyse_place(
    place: OsmPlace,
    cameras: Sequence[str | os.PathLike[str]] = (),
    *,
    population: int | None = None,
    overpass_url: str | None = None,
    **options: Any,
) -> Analysis:
    """Analyse a place taken from OpenStreetMap (:func:`camera_map.place.place_from_osm`).

    Its cameras come from Overpass inside its boundary, plus any ``cameras`` files; the
    population is ``population`` or OSM's tag (:func:`camera_map.place.layer_from_place`).
    A rank among one place says nothing, so the place is not ranked. The attribution says
    where the boundary and the population come from, with the population's caveat.
    ``options`` are those of :func:`analyse` (``extract``, ``online``, ``read_options``, …).
    """
    from .place import layer_from_place

    layer = layer_from_place(place, population=population)
    analysis = analyse(list(cameras), layer=layer, osm_area=place.ref,
                       overpass_url=overpass_url, **options)
    units = analysis.metrics.units
    units["rank"] = pd.Series(pd.NA, index=units.index, dtype="Float64")
    if "ranked" in units.columns:
        units["ranked"] = pd.Series(pd.NA, index=units.index, dtype="Float64")
    analysis.attribution += [
        f"Boundary: OpenStreetMap {place.ref} ({place.display_name}), found by name "
        "through Nominatim",
        f"Population: {layer.units['population_method'].iloc[0]}",
    ]
    return analysis


def build(
    cameras: Sequence[str | os.PathLike[str]] | None = None,
    *,
    out_dir: str | os.PathLike[str] | None = None,
    formats: Sequence[str] | None = None,
    map_options: dict[str, Any] | None = None,
    png: bool = True,
    progress: Callable[[str], None] | None = None,
    print_size: str | None = None,
    print_formats: Sequence[str] = ("png",),
    **options: Any,
) -> BuildResult:
    """Build maps, figures and exports from camera evidence.

    Runs :func:`analyse` (every keyword it takes is accepted here too), then writes into
    ``out_dir`` (default ``settings.output_dir``, ``output/``): ``map.html``, ``map.png``,
    the exports named in ``formats``, and the reports. The folder is replaced as a whole
    (:mod:`camera_map._outdir`): a reader sees the previous build or this one, never a mix;
    files a build does not write are kept; a second build into the same folder at the same
    time is refused (:class:`~camera_map.errors.OutputBusyError`).

    Parameters
    ----------
    formats
        Exports to write, any of :data:`FORMATS`: ``geojson`` (municipalities.geojson,
        cameras.geojson), ``csv`` (municipalities.csv, cameras.csv), ``gpkg``
        (camera-map.gpkg with layers municipalities, cameras, cities, rejected, conflicts,
        problems), ``fgb`` (FlatGeobuf) and ``parquet`` (cameras.parquet, GeoParquet).
        ``map.html``, rejected.csv, conflicts.csv, problems.csv, sources.json, summary.txt
        and README.md are always written. Default (``None``): :data:`DEFAULT_FORMATS`, but
        from :data:`LARGE_BUILD_CAMERAS` camera rows on the cameras are written only as
        cameras.parquet (the municipalities still in every default format), and the
        output's README.md says why.
    map_options
        Options for :func:`camera_map.render.render_map` (``title``, ``tiles``, ``lang``,
        ``metric``, ``scheme``, ``k``, ``self_contained``, ``basemap``). ``basemap``
        defaults to the ``extract`` file when one is given; None draws no base map.
    png
        Also write the printed map (``map.png``; see ``print_formats``).
    print_size
        Size of the printed map: ``2400x1600`` (pixels), ``2400x1600@300`` or a paper
        size at a DPI such as ``A4@300`` (see :func:`camera_map.render.static.print_size`);
        default 1600×1600 pixels at 200 dpi.
    print_formats
        Any of ``png``, ``svg``, ``pdf``: one ``map.<format>`` each.
    """
    plan = _OutputPlan.checked(formats, map_options=map_options, png=png,
                               print_size=print_size, print_formats=print_formats,
                               extract=options.get("extract"))
    out = Path(out_dir or settings.output_dir)
    with output_lock(out) as target:  # one build at a time into one folder
        analysis = analyse(cameras, progress=progress, **options)
        with staged_folder(target) as stage:  # swapped in whole, or not at all
            result = _write_build(analysis, stage, plan, progress=progress)
    result.outputs = {name: out / path.relative_to(stage) for name, path in
                      result.outputs.items()}
    return result


@dataclass(frozen=True)
class _OutputPlan:
    """What a build writes besides the reports: exports, map options, printed maps."""

    formats: tuple[str, ...]
    #: whether the formats were chosen (a large build whose formats were not keeps its
    #: cameras in cameras.parquet only)
    chosen: bool
    map_options: dict[str, Any]
    png: bool
    size: tuple[Any, ...] | None
    print_formats: tuple[str, ...]
    extract: str | os.PathLike[str] | None

    @classmethod
    def checked(cls, formats: Sequence[str] | None, *, map_options: dict[str, Any] | None,
                png: bool, print_size: str | None, print_formats: Sequence[str],
                extract: str | os.PathLike[str] | None) -> _OutputPlan:
        """The plan, after checking every format and size (before anything is read)."""
        chosen = tuple(formats) if formats is not None else DEFAULT_FORMATS
        unknown = sorted(set(chosen) - set(FORMATS))
        if unknown:
            raise InputError(f"unknown export format(s) {unknown}; choose from "
                             f"{', '.join(FORMATS)}")
        from .render.static import FORMATS as PRINT_FORMATS
        from .render.static import print_size as parse_print_size

        bad = sorted(set(print_formats) - set(PRINT_FORMATS))
        if bad:
            raise InputError(f"unknown print format(s) {bad}; choose from "
                             f"{', '.join(PRINT_FORMATS)}")
        size = parse_print_size(print_size) if print_size else None  # bad sizes fail early
        return cls(chosen, formats is not None, dict(map_options or {}), png, size,
                   tuple(print_formats), extract)

    def large(self, cameras: int) -> bool:
        """Whether the cameras go into cameras.parquet only (:data:`LARGE_BUILD_CAMERAS`)."""
        return not self.chosen and cameras >= LARGE_BUILD_CAMERAS

    def camera_formats(self, cameras: int) -> set[str]:
        """The formats the cameras are written in."""
        return {"parquet"} if self.large(cameras) else set(self.formats)

    def notes(self, cameras: int) -> list[str]:
        """What the build decided about its outputs, for the reader."""
        if not self.large(cameras):
            return []
        return [
            f"The {cameras:,} camera rows are in cameras.parquet (GeoParquet: QGIS, "
            "geopandas, DuckDB and R open it) and not in cameras.geojson, cameras.csv or a "
            f"cameras layer of camera-map.gpkg: as GeoJSON alone they would take about "
            f"{cameras * 560 / 1e6:,.0f} MB, which browsers and QGIS open slowly, and "
            "half a minute to write. Ask for them with --format geojson,csv,gpkg."]


def _write_build(analysis: Analysis, out: Path, plan: _OutputPlan, *,
                 progress: Callable[[str], None] | None) -> BuildResult:
    """Write the map, the exports and the reports of ``analysis`` into folder ``out``."""
    stages = _Stages(progress, analysis.timings)
    with stages("render"):
        outputs = _render(analysis, out, plan)
    with stages("export"):
        jobs = _export_jobs(analysis, out, plan)
        outputs.update(_run_writers(jobs, parallel=len(analysis.cameras) >= PARALLEL_EXPORT_ROWS))
    result = BuildResult(**{f.name: getattr(analysis, f.name) for f in fields(Analysis)},
                         outputs=outputs, notes=plan.notes(len(analysis.cameras)))
    outputs["summary.txt"] = write_text_atomic(
        out / "summary.txt", clean_text("\n".join([result.summary(), *result.notes])) + "\n")
    outputs["README.md"] = write_text_atomic(out / "README.md",
                                             clean_text(_output_readme(result)))
    return result


def _render(analysis: Analysis, out: Path, plan: _OutputPlan) -> dict[str, Path]:
    """map.html, and the printed map in each print format (``plan.png``)."""
    from .render import render_map

    opts = _map_options(analysis, plan)
    outputs = {"map.html": render_map(analysis.metrics.units, analysis.cameras,
                                      out / "map.html", attribution=analysis.attribution,
                                      context=analysis.context, **opts)}
    if plan.png:
        outputs.update(_render_print(analysis, out, plan, opts))
    return outputs


def _map_options(analysis: Analysis, plan: _OutputPlan) -> dict[str, Any]:
    """The map's options: the caller's, with the title, the data's date and the base map
    filled in where the caller left them out."""
    opts = dict(plan.map_options)
    if "title" not in opts:
        opts["title"] = _default_title(analysis.layer, str(opts.get("lang", "en")))
    opts.setdefault("data_date", _data_date(analysis.cameras))
    if "basemap" not in opts and plan.extract is not None:
        # the extract that places addresses also draws the streets around the cameras
        opts["basemap"] = plan.extract
    return opts


def _render_print(analysis: Analysis, out: Path, plan: _OutputPlan,
                  opts: dict[str, Any]) -> dict[str, Path]:
    """map.png (map.svg, map.pdf): the choropleth with what each figure is in footnotes."""
    from .render import figure_footnotes
    from .render.static import camera_credit, render_png

    png_opts = {k: v for k, v in opts.items() if k in ("title", "metric", "scheme", "k",
                                                       "lang", "data_date")}
    if plan.size is not None:
        png_opts["size"], png_opts["dpi"] = plan.size[:2], plan.size[2]
    lang = str(opts.get("lang", "en"))
    credit = camera_credit(analysis.cameras, lang)
    # what each figure is (status, date, "at least", range) travels into print
    footnotes = figure_footnotes(analysis.metrics.units, lang)
    return {f"map.{fmt}": render_png(analysis.metrics.units, out / f"map.{fmt}",
                                     attribution=analysis.attribution,
                                     camera_sources=credit, notes=footnotes, **png_opts)
            for fmt in dict.fromkeys(plan.print_formats)}


_Job = tuple[str, Callable[[], Path]]


def _export_jobs(analysis: Analysis, out: Path, plan: _OutputPlan) -> list[_Job]:
    """The writers of the exports, format by format (the units' file, then the cameras'),
    then the reports."""
    units, cams, attribution = analysis.metrics.units, analysis.cameras, analysis.attribution
    cam_cols = [c for c in (*COLUMNS, *MERGE_COLUMNS, *JOIN_COLUMNS) if c in cams.columns]
    camera_formats = plan.camera_formats(len(cams))
    unit_jobs: dict[str, _Job] = {
        "geojson": ("municipalities.geojson", lambda: write_geojson(
            units, out / "municipalities.geojson", coordinate_decimals=6,
            name="municipalities", attribution=attribution)),
        "csv": ("municipalities.csv", lambda: write_csv(units, out / "municipalities.csv")),
        "gpkg": ("camera-map.gpkg", lambda: write_geopackage(
            out / "camera-map.gpkg",
            _gpkg_layers(analysis, cam_cols, cameras="gpkg" in camera_formats),
            description="; ".join(attribution), last_change=_content_date(cams))),
        "fgb": ("municipalities.fgb", lambda: write_flatgeobuf(
            units, out / "municipalities.fgb")),
    }
    camera_jobs: dict[str, _Job] = {
        "geojson": ("cameras.geojson", lambda: write_geojson(
            cams, out / "cameras.geojson", columns=cam_cols, json_columns=["tags"],
            drop_nulls=True, name="cameras", attribution=attribution)),
        "csv": ("cameras.csv", lambda: write_csv(
            _with_lonlat(cams), out / "cameras.csv",
            columns=[*cam_cols, "longitude", "latitude"])),
        "fgb": ("cameras.fgb", lambda: write_flatgeobuf(
            cams[[*cam_cols, "geometry"]], out / "cameras.fgb")),
        "parquet": ("cameras.parquet", lambda: write_geoparquet(
            cams[[*cam_cols, "geometry"]], out / "cameras.parquet")),
    }
    jobs = []
    for fmt in FORMATS:
        if fmt in plan.formats and fmt in unit_jobs:
            jobs.append(unit_jobs[fmt])
        if fmt in camera_formats and fmt in camera_jobs:
            jobs.append(camera_jobs[fmt])
    return [*jobs, *_report_jobs(analysis, out)]


def _report_jobs(analysis: Analysis, out: Path) -> list[_Job]:
    """rejected.csv, conflicts.csv, problems.csv and sources.json: written by every build."""
    return [
        ("rejected.csv", lambda: write_rejected(analysis.rejected, out / "rejected.csv")),
        ("conflicts.csv", lambda: write_csv(_conflict_frame(analysis), out / "conflicts.csv")),
        ("problems.csv", lambda: write_csv(_problem_frame(analysis.problems),
                                           out / "problems.csv")),
        ("sources.json", lambda: write_json(_sources_record(analysis), out / "sources.json")),
    ]


def _gpkg_layers(analysis: Analysis, cam_cols: list[str], *,
                 cameras: bool) -> dict[str, pd.DataFrame]:
    """The layers of camera-map.gpkg: the units, the cameras (unless a large build keeps
    them in cameras.parquet), the cities and the reports."""
    layers: dict[str, pd.DataFrame] = {"municipalities": analysis.metrics.units}
    if cameras:
        layers["cameras"] = analysis.cameras[[*cam_cols, "geometry"]]
    layers.update({"cities": analysis.metrics.groups,
                   "rejected": analysis.rejected.text_frame(),
                   "conflicts": _conflict_frame(analysis),
                   "problems": _problem_frame(analysis.problems)})
    return layers


def _conflict_frame(analysis: Analysis) -> pd.DataFrame:
    """The conflicts of the merge, with their columns even when there are none."""
    if len(analysis.conflicts.columns):
        return analysis.conflicts
    return pd.DataFrame(columns=list(CONFLICT_COLUMNS))


#: From this many cameras on, the exports are written by several threads at once: Arrow's
#: kernels, GDAL and file writes release the GIL, so the formats overlap on a multi-core
#: machine (1 M cameras, 2 cores: 16 s one after another).
PARALLEL_EXPORT_ROWS = 50_000


def _run_writers(jobs: list[tuple[str, Callable[[], Path]]], *,
                 parallel: bool) -> dict[str, Path]:
    """Run the output writers (each writes atomically); the first error is raised after all
    of them finished, so no writer is left half-way."""
    if not parallel:
        return {name: job() for name, job in jobs}
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(3, os.cpu_count() or 1)) as pool:
        futures = [(name, pool.submit(job)) for name, job in jobs]
    return {name: future.result() for name, future in futures}


def _default_title(layer: Layer, lang: str) -> str:
    """"Surveillance cameras — Serbia", in the map's language and script."""
    from .names import to_cyrillic
    from .render import i18n

    country = layer.country.name or layer.title
    local = layer.country.local
    if lang != "en" and local:
        country = to_cyrillic(local) if lang == "sr-Cyrl" else local
    return i18n.text("map.title", lang, country=country)


def _is_osm(source: SourceResult) -> bool:
    return source.kind.startswith(("osm", "overpass"))


_FILE_NOTES = {
    "map.html": "interactive map, one self-contained file (open it in a browser, or embed it "
                "with an iframe)",
    "municipalities.geojson": "one feature per unit with its figures (RFC 7946, WGS84)",
    "cameras.geojson": "every camera (point) and count row (no geometry) with its provenance",
    "municipalities.csv": "the units' figures keyed by official code (`id`), for charting tools",
    "cameras.csv": "the cameras with longitude/latitude columns",
    "camera-map.gpkg": "GeoPackage with layers municipalities, cameras, cities, rejected, "
                       "conflicts, problems",
    "municipalities.fgb": "FlatGeobuf of the units", "cameras.fgb": "FlatGeobuf of the cameras",
    "cameras.parquet": "the cameras as GeoParquet (QGIS with GDAL 3.5 or later, geopandas, "
                       "DuckDB)",
    "map.png": "the choropleth as a picture, for print and social media",
    "map.svg": "the printed map as SVG (text stays text), for editing",
    "map.pdf": "the printed map as PDF, for print",
    "rejected.csv": "input rows that were not used, with the reason",
    "conflicts.csv": "pairs of nearby cameras from different sources kept apart because they "
                     "contradict each other (type, direction, operator), with the reason",
    "problems.csv": "warnings about the inputs",
    "sources.json": "inputs (with SHA-256), layer, attribution and claim checks",
    "summary.txt": "the summary printed by the build",
}


def _output_readme(result: BuildResult) -> str:
    """The README written beside the outputs: files, inputs, licences, attribution."""
    lines = ["# camera-map output", "",
             f"Made by camera-map {__version__} from the layer \"{result.layer.title}\" "
             "and the inputs below. No data is not zero: a unit no evidence speaks of has "
             "`evidence = none` and empty figures.", "", "## Files", ""]
    lines += [f"- `{name}`: {_FILE_NOTES.get(name, '')}" for name in result.outputs
              if name != "README.md"]
    if result.notes:
        lines += ["", *result.notes]
    lines += ["", "## Inputs", ""]
    lines += [f"- `{s.path.name}` ({s.kind}): {s.rows_read:,} rows/objects read, "
              f"{len(s.cameras):,} accepted, {len(s.rejected):,} rejected"
              for s in result.sources] or ["- none"]
    lines += ["", "## Attribution and licences", "",
              "Anything published from these files must carry:", ""]
    lines += [f"- {a}" for a in result.attribution]
    lines += ["", "## Summary", "", "```", result.summary(), "```", ""]
    return "\n".join(lines)


def _with_lonlat(cameras: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Add longitude/latitude columns (empty for count-only rows) for spreadsheets."""
    geoms = cameras.geometry
    located = geoms.notna() & ~geoms.is_empty
    lon = pd.Series(pd.NA, index=cameras.index, dtype="Float64")
    lat = pd.Series(pd.NA, index=cameras.index, dtype="Float64")
    lon[located] = geoms[located].x.round(7)
    lat[located] = geoms[located].y.round(7)
    return cameras.assign(longitude=lon, latitude=lat)


def _check_distinct_names(inputs: Sequence[str | os.PathLike[str]]) -> None:
    """Rows are referenced by file name (``file.csv#row 7``), so names must differ."""
    seen: dict[str, Path] = {}
    for f in (f for path in inputs for f in camera_files(path)):
        other = seen.setdefault(f.name, f)
        if other is f:
            continue
        if other.resolve() == f.resolve():
            raise InputError(f"{f} is given twice; give each input once")
        raise InputError(f"two inputs have the same file name {f.name!r} ({other} and {f}); "
                         "rows are cited by file name, so rename one of them")


def _fetch_overpass(area: str | None, bbox: Any, url: str | None) -> SourceResult:
    from .sources.overpass import overpass_answer, read_answer

    answer = overpass_answer(area=area, bbox=bbox, url=url)
    res = read_answer(answer, area=area, bbox=bbox)
    label = f"Overpass: {area or bbox}"
    log.info("%s: %s", label, answer.provenance())
    return SourceResult(Path(label), "overpass-json", res.cameras, problems=list(res.problems),
                        rows_read=len(res.cameras), attribution=[res.attribution],
                        details={"provenance": answer.provenance()})


def _drop_repeated_elements(table: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The same OSM element read from two files counts once (the newest version wins)."""
    if table.empty or not repeats_values(table["camera_id"]):
        return table
    dup = table["camera_id"].duplicated(keep=False) & (table["source"] == "osm")
    if not dup.any():
        return table
    version = pd.to_numeric(table["source_version"], errors="coerce").fillna(-1)
    order = table.assign(_v=version).sort_values(["camera_id", "_v"], kind="stable")
    keep = ~order["camera_id"].duplicated(keep="last") | (order["source"] != "osm")
    log.info("dropped %d repeated OSM element(s)", int((~keep).sum()))
    return order[keep].drop(columns="_v").sort_index()


def _problem_frame(problems: list[Problem]) -> pd.DataFrame:
    return pd.DataFrame({"where": [p.location() for p in problems],
                         "message": [p.message for p in problems],
                         "value": ["" if p.value is None else str(p.value) for p in problems]},
                        columns=["where", "message", "value"])


def _data_date(cameras: gpd.GeoDataFrame) -> str | None:
    """The date of the newest evidence (ISO), or None when no source dates its evidence."""
    dates = cameras["source_date"].dropna().astype(str).str.slice(0, 10)
    return str(dates.max()) if len(dates) else None


def _content_date(cameras: pd.DataFrame) -> str | None:
    """The newest date any source gives its evidence (``source_date`` or ``as_of``; a year or
    a month counts as its first day), for the GeoPackage's ``last_change`` in place of the
    time of the build, so that the same inputs give the same file; None when undated."""
    dates = [cameras[col].dropna().astype(str).str.strip()
             for col in ("source_date", "as_of") if col in cameras.columns]
    iso = pd.concat(dates) if dates else pd.Series([], dtype=str)
    iso = iso[iso.str.fullmatch(r"\d{4}(-\d{2}(-\d{2}([T ].*)?)?)?")].str.slice(0, 10)
    if iso.empty:
        return None
    newest = str(iso.max())
    return newest + "-01-01"[len(newest) - 4:] if len(newest) < 10 else newest


def _sources_record(analysis: Analysis) -> dict[str, Any]:
    import hashlib

    def digest(p: Path) -> str | None:
        return hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else None

    layer = analysis.layer
    return {
        "generator": f"camera-map {__version__}",
        "layer": {"name": layer.name, "title": layer.title,
                  "population_source": layer.census.source,
                  "population_year": layer.census.year},
        "inputs": [{"file": s.path.name, "kind": s.kind, "sha256": digest(s.path),
                    "rows_read": s.rows_read, "accepted": len(s.cameras),
                    "rejected": len(s.rejected)} for s in analysis.sources],
        "licences": {"OpenStreetMap data": "ODbL 1.0 (https://opendatacommons.org/licenses/odbl/)"}
        if any("OpenStreetMap" in a for a in analysis.attribution) else {},
        "attribution": analysis.attribution,
        "claims": [{"municipality": c.name, "claim": c.claim.claim, "source": c.claim.source,
                    "metric": c.claim.metric, "reported": c.claim.value,
                    "computed": None if c.actual is None else round(c.actual, 4),
                    "reproduced": c.ok} for c in analysis.claims],
    }
