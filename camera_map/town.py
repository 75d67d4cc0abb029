"""The town page: one municipality's map, figures, rank, vendors, sources and unknowns.

``camera-map town NAME`` finds the unit by any spelling (Latin, Cyrillic, ASCII without
diacritics, or its official code), writes ``<out_dir>/towns/<slug>.html`` — a self-contained
page with the unit's map and a table of its figures — and returns the same summary as plain
text for the terminal.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from . import i18n
from ._io import write_text_atomic
from .errors import UnknownPlaceError
from .layers import UnitNames
from .names import fold, slug
from .render import (
    AUTO,
    MapOptions,
    build_map,
    camera_payload,
    how_to_ask_html,
    link_html,
    linkify,
    page_html,
    prepare_units,
    unit_facts,
)

logger = logging.getLogger(__name__)

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x9b]")

_TOWN_CSS = """
 body { height: auto !important; }
 .cm-town { font: 15px/1.45 system-ui, sans-serif; color: #222; max-width: 900px;
   margin: 0 auto; padding: 12px 16px; }
 .cm-town h1 { font-size: 22px; margin: 4px 0 8px; }
 .cm-town h2 { font-size: 16px; margin: 14px 0 4px; }
 .cm-town th { text-align: left; padding-right: 12px; vertical-align: top; }
 .cm-town td { vertical-align: top; overflow-wrap: anywhere; }
"""


def _names_a_group(units: pd.DataFrame, hits: list[int], name: str) -> bool:
    """Whether ``name`` is the name or code of the one group all ``hits`` belong to."""
    keys: set[str] = set()
    for col in ("group_id", "group_name"):
        if col in units.columns:
            keys |= {fold(v) for v in units[col].iloc[hits].tolist() if not i18n.is_missing(v)}
    return fold(name) in keys and all(
        not i18n.is_missing(g) for g in units["group_id"].iloc[hits].tolist()
    ) and len(set(units["group_id"].iloc[hits].tolist())) == 1


def find_unit(units: pd.DataFrame, name: str) -> int:
    """Return the row position of the unit called ``name`` in any spelling.

    ``name`` is compared after :func:`camera_map.names.fold` (script, diacritics, case and
    words such as "opština" do not matter) with ``name``, ``name_cyr`` and ``id``; then
    with the looser :func:`~camera_map.names.fold_loose` ("Dakovica" for "Đakovica").

    Raises
    ------
    UnknownPlaceError
        No unit or several units match; the message lists the closest names, or the
        members when ``name`` is a city made of several units (e.g. Beograd).
    """
    index = UnitNames(units)
    hits = sorted(index.positions(name))
    if len(hits) == 1:
        return hits[0]
    if hits and _names_a_group(units, hits, name):
        listed = ", ".join(str(units["name"].iloc[i]) for i in hits)
        raise UnknownPlaceError(
            f"{name!r} is a city made of {len(hits)} municipalities; name one of them: {listed}"
        )
    if hits:
        listed = ", ".join(f"{units['name'].iloc[i]} ({units['id'].iloc[i]})" for i in hits)
        raise UnknownPlaceError(
            f"{name!r} matches {len(hits)} municipalities: {listed}; give the code instead"
        )
    suggestions = index.close(name, n=5)
    hint = f"; closest: {', '.join(suggestions)}" if suggestions else ""
    raise UnknownPlaceError(
        f"no municipality called {name!r}{hint}. Names may be written in Latin or Cyrillic, "
        "with or without diacritics, or as the official code"
    )


def _unknowns(row: Any, lang: str) -> list[str]:
    t = lambda key: i18n.text(key, lang)  # noqa: E731
    out = []
    ev = str(row["evidence"])
    if ev == "none":
        out.append(t("town.unknown.evidence"))
    if ev == "group":
        out.append(t("town.unknown.group_only"))
    if i18n.is_missing(row["population"]):
        out.append(t("town.unknown.population"))
    if ev != "none" and i18n.is_missing(row["vendors"]):
        out.append(t("town.unknown.vendors"))
    if i18n.is_missing(row["facial_recognition_cameras"]):
        out.append(t("town.unknown.fr"))
    return out


def _town_facts(row: Any, lang: str) -> list[tuple[str, str]]:
    """Every line of the summary as (label, plain text)."""
    from .render import fr_text

    t = lambda key: i18n.text(key, lang)  # noqa: E731
    facts = unit_facts(row, lang)
    if not i18n.is_missing(row["area_km2"]):
        facts.append(
            (
                t("field.area"),
                f"{i18n.fmt_number(row['area_km2'], lang, decimals=1)} {t('unit.km2')}",
            )
        )
    if not i18n.is_missing(row["group_name"]):
        facts.append((t("field.group"), i18n.place_name(row["group_name"], lang)))
    facts.append((t("field.face_recognition"), fr_text(row, lang)))
    vendors = row["vendors"]
    facts.append(
        (t("field.vendors"), t("value.unknown") if i18n.is_missing(vendors) else str(vendors))
    )
    sources = row["sources"]
    facts.append((t("field.sources"), t("town.none") if i18n.is_missing(sources) else str(sources)))
    return facts


def _documents(row: Any) -> list[str]:
    docs = row["documents"]
    if i18n.is_missing(docs):
        return []
    return [d.strip() for d in str(docs).split("; ") if d.strip()]


def _unit_cameras(cameras: gpd.GeoDataFrame | None, units: gpd.GeoDataFrame, pos: int) -> Any:
    if cameras is None or len(cameras) == 0:
        return cameras
    uid = str(units["id"].iloc[pos])
    if "municipality_id" in cameras.columns:
        return cameras[cameras["municipality_id"].astype("string") == uid]
    geom = units.geometry.iloc[pos]
    return cameras[cameras.geometry.notna() & cameras.geometry.within(geom)]


def _plain(text: str) -> str:
    # data go to a terminal: no escape sequences from a spreadsheet cell
    return _CONTROL.sub("?", text)


def town_summary(
    units: gpd.GeoDataFrame,
    cameras: gpd.GeoDataFrame | None,
    name: str,
    *,
    lang: str = "en",
) -> str:
    """Return the plain-text summary of the unit called ``name`` (see :func:`render_town`)."""
    units = prepare_units(units)
    pos = find_unit(units, name)
    return _summary_text(units, cameras, pos, lang)


def _summary_text(units: gpd.GeoDataFrame, cameras: Any, pos: int, lang: str) -> str:
    row = units.iloc[pos]
    t = lambda key, **kw: i18n.text(key, lang, **kw)  # noqa: E731
    lines = [f"{i18n.unit_name(row, lang)} ({row['id']})"]
    facts = _town_facts(row, lang)
    width = max(len(k) for k, _ in facts)
    lines += [f"  {k + ':':<{width + 1}} {v}" for k, v in facts]
    docs = _documents(row)
    if docs:
        lines.append(f"  {t('field.documents')}:")
        lines += [f"    - {d}" for d in docs]
    drawn = _unit_cameras(cameras, units, pos)
    if drawn is not None:
        n = camera_payload(drawn, lang)[1].drawn
        lines.append("  " + t("town.points", n=i18n.fmt_number(n, lang)))
    unknown = _unknowns(row, lang)
    if unknown:
        lines.append(f"  {t('town.unknowns')}:")
        lines += [f"    - {u}" for u in unknown]
    lines += _how_to_ask_lines(row, lang)
    return _plain("\n".join(lines))


def _how_to_ask_lines(row: Any, lang: str) -> list[str]:
    """For a unit with no data: how to ask for it (the command and what it asks)."""
    from .request.howto import can_ask, how_to_ask

    if str(row["evidence"]) != "none" or not can_ask(str(row["name"])):
        return []

    ask = how_to_ask(i18n.unit_name(row, lang), lang)
    return [f"  {ask.heading}:", f"    {ask.lead} {ask.intro}", f"      {ask.command}",
            f"    {ask.what}"]


def render_town(
    units: gpd.GeoDataFrame,
    cameras: gpd.GeoDataFrame | None,
    name: str,
    out_dir: str | Path,
    *,
    attribution: Sequence[str],
    lang: str = "en",
    data_date: str | None = None,
    metric: str = "cameras_per_1000",
    scheme: str = "fisher_jenks",
    k: int = 5,
    tiles: str | None = AUTO,
    self_contained: bool = True,
    map_href: str | None = "../map.html",
    basemap: str | Path | None = None,
) -> tuple[Path, str]:
    """Write the town page of the unit called ``name`` and return (path, summary text).

    Parameters
    ----------
    units, cameras
        As for :func:`camera_map.render.render_map`; classes are computed over all units,
        so the town is coloured as on the country map.
    name
        The unit's name in Latin or Cyrillic, with or without diacritics, or its code.
    out_dir
        The page goes to ``out_dir/towns/<slug>.html``.
    attribution
        Attribution strings shown on the page and its map.
    map_href
        Link back to the country map (relative to the page), or None for no link.
    basemap
        OSM extract for the offline base map (streets around the town's cameras and in
        the town), or None.

    Returns
    -------
    (Path, str)
        The page written and the same summary as plain text (for the terminal).

    Raises
    ------
    UnknownPlaceError
        ``name`` matches no unit (the message lists the closest names) or several.
    """
    lang = i18n.check_lang(lang)
    units = prepare_units(units)
    pos = find_unit(units, name)
    row = units.iloc[pos]
    geom = units.geometry.iloc[pos]
    minx, miny, maxx, maxy = geom.bounds
    pad = max(maxx - minx, maxy - miny) * 0.05
    near = units[
        units.geometry.intersects(shapely.box(minx - pad, miny - pad, maxx + pad, maxy + pad))
    ]
    local = near if len(near) else units.iloc[[pos]]
    cams = _unit_cameras(cameras, units, pos)
    display = i18n.unit_name(row, lang)
    heading = i18n.text("town.heading", lang, name=display)
    options = MapOptions(
        title=heading, attribution=list(attribution), data_date=data_date, metric=metric,
        scheme=scheme, k=k, tiles=tiles, self_contained=self_contained, lang=lang,
        height="520px", focus=[str(row["id"])], basemap=basemap,
    )  # fmt: skip
    m = build_map(local, cams, options, all_units=units)
    facts_html = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
        for k, v in _town_facts(row, lang)
    )
    docs = _documents(row)
    docs_html = (
        f"<h2>{html.escape(i18n.text('field.documents', lang))}</h2><ul class=\"cm-docs\">"
        + "".join(f"<li>{link_html(d)}</li>" for d in docs) + "</ul>"
        if docs else ""
    )  # fmt: skip
    unknown = _unknowns(row, lang)
    unknown_html = (
        f"<h2>{html.escape(i18n.text('town.unknowns', lang))}</h2><ul class=\"cm-unknowns\">"
        + "".join(f"<li>{html.escape(u)}</li>" for u in unknown) + "</ul>"
        if unknown else ""
    )  # fmt: skip
    back = (
        f'<p><a href="{html.escape(map_href)}">{html.escape(i18n.text("town.back", lang))}</a></p>'
        if map_href else ""
    )  # fmt: skip
    attribution_html = (
        f"<h2>{html.escape(i18n.text('town.attribution', lang))}</h2><ul>"
        + "".join(f"<li>{linkify(a)}</li>" for a in attribution)
        + "</ul>"
    )
    m.extra_css.append(_TOWN_CSS)
    m.before_map = (
        f'<main class="cm-town"><h1>{html.escape(heading)}</h1>{back}'
        f'<table class="cm-facts">{facts_html}</table>{docs_html}{unknown_html}'
        f"{how_to_ask_html(row, lang, full=True)}</main>"
    )
    m.after_map = f'<footer class="cm-town">{attribution_html}</footer>'
    page = page_html(m, self_contained=self_contained, lang=lang)

    path = Path(out_dir) / "towns" / f"{slug(str(row['name']))}.html"
    write_text_atomic(path, page)
    logger.info("wrote town page %s", path)
    return path, _summary_text(units, cameras, pos, lang)
