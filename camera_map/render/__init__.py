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
from dataclasses import dataclass
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
    "Classes", "MapOptions", "build_map", "camera_payload", "check_metric", "check_scheme",
    "classify", "context_payload", "direction_cones", "document_html", "figure_caveats",
    "figure_footnotes", "figure_text", "fisher_jenks_bins", "fr_text", "how_to_ask_html",
    "is_web_url", "kind_text", "link_html", "linkify", "map_config", "page_html",
    "prepare_units", "render_map", "row_figures", "script_json", "shown_values",
    "split_document", "status_text", "unit_facts", "unit_features", "unit_popup_html",
    "unit_tooltip_html",
]  # fmt: skip

logger = logging.getLogger(__name__)

AUTO: Final = "auto"
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


@dataclass
class MapOptions:
    """Everything :func:`build_map` needs besides the data (see :func:`render_map`)."""

    title: str
    attribution: list[str]
    data_date: str | None = None
    metric: str = "cameras_per_1000"
    scheme: str = "fisherjenks"
    k: int = 5
    tiles: str | None = AUTO
    self_contained: bool = True
    lang: str = "en"
    town_links: bool = False
    height: str = "100%"
    cone_length_m: float = 30.0
    #: ids of the units a town page is about: drawn emphasised, their neighbours faded
    focus: list[str] | None = None
    #: OSM extract the offline base map is made from (see :mod:`camera_map.render.basemap`)
    basemap: str | Path | None = None
    #: figures about the whole country that belong to no unit (:func:`context_payload`)
    context: list[dict[str, str]] | None = None


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
    """Return the JSON-ready object the page's script draws everything from."""
    lang = i18n.check_lang(options.lang)
    metric = check_metric(options.metric)
    scheme = check_scheme(options.scheme)
    units = prepare_units(units)
    base = prepare_units(all_units) if all_units is not None else units
    provider = _resolve_tiles(options.tiles, options.self_contained)
    full = [classify(base, m, scheme=scheme, k=options.k) for m in METRICS]
    ids = units["id"].tolist()
    pos = {v: i for i, v in enumerate(base["id"].tolist())}
    classes = [
        Classes(
            c.metric, c.values, c.klass[[pos[i] for i in ids]], c.bins, c.ranges, c.colors, c.counts
        )
        for c in full
    ]
    payload, summary = camera_payload(cameras, lang)
    attribution = list(options.attribution)
    has_osm = summary.has_osm or options.basemap is not None
    if has_osm and not any("openstreetmap" in a.lower() for a in attribution):
        attribution.append(OSM_ATTRIBUTION)
    notes = []
    if summary.approximate:
        notes.append(i18n.text("map.not_drawn", lang, n=i18n.fmt_number(summary.approximate, lang)))
    if summary.count_only:
        notes.append(i18n.text("map.count_only", lang, n=i18n.fmt_number(summary.count_only, lang)))
    if summary.cells:
        notes.append(i18n.text("map.aggregated", lang, n=i18n.fmt_number(summary.drawn, lang),
                               cells=i18n.fmt_number(summary.cells, lang),
                               m=i18n.fmt_number(summary.cell_m, lang)))
    date = options.data_date
    t = lambda key: i18n.text(key, lang)  # noqa: E731
    features = unit_features(units, classes, lang, town_links=options.town_links)
    nav = dict(zip(units["id"].tolist(), unit_navigation(units, lang), strict=True))
    for feature in features["features"]:
        feature["properties"].update(nav[feature["properties"]["id"]])
    tiles = None
    if provider is not None:
        tiles = {"url": provider.build_url(), "attribution": provider.html_attribution,
                 "name": provider.name, "maxZoom": min(18, int(provider.get("max_zoom", 18)))}
    config = {
        "locale": "en-US" if lang == "en" else "sr-RS",
        "title": options.title,
        "dataDate": i18n.text("map.data_date", lang, date=date) if date else None,
        "notes": notes,
        "context": options.context or [],
        "metric": METRICS.index(metric),
        "metrics": [
            {"key": c.metric, "label": i18n.text(f"metric.{c.metric}", lang), "colors": c.colors,
             "labels": c.labels(lang), "hasUnknown": c.has_unknown}
            for c in full
        ],
        "hasGroups": bool((units["evidence"] == "group").any()),
        "units": features,
        "groups": group_navigation(units, lang),
        "focus": [str(f) for f in options.focus] if options.focus else None,
        "basemap": _basemap(options, payload, units, lang),
        "cameras": payload,
        "labels": {f: i18n.text(f"col.{f}", lang) for f in _POPUP_FIELDS},
        "text": {**i18n.strings(lang, "legend."), **i18n.strings(lang, "filter."),
                 **i18n.strings(lang, "box."), **i18n.strings(lang, "page."),
                 **i18n.strings(lang, "context."),
                 **i18n.strings(lang, "camera.")},
        "layerNames": {k: t(f"layer.{k}")
                       for k in ("units", "cluster", "heat", "cones", "basemap")},
        "attribution": [linkify(a) for a in attribution],
        "tiles": tiles,
        "maxZoom": 18,
        "coneLength": options.cone_length_m,
        "coneMinZoom": 15,
        "coneMax": 3000,
        "contract": page_contract(),
    }  # fmt: skip
    return config


def build_map(
    units: gpd.GeoDataFrame,
    cameras: gpd.GeoDataFrame | None,
    options: MapOptions,
    *,
    all_units: gpd.GeoDataFrame | None = None,
) -> Page:
    """Return the page (not yet rendered) for ``units`` and ``cameras``.

    ``all_units``, when given, is the frame classes are computed over (a town page shows
    one unit but colours it by the country's classes). Every value reaches the page as JSON
    (see :mod:`camera_map.render.page`): nothing from the data is ever read as a template.
    """
    config = map_config(units, cameras, options, all_units=all_units)
    return Page(
        title=options.title,
        lang=i18n.check_lang(options.lang),
        data_json=script_json(config),
        map_height=options.height,
    )


def page_html(page: Page, *, self_contained: bool, lang: str | None = None) -> str:
    """Render a page built by :func:`build_map` to one HTML document."""
    if lang is not None:
        page.lang = lang
    return page_document(page, self_contained=self_contained)


def render_map(
    units: gpd.GeoDataFrame,
    cameras: gpd.GeoDataFrame | None,
    path: str | Path,
    *,
    title: str,
    attribution: Sequence[str],
    data_date: str | None = None,
    metric: str = "cameras_per_1000",
    scheme: str = "fisher_jenks",
    k: int = 5,
    tiles: str | None = AUTO,
    self_contained: bool = True,
    lang: str = "en",
    town_links: bool = False,
    basemap: str | Path | None = None,
    context: Sequence[Any] = (),
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
    title
        Shown on the map and as the page title.
    attribution
        Every attribution the data require; "© OpenStreetMap contributors, ODbL 1.0" is
        added when OSM cameras are shown and no string mentions OpenStreetMap.
    data_date
        Date of the data ("2024-05-01"), shown under the title.
    metric
        Metric shown first: ``cameras_per_1000``, ``cameras_per_km2`` or ``cameras``.
    scheme, k
        mapclassify scheme (any name in :data:`SCHEMES`, underscores allowed) and classes.
    tiles
        xyzservices provider name of the base map, or None for none. ``"auto"``: none when
        self-contained, else OpenStreetMap.Mapnik.
    self_contained
        Inline every script and stylesheet; the page then makes no request to any other
        host (unless ``tiles`` names a base map explicitly).
    lang
        ``en``, ``sr-Latn`` or ``sr-Cyrl``.
    town_links
        Link each unit's popup to ``towns/<slug>.html``
        (see :func:`camera_map.render.town.render_town`).
    basemap
        An OSM extract to draw an offline base map from (roads, railways, water, place
        names around the drawn cameras; see :mod:`camera_map.render.basemap`), or None.
    context
        Figures about the whole country that belong to no unit
        (:class:`camera_map.claims.ContextFact`), shown in the title box with their
        documents.

    Raises
    ------
    InputError
        Unknown metric, scheme, language or base map; units without ``id``/``name``.
    """
    started = time.perf_counter()
    options = MapOptions(
        title=title, attribution=list(attribution), data_date=data_date, metric=metric,
        scheme=scheme, k=k, tiles=tiles, self_contained=self_contained, lang=lang,
        town_links=town_links, basemap=basemap,
        context=context_payload(context, lang) if context else None,
    )  # fmt: skip
    m = build_map(units, cameras, options)
    page = page_html(m, self_contained=self_contained, lang=lang)
    out = write_text_atomic(path, page)
    logger.info(
        "wrote %s (%.1f MB) in %.2f s", out, len(page.encode()) / 1e6, time.perf_counter() - started
    )
    return out
