"""The interactive map (``map.html``): a Leaflet page people can publish.

The page shows the municipalities as a choropleth that switches between cameras per 1,000
residents, per km² and total cameras (classes from mapclassify), a legend with a distinct
"no data" class, camera points in clusters, a heat map, view cones, filters for face
recognition, ALPR, vendor and source, and popups that cite every fact's source.

Data reach the page in one JSON object inside a ``<script>`` element (with ``<``, ``>``,
``&`` and line separators escaped, so no value can end the element); the document around it
is written by :mod:`camera_map.render.page` without a template engine, so no value is ever read as
a template (``{{ 7*7 }}`` in a cell shows as itself). Text shown as HTML
(tooltips, unit popups, attribution) is escaped in Python with :func:`html.escape`; camera
popups are built in the browser with ``textContent``. Links are made only from ``http(s)``
URLs. Cameras scale through that compact JSON (repeated values stored once, coordinates as
integers): 50,000 cameras make a page of a few MB, not tens.

With ``self_contained=True`` (the default) every script and stylesheet is inlined from
installed packages (:mod:`camera_map.render.offline`) and no tiled base map is drawn, because
tiles are images from another host; pass ``tiles=`` explicitly to have both (tiles then
load online).

The stage in modules: :mod:`~camera_map.render.classes` (classes and colours),
:mod:`~camera_map.render.popups` (a unit's facts and figures as text and HTML),
:mod:`~camera_map.render.payload` (the cameras' compact JSON),
:mod:`~camera_map.render.contract` (the flags, classes, colours and names the page's script
reads), :mod:`~camera_map.render.navigation` (labels, search, links),
:mod:`~camera_map.render.basemap`, :mod:`~camera_map.render.page` and
:mod:`~camera_map.render.offline` (the document), :mod:`~camera_map.render.static` (print),
:mod:`~camera_map.render.town` (town pages) and :mod:`~camera_map.render.i18n`. This module
puts the map's config together (:func:`map_config`) and writes the page (:func:`render_map`).
"""

from __future__ import annotations

import difflib
import json
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._io import write_text_atomic
from ..errors import ColumnError, InputError
from ..layers import OSM_ATTRIBUTION
from . import i18n
from .classes import (
    METRICS,
    SCHEMES,
    Classes,
    check_metric,
    check_scheme,
    classify,
    fisher_jenks_bins,
    shown_values,
)
from .contract import NO_EVIDENCE, UNKNOWN_FIGURE, page_contract
from .navigation import group_navigation, unit_navigation
from .options import AUTO, Look, MapOptions
from .page import Page, page_document
from .payload import (
    APPROXIMATE,
    MAX_CELLS,
    MAX_POINTS,
    TURNING,
    CameraSummary,
    camera_payload,
    direction_cones,
)
from .payload import POPUP_FIELDS as _POPUP_FIELDS
from .popups import (
    context_payload,
    document_html,
    figure_caveats,
    figure_footnotes,
    figure_text,
    fr_text,
    how_to_ask_html,
    is_web_url,
    kind_text,
    link_html,
    linkify,
    row_figures,
    split_document,
    status_text,
    unit_facts,
    unit_popup_html,
    unit_tooltip_html,
)

__all__ = [
    "APPROXIMATE", "AUTO", "DEFAULT_TILES", "MAX_CELLS", "MAX_POINTS", "METRICS",
    "NO_EVIDENCE", "OSM_ATTRIBUTION", "SCHEMES", "TURNING", "UNKNOWN_FIGURE", "CameraSummary",
    "Classes", "Look", "MapOptions", "camera_payload", "check_metric", "check_scheme",
    "classify", "context_payload", "direction_cones", "document_html", "figure_caveats",
    "figure_footnotes", "figure_text", "fisher_jenks_bins", "fr_text", "how_to_ask_html",
    "is_web_url", "kind_text", "link_html", "linkify", "map_config", "map_page",
    "prepare_units", "render_map", "row_figures", "script_json", "shown_values",
    "split_document", "status_text", "unit_facts", "unit_features", "unit_popup_html",
    "unit_tooltip_html", "write_page",
]  # fmt: skip

logger = logging.getLogger(__name__)

DEFAULT_TILES: Final = "OpenStreetMap.Mapnik"

_UNIT_COLUMNS: Final[dict[str, str]] = {
    "name_cyr": "string", "population": "Int64", "area_km2": "Float64",
    "group_id": "string", "group_name": "string", "evidence": "string", "cameras": "Int64",
    "cameras_per_1000": "Float64", "cameras_per_km2": "Float64", "rank": "Int64",
    "group_cameras": "Int64", "group_population": "Int64", "group_area_km2": "Float64",
    "group_cameras_per_1000": "Float64", "group_cameras_per_km2": "Float64",
    "group_rank": "Int64", "facial_recognition_cameras": "Int64", "vendors": "string",
    "sources": "string", "documents": "string", "suppliers": "string", "figures": "string",
    "estimate_counts": "string", "premises": "string", "unnumbered": "Int64",
    "facial_recognition": "string", "facial_recognition_software": "string",
}  # fmt: skip


# --------------------------------------------------------------------------- inputs


def prepare_units(units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Check the metrics frame and return it in EPSG:4326 with every optional column.

    Required: ``id``, ``name`` and a geometry. Missing optional columns are added as NA;
    without ``evidence`` a unit with a ``cameras`` figure counts as ``unit``, else ``none``.
    """
    if not isinstance(units, gpd.GeoDataFrame):
        raise InputError(f"units must be a GeoDataFrame, got {type(units).__name__}")
    missing = [c for c in ("id", "name") if c not in units.columns]
    if missing:
        raise ColumnError(
            f"the units frame has no column(s) {missing}; it needs 'id' and 'name' "
            f"(it has {list(units.columns)})"
        )
    out = units.copy()
    if out.crs is None:
        raise InputError("the units frame has no CRS; set one with .set_crs('EPSG:4326')")
    if out.crs.to_epsg() != 4326:
        out = out.to_crs("EPSG:4326")
    for col, dtype in _UNIT_COLUMNS.items():
        if col not in out.columns:
            out[col] = pd.Series(pd.NA, index=out.index, dtype=dtype)
    if units.get("evidence") is None:
        out["evidence"] = np.where(out["cameras"].notna(), "unit", "none")
    out["evidence"] = out["evidence"].astype("string").fillna("none")
    bad = sorted(set(out["evidence"]) - {"unit", "group", "none"})
    if bad:
        raise InputError(f"column 'evidence' has values {bad}; expected 'unit', 'group' or 'none'")
    if "ranked" not in out.columns:
        out["ranked"] = int(out["rank"].notna().sum())
    out["id"] = out["id"].astype(str)
    return out


def _resolve_tiles(tiles: str | None, self_contained: bool) -> Any:
    import xyzservices.providers as xyz

    if tiles == AUTO:
        tiles = None if self_contained else DEFAULT_TILES
    if tiles is None:
        return None
    try:
        provider = xyz.query_name(tiles)
    except ValueError:
        names = list(xyz.flatten())
        close = difflib.get_close_matches(tiles, names, n=5, cutoff=0.5)
        raise InputError(
            f"unknown base map {tiles!r}; give an xyzservices provider name such as "
            f"{DEFAULT_TILES!r}"
            + (f" (close: {', '.join(close)})" if close else "")
            + ", or no base map"
        ) from None
    if provider.requires_token():
        raise InputError(
            f"base map {tiles!r} needs an API key; choose one that does not, e.g. "
            f"{DEFAULT_TILES!r}, or no base map"
        )
    if self_contained:
        logger.warning(
            "base map %s loads tile images from %s: the page is self-contained for scripts "
            "and styles but shows the base map only online",
            tiles,
            provider.build_url(),
        )
    return provider


# --------------------------------------------------------------------------- escaping


def script_json(obj: Any) -> str:
    """Serialise ``obj`` as JSON that is safe inside a ``<script>`` element.

    ``<``, ``>`` and ``&`` become ``\\u003c``-style escapes so that no value can close the
    element (``</script>``) or open a comment (``<!--``); U+2028/U+2029 are escaped too.
    """
    text = json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


# --------------------------------------------------------------------------- units


def _round_geometry(geom: Any, decimals: int = 5) -> Any:
    return (
        shapely.set_precision(geom, 10.0**-decimals, mode="pointwise") if geom is not None else None
    )


def unit_features(
    units: gpd.GeoDataFrame, classes: Sequence[Classes], lang: str, *, town_links: bool = False
) -> dict[str, Any]:
    """Return the GeoJSON FeatureCollection the page draws (escaped HTML in properties)."""
    geoms = units.geometry.map(_round_geometry)
    features = []
    # rows as dicts: a pandas row costs microseconds per value asked for, and each unit's
    # text asks for hundreds
    for i, row in enumerate(units.drop(columns=units.geometry.name).to_dict("records")):
        geom = geoms.iloc[i]
        if geom is None or geom.is_empty:
            continue
        facts = unit_facts(row, lang)
        features.append({
            "type": "Feature",
            "geometry": shapely.geometry.mapping(geom),
            "properties": {
                "id": str(row["id"]),
                "c": [int(c.klass[i]) for c in classes],
                "g": bool(row["evidence"] == "group"),
                "t": f'<div class="cm-tip-body">{unit_tooltip_html(row, lang, facts=facts)}</div>',
                "p": unit_popup_html(row, lang, town_link=town_links, facts=facts),
            },
        })  # fmt: skip
    return {"type": "FeatureCollection", "features": features}


# --------------------------------------------------------------------------- the page


def _basemap(options: MapOptions, payload: dict[str, Any], units: gpd.GeoDataFrame,
             lang: str) -> dict[str, Any] | None:
    """The offline base map around the drawn cameras (and a town page's units), or None."""
    if options.basemap is None:
        return None
    from .basemap import basemap_payload

    scale = float(payload.get("scale", 100000))
    points = np.column_stack([np.asarray(payload["lon"], dtype=float) / scale,
                              np.asarray(payload["lat"], dtype=float) / scale])
    areas = []
    if options.focus:
        areas = units[units["id"].isin(options.focus)].geometry.tolist()
    bm = basemap_payload(options.basemap, points, lang=lang, areas=areas)
    bm.pop("bytes", None)
    return bm


def map_config(
    units: gpd.GeoDataFrame,
    cameras: gpd.GeoDataFrame | None,
    options: MapOptions,
    *,
    all_units: gpd.GeoDataFrame | None = None,
) -> dict[str, Any]:
    """Return the JSON-ready object the page's script draws everything from.

    ``all_units``, when given, is the frame classes are computed over (a town page shows
    a few units but colours them by the country's classes).
    """
    lang = i18n.check_lang(options.lang)
    metric = check_metric(options.metric)
    provider = _resolve_tiles(options.tiles, options.self_contained)
    units = prepare_units(units)
    full, classes = _classes(units, prepare_units(all_units) if all_units is not None
                             else units, options)
    payload, summary = camera_payload(cameras, lang)
    return {
        "locale": "en-US" if lang == "en" else "sr-RS",
        "title": options.title,
        "dataDate": (i18n.text("map.data_date", lang, date=options.data_date)
                     if options.data_date else None),
        "notes": _camera_notes(summary, lang),
        "context": options.context or [],
        "metric": METRICS.index(metric),
        "metrics": [
            {"key": c.metric, "label": i18n.text(f"metric.{c.metric}", lang), "colors": c.colors,
             "labels": c.labels(lang), "hasUnknown": c.has_unknown}
            for c in full
        ],
        "hasGroups": bool((units["evidence"] == "group").any()),
        "units": _unit_layer(units, classes, options),
        "groups": group_navigation(units, lang),
        "focus": [str(f) for f in options.focus] if options.focus else None,
        "basemap": _basemap(options, payload, units, lang),
        "cameras": payload,
        "labels": {f: i18n.text(f"col.{f}", lang) for f in _POPUP_FIELDS},
        "text": {k: v for prefix in ("legend.", "filter.", "box.", "page.", "context.",
                                     "camera.") for k, v in i18n.strings(lang, prefix).items()},
        "layerNames": {k: i18n.text(f"layer.{k}", lang)
                       for k in ("units", "cluster", "heat", "cones", "basemap")},
        "attribution": [linkify(a) for a in _attribution(options, summary)],
        "tiles": _tiles(provider),
        "maxZoom": 18,
        "coneLength": options.cone_length_m,
        "coneMinZoom": 15,
        "coneMax": 3000,
        "contract": page_contract(),
    }  # fmt: skip


def _classes(units: gpd.GeoDataFrame, base: gpd.GeoDataFrame,
             options: MapOptions) -> tuple[list[Classes], list[Classes]]:
    """The classes of every metric over ``base``, and the same for the rows of ``units``."""
    scheme = check_scheme(options.scheme)
    full = [classify(base, m, scheme=scheme, k=options.k) for m in METRICS]
    pos = {v: i for i, v in enumerate(base["id"].tolist())}
    rows = [pos[i] for i in units["id"].tolist()]
    return full, [Classes(c.metric, c.values, c.klass[rows], c.bins, c.ranges, c.colors,
                          c.counts) for c in full]


def _camera_notes(summary: CameraSummary, lang: str) -> list[str]:
    """What the title box says about cameras that are counted but not drawn one by one."""
    n = lambda v: i18n.fmt_number(v, lang)  # noqa: E731
    notes = []
    if summary.approximate:
        notes.append(i18n.text("map.not_drawn", lang, n=n(summary.approximate)))
    if summary.count_only:
        notes.append(i18n.text("map.count_only", lang, n=n(summary.count_only)))
    if summary.cells:
        notes.append(i18n.text("map.aggregated", lang, n=n(summary.drawn),
                               cells=n(summary.cells), m=n(summary.cell_m)))
    return notes


def _attribution(options: MapOptions, summary: CameraSummary) -> list[str]:
    """The attributions given, plus OpenStreetMap's where OSM data are shown."""
    attribution = list(options.attribution)
    has_osm = summary.has_osm or options.basemap is not None
    if has_osm and not any("openstreetmap" in a.lower() for a in attribution):
        attribution.append(OSM_ATTRIBUTION)
    return attribution


def _unit_layer(units: gpd.GeoDataFrame, classes: Sequence[Classes],
                options: MapOptions) -> dict[str, Any]:
    """The units as GeoJSON, each with its classes, text and navigation keys."""
    features = unit_features(units, classes, options.lang, town_links=options.town_links)
    nav = dict(zip(units["id"].tolist(), unit_navigation(units, options.lang), strict=True))
    for feature in features["features"]:
        feature["properties"].update(nav[feature["properties"]["id"]])
    return features


def _tiles(provider: Any) -> dict[str, Any] | None:
    if provider is None:
        return None
    return {"url": provider.build_url(), "attribution": provider.html_attribution,
            "name": provider.name, "maxZoom": min(18, int(provider.get("max_zoom", 18)))}


def map_page(config: dict[str, Any], options: MapOptions) -> Page:
    """The page (not yet written) that draws ``config`` (see :func:`map_config`).

    Every value reaches the page as JSON (see :mod:`camera_map.render.page`): nothing from
    the data is ever read as a template.
    """
    return Page(title=options.title, lang=i18n.check_lang(options.lang),
                data_json=script_json(config), map_height=options.height)


def write_page(path: str | Path, page: Page, options: MapOptions) -> Path:
    """Write ``page`` as one HTML document (self-contained if ``options`` say so),
    atomically; return the path."""
    started = time.perf_counter()
    text = page_document(page, self_contained=options.self_contained)
    out = write_text_atomic(path, text)
    logger.info("wrote %s (%.1f MB) in %.2f s", out, len(text.encode()) / 1e6,
                time.perf_counter() - started)
    return out


def render_map(
    units: gpd.GeoDataFrame,
    cameras: gpd.GeoDataFrame | None,
    path: str | Path,
    *,
    context: Sequence[Any] = (),
    **options: Any,
) -> Path:
    """Write the interactive map to ``path`` (atomically) and return the path.

    Parameters
    ----------
    units
        The metrics frame: one row per municipal unit with ``id``, ``name``, geometry and
        the metric columns (see the data contract); any CRS, drawn in EPSG:4326.
    cameras
        The camera table plus ``municipality_id``/``municipality_name``; None for none.
        Cameras positioned only to a settlement or municipality are counted, not drawn.
    path
        Where the HTML goes.
    context
        Figures about the whole country that belong to no unit
        (:class:`camera_map.claims.ContextFact`), shown in the title box with their
        documents.
    **options
        The fields of :class:`~camera_map.render.options.MapOptions`: ``title`` and
        ``attribution`` (required), ``lang``, ``metric``, ``scheme``, ``k``,
        ``data_date``, ``tiles``, ``self_contained``, ``town_links``, ``basemap``, ...

    Raises
    ------
    InputError
        Unknown metric, scheme, language or base map; units without ``id``/``name``.
    """
    opts = MapOptions(**options)
    if context:
        opts.context = context_payload(context, i18n.check_lang(opts.lang))
    return write_page(path, map_page(map_config(units, cameras, opts), opts), opts)
