"""The interactive map (``map.html``): a folium/Leaflet page people can publish.

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
"""

from __future__ import annotations

import difflib
import html
import json
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._io import write_text_atomic
from ..directions import parse_direction
from ..errors import ColumnError, InputError
from ..layers import OSM_ATTRIBUTION
from ..names import slug
from ..table import camera_id_for, is_located
from . import i18n
from .classes import fisher_jenks_bins
from .navigation import group_navigation, unit_navigation
from .page import Page, page_document

logger = logging.getLogger(__name__)

METRICS: Final = ("cameras_per_1000", "cameras_per_km2", "cameras")
#: mapclassify schemes usable without extra arguments (``user_defined`` needs bins).
SCHEMES: Final = (
    "boxplot", "equalinterval", "fisherjenks", "fisherjenkssampled", "headtailbreaks",
    "jenkscaspall", "jenkscaspallforced", "jenkscaspallsampled", "maxp", "maximumbreaks",
    "naturalbreaks", "percentiles", "prettybreaks", "quantiles", "stdmean",
)  # fmt: skip
AUTO: Final = "auto"
DEFAULT_TILES: Final = "OpenStreetMap.Mapnik"
#: Positions this coarse say where a camera is counted, not where it stands.
APPROXIMATE: Final = frozenset({"settlement", "municipality"})
#: Camera types drawn as a circle: they turn, so any direction is possible.
TURNING: Final = frozenset({"dome", "panning", "ptz"})
NO_EVIDENCE: Final = -1
UNKNOWN_FIGURE: Final = -2

# Camera columns shown in popups, in order (tags/geocoder are internals).
_POPUP_FIELDS: Final = (
    "name", "source", "source_ref", "source_version", "source_date", "document",
    "municipality_name", "municipality", "address", "description", "surveillance",
    "surveillance_type", "camera_type", "mount", "direction", "height", "zone", "operator",
    "manufacturer", "model", "facial_recognition", "status", "counts", "scope", "as_of",
    "supplier", "contract_value", "installed", "geocode_precision", "note", "camera_id",
)  # fmt: skip
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

_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"')]+")


# --------------------------------------------------------------------------- directions


def direction_cones(text: object, *, width: float = 60.0) -> list[tuple[float, float]] | None:
    """View cones of a ``direction`` value, parsed by :func:`camera_map.directions.parse_direction`.

    Parameters
    ----------
    text
        ``"90"``, ``"45;135"`` (several cameras), ``"350-20"`` (a range, clockwise),
        ``"0-360"`` (all round) or compass points (``"NE"``); degrees clockwise from north.
    width
        Opening of a cone, in degrees, where the value gives one direction only.

    Returns
    -------
    list of (start, width) or None
        Cones as start bearing in [0, 360) and opening in degrees, clockwise; a full circle
        is ``(0, 360)``. None when the text is not a direction (nothing is drawn).
    """
    if i18n.is_missing(text):
        return None
    parsed = parse_direction(str(text))
    if not parsed.ok:
        return None
    cones: list[tuple[float, float]] = []
    for start, end in parsed.sectors:
        if (start, end) == (0.0, 360.0):
            cones.append((0.0, 360.0))
        elif start == end:
            cones.append(((start - width / 2) % 360, float(width)))
        else:
            cones.append((start, (end - start) % 360))
    return cones or None


# --------------------------------------------------------------------------- classes


@dataclass
class Classes:
    """Choropleth classes of one metric.

    Attributes
    ----------
    metric
        Column the classes are of.
    values
        The value shown for each unit (its own figure, or its city's figure), NA if none.
    klass
        Class index per unit: 0..k-1, or ``NO_EVIDENCE`` (-1) or ``UNKNOWN_FIGURE`` (-2,
        evidence exists but the figure cannot be computed, e.g. population unknown).
    bins
        Upper bound of each class.
    ranges
        Lowest and highest value that falls in each class (what the legend shows).
    colors
        Hex colour of each class.
    counts
        Number of units in each class.
    """

    metric: str
    values: pd.Series
    klass: np.ndarray
    bins: list[float]
    ranges: list[tuple[float, float]]
    colors: list[str]
    counts: list[int] = field(default_factory=list)

    def labels(self, lang: str = "en") -> list[str]:
        """Return the legend label of each class (``"2.50 – 10.00"``)."""
        out: list[str] = []
        for lo, hi in self.ranges:
            a, b = i18n.fmt_metric(lo, self.metric, lang), i18n.fmt_metric(hi, self.metric, lang)
            out.append(a if a == b else f"{a} – {b}")
        return out

    @property
    def has_unknown(self) -> bool:
        """Whether some unit has evidence but no computable figure for this metric."""
        return bool((self.klass == UNKNOWN_FIGURE).any())


def check_scheme(scheme: str) -> str:
    """Return the mapclassify name of ``scheme`` or raise :class:`InputError` listing them."""
    key = scheme.lower().replace("_", "").replace("-", "")
    if key not in SCHEMES:
        close = difflib.get_close_matches(key, SCHEMES, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise InputError(
            f"unknown classification scheme {scheme!r}{hint}; use one of: {', '.join(SCHEMES)}"
        )
    return key


def check_metric(metric: str) -> str:
    """Return ``metric`` if it is one the map can show, else raise :class:`InputError`."""
    if metric not in METRICS:
        raise InputError(f"unknown metric {metric!r}; use one of: {', '.join(METRICS)}")
    return metric


def shown_values(units: pd.DataFrame, metric: str) -> pd.Series:
    """Return the figure each unit is drawn with: its own, or its city's for ``group``."""
    own = units[metric].astype("Float64")
    group = units[f"group_{metric}"].astype("Float64")
    ev = units["evidence"]
    out = own.where(ev == "unit", pd.NA)
    return out.mask(ev == "group", group)


def classify(
    units: pd.DataFrame,
    metric: str = "cameras_per_1000",
    *,
    scheme: str = "fisherjenks",
    k: int = 5,
    cmap: str = "YlOrRd",
) -> Classes:
    """Classify the units' figures of ``metric`` with a mapclassify scheme.

    Classes are computed over the entities that have a figure: each unit with its own
    figure, and each city group once (its members all show the group's figure). Units
    without evidence are not zero: they get ``NO_EVIDENCE``.
    """
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    scheme = check_scheme(scheme)
    check_metric(metric)
    if k < 1:
        raise InputError(f"k (number of classes) must be at least 1, got {k}")
    values = shown_values(units, metric)
    ev = units["evidence"]
    klass = np.full(len(units), NO_EVIDENCE, dtype=int)
    klass[((ev != "none") & values.isna()).to_numpy(dtype=bool)] = UNKNOWN_FIGURE
    has = values.notna().to_numpy(dtype=bool)
    # one value per entity: units on their own, groups once
    entity = units["id"].astype(str).where(ev != "group", "group:" + units["group_id"].astype(str))
    sample = (
        pd.Series(values[has].to_numpy(dtype=float), index=entity[has]).groupby(level=0).first()
    )
    uniq = np.unique(sample.to_numpy(dtype=float))
    if len(uniq) == 0:
        return Classes(metric, values, klass, [], [], [])
    if len(uniq) <= k:
        bins = [float(v) for v in uniq]
    elif scheme == "fisherjenks":  # the default: no mapclassify import (about a second)
        bins = sorted({float(b) for b in fisher_jenks_bins(sample.to_numpy(dtype=float), k)})
        bins[-1] = max(bins[-1], float(uniq[-1]))
    else:
        import mapclassify

        with np.errstate(all="ignore"):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                clf = mapclassify.classify(sample.to_numpy(dtype=float), scheme, k=k)
        bins = sorted({float(b) for b in clf.bins})
        bins[-1] = max(bins[-1], float(uniq[-1]))
    vals = values[has].to_numpy(dtype=float)
    idx = np.searchsorted(np.asarray(bins), vals, side="left")
    klass[has] = np.minimum(idx, len(bins) - 1)
    palette = colormaps[cmap]
    stops = [0.6] if len(bins) == 1 else list(np.linspace(0.12, 0.95, len(bins)))
    colors = [to_hex(palette(s)) for s in stops]
    counts = [int((klass == i).sum()) for i in range(len(bins))]
    ranges = []
    for i, hi in enumerate(bins):
        members = vals[klass[has] == i]
        ranges.append((float(members.min()), float(members.max())) if len(members) else (hi, hi))
    return Classes(metric, values, klass, bins, ranges, colors, counts)


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


def is_web_url(text: str) -> bool:
    """Return True if ``text`` is an absolute ``http``/``https`` URL and nothing else."""
    if not text or any(ch.isspace() or ord(ch) < 32 for ch in text):
        return False
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def link_html(url: str, label: str | None = None) -> str:
    """Return an escaped ``<a>`` for an http(s) ``url``, or the escaped text otherwise."""
    if not is_web_url(url):
        return html.escape(label if label is not None else url)
    return (
        f'<a href="{html.escape(url, quote=True)}" target="_blank" '
        f'rel="noopener noreferrer">{html.escape(label if label is not None else url)}</a>'
    )


def linkify(text: str) -> str:
    """Escape ``text`` for HTML, turning each http(s) URL in it into a link."""
    out, pos = [], 0
    for m in _URL_IN_TEXT.finditer(text):
        out.append(html.escape(text[pos : m.start()]))
        out.append(link_html(m.group(0)))
        pos = m.end()
    out.append(html.escape(text[pos:]))
    return "".join(out)


# --------------------------------------------------------------------------- unit text


def _s(value: object) -> str | None:
    return None if i18n.is_missing(value) or str(value) == "" else str(value)


def row_figures(row: Any) -> list[dict[str, Any]]:
    """The figures of a unit (or of its city) from its ``figures`` column (JSON), best first."""
    raw = _s(row["figures"]) if "figures" in row else None
    if not raw:
        return []
    try:
        items = json.loads(raw)
    except ValueError:
        return []
    return [i for i in items if isinstance(i, dict)]


def figure_text(value: object, counts: object, lang: str) -> str:
    """"1,200 cameras", "at least 73 cameras (73 locations)", or "without a number"."""
    if i18n.is_missing(value):
        return i18n.text("fig.unnumbered", lang)
    n = i18n.fmt_number(value, lang)
    if counts == "locations":
        return i18n.text("fig.locations", lang, n=n)
    return i18n.text("fig.camera" if float(value) == 1 else "fig.cameras", lang,  # type: ignore[arg-type]
                     n=n)


def status_text(status: object, lang: str) -> str:
    """The status of a figure in ``lang`` ("installed", "contracted", ...)."""
    key = str(status) if not i18n.is_missing(status) else "unknown"
    return i18n.text(f"status.{key}" if f"status.{key}" in i18n.strings("en", "status.")
                     else "status.unknown", lang)


def kind_text(kind: object, lang: str) -> str:
    """A kind of source in ``lang`` ("report" → "press/NGO report"); others as given."""
    parts = [p.strip() for p in str(kind).split(";") if p.strip()] if not i18n.is_missing(
        kind) else []
    known = i18n.strings("en", "kind.")
    return ", ".join(i18n.text(f"kind.{p}", lang) if f"kind.{p}" in known else p
                     for p in parts)


def figure_caveats(fig: dict[str, Any], lang: str) -> str:
    """Status, date and kind of source of one figure: "installed, as of 2021-08-10, report"."""
    bits = [status_text(fig.get("status"), lang)]
    if fig.get("as_of"):
        bits.append(i18n.text("fig.as_of", lang, date=str(fig["as_of"])))
    kind = kind_text(fig.get("source"), lang)
    if kind:
        bits.append(kind)
    scope = fig.get("scope")
    if isinstance(scope, str) and scope.lower().startswith("premises"):
        bits.append(scope)
    return ", ".join(bits)


def split_document(text: str) -> tuple[str, str | None]:
    """A document cell "Title — https://…" as (title, url); (text, None) without a URL."""
    text = text.strip()
    m = re.search(r"(?:\s+[—–-]\s+|\s+)(https?://\S+)$", text)
    if m and is_web_url(m.group(1)):
        title = text[: m.start()].strip() or m.group(1)
        return title, m.group(1)
    if is_web_url(text):
        return text, text
    return text, None


def document_html(text: str) -> str:
    """A document as a link labelled with its title (escaped), or its escaped text."""
    title, url = split_document(text)
    return link_html(url, title) if url else linkify(text)


def _estimate_text(row: Any, lang: str, prefix: str) -> str:
    value = row[prefix + "cameras"]
    if i18n.is_missing(value):
        if not i18n.is_missing(row.get("unnumbered")) or any(
                i18n.is_missing(f.get("value")) for f in row_figures(row)):
            return i18n.text("fig.unnumbered", lang)
        return i18n.text("value.unknown", lang)
    best = next((f for f in row_figures(row) if f.get("best")), None)
    counts = _s(row.get("estimate_counts"))
    text = figure_text(value, counts, lang)
    if best is not None:
        text += f" — {figure_caveats(best, lang)}"
    return text


def unit_facts(
    row: Any, lang: str, *, classes_metric: str = "cameras_per_1000"
) -> list[tuple[str, str]]:
    """Return (label, plain text) pairs describing one unit's figures, in ``lang``.

    The camera figure carries what it is: "at least 73 cameras (73 locations)", its
    status, date and kind of source, and the range when sources give several figures.
    """
    t = lambda key, **kw: i18n.text(key, lang, **kw)  # noqa: E731
    ev = str(row["evidence"])
    group = i18n.place_name(row["group_name"], lang)
    prefix = "group_" if ev == "group" else ""
    # a city-level figure is labelled with the city, so it is never read as the unit's own
    of = f" ({group})" if ev == "group" else ""
    facts: list[tuple[str, str]] = []
    if ev == "none":
        facts.append((t("field.cameras"), t("evidence.none")))
    else:
        facts.append((t("field.cameras") + of, _estimate_text(row, lang, prefix)))
        numbered = [f for f in row_figures(row) if not i18n.is_missing(f.get("value"))
                    and not str(f.get("scope") or "").lower().startswith("premises")
                    and f.get("status") != "removed"]
        if len(numbered) > 1:
            values = [int(f["value"]) for f in numbered]
            facts.append((t("field.range") + of, t(
                "fig.range", low=i18n.fmt_number(min(values), lang),
                high=i18n.fmt_number(max(values), lang), n=len(values))))
        # a count of locations is a lower bound, and so is every figure made from it
        bound = (lambda v: t("fig.at_least", v=v)) if (
            _s(row.get("estimate_counts")) == "locations"
            and not i18n.is_missing(row[prefix + "cameras_per_1000"])) else (lambda v: v)
        facts.append(
            (
                t("field.per_1000") + of,
                bound(i18n.fmt_metric(row[prefix + "cameras_per_1000"], "cameras_per_1000",
                                      lang)),
            )
        )
        facts.append(
            (
                t("field.per_km2") + of,
                bound(i18n.fmt_metric(row[prefix + "cameras_per_km2"], "cameras_per_km2",
                                      lang)),
            )
        )
        if ev == "group" and not i18n.is_missing(row["group_population"]):
            facts.append((t("field.population") + of,
                          i18n.fmt_number(row["group_population"], lang)))
    pop = row["population"]
    facts.append(
        (
            t("field.population"),
            i18n.fmt_number(pop, lang)
            if not i18n.is_missing(pop)
            else t("value.unknown_population"),
        )
    )
    rank_col, ranked = (row["group_rank"] if ev == "group" else row["rank"]), row["ranked"]
    if not i18n.is_missing(rank_col) and not i18n.is_missing(ranked):
        facts.append(
            (
                t("field.rank"),
                t("rank.of", rank=int(rank_col), ranked=int(ranked)) + " (" + t("rank.basis") + ")",
            )
        )
    else:
        facts.append((t("field.rank"), t("value.not_ranked")))
    facts.append(
        (
            t("field.evidence"),
            t("evidence.group", group=group) if ev == "group" else t(f"evidence.{ev}"),
        )
    )
    return facts


def context_payload(facts: Sequence[Any], lang: str) -> list[dict[str, str]]:
    """National-context facts (:class:`camera_map.claims.ContextFact`) for the page: the
    statement in ``lang``, its kind of source and date, and its document's title and URL."""
    out = []
    for fact in facts:
        title, url = split_document(fact.document)
        caveat = ", ".join(b for b in (kind_text(fact.source, lang), fact.as_of) if b)
        out.append({"text": fact.text(lang), "caveat": caveat, "title": title,
                    "url": url or ""})
    return out


def figure_footnotes(units: pd.DataFrame, lang: str = "en", *, limit: int = 12) -> list[str]:
    """One line per place with evidence, saying what its figure is (for print footnotes).

    "Beograd (city): 1,200 cameras — installed, as of 2021-08-10, press/NGO report; figures
    reported 661 – 8,000". Places are ordered by rank, then name; a city once.
    """
    seen: set[str] = set()
    items: list[tuple[float, str, str]] = []
    for _, row in units.iterrows():
        ev = str(row["evidence"])
        if ev == "none":
            continue
        key = f"g:{row['group_id']}" if ev == "group" else f"u:{row['id']}"
        if key in seen:
            continue
        seen.add(key)
        prefix = "group_" if ev == "group" else ""
        name = (i18n.place_name(row["group_name"], lang) + " (" + i18n.text("field.group", lang)
                .lower() + ")") if ev == "group" else i18n.unit_name(row, lang)
        text = _estimate_text(row, lang, prefix)
        numbered = [int(f["value"]) for f in row_figures(row)
                    if not i18n.is_missing(f.get("value"))
                    and not str(f.get("scope") or "").lower().startswith("premises")]
        if len(set(numbered)) > 1:
            text += "; " + i18n.text("field.range", lang).lower() + " " + \
                f"{i18n.fmt_number(min(numbered), lang)} – {i18n.fmt_number(max(numbered), lang)}"
        rank = row[prefix + "rank"]
        items.append((float(rank) if not i18n.is_missing(rank) else 1e9, name,
                      f"{name}: {text}"))
    items.sort()
    lines = [t for _, _, t in items[:limit]]
    if len(items) > limit:
        lines.append(f"… +{len(items) - limit}")
    return lines


def _figure_line_html(fig: dict[str, Any], lang: str, *, notes: bool = True) -> str:
    text = html.escape(figure_text(fig.get("value"), fig.get("counts"), lang))
    caveats = html.escape(figure_caveats(fig, lang))
    doc = fig.get("document")
    located = not doc and fig.get("source") == "osm"
    line = f"<b>{text}</b> — {caveats}"
    if doc:
        line += f": {document_html(str(doc))}"
    elif located:
        line += f": {html.escape(i18n.text('fig.located', lang, kind=kind_text('osm', lang)))}"
    note = fig.get("note")
    if notes and note:
        line += f'<br><small class="cm-note">{html.escape(str(note))}</small>'
    return line


def _extra_facts(row: Any, lang: str) -> list[tuple[str, str, bool]]:
    """Facts for the popup beyond the tooltip: (label, html, already_html)."""
    t = lambda key, **kw: i18n.text(key, lang, **kw)  # noqa: E731
    out: list[tuple[str, str, bool]] = []
    area = row["area_km2"]
    if not i18n.is_missing(area):
        out.append(
            (t("field.area"), f"{i18n.fmt_number(area, lang, decimals=1)} {t('unit.km2')}", False)
        )
    premises = _s(row.get("premises"))
    if premises:
        out.append((t("field.premises"), t("scope.premises", what=premises), False))
    out.append((t("field.face_recognition"), fr_text(row, lang), False))
    out.append((t("field.vendors"), _s(row["vendors"]) or t("value.unknown"), False))
    out.append((t("field.suppliers"), _s(row.get("suppliers")) or t("value.unknown"), False))
    out.append((t("field.sources"), kind_text(row["sources"], lang) or t("town.none"), False))
    figures = row_figures(row)
    if figures:
        out.append((t("field.figures"), "<br>".join(
            _figure_line_html(f, lang) for f in figures), True))
    else:
        docs = _s(row["documents"])
        if docs:
            out.append(
                (
                    t("field.documents"),
                    "<br>".join(document_html(d) for d in docs.split("; ") if d.strip()),
                    True,
                )
            )
    return out


def fr_text(row: Any, lang: str) -> str:
    """Return the face-recognition status of a unit (or its city) as one statement.

    "capable of face recognition (1,200 of the cameras counted); software reported off":
    the same statement on the tooltip, popup, town page and summary.
    """
    n = row["facial_recognition_cameras"]
    if str(row["evidence"]) == "group" and "group_facial_recognition_cameras" in row:
        n = row["group_facial_recognition_cameras"]
    state = _s(row.get("facial_recognition"))
    if state is None and not i18n.is_missing(n):
        state = "yes" if int(n) > 0 else "no"
    if state is None:
        return i18n.text("fr.unknown", lang)
    if state == "no":
        return i18n.text("fr.none_said", lang)
    text = (i18n.text("fr.capable_n", lang, n=i18n.fmt_number(n, lang))
            if not i18n.is_missing(n) and int(n) > 0 else i18n.text("fr.capable", lang))
    software = _s(row.get("facial_recognition_software")) or ""
    if "off" in software.split("; ") and "on" not in software.split("; "):
        text += "; " + i18n.text("fr.software_off", lang)
    elif "on" in software.split("; "):
        text += "; " + i18n.text("fr.software_on", lang)
    return text


def _table(rows: list[tuple[str, str, bool]]) -> str:
    return (
        "<table>"
        + "".join(
            f"<tr><th>{html.escape(k)}</th><td>{v if is_html else html.escape(v)}</td></tr>"
            for k, v, is_html in rows
        )
        + "</table>"
    )


def unit_tooltip_html(row: Any, lang: str, *,
                      facts: list[tuple[str, str]] | None = None) -> str:
    """Return the escaped HTML of a unit's tooltip (``facts``: its :func:`unit_facts`,
    when already made)."""
    name = html.escape(i18n.unit_name(row, lang))
    if facts is None:
        facts = unit_facts(row, lang)
    return f"<h3>{name}</h3>" + _table([(k, v, False) for k, v in facts])


def unit_popup_html(row: Any, lang: str, *, town_link: bool = False,
                    facts: list[tuple[str, str]] | None = None) -> str:
    """Return the escaped HTML of a unit's popup: every figure, sources and documents
    (``facts``: its :func:`unit_facts`, when already made)."""
    name = html.escape(i18n.unit_name(row, lang))
    if facts is None:
        facts = unit_facts(row, lang)
    rows = [(k, v, False) for k, v in facts] + _extra_facts(row, lang)
    body = f'<div class="cm-popup cm-unit-facts"><h3>{name}</h3>{_table(rows)}'
    body += how_to_ask_html(row, lang)
    if town_link:
        href = "towns/" + slug(str(row["name"])) + ".html"
        body += (
            f'<p><a href="{html.escape(href)}">{html.escape(i18n.text("town.link", lang))}</a></p>'
        )
    return body + "</div>"


def how_to_ask_html(row: Any, lang: str, *, full: bool = False) -> str:
    """The escaped "how to ask" block of a unit no evidence speaks of, else "".

    ``full`` gives the town page's version, with a heading and the whole list of questions.
    """
    from ..request.howto import can_ask, how_to_ask

    if str(row.get("evidence")) != "none" or not can_ask(str(row["name"])):
        return ""

    ask = how_to_ask(i18n.unit_name(row, lang), lang)
    e = html.escape
    head = f"<h2>{e(ask.heading)}</h2>" if full else ""
    return (f'<div class="cm-ask">{head}<p>{e(ask.lead)} {e(ask.intro)}</p>'
            f"<pre><code>{e(ask.command)}</code></pre>"
            f"<p>{e(ask.what if full else ask.asks)}</p></div>")


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


# --------------------------------------------------------------------------- cameras


@dataclass
class CameraSummary:
    """What the cameras frame holds and what of it the map draws."""

    drawn: int = 0
    approximate: int = 0
    count_only: int = 0
    has_osm: bool = False
    #: markers drawn when cameras were aggregated to a grid (0: one marker per camera)
    cells: int = 0
    #: size of the grid cells in metres, when aggregated
    cell_m: int = 0


#: Above this many drawn cameras the page shows them aggregated to a grid, so that it stays
#: under ~5 MB and responsive whatever the number of cameras (measured: 50,000 individual
#: cameras make a 3.4 MB page).
MAX_POINTS: Final = 40_000
#: Most grid cells an aggregated page holds (an aggregated marker is smaller than a camera).
MAX_CELLS: Final = 60_000


def _camera_flags(pts: pd.DataFrame) -> np.ndarray:
    """Bit 1: face recognition; bit 2: ALPR/ANPR."""
    flags = np.zeros(len(pts), dtype=int)
    if "facial_recognition" in pts:
        fr = pts["facial_recognition"].astype("boolean").fillna(False)
        flags |= fr.to_numpy(dtype=bool).astype(int)
    if "surveillance_type" in pts:
        alpr = pts["surveillance_type"].astype("string").str.upper().isin(["ALPR", "ANPR"])
        flags |= alpr.fillna(False).to_numpy(dtype=bool).astype(int) * 2
    return flags


def _aggregated_payload(pts: gpd.GeoDataFrame, lang: str, summary: CameraSummary,
                        max_points: int) -> dict[str, Any]:
    """Cameras binned to the finest square grid (0.001° doubling) with ≤ ``max_points`` cells.

    A cell keeps apart cameras that the filters tell apart (face recognition, ALPR, vendor,
    source), so filtering still works; each marker carries its number of cameras (``w``),
    placed at the mean position of its cameras. Deterministic: sorted by cell and keys.
    """
    x = pts.geometry.x.to_numpy()
    y = pts.geometry.y.to_numpy()
    keys = pd.DataFrame({
        "flags": _camera_flags(pts),
        "source": _text_column(pts, "source", lang).fillna("") if "source" in pts else "",
        "manufacturer": (_text_column(pts, "manufacturer", lang).fillna("")
                         if "manufacturer" in pts else ""),
    })
    grid = 0.001
    while True:
        keys["cx"] = np.floor(x / grid).astype(np.int64)
        keys["cy"] = np.floor(y / grid).astype(np.int64)
        if len(keys.drop_duplicates()) <= max_points:
            break
        grid *= 2
    keys["x"], keys["y"] = x, y
    agg = (keys.groupby(["cy", "cx", "flags", "source", "manufacturer"], sort=True)
           .agg(x=("x", "mean"), y=("y", "mean"), w=("x", "size")).reset_index())
    scale = 100000
    cols: dict[str, Any] = {}
    fields: list[str] = []
    for col in ("source", "manufacturer"):
        values = agg[col].where(agg[col] != "", None)
        if values.isna().all():
            continue
        fields.append(col)
        codes, uniques = pd.factorize(values, sort=True)
        cols[col] = {"d": [str(u) for u in uniques], "i": (codes + 1).tolist()}
    cell_m = round(grid * 111_320)
    summary.cells, summary.cell_m = len(agg), cell_m
    return {
        "n": len(agg), "scale": scale,
        "lat": np.round(agg["y"].to_numpy() * scale).astype(np.int64).tolist(),
        "lon": np.round(agg["x"].to_numpy() * scale).astype(np.int64).tolist(),
        "fields": fields, "cols": cols, "flags": agg["flags"].astype(int).tolist(),
        "cone": [0] * len(agg), "cones": [None], "w": agg["w"].astype(int).tolist(),
        "cellMetres": cell_m, "heatMax": float(max(1.0, np.percentile(agg["w"], 90))),
    }  # fmt: skip


def _text_column(cameras: pd.DataFrame, col: str, lang: str) -> pd.Series:
    ser = cameras[col]
    if col == "facial_recognition":
        out = ser.astype("boolean").map(
            lambda v: (
                None if v is pd.NA or v is None else i18n.text(f"bool.{str(bool(v)).lower()}", lang)
            )
        )
        return out.astype("object")
    if col in ("height", "contract_value"):
        return ser.map(lambda v: None if i18n.is_missing(v) else f"{float(v):g}").astype("object")
    out = ser.astype("object").where(ser.notna(), None)
    return out.map(lambda v: None if v is None or str(v) == "" else str(v))


def camera_payload(
    cameras: gpd.GeoDataFrame | None, lang: str, *, max_points: int | None = None
) -> tuple[dict[str, Any], CameraSummary]:
    """Return the compact JSON the page builds its markers, heat map and cones from.

    Coordinates become integers (1e-5 degree, about 1 m); a column with few distinct
    values stores each once with an index per camera; columns that are empty everywhere are
    left out; ``camera_id`` is left out where it is just ``source`` + ``source_ref``. More
    than ``max_points`` drawn cameras are aggregated to a grid (see
    :func:`_aggregated_payload`).
    """
    summary = CameraSummary()
    empty = {"n": 0, "scale": 100000, "lat": [], "lon": [], "fields": [], "cols": {},
             "flags": [], "cone": [], "cones": [None]}  # fmt: skip
    if cameras is None or len(cameras) == 0:
        return empty, summary
    cams = cameras.copy()
    if cams.crs is not None and cams.crs.to_epsg() != 4326:
        cams = cams.to_crs("EPSG:4326")
    counts = (
        cams["count"].fillna(1).astype(int) if "count" in cams else pd.Series(1, index=cams.index)
    )
    located = is_located(cams).to_numpy()
    prec = cams["geocode_precision"].astype("string") if "geocode_precision" in cams else None
    approx = (
        prec.isin(list(APPROXIMATE)).fillna(False).to_numpy(dtype=bool)
        if prec is not None
        else np.zeros(len(cams), dtype=bool)
    )
    # count rows are figures: several for one place are never added, so they are counted,
    # not summed (the Belgrade figures would add up to 19,000 "cameras")
    summary.count_only = int((~located).sum())
    summary.approximate = int(counts[located & approx].sum())
    if "source" in cams:
        summary.has_osm = bool((cams["source"].astype("string") == "osm").fillna(False).any())
    pts = cams[located & ~approx]
    summary.drawn = len(pts)
    if len(pts) == 0:
        return empty, summary
    if max_points is None:
        max_points = MAX_POINTS
    if len(pts) > max_points:
        return _aggregated_payload(pts, lang, summary, min(MAX_CELLS, max(max_points, 1))), \
            summary
    scale = 100000
    lat = np.round(pts.geometry.y.to_numpy() * scale).astype(np.int64)
    lon = np.round(pts.geometry.x.to_numpy() * scale).astype(np.int64)
    cols: dict[str, Any] = {}
    fields: list[str] = []
    texts: dict[str, pd.Series] = {}
    for col in _POPUP_FIELDS:
        if col not in pts.columns:
            continue
        ser = _text_column(pts, col, lang)
        if col == "camera_id" and "source" in pts and "source_ref" in pts:
            derived = [
                camera_id_for(str(s), str(r)) if s is not None and r is not None else None
                for s, r in zip(texts.get("source", ser), texts.get("source_ref", ser), strict=True)
            ]
            ser = ser.where(ser != pd.Series(derived, index=ser.index, dtype="object"), None)
        if col == "municipality" and "municipality_name" in texts:
            ser = ser.where(ser != texts["municipality_name"], None)
        texts[col] = ser
        if ser.isna().all():
            continue
        fields.append(col)
        codes, uniques = pd.factorize(ser, sort=True)
        if len(uniques) <= max(50, len(ser) // 4) or col in ("source", "manufacturer"):
            cols[col] = {"d": [str(u) for u in uniques], "i": (codes + 1).tolist()}
        else:
            cols[col] = {"v": [v if v is not None else "" for v in ser.tolist()]}
    flags = _camera_flags(pts)
    cone_table: list[Any] = [None]
    cone_index: dict[Any, int] = {}
    cone = np.zeros(len(pts), dtype=int)
    ctype = pts["camera_type"].astype("string").str.lower() if "camera_type" in pts else None
    dirs = pts["direction"].astype("string") if "direction" in pts else None
    for j in range(len(pts)):
        spec: Any = None
        if ctype is not None and not i18n.is_missing(ctype.iloc[j]) and ctype.iloc[j] in TURNING:
            spec = "c"
        elif dirs is not None and not i18n.is_missing(dirs.iloc[j]):
            parsed = direction_cones(dirs.iloc[j])
            if parsed:
                spec = (
                    "c"
                    if any(w >= 360 for _, w in parsed)
                    else tuple((round(a, 1), round(w, 1)) for a, w in parsed)
                )
        if spec is None:
            continue
        if spec not in cone_index:
            cone_index[spec] = len(cone_table)
            cone_table.append(spec if spec == "c" else [list(c) for c in spec])
        cone[j] = cone_index[spec]
    payload = {
        "n": len(pts), "scale": scale, "lat": lat.tolist(), "lon": lon.tolist(),
        "fields": fields, "cols": cols, "flags": flags.tolist(), "cone": cone.tolist(),
        "cones": cone_table,
    }  # fmt: skip
    return payload, summary


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
