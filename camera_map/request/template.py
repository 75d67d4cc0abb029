"""The register template sent with a request: XLSX (with a guide sheet) and CSV.

Its headers are ones the FOI reader already knows (``camera_map/data/foi_aliases.toml``) in
the language of the request, and the authority and the document are filled in on labelled
lines above the header ("grad/opština: Osečina"), which the reader applies to every row that
names none; so ``camera-map build --cameras filled.xlsx`` needs no options. The XLSX has a
second sheet explaining each column and its allowed values; the reader passes over it
(its first cell starts with :data:`camera_map.sources.foi.GUIDE_MARK`).
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from .._io import write_bytes_atomic, write_text_atomic
from ..names import to_cyrillic
from ..sources.foi import GUIDE_MARK
from ..text import clean_text, safe_cell
from .authority import Authority


@dataclass(frozen=True)
class Column:
    """One column of the template: the camera-table column it fills and its texts."""

    target: str
    header: dict[str, str]  # en, sr-Latn (sr-Cyrl is transliterated)
    what: dict[str, str]
    allowed: dict[str, str]
    example: str


def _c(target: str, en: str, sr: str, what_en: str, what_sr: str, allowed_en: str,
       allowed_sr: str, example: str = "") -> Column:
    return Column(target, {"en": en, "sr-Latn": sr}, {"en": what_en, "sr-Latn": what_sr},
                  {"en": allowed_en, "sr-Latn": allowed_sr}, example)


COLUMNS: Final[tuple[Column, ...]] = (
    _c("ordinal", "No", "redni broj", "Running number of the row (optional).",
       "Redni broj reda (nije obavezno).", "a number", "broj", "1"),
    _c("ref", "camera id", "oznaka kamere",
       "The authority's own identifier of the camera, if it has one: two rows with the same "
       "identifier are one camera listed twice.",
       "Oznaka kamere kod organa, ako postoji: dva reda sa istom oznakom su ista kamera "
       "navedena dvaput.", "text", "tekst", "K-017"),
    _c("municipality", "city/municipality", "grad/opština",
       "Leave empty: the municipality named above the table applies. Fill in only for a "
       "camera of another municipality or city.",
       "Ostavite prazno: važi opština navedena iznad tabele. Popunite samo za kameru druge "
       "opštine ili grada.", "a name or official code", "naziv ili matični broj"),
    _c("address", "address", "adresa",
       "Where the camera is: street and number, or a junction (\"Street A / Street B\").",
       "Gde je kamera: ulica i broj, ili raskrsnica (\"Ulica A / Ulica B\").",
       "text", "tekst", "Karađorđeva 1"),
    _c("latitude", "latitude", "geografska širina",
       "Latitude in degrees (WGS 84), if known; give it with the longitude.",
       "Geografska širina u stepenima (WGS 84), ako je poznata; uz geografsku dužinu.",
       "decimal degrees, e.g. 44.37; a decimal comma is fine",
       "decimalni stepeni, npr. 44,37", "44.3708"),
    _c("longitude", "longitude", "geografska dužina",
       "Longitude in degrees (WGS 84), if known; give it with the latitude.",
       "Geografska dužina u stepenima (WGS 84), ako je poznata; uz geografsku širinu.",
       "decimal degrees, e.g. 19.60", "decimalni stepeni, npr. 19,60", "19.6012"),
    _c("count", "number of cameras", "broj kamera",
       "Cameras this row stands for: 1 for one camera at a place; a total for the whole "
       "municipality on a row with no address; 0 if there are none.",
       "Broj kamera koje red opisuje: 1 za jednu kameru na jednom mestu; ukupan broj za "
       "celu opštinu u redu bez adrese; 0 ako kamera nema.", "a whole number ≥ 0",
       "ceo broj ≥ 0", "1"),
    _c("scope", "scope", "vrsta prostora",
       "Public space (streets, squares, parks), or premises such as schools and buildings: "
       "these are kept apart and never added to the public-space count.",
       "Javna površina (ulice, trgovi, parkovi) ili objekat, npr. škola ili zgrada: oni se "
       "vode odvojeno i ne dodaju se broju kamera na javnim površinama.",
       "public space, premises (schools)", "javna površina, objekat (škola)",
       "javna površina"),
    _c("as_of", "as of", "stanje na dan",
       "Date the row describes, if it is not the date of the reply.",
       "Datum na koji se red odnosi, ako to nije datum odgovora.",
       "a date: 15.03.2024, 03.2024, 2024", "datum: 15.03.2024, 03.2024, 2024", ""),
    _c("status", "status", "status", "Whether the camera is installed, contracted, planned or "
       "removed.", "Da li je kamera postavljena, ugovorena, planirana ili uklonjena.",
       "installed, contracted, planned, removed",
       "instalirano, ugovoreno, planirano, uklonjeno", "instalirano"),
    _c("surveillance_type", "surveillance type", "vrsta nadzora",
       "ALPR for a camera that reads vehicle licence plates; otherwise \"camera\".",
       "ALPR za kameru koja očitava registarske tablice; inače \"kamera\".",
       "camera, ALPR", "kamera, ALPR", "kamera"),
    _c("camera_type", "camera type", "tip kamere", "Kind of camera.", "Vrsta kamere.",
       "fixed, dome, PTZ (free text)", "fiksna, dome, PTZ (slobodan tekst)", "fiksna"),
    _c("manufacturer", "manufacturer", "proizvođač", "Make of the camera.",
       "Proizvođač kamere.", "text", "tekst", "Dahua"),
    _c("model", "camera model", "model kamere", "Model designation of the camera.",
       "Oznaka modela kamere.", "text", "tekst", "IPC-HFW5442T"),
    _c("facial_recognition", "face recognition", "prepoznavanje lica",
       "Whether the camera or its software can recognise faces. Leave empty when unknown: "
       "empty is recorded as unknown, never as no.",
       "Da li kamera ili njen softver mogu da prepoznaju lica. Ostavite prazno ako nije "
       "poznato: prazno se beleži kao nepoznato, nikad kao ne.",
       "yes, no, or empty (unknown)", "da, ne, ili prazno (nepoznato)", "ne"),
    _c("operator", "operator", "operator",
       "Who operates the camera and keeps the recordings (authority or company).",
       "Ko upravlja kamerom i čuva snimke (organ ili preduzeće).", "text", "tekst",
       "MUP, Policijska uprava Valjevo"),
    _c("supplier", "supplier", "dobavljač", "Company that supplied or installed the camera.",
       "Preduzeće koje je isporučilo ili postavilo kameru.", "text", "tekst", ""),
    _c("contract_value", "contract value", "vrednost ugovora",
       "Value of the contract that bought the camera, with its currency; on one row only, "
       "so that it is not counted twice.",
       "Vrednost ugovora kojim je kamera nabavljena, sa valutom; samo u jednom redu, da se "
       "ne bi računala dvaput.", "an amount, e.g. 1.234.567,00 RSD",
       "iznos, npr. 1.234.567,00 RSD", ""),
    _c("installed", "installation date", "datum postavljanja", "When the camera was installed.",
       "Kada je kamera postavljena.", "a date or a year: 15.03.2021, 03.2021, 2021",
       "datum ili godina: 15.03.2021, 03.2021, 2021", "2021"),
    _c("document", "document", "dokument",
       "Leave empty: the document named above the table applies. Fill in for the contract "
       "or tender that lists this camera (tender number, contract number and date).",
       "Ostavite prazno: važi dokument naveden iznad tabele. Popunite za ugovor ili javnu "
       "nabavku u kojoj je ova kamera (broj javne nabavke, broj i datum ugovora).",
       "text", "tekst", "JN 12/2021, ugovor br. 404-17 od 03.04.2021"),
    _c("note", "note", "napomena", "Anything else about the camera.",
       "Sve ostalo o kameri.", "text", "tekst", ""),
)

_TEXTS: Final[dict[str, dict[str, str]]] = {
    "en": {
        "title": "Public-space surveillance cameras — {authority}",
        "document": "{authority}: reply to a request for access to information of public "
                    "importance",
        "sheet": "cameras",
        "guide": "guide",
        "guide_title": "{mark}: the columns of the sheet \"{sheet}\" and their values",
        "guide_head": "column|what to write|allowed values|example",
        "guide_rows": "One row per camera (with an address or coordinates), or one row per "
                      "municipality with only the number of cameras. Rows left empty are "
                      "ignored. Answers that are not about single cameras (how long "
                      "recordings are kept, legal basis, impact assessment) belong in the "
                      "reply letter.",
    },
    "sr-Latn": {
        "title": "Kamere za video-nadzor javnih površina — {authority}",
        "document": "{authority}: odgovor na zahtev za pristup informacijama od javnog "
                    "značaja",
        "sheet": "kamere",
        "guide": "uputstvo",
        "guide_title": "{mark}: kolone lista \"{sheet}\" i njihove vrednosti",
        "guide_head": "kolona|šta upisati|dozvoljene vrednosti|primer",
        "guide_rows": "Jedan red za svaku kameru (sa adresom ili koordinatama), ili jedan red "
                      "za opštinu samo sa brojem kamera. Prazni redovi se ne čitaju. "
                      "Odgovori koji se ne odnose na pojedinačne kamere (koliko dugo se "
                      "snimci čuvaju, pravni osnov, procena uticaja) idu u dopis sa "
                      "odgovorom.",
    },
}


def _lang_text(texts: dict[str, str], lang: str) -> str:
    if lang == "en":
        return texts["en"]
    text = texts["sr-Latn"]
    return _keep_latin_cyrillic(text) if lang == "sr-Cyrl" else text


def _keep_latin_cyrillic(text: str) -> str:
    # product names, formats and abbreviations stay in Latin
    keep = ("ALPR", "PTZ", "WGS 84", "RSD", "Dahua", "IPC-HFW5442T", "dome", "K-017",
            GUIDE_MARK)
    out = to_cyrillic(text)
    for word in keep:
        out = out.replace(to_cyrillic(word), word)
    return out


def headers(lang: str) -> list[str]:
    """The template's column headers in ``lang`` (each one the FOI reader recognises).

    >>> headers("en")[:4]
    ['No', 'camera id', 'city/municipality', 'address']
    >>> headers("sr-Cyrl")[:4]
    ['редни број', 'ознака камере', 'град/општина', 'адреса']
    """
    return [_lang_text(c.header, lang) for c in COLUMNS]


@dataclass(frozen=True)
class Template:
    """The template's content for one authority: lines above the header, header, guide."""

    lang: str
    title: str
    labelled: list[tuple[str, str]]  # (label, value): the authority and the document
    headers: list[str]
    sheet: str
    guide_sheet: str
    guide: list[list[str]]

    @property
    def document(self) -> str:
        return self.labelled[1][1]

    def rows_above_header(self) -> list[list[str]]:
        """Title, the labelled lines and a blank line, as cells."""
        return [[self.title], *([f"{label}:", value] for label, value in self.labelled), []]


def template_for(authority: Authority) -> Template:
    """Return the register template for ``authority`` in the authority's language."""
    lang = authority.lang
    texts = _TEXTS["en" if lang == "en" else "sr-Latn"]

    def t(key: str, **values: str) -> str:
        raw = texts[key]
        if lang == "sr-Cyrl":
            raw = _keep_latin_cyrillic(raw.replace("{authority}", "\x00")).replace("\x00",
                                                                                  "{authority}")
            raw = raw.replace(to_cyrillic("{mark}"), "{mark}").replace(to_cyrillic("{sheet}"),
                                                                        "{sheet}")
        return raw.format(**values)

    head = headers(lang)
    by_target = {c.target: h for c, h in zip(COLUMNS, head, strict=True)}
    sheet = t("sheet")
    guide = [[t("guide_title", mark=GUIDE_MARK, sheet=sheet)], [t("guide_rows")], [],
             t("guide_head").split("|")]
    for column, header in zip(COLUMNS, head, strict=True):
        guide.append([header, _lang_text(column.what, lang), _lang_text(column.allowed, lang),
                      _keep_latin_cyrillic(column.example) if lang == "sr-Cyrl"
                      else column.example])
    return Template(
        lang=lang, title=t("title", authority=authority.title),
        labelled=[(by_target["municipality"], authority.name),
                  (by_target["document"], t("document", authority=authority.title))],
        headers=head, sheet=sheet, guide_sheet=t("guide"), guide=guide)


def write_csv_template(template: Template, path: str | os.PathLike[str]) -> Path:
    """Write the template as CSV (UTF-8, comma-separated), atomically; return the path."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    width = len(template.headers)
    for row in template.rows_above_header():
        writer.writerow([safe_cell(c) for c in row] + [""] * (width - len(row)))
    writer.writerow([safe_cell(c) for c in template.headers])  # no cell runs as a formula
    return write_text_atomic(path, buffer.getvalue())


def write_xlsx_template(template: Template, path: str | os.PathLike[str]) -> Path:
    """Write the template as XLSX with its guide sheet, atomically; return the path."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = template.sheet
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="FFF2CC")
    for row in template.rows_above_header():
        ws.append(row)
    ws.cell(row=1, column=1).font = Font(bold=True, size=13)
    for r in range(2, 2 + len(template.labelled)):
        ws.cell(row=r, column=1).font = bold
        ws.cell(row=r, column=2).fill = fill
    ws.append(template.headers)
    header_row = ws.max_row
    for c in range(1, len(template.headers) + 1):
        cell = ws.cell(row=header_row, column=c)
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[cell.column_letter].width = max(12, len(str(cell.value)) + 4)
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    guide = wb.create_sheet(template.guide_sheet)
    for row in template.guide:
        guide.append(row)
    guide.cell(row=1, column=1).font = Font(bold=True, size=13)
    for c in range(1, 5):
        guide.cell(row=4, column=c).font = bold
    for letter, width in zip("ABCD", (22, 70, 40, 30), strict=True):
        guide.column_dimensions[letter].width = width
    for row in guide.iter_rows(min_row=5):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for sheet in wb.worksheets:  # text is text: openpyxl makes "=..." a formula
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.value = clean_text(cell.value)
                    cell.data_type = "s"
    buffer = io.BytesIO()
    wb.save(buffer)
    return write_bytes_atomic(path, buffer.getvalue())
