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
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Final

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


def _load() -> tuple[tuple[Column, ...], dict[str, dict[str, str]]]:
    """The columns and texts of ``camera_map/data/register_template.toml``."""
    raw = resources.files("camera_map").joinpath("data", "register_template.toml")
    data = tomllib.loads(raw.read_text("utf-8"))

    def texts(column: dict[str, Any], part: str) -> dict[str, str]:
        return {lang: column[lang][part] for lang in ("en", "sr-Latn")}

    columns = tuple(Column(c["target"], header=texts(c, "header"), what=texts(c, "what"),
                           allowed=texts(c, "allowed"), example=c["example"])
                    for c in data["columns"])
    return columns, data["texts"]


_DATA: Final = _load()
#: The template's columns, in the order of the sheet.
COLUMNS: Final[tuple[Column, ...]] = _DATA[0]
_TEXTS: Final[dict[str, dict[str, str]]] = _DATA[1]


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
    """Return the register template for ``authority`` in the authority's language.

    The authority and the document are filled in on labelled lines above the header, which
    the FOI reader applies to every row that names none; in Cyrillic, product names and
    abbreviations stay in Latin:

    >>> from camera_map.request.authority import authority_for
    >>> template = template_for(authority_for("Osečina", "sr-Cyrl"))
    >>> template.labelled[0], template.sheet, template.guide_sheet
    (('град/општина', 'Осечина'), 'камере', 'упутство')
    >>> [row[2] for row in template.guide if row and row[0] == "врста надзора"]
    ['камера, ALPR']
    """
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

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = template.sheet
    _fill_register_sheet(ws, template)
    _fill_guide_sheet(wb.create_sheet(template.guide_sheet), template)
    for sheet in wb.worksheets:  # text is text: openpyxl makes "=..." a formula
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.value = clean_text(cell.value)
                    cell.data_type = "s"
    buffer = io.BytesIO()
    wb.save(buffer)
    return write_bytes_atomic(path, buffer.getvalue())


def _fill_register_sheet(ws: Any, template: Template) -> None:
    """The sheet to fill in: title, labelled lines (values highlighted), the header row
    (bold, wrapped, frozen above the rows)."""
    from openpyxl.styles import Alignment, Font, PatternFill

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


def _fill_guide_sheet(guide: Any, template: Template) -> None:
    """The guide: one row per column with what to write, the allowed values, an example."""
    from openpyxl.styles import Alignment, Font

    for row in template.guide:
        guide.append(row)
    guide.cell(row=1, column=1).font = Font(bold=True, size=13)
    for c in range(1, 5):
        guide.cell(row=4, column=c).font = Font(bold=True)
    for letter, width in zip("ABCD", (22, 70, 40, 30), strict=True):
        guide.column_dimensions[letter].width = width
    for row in guide.iter_rows(min_row=5):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
