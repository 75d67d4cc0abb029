"""Interface text in English, Serbian Latin and Serbian Cyrillic, and number formatting.

Languages are BCP 47 tags: ``en``, ``sr-Latn``, ``sr-Cyrl``. Serbian Cyrillic strings are
transliterated from the Latin ones with :func:`camera_map.names.to_cyrillic`, leaving
``{placeholders}`` and Latin-only terms (km², OpenStreetMap, ODbL, ALPR, FOI) untouched.
Municipality names follow the chosen script: :func:`unit_name` prefers the layer's
``name_cyr`` for ``sr-Cyrl``.
"""

from __future__ import annotations

import math
import re
from typing import Any, Final

import pandas as pd

from ..errors import InputError
from ..names import to_cyrillic

LANGUAGES: Final = ("en", "sr-Latn", "sr-Cyrl")

_EN: Final[dict[str, str]] = {
    "metric.cameras_per_1000": "cameras per 1,000 residents",
    "metric.cameras_per_km2": "cameras per km²",
    "metric.cameras": "cameras",
    "metric.short.cameras_per_1000": "per 1,000 residents",
    "metric.short.cameras_per_km2": "per km²",
    "metric.short.cameras": "total cameras",
    "legend.no_data": "no data — no evidence found, not zero",
    "legend.unknown": "cameras, figure unknown",
    "legend.group": "dashed outline: city-level figure, shown on every member",
    "legend.show": "Show",
    "box.fold": "fold",
    "box.unfold": "unfold",
    "page.search": "Find a municipality",
    "page.search_label": "Find a municipality by name (Latin or Cyrillic)",
    "page.no_match": "no municipality matches",
    "page.scroll_hint": "Click the map, or hold Ctrl while scrolling, to zoom",
    "page.scroll_hint_touch": "Use two fingers to move the map",
    "layer.basemap": "Streets, railways, water and places",
    "print.cameras": "Cameras: {sources}",
    "field.cameras": "Cameras",
    "field.per_1000": "Per 1,000 residents",
    "field.per_km2": "Per km²",
    "field.population": "Population",
    "field.area": "Area",
    "field.rank": "Rank",
    "field.evidence": "Evidence",
    "field.vendors": "Vendors",
    "field.face_recognition": "Face recognition",
    "field.sources": "Sources",
    "field.documents": "Documents",
    "field.group": "City",
    "rank.of": "{rank} of {ranked}",
    "rank.basis": "by cameras per 1,000 residents",
    "evidence.unit": "the municipality's own figure",
    "evidence.group": "city-level figure ({group})",
    "evidence.none": "no evidence found — not zero",
    "value.unknown": "unknown",
    "value.unknown_population": "unknown (no sourced census figure)",
    "value.not_ranked": "not ranked",
    "fr.some": "{n} camera(s) with face recognition, according to the sources",
    "fr.none_said": "no source says any camera has face recognition",
    "fr.unknown": "unknown: no source says",
    "unit.km2": "km²",
    "town.link": "Town page",
    "map.data_date": "Data as of {date}",
    "map.title": "Surveillance cameras — {country}",
    "map.not_drawn": (
        "{n} camera(s) with only a settlement- or municipality-level position are counted "
        "in their municipality but not drawn as points."
    ),
    "map.count_only": (
        "{n} figure(s) from documents give numbers, not positions: they count in their "
        "municipality or city (one figure per place, never added up) but are not drawn."
    ),
    "map.aggregated": (
        "{n} cameras are drawn as {cells} markers, each standing for the cameras within "
        "about {m} m, so that the page stays small; every camera is in cameras.geojson."
    ),
    "camera.aggregate": "{n} camera(s) within about {m} m",
    "layer.units": "Municipalities",
    "layer.cluster": "Cameras",
    "layer.heat": "Heat map",
    "layer.cones": "View directions (zoom in)",
    "filter.title": "Filter cameras",
    "filter.fr": "face recognition only",
    "filter.alpr": "licence-plate readers (ALPR) only",
    "filter.vendor": "Vendor",
    "filter.source": "Source",
    "filter.any": "any",
    "filter.showing": "{shown} of {total} cameras shown",
    "camera.title": "Camera",
    "camera.source": "Source",
    "camera.osm_link": "OpenStreetMap element",
    "camera.legend_fr": "face recognition",
    "camera.legend_alpr": "ALPR",
    "camera.legend_other": "other camera",
    "col.camera_id": "Id",
    "col.source": "Source",
    "col.source_ref": "Reference",
    "col.source_version": "Version",
    "col.source_date": "Date of evidence",
    "col.document": "Document",
    "col.municipality": "Municipality (as given)",
    "col.municipality_name": "Municipality",
    "col.address": "Address",
    "col.name": "Name",
    "col.description": "Description",
    "col.surveillance": "Surveillance",
    "col.surveillance_type": "Type",
    "col.camera_type": "Camera type",
    "col.mount": "Mount",
    "col.direction": "Direction (°)",
    "col.height": "Height (m)",
    "col.zone": "Zone",
    "col.operator": "Operator",
    "col.manufacturer": "Manufacturer",
    "col.model": "Model",
    "col.facial_recognition": "Face recognition",
    "col.status": "Status",
    "col.counts": "Counts",
    "col.scope": "Where",
    "col.as_of": "As of",
    "col.supplier": "Supplier",
    "col.contract_value": "Contract value",
    "col.installed": "Installed",
    "col.geocode_precision": "Position precision",
    "col.note": "Note",
    "bool.true": "yes",
    "bool.false": "no",
    "town.heading": "{name}: surveillance cameras",
    "town.rank_among": "{rank} of {ranked} municipalities by cameras per 1,000 residents",
    "town.group_figure": (
        "Only a city-level figure exists: {group} has {cameras} camera(s), {per_1000} per "
        "1,000 residents, rank {rank}."
    ),
    "town.unknowns": "Unknown",
    "town.unknown.population": "population unknown: no sourced census figure",
    "town.unknown.evidence": "no evidence found (this is not zero)",
    "town.unknown.vendors": "vendors unknown: no source names one",
    "town.unknown.fr": "face recognition unknown: no source says",
    "town.unknown.group_only": "the municipality's own figure: only a city-level figure exists",
    "town.points": "{n} camera(s) drawn on the map",
    "town.back": "Back to the map",
    "town.attribution": "Attribution",
    "town.none": "none",
    "fig.cameras": "{n} cameras",
    "fig.camera": "{n} camera",
    "fig.locations": "at least {n} cameras ({n} locations)",
    "fig.unnumbered": "cameras named without a number (not zero)",
    "fig.as_of": "as of {date}",
    "fig.at_least": "at least {v}",
    "print.located": "{n} located cameras",
    "print.figures": "{n} figures",
    "fig.range": "{low} – {high} ({n} figures; the estimate picks one, they are not added)",
    "fig.rule": (
        "How one figure is picked: public space only; the most advanced status (installed, "
        "then testing, unknown, contracted, planned), then the newest, then the larger."
    ),
    "fig.located": "located cameras ({kind})",
    "status.planned": "planned",
    "status.contracted": "contracted",
    "status.testing": "testing",
    "status.installed": "installed",
    "status.removed": "removed",
    "status.unknown": "status unknown",
    "kind.foi": "FOI reply",
    "kind.tender": "tender",
    "kind.report": "press/NGO report",
    "kind.osm": "OpenStreetMap",
    "kind.survey": "survey",
    "scope.public": "public space",
    "scope.premises": "not in the count: {what}",
    "field.range": "Figures reported",
    "field.figures": "Figures",
    "field.status": "Status",
    "field.date": "Date",
    "field.figure": "Figure",
    "field.kind": "Kind of source",
    "field.scope": "Where",
    "field.document": "Document",
    "field.note": "Note",
    "field.suppliers": "Suppliers",
    "field.premises": "On premises",
    "field.installed": "Installed",
    "fr.capable": "capable of face recognition",
    "fr.capable_n": "capable of face recognition ({n} of the cameras counted)",
    "fr.software_off": "software reported off",
    "fr.software_on": "software reported in use",
    "context.title": "Across the country",
    "town.city_heading": "{name} (city): surveillance cameras",
    "town.evidence": "Figures and their documents",
    "evidence.city": "the city's own figure",
    "town.unknown.suppliers": (
        "suppliers unknown: no source names one; how to find out: the contract on the Public "
        "Procurement Portal, or an FOI request"
    ),
    "town.members": "City municipalities: {names}",
    "town.unknown.installed": (
        "how many cameras are installed: the figures are {statuses} — ask the city or "
        "municipality (FOI request) how many are installed and in use"
    ),
    "town.unknown.count": (
        "how many cameras: the sources name cameras without a number — ask for the number "
        "and locations (FOI request)"
    ),
    "town.unknown.locations": (
        "how many cameras stand at the locations counted: ask for the number per location "
        "(FOI request)"
    ),
    "town.how.evidence": (
        "how to find out: an FOI request to the municipality (Law on Free Access to "
        "Information of Public Importance) asking for the number, locations, vendor, "
        "supplier and contract of its video-surveillance cameras"
    ),
    "town.how.vendors": (
        "how to find out: the tender documents and contract on the Public Procurement "
        "Portal, or an FOI request"
    ),
    "town.how.fr": (
        "how to find out: ask (FOI request) whether the system can recognise faces and "
        "whether that software is switched on"
    ),
    "town.not_located": "{n} figure(s) have no positions: they count here but are not drawn",
}

_SR_LATN: Final[dict[str, str]] = {
    "metric.cameras_per_1000": "kamera na 1.000 stanovnika",
    "metric.cameras_per_km2": "kamera po km²",
    "metric.cameras": "kamera",
    "metric.short.cameras_per_1000": "na 1.000 stanovnika",
    "metric.short.cameras_per_km2": "po km²",
    "metric.short.cameras": "ukupno kamera",
    "legend.no_data": "nema podataka — nisu nađeni dokazi, nije nula",
    "legend.unknown": "kamere, vrednost nepoznata",
    "legend.group": "isprekidana ivica: podatak za ceo grad, prikazan na svakoj opštini",
    "legend.show": "Prikaži",
    "box.fold": "skupi",
    "box.unfold": "proširi",
    "page.search": "Pronađi opštinu",
    "page.search_label": "Pronađi opštinu po imenu (latinica ili ćirilica)",
    "page.no_match": "nijedna opština ne odgovara",
    "page.scroll_hint": "Kliknite na mapu ili držite Ctrl dok skrolujete da biste uvećali",
    "page.scroll_hint_touch": "Pomerajte mapu sa dva prsta",
    "layer.basemap": "Ulice, pruge, vode i mesta",
    "print.cameras": "Kamere: {sources}",
    "field.cameras": "Kamere",
    "field.per_1000": "Na 1.000 stanovnika",
    "field.per_km2": "Po km²",
    "field.population": "Broj stanovnika",
    "field.area": "Površina",
    "field.rank": "Mesto",
    "field.evidence": "Dokazi",
    "field.vendors": "Proizvođači",
    "field.face_recognition": "Prepoznavanje lica",
    "field.sources": "Izvori",
    "field.documents": "Dokumenti",
    "field.group": "Grad",
    "rank.of": "{rank} od {ranked}",
    "rank.basis": "po broju kamera na 1.000 stanovnika",
    "evidence.unit": "podatak same opštine",
    "evidence.group": "podatak za ceo grad ({group})",
    "evidence.none": "nisu nađeni dokazi — nije nula",
    "value.unknown": "nepoznato",
    "value.unknown_population": "nepoznato (nema izvora za popisni podatak)",
    "value.not_ranked": "nije rangirano",
    "fr.some": "kamera sa prepoznavanjem lica prema izvorima: {n}",
    "fr.none_said": "nijedan izvor ne navodi kameru sa prepoznavanjem lica",
    "fr.unknown": "nepoznato: nijedan izvor ne navodi",
    "unit.km2": "km²",
    "town.link": "Stranica opštine",
    "map.data_date": "Podaci od {date}",
    "map.title": "Kamere za video-nadzor — {country}",
    "map.not_drawn": (
        "Kamere samo sa približnim položajem (naselje ili opština): {n}. Ubrojane su u "
        "opštinu, ali nisu prikazane kao tačke."
    ),
    "map.count_only": (
        "Podaci iz dokumenata koji daju broj, ne položaj: {n}. Ubrojani su u opštinu ili "
        "grad (jedan podatak po mestu, ne sabiraju se), ali nisu prikazani."
    ),
    "map.aggregated": (
        "{n} kamera prikazano je kao {cells} oznaka; svaka stoji za kamere na oko {m} m, "
        "da bi stranica ostala mala. Svaka kamera je u cameras.geojson."
    ),
    "camera.aggregate": "kamera na oko {m} m: {n}",
    "layer.units": "Opštine",
    "layer.cluster": "Kamere",
    "layer.heat": "Toplotna mapa",
    "layer.cones": "Pravci snimanja (uvećajte)",
    "filter.title": "Filtriraj kamere",
    "filter.fr": "samo prepoznavanje lica",
    "filter.alpr": "samo čitači tablica (ALPR)",
    "filter.vendor": "Proizvođač",
    "filter.source": "Izvor",
    "filter.any": "svi",
    "filter.showing": "prikazano {shown} od {total} kamera",
    "camera.title": "Kamera",
    "camera.source": "Izvor",
    "camera.osm_link": "Element na OpenStreetMap",
    "camera.legend_fr": "prepoznavanje lica",
    "camera.legend_alpr": "ALPR",
    "camera.legend_other": "ostale kamere",
    "col.camera_id": "Oznaka",
    "col.source": "Izvor",
    "col.source_ref": "Referenca",
    "col.source_version": "Verzija",
    "col.source_date": "Datum dokaza",
    "col.document": "Dokument",
    "col.municipality": "Opština (kako je navedeno)",
    "col.municipality_name": "Opština",
    "col.address": "Adresa",
    "col.name": "Naziv",
    "col.description": "Opis",
    "col.surveillance": "Nadzor",
    "col.surveillance_type": "Vrsta",
    "col.camera_type": "Vrsta kamere",
    "col.mount": "Montaža",
    "col.direction": "Pravac (°)",
    "col.height": "Visina (m)",
    "col.zone": "Zona",
    "col.operator": "Operater",
    "col.manufacturer": "Proizvođač",
    "col.model": "Model",
    "col.facial_recognition": "Prepoznavanje lica",
    "col.status": "Status",
    "col.counts": "Broji",
    "col.scope": "Gde",
    "col.as_of": "Stanje na dan",
    "col.supplier": "Dobavljač",
    "col.contract_value": "Vrednost ugovora",
    "col.installed": "Postavljena",
    "col.geocode_precision": "Tačnost položaja",
    "col.note": "Napomena",
    "bool.true": "da",
    "bool.false": "ne",
    "town.heading": "{name}: kamere za nadzor",
    "town.rank_among": "{rank} od {ranked} opština po broju kamera na 1.000 stanovnika",
    "town.group_figure": (
        "Postoji samo podatak za ceo grad: {group} ima {cameras} kamera, {per_1000} na "
        "1.000 stanovnika, mesto {rank}."
    ),
    "town.unknowns": "Nepoznato",
    "town.unknown.population": "broj stanovnika nepoznat: nema izvora za popisni podatak",
    "town.unknown.evidence": "nisu nađeni dokazi (to nije nula)",
    "town.unknown.vendors": "proizvođači nepoznati: nijedan izvor ih ne navodi",
    "town.unknown.fr": "prepoznavanje lica nepoznato: nijedan izvor ne navodi",
    "town.unknown.group_only": "podatak same opštine: postoji samo podatak za ceo grad",
    "town.points": "kamera prikazanih na mapi: {n}",
    "town.back": "Nazad na mapu",
    "town.attribution": "Izvori podataka",
    "town.none": "nema",
    "fig.cameras": "{n} kamera",
    "fig.camera": "{n} kamera",
    "fig.locations": "najmanje {n} kamera ({n} lokacija)",
    "fig.unnumbered": "kamere navedene bez broja (nije nula)",
    "fig.as_of": "stanje {date}",
    "fig.at_least": "najmanje {v}",
    "print.located": "kamera sa položajem: {n}",
    "print.figures": "podataka: {n}",
    "fig.range": "{low} – {high} ({n} podataka; procena uzima jedan, ne sabiraju se)",
    "fig.rule": (
        "Kako se bira jedan podatak: samo javni prostor; najodmakliji status (instalirano, "
        "pa testiranje, nepoznato, ugovoreno, planirano), pa najnoviji, pa veći."
    ),
    "fig.located": "kamere sa položajem ({kind})",
    "status.planned": "planirano",
    "status.contracted": "ugovoreno",
    "status.testing": "testiranje",
    "status.installed": "instalirano",
    "status.removed": "uklonjeno",
    "status.unknown": "status nepoznat",
    "kind.foi": "odgovor na zahtev (FOI)",
    "kind.tender": "javna nabavka",
    "kind.report": "izveštaj medija/organizacije",
    "kind.osm": "OpenStreetMap",
    "kind.survey": "terenski popis",
    "scope.public": "javni prostor",
    "scope.premises": "nije u broju: {what}",
    "field.range": "Objavljeni podaci",
    "field.figures": "Podaci",
    "field.status": "Status",
    "field.date": "Datum",
    "field.figure": "Podatak",
    "field.kind": "Vrsta izvora",
    "field.scope": "Gde",
    "field.document": "Dokument",
    "field.note": "Napomena",
    "field.suppliers": "Dobavljači",
    "field.premises": "U objektima",
    "field.installed": "Instalirano",
    "fr.capable": "može da prepoznaje lica",
    "fr.capable_n": "može da prepoznaje lica ({n} od ubrojanih kamera)",
    "fr.software_off": "prema izvorima softver je isključen",
    "fr.software_on": "prema izvorima softver se koristi",
    "context.title": "U celoj zemlji",
    "town.city_heading": "{name} (grad): kamere za nadzor",
    "town.evidence": "Podaci i njihovi dokumenti",
    "evidence.city": "podatak samog grada",
    "town.unknown.suppliers": (
        "dobavljači nepoznati: nijedan izvor ih ne navodi; kako saznati: ugovor na Portalu "
        "javnih nabavki, ili zahtev za pristup informacijama"
    ),
    "town.members": "Gradske opštine: {names}",
    "town.unknown.installed": (
        "koliko je kamera instalirano: podaci su {statuses} — pitajte grad ili opštinu "
        "(zahtev za pristup informacijama) koliko ih je instalirano i u upotrebi"
    ),
    "town.unknown.count": (
        "koliko kamera: izvori navode kamere bez broja — tražite broj i lokacije (zahtev za "
        "pristup informacijama)"
    ),
    "town.unknown.locations": (
        "koliko kamera stoji na navedenim lokacijama: tražite broj po lokaciji (zahtev za "
        "pristup informacijama)"
    ),
    "town.how.evidence": (
        "kako saznati: zahtev opštini po Zakonu o slobodnom pristupu informacijama od "
        "javnog značaja za broj, lokacije, proizvođača, dobavljača i ugovor za kamere"
    ),
    "town.how.vendors": (
        "kako saznati: tenderska dokumentacija i ugovor na Portalu javnih nabavki, ili "
        "zahtev za pristup informacijama"
    ),
    "town.how.fr": (
        "kako saznati: pitajte (zahtev za pristup informacijama) da li sistem može da "
        "prepoznaje lica i da li je taj softver uključen"
    ),
    "town.not_located": "podaci bez položaja: {n}; ubrojani su, ali nisu prikazani",
}

# Kept in Latin script inside Cyrillic text.
_KEEP_LATIN = re.compile(r"(\{[^}]*\}|km²|OpenStreetMap|ODbL|ALPR|FOI|\(°\)|\(m\))")


def _cyrillic(text: str) -> str:
    parts = _KEEP_LATIN.split(text)
    return "".join(p if _KEEP_LATIN.fullmatch(p) else to_cyrillic(p) for p in parts)


_SR_CYRL: Final[dict[str, str]] = {k: _cyrillic(v) for k, v in _SR_LATN.items()}
_TABLES: Final[dict[str, dict[str, str]]] = {"en": _EN, "sr-Latn": _SR_LATN, "sr-Cyrl": _SR_CYRL}


def check_lang(lang: str) -> str:
    """Return ``lang`` if supported, else raise :class:`InputError` listing the choices."""
    if lang not in _TABLES:
        raise InputError(
            f"unknown language {lang!r}; use one of {', '.join(LANGUAGES)} "
            "(e.g. --lang sr-Cyrl for Serbian Cyrillic)"
        )
    return lang


def text(key: str, lang: str = "en", **values: Any) -> str:
    """Return the interface string ``key`` in ``lang`` with ``values`` filled in.

    Values are inserted as given (already formatted, not escaped): escape the result for
    HTML where it goes into a page.
    """
    table = _TABLES[check_lang(lang)]
    template = table.get(key) or _EN[key]
    return template.format(**values) if values else template


def strings(lang: str, prefix: str = "") -> dict[str, str]:
    """Return every string whose key starts with ``prefix``, for use in the map's script."""
    check_lang(lang)
    return {k: text(k, lang) for k in _EN if k.startswith(prefix)}


def is_missing(value: object) -> bool:
    """Return True for None, ``pd.NA`` and NaN."""
    if value is None or value is pd.NA:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def fmt_number(value: object, lang: str = "en", *, decimals: int = 0) -> str:
    """Format a number with the grouping and decimal marks of ``lang``.

    >>> fmt_number(12345.678, "en", decimals=1), fmt_number(12345.678, "sr-Latn", decimals=1)
    ('12,345.7', '12.345,7')
    """
    if is_missing(value):
        return text("value.unknown", lang)
    number = float(value)  # type: ignore[arg-type]
    if math.isinf(number):
        return text("value.unknown", lang)
    out = f"{number:,.{decimals}f}"
    if lang.startswith("sr"):
        out = out.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return out


def fmt_metric(value: object, metric: str, lang: str = "en") -> str:
    """Format a value of ``metric`` (cameras, cameras_per_1000, cameras_per_km2)."""
    if is_missing(value):
        return text("value.unknown", lang)
    if metric == "cameras":
        return fmt_number(value, lang)
    number = float(value)  # type: ignore[arg-type]
    decimals = 3 if abs(number) < 1 else 2 if abs(number) < 100 else 1
    return fmt_number(number, lang, decimals=decimals)


def unit_name(row: Any, lang: str = "en") -> str:
    """Return a municipality's name in the script of ``lang``.

    ``row`` is a mapping or row with ``name`` and optionally ``name_cyr``. Serbian Cyrillic
    uses ``name_cyr`` when the layer has it and transliterates ``name`` otherwise.
    """
    name = _get(row, "name")
    name = "" if is_missing(name) else str(name)
    if lang == "sr-Cyrl":
        cyr = _get(row, "name_cyr")
        return str(cyr) if not is_missing(cyr) and str(cyr) else to_cyrillic(name)
    return name


def place_name(name: object, lang: str = "en") -> str:
    """Return a place name (e.g. a city group's name) in the script of ``lang``."""
    if is_missing(name):
        return ""
    return to_cyrillic(str(name)) if lang == "sr-Cyrl" else str(name)


def _get(row: Any, key: str) -> object:
    try:
        return row[key]
    except (KeyError, IndexError, TypeError):
        return getattr(row, key, None)
