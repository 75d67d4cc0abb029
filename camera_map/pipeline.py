"""Run the whole pipeline: sources → table → geocode → join → metrics → render / export.

:func:`build` is what ``camera-map build`` calls. With no arguments it builds the bundled
default: the Serbian layer plus its bundled evidence (``camera_map/data/layers/serbia/evidence/``).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
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
)
from .join import JOIN_COLUMNS, join_cameras
from .layers import OSM_ATTRIBUTION, Layer, load_layer
from .merge import CONFLICT_COLUMNS, MERGE_COLUMNS
from .metrics import Metrics, compute_metrics
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
    rejected: pd.DataFrame
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
        from .render import figure_caveats, figure_text, row_figures

        units, groups = self.metrics.units, self.metrics.groups
        cols = ["name", "rank", "cameras", "cameras_per_1000", "residents_per_camera",
                "estimate_counts", "cameras_low", "cameras_high", "figures", "premises"]
        places = pd.concat([
            units.loc[units["evidence"] == "unit", cols],
            groups.loc[groups["figures"].notna(), cols].assign(
                name=lambda d: d["name"] + " (city)"),
        ])
        ranked = places[places["rank"].notna()].sort_values(["rank", "name"])
        lines = []
        for row in ranked.head(10).to_dict("records"):
            figs = row_figures(row)
            best = next((f for f in figs if f.get("best")), None)
            what = figure_text(row["cameras"], row["estimate_counts"], "en")
            caveat = f" — {figure_caveats(best, 'en')}" if best else ""
            one_per = ("" if pd.isna(row["residents_per_camera"])
                       else f" (one per {row['residents_per_camera']:,.0f})")
            rng = ""
            if not pd.isna(row["cameras_low"]) and row["cameras_low"] != row["cameras_high"]:
                rng = (f"; figures reported {int(row['cameras_low']):,}–"
                       f"{int(row['cameras_high']):,}, not added")
            bound = "at least " if row["estimate_counts"] == "locations" else ""
            lines.append(f"  {int(row['rank']):>3}. {row['name']}: {what}{caveat}; "
                         f"{bound}{row['cameras_per_1000']:.2f} per 1,000 residents"
                         f"{one_per}{rng}")
            if best and best.get("note"):
                lines.append(f"         note: {best['note']}")
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
        units = self.metrics.units
        lines = []
        n_rej = len(self.rejected)
        n_acc = sum(len(s.cameras) for s in self.sources)
        needs = sum(int(s.details.get("needs_geocoding", 0)) for s in self.sources)
        lines.append(f"Read {len(self.sources)} input(s): {self.rows_read:,} rows/objects, "
                     f"{n_acc:,} accepted, {n_rej:,} rejected"
                     + (" (see rejected.csv)" if n_rej else "")
                     + f", {needs:,} needed geocoding")
        lines += [f"{s.path}: {s.details['provenance']}" for s in self.sources
                  if s.details.get("provenance")]
        best = int(units["cameras"].sum()) + int(self.metrics.groups["cameras"].sum())
        n_figures = len(self.metrics.figures)
        own = int((units["evidence"] == "unit").sum())
        grp = int((units["evidence"] == "group").sum())
        none = int((units["evidence"] == "none").sum())
        lines.append(f"Cameras: {best:,} (best estimates of units and cities, from "
                     f"{n_figures:,} figure(s) in the evidence: figures for one place and "
                     "located cameras are not added; cameras on premises are not counted)")
        lines.append(f"Units with their own figure: {own}, with a city-level figure only: "
                     f"{grp}, no data: {none} (of {len(units)}; no data is not zero)")
        lines += self._figure_lines()
        if self.bundled_evidence is not None and self.sources:
            lines.append(
                f"Bundled evidence of layer {self.layer.name!r} (public reporting): "
                + ("included" if self.bundled_evidence else
                   "NOT included; add it to your files with --with-bundled-evidence"))
        from .render import kind_text

        for fact in self.context:
            lines.append(f"Context (assigned to no unit): {fact.statement} "
                         f"[{kind_text(fact.source, 'en')}, {fact.as_of}: {fact.document}]")
        for check in self.claims:
            lines.append(("✓ " if check.ok else "✗ ") + check.text)
        nowhere = int(self.cameras["municipality_id"].isna().sum())
        if nowhere:
            lines.append(f"{nowhere:,} of {len(self.cameras):,} rows count nowhere: see "
                         "problems.csv")
        if self.problems:
            lines.append(f"{len(self.problems)} warning(s) (see problems.csv)")
        return "\n".join(lines)


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
    timings: dict[str, float] = {}
    step = progress or (lambda _stage: None)
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[stage] = round(now - clock, 4)
        clock = now

    nothing_given = cameras is None and layer is None and not osm_area and not osm_bbox
    step("layer")
    the_layer = layer if isinstance(layer, Layer) else load_layer(layer)
    lap("layer")
    on_default_layer = not isinstance(layer, Layer) and (
        layer is None or layer == settings.default_layer)
    if bundled_evidence and not on_default_layer:
        raise InputError("the bundled evidence is about the default layer "
                         f"({settings.default_layer!r}); it cannot go with another layer")
    use_default = nothing_given if bundled_evidence is None else bool(bundled_evidence)

    step("read")
    inputs = [*(default_cameras() if use_default else []), *list(cameras or [])]
    options = dict(read_options or {})
    options.setdefault("units", the_layer.units)
    _check_distinct_names(inputs)
    sources = read_sources(inputs, **options) if inputs else []
    if osm_area or osm_bbox:
        sources.append(_fetch_overpass(osm_area, osm_bbox, overpass_url))
    lap("read")

    step("normalise")
    tables = [s.cameras for s in sources if len(s.cameras)]
    table = pd.concat(tables, ignore_index=True) if tables else empty_cameras()
    table = _drop_repeated_elements(gpd.GeoDataFrame(table, geometry="geometry", crs="EPSG:4326"))
    table = clean_text_columns(validate_cameras(table, where="cameras read from the inputs"))
    rejected = _rejected(sources)
    problems = [p for s in sources for p in s.problems]
    if strict and len(rejected):
        raise StrictError(f"{len(rejected)} row(s) rejected and --strict is set; see the "
                         "reasons below or run `camera-map check FILE`",
                         [Problem(str(r["reason"]), file=str(r.get("file", "")),
                                  row=_int_or_none(r.get("row")))
                          for r in rejected.to_dict("records")])
    lap("normalise")

    step("geocode")
    needs = table.geometry.isna() & table["address"].notna() & (table["count"] == 1)
    if needs.any():
        from .geocode import geocode_cameras

        geo = geocode_cameras(table, extract=extract, online=online,
                              nominatim_url=nominatim_url, units=the_layer.units,
                              country_codes=the_layer.country_code,
                              progress=geocode_progress)
        table = validate_cameras(geo.cameras, where="geocoded cameras")
        problems.extend(geo.problems)
        for row in geo.unplaced.to_dict("records"):
            problems.append(Problem.at_ref(f"not placed: {row.get('reason')}",
                                           row.get("source_ref"), value=row.get("address")))
    lap("geocode")

    step("merge")
    conflicts = pd.DataFrame()
    if merge and len(table):
        from .merge import merge_cameras

        merged = merge_cameras(table, distances=merge_distances,
                               max_direction_difference=max_direction_difference)
        table, conflicts = merged.cameras, merged.conflicts
        if merged.merges:
            log.info("merged %d record(s) that describe cameras another source describes too",
                     merged.merges)
    lap("merge")

    step("join")
    joined = join_cameras(table, the_layer)
    # a reader that checked a row against the boundaries has reported it already
    said = {p.key() for p in problems if p.code}
    problems.extend(p for p in joined.problems if p.key() not in said)
    lap("join")

    step("metrics")
    metrics = compute_metrics(joined.cameras, the_layer,
                              osm_in_build=any(_is_osm(s) for s in sources))
    claim_path = claims
    if claim_path is None and use_default:
        default_claims = default_example() / "claims.csv"
        claim_path = default_claims if default_claims.exists() else None
    checks = (check_claims(load_claims(Path(claim_path)), metrics, the_layer) if claim_path
              else [])
    lap("metrics")

    attribution = list(the_layer.attribution)
    if any(_is_osm(s) for s in sources):
        attribution.insert(0, OSM_ATTRIBUTION)
    elif the_layer.contains_osm and not any("OpenStreetMap" in a for a in attribution):
        attribution.append(OSM_ATTRIBUTION)
    cams = joined.cameras
    if not cams["camera_id"].is_monotonic_increasing:  # merge already sorts; skip the copy
        cams = cams.sort_values("camera_id", kind="stable")
    cams = cams.reset_index(drop=True)
    return Analysis(the_layer, metrics, cams, sources, rejected, problems, checks, conflicts,
                    timings, attribution,
                    bundled_evidence=use_default if on_default_layer else None,
                    context=default_context() if use_default else [])


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
    chosen = formats is not None
    formats = tuple(formats) if formats is not None else DEFAULT_FORMATS
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise InputError(f"unknown export format(s) {unknown}; choose from {', '.join(FORMATS)}")
    from .render.static import FORMATS as PRINT_FORMATS
    from .render.static import print_size as parse_print_size

    bad = sorted(set(print_formats) - set(PRINT_FORMATS))
    if bad:
        raise InputError(f"unknown print format(s) {bad}; choose from "
                         f"{', '.join(PRINT_FORMATS)}")
    size = parse_print_size(print_size) if print_size else None  # bad sizes fail early
    out = Path(out_dir or settings.output_dir)
    with output_lock(out) as target:  # one build at a time into one folder
        analysis = analyse(cameras, progress=progress, **options)
        with staged_folder(target) as stage:  # swapped in whole, or not at all
            result = _write_build(analysis, stage, formats=formats, chosen=chosen,
                                  map_options=map_options,
                                  png=png, progress=progress, size=size,
                                  print_formats=print_formats, extract=options.get("extract"))
    result.outputs = {name: out / path.relative_to(stage) for name, path in
                      result.outputs.items()}
    return result


def _write_build(analysis: Analysis, out: Path, *, formats: Sequence[str], chosen: bool,
                 map_options: dict[str, Any] | None, png: bool,
                 progress: Callable[[str], None] | None, size: Any,
                 print_formats: Sequence[str], extract: Any) -> BuildResult:
    """Write the map, the exports and the reports of ``analysis`` into folder ``out``."""
    step = progress or (lambda _stage: None)
    timings = analysis.timings
    clock = time.perf_counter()
    the_layer, metrics, cams_out = analysis.layer, analysis.metrics, analysis.cameras
    attribution = analysis.attribution

    outputs: dict[str, Path] = {}

    step("render")
    from .render import render_map

    opts = dict(map_options or {})
    if "title" not in opts:
        opts["title"] = _default_title(the_layer, str(opts.get("lang", "en")))
    opts.setdefault("data_date", _data_date(cams_out))
    if "basemap" not in opts and extract is not None:
        # the extract that places addresses also draws the streets around the cameras
        opts["basemap"] = extract
    outputs["map.html"] = render_map(metrics.units, cams_out, out / "map.html",
                                     attribution=attribution, context=analysis.context,
                                     **opts)
    if png:
        from .render.static import camera_credit, render_png

        png_opts = {k: v for k, v in opts.items() if k in ("title", "metric", "scheme", "k",
                                                           "lang", "data_date")}
        if size is not None:
            png_opts["size"], png_opts["dpi"] = size[:2], size[2]
        from .render import figure_footnotes

        credit = camera_credit(cams_out, str(opts.get("lang", "en")))
        # what each figure is (status, date, "at least", range) travels into print
        footnotes = figure_footnotes(metrics.units, str(opts.get("lang", "en")))
        for fmt in dict.fromkeys(print_formats):
            outputs[f"map.{fmt}"] = render_png(metrics.units, out / f"map.{fmt}",
                                               attribution=attribution,
                                               camera_sources=credit, notes=footnotes,
                                               **png_opts)
    now = time.perf_counter()
    timings["render"] = round(now - clock, 4)
    clock = now

    step("export")
    cam_cols = [c for c in (*COLUMNS, *MERGE_COLUMNS, *JOIN_COLUMNS) if c in cams_out.columns]
    conflicts = analysis.conflicts if len(analysis.conflicts.columns) else pd.DataFrame(
        columns=list(CONFLICT_COLUMNS))
    problem_frame = _problem_frame(analysis.problems)
    from .sources.foi import write_rejected

    # a large build whose formats were not chosen keeps its cameras in one compact file
    large = not chosen and len(cams_out) >= LARGE_BUILD_CAMERAS
    camera_formats = {"parquet"} if large else set(formats)
    notes: list[str] = []
    if large:
        notes.append(
            f"The {len(cams_out):,} camera rows are in cameras.parquet (GeoParquet: QGIS, "
            "geopandas, DuckDB and R open it) and not in cameras.geojson, cameras.csv or a "
            f"cameras layer of camera-map.gpkg: as GeoJSON alone they would take about "
            f"{len(cams_out) * 560 / 1e6:,.0f} MB, which browsers and QGIS open slowly, and "
            "half a minute to write. Ask for them with --format geojson,csv,gpkg.")
    jobs: list[tuple[str, Callable[[], Path]]] = []
    if "geojson" in formats:
        jobs.append(("municipalities.geojson", lambda: write_geojson(
            metrics.units, out / "municipalities.geojson", coordinate_decimals=6,
            name="municipalities", attribution=attribution)))
    if "geojson" in camera_formats:
        jobs.append(("cameras.geojson", lambda: write_geojson(
            cams_out, out / "cameras.geojson", columns=cam_cols, json_columns=["tags"],
            drop_nulls=True, name="cameras", attribution=attribution)))
    if "csv" in formats:
        jobs.append(("municipalities.csv", lambda: write_csv(
            metrics.units, out / "municipalities.csv")))
    if "csv" in camera_formats:
        jobs.append(("cameras.csv", lambda: write_csv(
            _with_lonlat(cams_out), out / "cameras.csv",
            columns=[*cam_cols, "longitude", "latitude"])))
    if "gpkg" in formats:
        gpkg_layers = {"municipalities": metrics.units}
        if "gpkg" in camera_formats:
            gpkg_layers["cameras"] = cams_out[[*cam_cols, "geometry"]]
        gpkg_layers.update({"cities": metrics.groups, "rejected": analysis.rejected.astype(str),
                            "conflicts": conflicts, "problems": problem_frame})
        jobs.append(("camera-map.gpkg", lambda: write_geopackage(
            out / "camera-map.gpkg", gpkg_layers, description="; ".join(attribution))))
    if "fgb" in formats:
        jobs.append(("municipalities.fgb", lambda: write_flatgeobuf(
            metrics.units, out / "municipalities.fgb")))
    if "fgb" in camera_formats:
        jobs.append(("cameras.fgb", lambda: write_flatgeobuf(
            cams_out[[*cam_cols, "geometry"]], out / "cameras.fgb")))
    if "parquet" in camera_formats:
        jobs.append(("cameras.parquet", lambda: write_geoparquet(
            cams_out[[*cam_cols, "geometry"]], out / "cameras.parquet")))
    jobs.append(("rejected.csv", lambda: write_rejected(
        [s.details["register"] for s in analysis.sources if "register" in s.details],
        out / "rejected.csv")))
    jobs.append(("conflicts.csv", lambda: write_csv(conflicts, out / "conflicts.csv")))
    jobs.append(("problems.csv", lambda: write_csv(problem_frame, out / "problems.csv")))
    jobs.append(("sources.json", lambda: write_json(_sources_record(analysis),
                                                   out / "sources.json")))
    outputs.update(_run_writers(jobs, parallel=len(cams_out) >= PARALLEL_EXPORT_ROWS))
    timings["export"] = round(time.perf_counter() - clock, 4)
    result = BuildResult(**{f.name: getattr(analysis, f.name) for f in fields(Analysis)},
                         outputs=outputs, notes=notes)
    outputs["summary.txt"] = write_text_atomic(
        out / "summary.txt", clean_text("\n".join([result.summary(), *notes])) + "\n")
    outputs["README.md"] = write_text_atomic(out / "README.md",
                                             clean_text(_output_readme(result)))
    return result


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

    country = layer.country or layer.title
    if lang != "en" and layer.country_local:
        country = to_cyrillic(layer.country_local) if lang == "sr-Cyrl" else layer.country_local
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


def _int_or_none(v: object) -> int | None:
    try:
        return int(v)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None


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


def _rejected(sources: list[SourceResult]) -> pd.DataFrame:
    frames = [s.rejected for s in sources if s.rejected is not None and len(s.rejected)]
    if not frames:
        return pd.DataFrame(columns=["file", "sheet", "row", "reason"])
    return pd.concat(frames, ignore_index=True)


def _problem_frame(problems: list[Problem]) -> pd.DataFrame:
    return pd.DataFrame({"where": [p.location() for p in problems],
                         "message": [p.message for p in problems],
                         "value": ["" if p.value is None else str(p.value) for p in problems]},
                        columns=["where", "message", "value"])


def _data_date(cameras: gpd.GeoDataFrame) -> str | None:
    """The date of the newest evidence (ISO), or None when no source dates its evidence."""
    dates = cameras["source_date"].dropna().astype(str).str.slice(0, 10)
    return str(dates.max()) if len(dates) else None


def _sources_record(analysis: Analysis) -> dict[str, Any]:
    import hashlib

    def digest(p: Path) -> str | None:
        return hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else None

    layer = analysis.layer
    return {
        "generator": f"camera-map {__version__}",
        "layer": {"name": layer.name, "title": layer.title,
                  "population_source": layer.population_source,
                  "population_year": layer.population_year},
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
