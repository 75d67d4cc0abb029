"""The text of a unit on the map page, its town page and in print: facts, figures, popups.

Every function returns plain text or HTML escaped here with :func:`html.escape`; links are
made only from ``http(s)`` URLs (:func:`is_web_url`). A unit row is any mapping with the
metrics frame's columns (a pandas row or a dict).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import pandas as pd

from ..names import slug
from . import i18n

_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"')]+")


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


def unit_facts(row: Any, lang: str) -> list[tuple[str, str]]:
    """Return (label, plain text) pairs describing one unit's figures, in ``lang``.

    The camera figure carries what it is: "at least 73 cameras (73 locations)", its
    status, date and kind of source, and the range when sources give several figures.
    """
    t = lambda key, **kw: i18n.text(key, lang, **kw)  # noqa: E731
    ev = str(row["evidence"])
    group = i18n.place_name(row["group_name"], lang)
    facts = ([(t("field.cameras"), t("evidence.none"))] if ev == "none"
             else _camera_facts(row, lang))
    pop = row["population"]
    facts.append((t("field.population"), i18n.fmt_number(pop, lang)
                  if not i18n.is_missing(pop) else t("value.unknown_population")))
    facts.append((t("field.rank"), _rank_text(row, lang)))
    facts.append((t("field.evidence"),
                  t("evidence.group", group=group) if ev == "group" else t(f"evidence.{ev}")))
    return facts


def _camera_facts(row: Any, lang: str) -> list[tuple[str, str]]:
    """The camera figure of a unit with evidence (or its city's), its range, the figures
    per 1,000 residents and per km², and a city's population."""
    t = lambda key, **kw: i18n.text(key, lang, **kw)  # noqa: E731
    city = str(row["evidence"]) == "group"
    prefix = "group_" if city else ""
    # a city-level figure is labelled with the city, so it is never read as the unit's own
    of = f" ({i18n.place_name(row['group_name'], lang)})" if city else ""
    facts = [(t("field.cameras") + of, _estimate_text(row, lang, prefix))]
    numbered = [f for f in row_figures(row) if not i18n.is_missing(f.get("value"))
                and not str(f.get("scope") or "").lower().startswith("premises")
                and f.get("status") != "removed"]
    if len(numbered) > 1:
        values = [int(f["value"]) for f in numbered]
        facts.append((t("field.range") + of, t(
            "fig.range", low=i18n.fmt_number(min(values), lang),
            high=i18n.fmt_number(max(values), lang), n=len(values))))
    # a count of locations is a lower bound, and so is every figure made from it
    at_least = (_s(row.get("estimate_counts")) == "locations"
                and not i18n.is_missing(row[prefix + "cameras_per_1000"]))
    for field, metric in (("field.per_1000", "cameras_per_1000"),
                          ("field.per_km2", "cameras_per_km2")):
        value = i18n.fmt_metric(row[prefix + metric], metric, lang)
        facts.append((t(field) + of, t("fig.at_least", v=value) if at_least else value))
    if city and not i18n.is_missing(row["group_population"]):
        facts.append((t("field.population") + of,
                      i18n.fmt_number(row["group_population"], lang)))
    return facts


def _rank_text(row: Any, lang: str) -> str:
    """"3 of 24 ranked (…)" for a unit or city with a rank, else "not ranked"."""
    rank = row["group_rank"] if str(row["evidence"]) == "group" else row["rank"]
    ranked = row["ranked"]
    if i18n.is_missing(rank) or i18n.is_missing(ranked):
        return i18n.text("value.not_ranked", lang)
    return (i18n.text("rank.of", lang, rank=int(rank), ranked=int(ranked)) + " ("
            + i18n.text("rank.basis", lang) + ")")


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
