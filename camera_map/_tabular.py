"""Low-level reading of tabular files: CSV/TSV text, XLSX (openpyxl) and ODS (odfpy).

Returns every sheet as a grid of raw cell values (``str`` for text files; ``str``, ``int``,
``float``, ``bool``, :class:`datetime.datetime` or ``None`` for workbooks) in which row
``i`` is the row a spreadsheet program shows as ``i + 1``. Merged cells are filled with the
value of their top-left cell and remembered, so header detection can treat a merged group
header ("Koordinate" over "Širina" and "Dužina") as such.

The kind of a file is told by its bytes, not its name: an XLSX named ``.csv`` is read as
XLSX, and a PNG named ``.csv`` is refused with a message saying what it looks like.
Text encodings are detected deterministically (see :func:`detect_encoding`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from .errors import InputError, UnknownFormatError

log = logging.getLogger(__name__)

Cell = str | int | float | bool | dt.datetime | dt.date | dt.time | None
HeaderScore = Callable[[Sequence[Cell]], int]

DELIMITERS: Final = (",", ";", "\t", "|")
DELIMITER_NAMES: Final = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
#: Encodings tried, in this order of preference on a tie, after strict UTF-8.
LEGACY_ENCODINGS: Final = ("cp1250", "cp1251", "iso-8859-2")
ENCODING_LABELS: Final = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with BOM",
    "utf-16": "UTF-16",
    "cp1250": "Windows-1250",
    "cp1251": "Windows-1251",
    "iso-8859-2": "ISO-8859-2",
}
HOW_TO_EXPORT: Final = (
    "expected a CSV/TSV text file, an XLSX or an ODS workbook; open the register in a "
    "spreadsheet program and use 'Save as' → CSV or XLSX"
)

MAGIC: Final = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"\xd0\xcf\x11\xe0", "an old Excel 97-2003 (.xls) or Word (.doc) file"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"{\\rtf", "an RTF document"),
    (b"SQLite format 3", "an SQLite database (a GeoPackage?)"),
)
_PDF_HINT: Final = (
    "; a PDF reply has to be turned into a table first: copy the table into a spreadsheet "
    "(or use a PDF table extractor) and save it as CSV or XLSX"
)
_XLS_HINT: Final = "; open it in a spreadsheet program and save it as .xlsx (Excel workbook)"


@dataclass
class Sheet:
    """One sheet (or the whole text file) as a grid of raw values.

    Attributes
    ----------
    name
        Sheet name, or None for a CSV/TSV file.
    rows
        ``rows[i]`` is the spreadsheet row ``i + 1``; rows may have different lengths.
    merged_from
        ``(row, col) → (row0, col0)`` for cells covered by a merge (0-based), filled with
        the value of the merge's top-left cell.
    wide_merges
        Cells (0-based) that belong to a merge spanning more than one column.
    """

    name: str | None
    rows: list[list[Cell]]
    merged_from: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)
    wide_merges: set[tuple[int, int]] = field(default_factory=set)


@dataclass
class Table:
    """What a file holds: its kind, how it was decoded, and its sheets."""

    kind: str  # "csv", "xlsx" or "ods"
    sheets: list[Sheet]
    all_sheet_names: list[str]
    encoding: str | None = None
    delimiter: str | None = None


def is_blank(value: Cell) -> bool:
    """Is a cell empty (None, or only whitespace)?"""
    return value is None or (isinstance(value, str) and not value.strip())


# --- file kind ------------------------------------------------------------------------------


def looks_binary(head: bytes) -> bool:
    """Whether the first bytes of a file are binary data rather than text.

    UTF-16 text (with its byte-order mark, as Excel's "Unicode text" export writes) is
    text; otherwise a NUL byte or more than 1 % control characters means binary.
    """
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    sample = head[:4096]
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 13))
    return b"\x00" in sample or controls > max(2, len(sample) // 100)


def zip_kind(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if "xl/workbook.xml" in names:
                return "xlsx"
            if "mimetype" in names:
                mime = zf.read("mimetype").decode("ascii", "replace").strip()
                if mime == "application/vnd.oasis.opendocument.spreadsheet":
                    return "ods"
                return f"zip:{mime}"
            if "word/document.xml" in names:
                return "zip:a Word document (.docx)"
    except zipfile.BadZipFile:
        return None
    return "zip:a ZIP archive"


def sniff_kind(path: Path, data: bytes) -> str:
    """Return ``"csv"``, ``"xlsx"`` or ``"ods"`` from the file's bytes; raise otherwise."""
    name = path.name
    head = data[:8192]
    if not data.strip() or data in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        raise InputError(
            f"{name}: the file is empty ({path.stat().st_size} bytes): expected a register "
            "with a header row and one row per camera or per municipality; check that the "
            "export or download finished"
        )
    if head.startswith(b"PK\x03\x04"):
        kind = zip_kind(path)
        if kind in ("xlsx", "ods"):
            return kind
        what = kind[4:] if kind and kind.startswith("zip:") else "a damaged ZIP archive"
        if "opendocument.text" in what:
            what = "an OpenDocument text (.odt)"
        raise UnknownFormatError(f"{name}: this is not a register (it looks like {what}): "
                                 f"{HOW_TO_EXPORT}")
    for magic, what in MAGIC:
        if head.startswith(magic):
            hint = _PDF_HINT if "PDF" in what else _XLS_HINT if ".xls" in what else ""
            raise UnknownFormatError(
                f"{name}: this is not a register (it looks like {what}): {HOW_TO_EXPORT}{hint}"
            )
    if looks_binary(head):
        raise UnknownFormatError(
            f"{name}: this is not a register (it looks like binary data, not text): "
            f"{HOW_TO_EXPORT}"
        )
    return "csv"


# --- encodings ------------------------------------------------------------------------------

_SR_CYR: Final = frozenset("абвгдђежзијклљмнњопрстћуфхцчџшАБВГДЂЕЖЗИЈКЛЉМНЊОПРСТЋУФХЦЧЏШ")
_SR_LAT: Final = frozenset("čćžšđČĆŽŠĐ")


_NON_ASCII_WORDS: Final = re.compile(r"[^\W\d_]*[^\x00-\x7f][^\W\d_]*")


def _serbian_score(text: str) -> int:
    """Score how Serbian a decoding looks: + for Serbian letters in one-script words.

    Windows-1250 Latin read as Windows-1251 turns č, ž, š into Cyrillic letters inside Latin
    words; Windows-1251 Cyrillic read as Windows-1250 turns into Latin letters with foreign
    diacritics (ŕ, ĺ, ń) and symbols (÷); ISO-8859-2 š and ž read as Windows-1250 become ą
    and ľ, and the reverse gives C1 control characters. Each of these costs points.
    """
    # Only words with non-ASCII characters tell encodings apart; 20,000 of them suffice.
    text = " ".join(m.group() for _, m in zip(range(20_000), _NON_ASCII_WORDS.finditer(text),
                                               strict=False))
    score = 0
    word: list[str] = []

    def close() -> int:
        if not word:
            return 0
        letters = [c for c in word if ord(c) > 127]
        has_cyr = any("\u0400" <= c <= "\u04ff" for c in word)
        has_ascii = any(c.isascii() for c in word)
        has_lat = has_ascii or any("\u00c0" <= c <= "\u024f" for c in word)
        if has_cyr and has_lat:
            return -2 * len(letters)
        good = sum(1 for c in letters if c in _SR_CYR or (c in _SR_LAT and has_ascii))
        bad = sum(1 for c in letters if c not in _SR_CYR and c not in _SR_LAT)
        return good - 2 * bad

    for ch in text:
        if ch.isalpha():
            word.append(ch)
            continue
        score += close()
        word = []
        if ord(ch) > 127 and ch not in "\u00a0«»–—„“”’°€§©®":
            score -= 2  # stray symbol or control character from a wrong code page
    score += close()
    return score


def decode_bytes(data: bytes, *, name: str, encoding: str | None = None) -> tuple[str, str]:
    """Decode a text file; return ``(text, encoding)``.

    With ``encoding`` given it is used strictly. Otherwise: a BOM decides (UTF-8 or
    UTF-16); otherwise strict UTF-8, Windows-1250, Windows-1251 and ISO-8859-2 are scored
    by :func:`_serbian_score` and the best wins (UTF-8, then Windows-1250 on a tie).
    """
    if encoding:
        try:
            codec = _normalise_codec(encoding)
        except LookupError:
            raise InputError(
                f"{name}: --encoding {encoding!r} is not an encoding Python knows: use one of "
                "utf-8, cp1250 (Windows-1250), cp1251 (Windows-1251), iso-8859-2"
            ) from None
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise InputError(
                f"{name}: cannot be read as {ENCODING_LABELS.get(codec, codec)}: byte "
                f"0x{data[exc.start]:02x} on line {line} is not valid in it; leave out "
                "--encoding to detect it, or try --encoding=cp1250 (Serbian Latin, "
                "Windows), cp1251 (Serbian Cyrillic, Windows) or utf-8"
            ) from None
    if data.startswith(b"\xef\xbb\xbf"):
        return _strict(data[3:], "utf-8", name), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _strict(data, "utf-16", name), "utf-16"
    if data.isascii():
        return data.decode("ascii"), "utf-8"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        # A few legacy byte pairs are also valid UTF-8 ("ĆŠ" in Windows-1250 reads as
        # UTF-8 "Ɗ"); only a UTF-8 reading that looks wrong is compared with the others.
        if _serbian_score(text) >= 0:
            return text, "utf-8"
    best: tuple[int, int, str, str] | None = None
    for rank, codec in enumerate(("utf-8", *LEGACY_ENCODINGS)):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        key = (_serbian_score(text), -rank, codec, text)
        if best is None or key[:2] > best[:2]:
            best = key
    if best is None:  # pragma: no cover - iso-8859-2 decodes any byte
        raise InputError(f"{name}: cannot detect the text encoding; pass --encoding")
    log.debug("%s: detected %s (score %d)", name, best[2], best[0])
    return best[3], best[2]


def _normalise_codec(encoding: str) -> str:
    import codecs

    codec = codecs.lookup(encoding).name
    return {"windows-1250": "cp1250", "windows-1251": "cp1251", "latin2": "iso-8859-2",
            "iso8859-2": "iso-8859-2", "utf_8": "utf-8", "utf-8-sig": "utf-8-sig"}.get(codec, codec)


def _strict(data: bytes, codec: str, name: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{name}: starts with a {codec.upper()} byte-order mark but byte "
            f"0x{data[exc.start]:02x} at offset {exc.start} is not valid {codec.upper()}; "
            "re-save the file as UTF-8, or pass --encoding"
        ) from None


# --- CSV ------------------------------------------------------------------------------------


def _records(text: str, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False))


def sniff_delimiter(text: str, header_score: HeaderScore | None = None) -> str:
    """Pick the delimiter among ``, ; tab |`` that splits the first lines best.

    With ``header_score`` (how many known column names a record holds), the delimiter
    that reveals the best header wins; then the share of the first 30 non-empty records
    that have the most common field count (more than one field), then that count; ties go
    to the order above.
    """
    lines = [ln for ln in text[:65536].splitlines() if ln.strip()][:30]
    sample = "\n".join(lines)
    best, best_score = ",", (-1, -1.0, 0)
    for delim in DELIMITERS:
        try:
            recs = [r for r in _records(sample, delim) if any(c.strip() for c in r)]
        except csv.Error:
            continue
        if not recs:
            continue
        counts = Counter(len(r) for r in recs if len(r) > 1)
        if not counts:
            continue
        width, n = counts.most_common(1)[0]
        head = max((header_score(r) for r in recs), default=0) if header_score else 0
        score = (head, n / len(recs), width)
        if score > best_score:
            best, best_score = delim, score
    return best


def read_text_table(path: Path, data: bytes, *, encoding: str | None,
                    delimiter: str | None, header_score: HeaderScore | None = None) -> Table:
    """Read CSV/TSV bytes into a one-sheet :class:`Table`."""
    text, codec = decode_bytes(data, name=path.name, encoding=encoding)
    text = text.lstrip("\ufeff")
    text = unicodedata.normalize("NFC", text)
    if delimiter is not None:
        delimiter = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";",
                     "pipe": "|"}.get(delimiter, delimiter)
        if len(delimiter) != 1:
            raise InputError(
                f"{path.name}: --delimiter {delimiter!r} must be one character, e.g. ',', "
                "';', 'tab' or '|'"
            )
    delim = delimiter or sniff_delimiter(text, header_score)
    rows: list[list[Cell]] = [list(r) for r in _records(text, delim)]
    return Table("csv", [Sheet(None, rows)], [], encoding=codec, delimiter=delim)


# --- XLSX -----------------------------------------------------------------------------------


def _xlsx(path: Path, sheet: str | int | None) -> Table:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        raise UnknownFormatError(
            f"{path.name}: is an XLSX workbook that cannot be opened ({exc}); open it in a "
            "spreadsheet program and save it again as .xlsx or CSV"
        ) from exc
    names = list(wb.sheetnames)
    out: list[Sheet] = []
    for name in select_sheets(names, sheet, file=path.name):
        ws = wb[name]
        rows: list[list[Cell]] = [list(r) for r in ws.iter_rows(values_only=True)]
        result = Sheet(name, rows)
        for rng in ws.merged_cells.ranges:
            r0, c0 = rng.min_row - 1, rng.min_col - 1
            wide = rng.max_col > rng.min_col
            value = rows[r0][c0] if r0 < len(rows) and c0 < len(rows[r0]) else None
            for r in range(rng.min_row - 1, rng.max_row):
                for c in range(rng.min_col - 1, rng.max_col):
                    if r >= len(rows):
                        continue
                    while len(rows[r]) <= c:
                        rows[r].append(None)
                    if wide:
                        result.wide_merges.add((r, c))
                    if (r, c) != (r0, c0):
                        rows[r][c] = value
                        result.merged_from[(r, c)] = (r0, c0)
        out.append(result)
    wb.close()
    return Table("xlsx", out, names)


# --- ODS ------------------------------------------------------------------------------------

_MAX_REPEAT: Final = 1000  # repeated empty rows/cells pad sheets to 1,048,576 rows


def _ods_value(cell: object) -> Cell:
    from odf import teletype
    from odf.namespaces import OFFICENS
    from odf.text import P

    get = cell.attributes.get  # type: ignore[attr-defined]
    vtype = get((OFFICENS, "value-type"))
    if vtype in ("float", "percentage", "currency"):
        raw = get((OFFICENS, "value"))
        num = float(raw)
        return int(num) if num.is_integer() and "." not in raw and "e" not in raw.lower() else num
    if vtype == "date":
        raw = get((OFFICENS, "date-value"))
        try:
            return dt.datetime.fromisoformat(raw) if "T" in raw else dt.date.fromisoformat(raw)
        except ValueError:
            return raw
    if vtype == "boolean":
        return get((OFFICENS, "boolean-value")) == "true"
    paras = cell.getElementsByType(P)  # type: ignore[attr-defined]
    text = "\n".join(teletype.extractText(p) for p in paras)
    return text if text else None


def _ods(path: Path, sheet: str | int | None) -> Table:
    from odf.namespaces import TABLENS
    from odf.opendocument import load

    try:
        doc = load(str(path))
    except Exception as exc:  # odfpy raises many kinds on a damaged file
        raise UnknownFormatError(
            f"{path.name}: is an ODS workbook that cannot be opened ({exc}); open it in a "
            "spreadsheet program and save it again as .ods, .xlsx or CSV"
        ) from exc
    tables = [t for t in doc.spreadsheet.childNodes if t.qname == (TABLENS, "table")]
    names = [t.attributes.get((TABLENS, "name")) or f"Sheet{i + 1}" for i, t in enumerate(tables)]
    wanted = set(select_sheets(names, sheet, file=path.name))
    out: list[Sheet] = []
    for name, table in zip(names, tables, strict=True):
        if name in wanted:
            out.append(_ods_sheet(name, table))
    return Table("ods", out, names)


def _ods_rows(node: object) -> list[object]:
    from odf.namespaces import TABLENS

    found: list[object] = []
    for child in node.childNodes:  # type: ignore[attr-defined]
        if child.qname == (TABLENS, "table-row"):
            found.append(child)
        elif child.qname[0] == TABLENS and child.qname[1] in (
            "table-header-rows", "table-rows", "table-row-group"):
            found.extend(_ods_rows(child))
    return found


def _ods_sheet(name: str, table: object) -> Sheet:
    from odf.namespaces import TABLENS

    rows: list[list[Cell]] = []
    spans: list[tuple[int, int, int, int]] = []
    for row in _ods_rows(table):
        rep = int(row.attributes.get((TABLENS, "number-rows-repeated"), "1"))  # type: ignore[attr-defined]
        cells: list[Cell] = []
        for cell in row.childNodes:  # type: ignore[attr-defined]
            if cell.qname not in ((TABLENS, "table-cell"), (TABLENS, "covered-table-cell")):
                continue
            crep = int(cell.attributes.get((TABLENS, "number-columns-repeated"), "1"))
            value = _ods_value(cell) if cell.qname[1] == "table-cell" else None
            if value is None and crep > _MAX_REPEAT:
                crep = 1
            r_span = int(cell.attributes.get((TABLENS, "number-rows-spanned"), "1"))
            c_span = int(cell.attributes.get((TABLENS, "number-columns-spanned"), "1"))
            if r_span > 1 or c_span > 1:
                spans.append((len(rows), len(cells), r_span, c_span))
            cells.extend([value] * crep)
        while cells and cells[-1] is None:
            cells.pop()
        if not cells and rep > _MAX_REPEAT:
            rep = 1
        rows.extend([list(cells) for _ in range(rep)])
    while rows and not rows[-1]:
        rows.pop()
    sheet = Sheet(name, rows)
    for r0, c0, rs, cs in spans:
        for r in range(r0, min(r0 + rs, len(rows))):
            for c in range(c0, c0 + cs):
                while len(rows[r]) <= c:
                    rows[r].append(None)
                if cs > 1:
                    sheet.wide_merges.add((r, c))
                if (r, c) != (r0, c0):
                    rows[r][c] = rows[r0][c0]
                    sheet.merged_from[(r, c)] = (r0, c0)
    return sheet


# --- entry point ----------------------------------------------------------------------------


def select_sheets(names: list[str], sheet: str | int | None, *, file: str) -> list[str]:
    """Return the sheet names to read: all, or the one named / indexed (0-based) by ``sheet``."""
    if sheet is None:
        return list(names)
    if isinstance(sheet, int) or (isinstance(sheet, str) and sheet.strip().isdigit()
                                  and sheet not in names):
        idx = int(sheet)
        if 0 <= idx < len(names):
            return [names[idx]]
    elif sheet in names:
        return [sheet]
    else:
        folded = {n.strip().casefold(): n for n in names}
        if sheet.strip().casefold() in folded:
            return [folded[sheet.strip().casefold()]]
    listed = ", ".join(f"{i}: {n!r}" for i, n in enumerate(names))
    raise InputError(
        f"{file}: has no sheet {sheet!r}; its sheets are {listed}; pass --sheet with a name "
        "or a 0-based number, or leave it out to read every sheet"
    )


def read_table(path: str | Path, *, sheet: str | int | None = None,
               encoding: str | None = None, delimiter: str | None = None,
               header_score: HeaderScore | None = None) -> Table:
    """Read a CSV/TSV, XLSX or ODS file into a :class:`Table` of raw cells.

    ``header_score(record)`` tells how many known column names a record holds; it helps
    choose the delimiter of a text file.

    Raises :class:`~camera_map.errors.InputError` for an empty or undecodable file and
    :class:`~camera_map.errors.UnknownFormatError` for a file that is not a table.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file; check the path")
    if p.is_dir():
        raise InputError(f"{p}: is a folder; give the register file itself")
    data = p.read_bytes()
    kind = sniff_kind(p, data)
    if kind == "xlsx":
        return _xlsx(p, sheet)
    if kind == "ods":
        return _ods(p, sheet)
    if sheet is not None:
        log.warning("%s: --sheet %r ignored: a text file has no sheets", p.name, sheet)
    return read_text_table(p, data, encoding=encoding, delimiter=delimiter,
                           header_score=header_score)
