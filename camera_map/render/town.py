"""The town page: one municipality's map, figures, rank, vendors, sources and unknowns.

``camera-map town NAME`` finds the unit by any spelling (Latin, Cyrillic, ASCII without
diacritics, or its official code), writes ``<out_dir>/towns/<slug>.html`` — a self-contained
page with the unit's map and a table of its figures — and returns the same summary as plain
text for the terminal.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from ..errors import UnknownPlaceError
from ..layers import UnitNames
from ..names import fold, slug, to_cyrillic
from . import (
    MapOptions,
    camera_payload,
    document_html,
    how_to_ask_html,
    i18n,
    kind_text,
    link_html,
    linkify,
    map_config,
    map_page,
    prepare_units,
    unit_facts,
    write_page,
)
from .page import Page

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x9b]")

_TOWN_CSS = """
 body { height: auto !important; }
 .cm-town { font: 15px/1.45 system-ui, sans-serif; color: #222; max-width: 900px;
   margin: 0 auto; padding: 12px 16px; }
 .cm-town h1 { font-size: 22px; margin: 4px 0 8px; }
 .cm-town h2 { font-size: 16px; margin: 14px 0 4px; }
 .cm-town th { text-align: left; padding-right: 12px; vertical-align: top; }
 .cm-town td { vertical-align: top; overflow-wrap: anywhere; }
 .cm-evidence { border-collapse: collapse; font-size: 13px; }
 .cm-evidence th, .cm-evidence td { border-bottom: 1px solid #ddd; padding: 3px 6px;
   overflow-wrap: break-word; }
 .cm-evidence tr.cm-best td { font-weight: 600; }
 .cm-rule { font-size: 13px; color: #555; }
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
    """What is not known about the place, each with how to find out."""
    from . import fr_text, row_figures, status_text

    t = lambda key, **kw: i18n.text(key, lang, **kw)  # noqa: E731
    out = []
    ev = str(row["evidence"])
    if ev == "none":
        out.append(t("town.unknown.evidence") + "; " + t("town.how.evidence"))
    if ev == "group":
        out.append(t("town.unknown.group_only"))
    if i18n.is_missing(row["population"]):
        out.append(t("town.unknown.population"))
    figures = row_figures(row)
    public = [f for f in figures
              if not str(f.get("scope") or "").lower().startswith("premises")]
    numbered = [f for f in public if not i18n.is_missing(f.get("value"))]
    if public and not numbered:
        out.append(t("town.unknown.count"))
    elif numbered and not any(f.get("status") == "installed" for f in numbered):
        statuses = sorted({status_text(f.get("status"), lang) for f in numbered})
        out.append(t("town.unknown.installed", statuses=", ".join(statuses)))
    best = next((f for f in figures if f.get("best")), None)
    if best is not None and best.get("counts") == "locations":
        out.append(t("town.unknown.locations"))
    if ev != "none" and i18n.is_missing(row["vendors"]):
        out.append(t("town.unknown.vendors") + "; " + t("town.how.vendors"))
    if ev != "none" and i18n.is_missing(row.get("suppliers")):
        out.append(t("town.unknown.suppliers"))
    if ev != "none" and fr_text(row, lang) == t("fr.unknown"):
        out.append(t("town.unknown.fr") + "; " + t("town.how.fr"))
    return out


def _town_facts(row: Any, lang: str) -> list[tuple[str, str]]:
    """Every line of the summary as (label, plain text)."""
    from . import fr_text

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
    suppliers = row.get("suppliers")
    facts.append((t("field.suppliers"),
                  t("value.unknown") if i18n.is_missing(suppliers) else str(suppliers)))
    premises = row.get("premises")
    if not i18n.is_missing(premises):
        facts.append((t("field.premises"), i18n.text("scope.premises", lang, what=premises)))
    sources = row["sources"]
    facts.append((t("field.sources"),
                  t("town.none") if i18n.is_missing(sources) else kind_text(sources, lang)))
    return facts


def evidence_rows(row: Any, lang: str) -> list[dict[str, str]]:
    """One row per figure for the evidence table: date, figure, status, kind, where,
    document (title and URL), note; the figure the estimate uses first."""
    from . import figure_text, row_figures, split_document, status_text

    out = []
    for f in row_figures(row):
        title, url = split_document(str(f["document"])) if f.get("document") else ("", None)
        scope = str(f.get("scope") or i18n.text("scope.public", lang))
        out.append({
            "date": str(f.get("as_of") or i18n.text("value.unknown", lang)),
            "figure": figure_text(f.get("value"), f.get("counts"), lang),
            "best": "yes" if f.get("best") else "",
            "status": status_text(f.get("status"), lang),
            "kind": kind_text(f.get("source"), lang),
            "scope": (i18n.text("scope.public", lang) if scope == "public space" else scope),
            "document": title, "url": url or "", "note": str(f.get("note") or ""),
        })
    return out


def _documents(row: Any) -> list[str]:
    docs = row["documents"]
    if i18n.is_missing(docs):
        return []
    return [d.strip() for d in str(docs).split("; ") if d.strip()]


def _unit_cameras(cameras: gpd.GeoDataFrame | None, units: gpd.GeoDataFrame,
                  pos: int | list[int], extra_ids: Sequence[str] = ()) -> Any:
    """The cameras of one unit (or several: a city's members), plus rows assigned to
    ``extra_ids`` (the city itself)."""
    if cameras is None or len(cameras) == 0:
        return cameras
    positions = [pos] if isinstance(pos, int) else list(pos)
    ids = {str(units["id"].iloc[p]) for p in positions} | {str(i) for i in extra_ids}
    if "municipality_id" in cameras.columns:
        return cameras[cameras["municipality_id"].astype("string").isin(list(ids))]
    geom = shapely.union_all(units.geometry.iloc[positions].to_numpy())
    return cameras[cameras.geometry.notna() & cameras.geometry.within(geom)]


@dataclass
class _Place:
    """What a town page is about: one unit, or a city made of several units."""

    row: Any
    positions: list[int]
    city_id: str | None = None

    @property
    def ids(self) -> list[str]:
        return [self.city_id] if self.city_id else []


def _city_row(units: gpd.GeoDataFrame, positions: list[int]) -> pd.Series:
    """A unit-like row for a city made of the units at ``positions``, from their group_*
    figures (the city's own, with its own population: never the sum of its members)."""
    first = units.iloc[positions[0]].copy()
    members = units.iloc[positions]
    row = first.copy()
    row["id"] = str(first["group_id"])
    row["name"] = str(first["group_name"])
    row["name_cyr"] = to_cyrillic(str(first["group_name"]))
    has_figure = str(first["evidence"]) == "group"
    row["evidence"] = "city" if has_figure else "none"
    for col in ("cameras", "cameras_per_1000", "cameras_per_km2", "rank",
                "facial_recognition_cameras", "population", "area_km2"):
        row[col] = first.get(f"group_{col}", pd.NA)
    if i18n.is_missing(row["area_km2"]):
        row["area_km2"] = float(members["area_km2"].sum())
    if i18n.is_missing(row["population"]) and members["population"].notna().all():
        row["population"] = int(members["population"].sum())
    row["group_name"] = pd.NA
    row["group_id"] = pd.NA
    return row


def _find_place(units: gpd.GeoDataFrame, name: str) -> _Place:
    """The unit called ``name``, or the city (group of units) called so."""
    try:
        pos = find_unit(units, name)
    except UnknownPlaceError:
        hits = sorted(UnitNames(units).positions(name))
        if hits and _names_a_group(units, hits, name):
            return _Place(_city_row(units, hits), hits, str(units["group_id"].iloc[hits[0]]))
        raise
    return _Place(units.iloc[pos], [pos])


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
    return _summary_text(units, cameras, _find_place(units, name), lang)


def _summary_text(units: gpd.GeoDataFrame, cameras: Any, place: _Place, lang: str) -> str:
    row = place.row
    t = lambda key, **kw: i18n.text(key, lang, **kw)  # noqa: E731
    lines = [f"{i18n.unit_name(row, lang)} ({row['id']})"]
    facts = _town_facts(row, lang)
    width = max(len(k) for k, _ in facts)
    lines += [f"  {k + ':':<{width + 1}} {v}" for k, v in facts]
    evidence = evidence_rows(row, lang)
    if evidence:
        lines.append(f"  {t('town.evidence')}:")
        for e in evidence:
            mark = "* " if e["best"] else "- "
            lines.append(f"    {mark}{e['date']}: {e['figure']} — {e['status']}, {e['kind']}, "
                         f"{e['scope']}: {e['document']} {e['url']}".rstrip())
            if e["note"]:
                lines.append(f"        {e['note']}")
    else:
        docs = _documents(row)
        if docs:
            lines.append(f"  {t('field.documents')}:")
            lines += [f"    - {d}" for d in docs]
    if place.city_id:
        names = ", ".join(i18n.unit_name(units.iloc[p], lang) for p in place.positions)
        lines.append("  " + t("town.members", names=names))
    drawn = _unit_cameras(cameras, units, place.positions, place.ids)
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
    from ..request.howto import can_ask, how_to_ask

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
    map_href: str | None = "../map.html",
    **options: Any,
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
    map_href
        Link back to the country map (relative to the page), or None for no link.
    **options
        As for :func:`camera_map.render.render_map` (the fields of
        :class:`~camera_map.render.options.MapOptions`) but the title, which names the
        town: ``attribution`` (required; shown on the page and its map), ``lang``,
        ``metric``, ``scheme``, ``k``, ``data_date``, ``tiles``, ``self_contained``,
        ``basemap`` (streets around the town's cameras and in the town).

    Returns
    -------
    (Path, str)
        The page written and the same summary as plain text (for the terminal).

    Raises
    ------
    UnknownPlaceError
        ``name`` matches no unit (the message lists the closest names) or several.
    """
    opts = MapOptions(title="", height="520px", **options)
    lang = opts.lang = i18n.check_lang(opts.lang)
    units = prepare_units(units)
    place = _find_place(units, name)
    opts.title = i18n.text("town.city_heading" if place.city_id else "town.heading", lang,
                           name=i18n.unit_name(place.row, lang))
    opts.focus = [str(units["id"].iloc[p]) for p in place.positions]
    page = _town_map(units, cameras, place, opts)
    page.extra_css.append(_TOWN_CSS)
    page.before_map = _town_header_html(units, place, opts.title, map_href, lang)
    page.after_map = _town_footer_html(opts.attribution, lang)
    path = write_page(Path(out_dir) / "towns" / f"{slug(str(place.row['name']))}.html", page,
                      opts)
    return path, _summary_text(units, cameras, place, lang)


def _town_map(units: gpd.GeoDataFrame, cameras: gpd.GeoDataFrame | None, place: _Place,
              options: MapOptions) -> Page:
    """The map of the place and its neighbours, coloured by the country's classes."""
    geom = shapely.union_all(units.geometry.iloc[place.positions].to_numpy())
    minx, miny, maxx, maxy = geom.bounds
    pad = max(maxx - minx, maxy - miny) * 0.05
    near = units[
        units.geometry.intersects(shapely.box(minx - pad, miny - pad, maxx + pad, maxy + pad))
    ]
    local = near if len(near) else units.iloc[place.positions]
    cams = _unit_cameras(cameras, units, place.positions, place.ids)
    return map_page(map_config(local, cams, options, all_units=units), options)


def _town_header_html(units: gpd.GeoDataFrame, place: _Place, heading: str,
                      map_href: str | None, lang: str) -> str:
    """Heading, link back, facts, evidence, unknowns and how to ask (escaped HTML)."""
    e = html.escape
    row = place.row
    facts_html = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>"
                         for k, v in _town_facts(row, lang))
    docs_html = _evidence_html(row, lang)
    if place.city_id:
        names = ", ".join(i18n.unit_name(units.iloc[p], lang) for p in place.positions)
        docs_html = f"<p>{e(i18n.text('town.members', lang, names=names))}</p>" + docs_html
    unknown = _unknowns(row, lang)
    unknown_html = (
        f"<h2>{e(i18n.text('town.unknowns', lang))}</h2><ul class=\"cm-unknowns\">"
        + "".join(f"<li>{e(u)}</li>" for u in unknown) + "</ul>"
        if unknown else ""
    )  # fmt: skip
    back = (f'<p><a href="{e(map_href)}">{e(i18n.text("town.back", lang))}</a></p>'
            if map_href else "")
    return (f'<main class="cm-town"><h1>{e(heading)}</h1>{back}'
            f'<table class="cm-facts">{facts_html}</table>{docs_html}{unknown_html}'
            f"{how_to_ask_html(row, lang, full=True)}</main>")


def _town_footer_html(attribution: Sequence[str], lang: str) -> str:
    """Every attribution, linked where it has a URL (escaped HTML)."""
    items = "".join(f"<li>{linkify(a)}</li>" for a in attribution)
    return (f'<footer class="cm-town"><h2>{html.escape(i18n.text("town.attribution", lang))}'
            f"</h2><ul>{items}</ul></footer>")


def _evidence_html(row: Any, lang: str) -> str:
    """The evidence table (date, figure, status, kind, where, document, note), or the
    documents when the place has no figures table."""
    t = lambda key: html.escape(i18n.text(key, lang))  # noqa: E731
    rows = evidence_rows(row, lang)
    if not rows:
        docs = _documents(row)
        return (
            f"<h2>{t('field.documents')}</h2><ul class=\"cm-docs\">"
            + "".join(f"<li>{document_html(d)}</li>" for d in docs) + "</ul>"
            if docs else ""
        )  # fmt: skip
    head = "".join(f"<th>{t(k)}</th>" for k in (
        "field.date", "field.figure", "field.status", "field.kind", "field.scope",
        "field.document", "field.note"))
    body = []
    for e in rows:
        doc = link_html(e["url"], e["document"]) if e["url"] else html.escape(e["document"])
        cls = ' class="cm-best"' if e["best"] else ""
        body.append(
            f"<tr{cls}><td>{html.escape(e['date'])}</td><td>{html.escape(e['figure'])}</td>"
            f"<td>{html.escape(e['status'])}</td><td>{html.escape(e['kind'])}</td>"
            f"<td>{html.escape(e['scope'])}</td><td>{doc}</td>"
            f"<td>{html.escape(e['note'])}</td></tr>")
    rule = f'<p class="cm-rule">{t("fig.rule")}</p>' if len(rows) > 1 else ""
    return (f"<h2>{t('town.evidence')}</h2><table class=\"cm-evidence\"><thead><tr>{head}"
            f"</tr></thead><tbody>{''.join(body)}</tbody></table>{rule}")
