"""Low-level reading of tabular files: CSV/TSV text, XLSX (openpyxl's parser), ODS (streamed).

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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, overload

from .. import settings
from ..errors import InputError, LimitError, UnknownFormatError

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
    row_problems
        Row (0-based) → what went wrong reading it (a stray quote): the row is read as
        well as it goes and the problem is reported for it.
    """

    name: str | None
    rows: list[list[Cell]] | ColumnRows
    merged_from: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)
    wide_merges: set[tuple[int, int]] = field(default_factory=set)
    row_problems: dict[int, str] = field(default_factory=dict)


@dataclass
class Table:
    """What a file holds: its kind, how it was decoded, and its sheets."""

    kind: str  # "csv", "xlsx" or "ods"
    sheets: list[Sheet]
    all_sheet_names: list[str]
    encoding: str | None = None
    delimiter: str | None = None
    problems: list[str] = field(default_factory=list)  # about the whole file


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
                with zf.open("mimetype") as fh:  # a few bytes, whatever the part declares
                    mime = fh.read(100).decode("ascii", "replace").strip()
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


#: Runs of ASCII letters and non-ASCII characters. Matched, then filtered for non-ASCII in Python:
#: a pattern that asks for a non-ASCII character inside the run backtracks over every start
#: of a long ASCII run (quadratic: 40,000 letters took 33 s); this one is linear.
_WORDS: Final = re.compile(r"[^\x00-\x40\x5b-\x60\x7b-\x7f]+")  # ASCII letters or non-ASCII


def _non_ascii_words(text: str, limit: int = 20_000) -> Iterator[str]:
    """The first ``limit`` runs of letters of ``text`` that hold a non-ASCII character."""
    found = 0
    for m in _WORDS.finditer(text):
        word = m.group()
        if word.isascii():
            continue
        # no real word is this long: score its pieces, so that the scoring stays cheap
        pieces = [word] if len(word) <= 64 else [word[i:i + 64] for i in range(0, len(word), 64)]
        for piece in pieces:
            if not piece.isascii():
                yield piece
                found += 1
                if found >= limit:
                    return


def _serbian_score(text: str) -> int:
    """Score how Serbian a decoding looks: + for Serbian letters in one-script words.

    Windows-1250 Latin read as Windows-1251 turns č, ž, š into Cyrillic letters inside Latin
    words; Windows-1251 Cyrillic read as Windows-1250 turns into Latin letters with foreign
    diacritics (ŕ, ĺ, ń) and symbols (÷); ISO-8859-2 š and ž read as Windows-1250 become ą
    and ľ, and the reverse gives C1 control characters. Each of these costs points.
    """
    # Only words with non-ASCII characters tell encodings apart; 20,000 of them suffice.
    text = " ".join(_non_ascii_words(text))
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


#: What Serbian registers hold beyond ASCII: Latin-1 and Latin Extended-A letters, Cyrillic,
#: general punctuation (dashes, quotes), € and №. Legacy bytes that happen to form valid
#: UTF-8 give other characters ("ĆŠ" in Windows-1250 reads as UTF-8 "Ɗ", U+018A).
_PLAUSIBLE_UTF8: Final = re.compile(
    "[^\x00-\x7f\u00a0-\u017f\u0400-\u04ff\u2000-\u206f\u20ac\u2116]")


def _plausible_utf8(text: str) -> bool:
    """Whether a text decoded as UTF-8 holds only characters a register plausibly holds.

    Such a reading is kept whatever the word-by-word score says: a word mixing scripts
    ("AЉ") is odd, but reading valid UTF-8 as Windows-1250 would turn it into "AĐ‰".
    """
    return _PLAUSIBLE_UTF8.search(text) is None


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
    text, _ = _as_utf8(data)
    return (text, "utf-8") if text is not None else _best_decoding(data, name)


def _as_utf8(data: bytes) -> tuple[str | None, bool]:
    """``data`` read as UTF-8 when that reading looks right (else None), and whether
    ``data`` is valid UTF-8 at all.

    A few legacy byte pairs are also valid UTF-8 ("ĆŠ" in Windows-1250 reads as UTF-8 "Ɗ");
    only a UTF-8 reading that looks wrong is compared with the others.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None, False
    return (text if _plausible_utf8(text) or _serbian_score(text) >= 0 else None), True


def _best_decoding(data: bytes, name: str) -> tuple[str, str]:
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


@dataclass
class MixedEncoding:
    """A text file whose lines are not all in one encoding (rows pasted from another file).

    Attributes
    ----------
    main, other
        The encoding of most non-ASCII lines, and of the others.
    lines
        0-based numbers of the lines in ``other``.
    """

    main: str
    other: str
    lines: list[int]


def decode_text(data: bytes, *, name: str,
                encoding: str | None = None) -> tuple[str, str, MixedEncoding | None]:
    """Decode a text file like :func:`decode_bytes`, and notice lines in a second encoding.

    A file that is neither all UTF-8 nor all in one legacy code page, but whose lines each
    are (UTF-8 rows and Windows-1250 rows pasted together), is decoded line by line, each
    line in its own encoding; the returned :class:`MixedEncoding` says which lines are in
    the minority encoding, so that they can be reported. Detection runs only when no
    ``encoding`` is given and the file has no byte-order mark.
    """
    if encoding or data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")) or data.isascii():
        return (*decode_bytes(data, name=name, encoding=encoding), None)
    text, valid = _as_utf8(data)
    if text is not None:
        return text, "utf-8", None
    if valid:
        return (*_best_decoding(data, name), None)
    lines = data.split(b"\n")
    utf8: list[int] = []
    legacy: list[int] = []
    for i, line in enumerate(lines):
        if line.isascii():
            continue
        try:
            decoded = line.decode("utf-8")
        except UnicodeDecodeError:
            legacy.append(i)
            continue
        (utf8 if _serbian_score(decoded) >= 0 else legacy).append(i)
    if not utf8 or not legacy:
        text, codec = _best_decoding(data, name)
        return text, codec, None
    _, codec = _best_decoding(b"\n".join(lines[i] for i in legacy), name)
    decoded_lines = [ln.decode("ascii") if ln.isascii() else "" for ln in lines]
    for i in utf8:
        decoded_lines[i] = lines[i].decode("utf-8")
    for i in legacy:
        decoded_lines[i] = lines[i].decode(codec)
    if len(utf8) >= len(legacy):
        mixed = MixedEncoding("utf-8", codec, legacy)
    else:
        mixed = MixedEncoding(codec, "utf-8", utf8)
    log.debug("%s: mixed encodings, %d line(s) %s", name, len(mixed.lines), mixed.other)
    return "\n".join(decoded_lines), mixed.main, mixed


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
                    delimiter: str | None, header_score: HeaderScore | None = None,
                    columnar: bool = False) -> Table:
    """Read CSV/TSV bytes into a one-sheet :class:`Table`.

    Every line of the file ends up in exactly one row: a quote that opens a cell and is
    never closed where its row ends would make the csv module read the following lines
    into that cell (one stray quote in row 3 of 100 rows gave 3 rows); such a row is read
    with the quote as a plain character, the lines after it as rows of their own, and the
    row is reported in ``Sheet.row_problems``. Lines in a second encoding are reported in
    ``Table.problems``. Limits (:mod:`camera_map.settings`) on bytes, line length, cell
    size, rows and columns raise :class:`~camera_map.errors.LimitError`.

    ``columnar``: a file whose every line is one well-formed record (see
    :func:`column_rows`) is split by Arrow's C++ CSV parser and its sheet holds
    :class:`ColumnRows` (the same cells, kept as string columns) instead of Python lists.
    """
    name = path.name
    if len(data) > settings.max_table_bytes:
        raise limit_error(name, "the file's size", f"{len(data):,} bytes", "max_table_bytes",
                          "bytes")
    text, codec, mixed = decode_text(data, name=name, encoding=encoding)
    if text.startswith("\ufeff"):
        text = text[1:]
    utf8 = (data[3:] if data.startswith(b"\xef\xbb\xbf") else data) if codec in (
        "utf-8", "utf-8-sig") else None  # the text as it is, without decoding it back
    if not unicodedata.is_normalized("NFC", text):
        text, utf8 = unicodedata.normalize("NFC", text), None
    if columnar and mixed is None:
        columns = column_rows(utf8 or text.encode("utf-8"), delimiter, header_score, name)
        if columns is not None:
            return Table("csv", [Sheet(None, columns)], [], encoding=codec,
                         delimiter=columns.delimiter)
    # the line ends the csv module knows (str.splitlines knows more); io.StringIO would
    # hold four bytes per character
    lines = _LINE.findall(text)
    del text
    longest = max(map(len, lines), default=0)
    if longest > settings.max_line_chars:
        at = next(i for i, ln in enumerate(lines) if len(ln) == longest)
        raise limit_error(
            name, f"line {at + 1}", f"{longest:,} characters", "max_line_chars", "characters",
            "is it a text register with one row per line (were the line ends lost)? ")
    head = _head(lines, 65536)
    delim = _delimiter_option(delimiter, name) or sniff_delimiter(head, header_score)
    rows, starts, row_problems = _parse_lines(lines, delim, _usual_width(head, delim), name)
    table = Table("csv", [Sheet(None, rows, row_problems=row_problems)], [], encoding=codec,
                  delimiter=delim)
    if mixed is not None:
        table.problems.append(_mixed_message(mixed, starts, len(lines)))
    return table


_LINE: Final = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+")


def _delimiter_option(delimiter: str | None, name: str) -> str | None:
    """The one character a ``--delimiter`` option names ("tab", ";", ...), or None."""
    if delimiter is None:
        return None
    delimiter = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";",
                 "pipe": "|"}.get(delimiter, delimiter)
    if len(delimiter) != 1:
        raise InputError(
            f"{name}: --delimiter {delimiter!r} must be one character, e.g. ',', "
            "';', 'tab' or '|'"
        )
    return delimiter


# --- CSV, column-wise -----------------------------------------------------------------------


class ColumnRows(Sequence[list[Cell]]):
    """The records of a CSV file kept as Arrow string columns; reads like a list of rows.

    ``columns`` hold, in file order, every record but those in ``skipped`` (0-based record
    → its cells as the csv module reads them: the records with another number of cells
    than the file's usual one); ``empty`` are the records of empty lines, which the columns
    hold as empty strings and the csv module reads as ``[]``. ``rows[i]`` is record ``i``
    as a list of ``str``, exactly what :func:`read_text_table` without ``columnar`` gives;
    a slice is a view.
    """

    def __init__(self, columns: list[Any], skipped: dict[int, list[Cell]], empty: Any,
                 n: int, delimiter: str, start: int = 0, stop: int | None = None) -> None:
        import numpy as np

        self.columns = columns
        self.skipped = skipped
        self.empty = np.asarray(empty, dtype=np.int64)
        self.n = n
        self.delimiter = delimiter
        self.start = start
        self.stop = n if stop is None else stop
        self._skipped = np.array(sorted(skipped), dtype=np.int64)
        self._empty = frozenset(self.empty.tolist())

    @property
    def width(self) -> int:
        """The largest number of cells of a record."""
        return max([len(self.columns), *map(len, self.skipped.values())])

    def records(self) -> Any:
        """Record index (0-based, in the whole file) of each row of :attr:`columns`."""
        import numpy as np

        return np.delete(np.arange(self.n, dtype=np.int64), self._skipped)

    def __len__(self) -> int:
        return max(0, self.stop - self.start)

    @overload
    def __getitem__(self, i: int) -> list[Cell]: ...

    @overload
    def __getitem__(self, i: slice) -> ColumnRows: ...

    def __getitem__(self, i: int | slice) -> list[Cell] | ColumnRows:
        import numpy as np

        if isinstance(i, slice):
            start, stop, step = i.indices(len(self))
            if step != 1:
                raise ValueError("ColumnRows slices take no step")
            view = ColumnRows.__new__(ColumnRows)
            view.__dict__.update(self.__dict__)
            view.start, view.stop = self.start + start, self.start + max(start, stop)
            return view
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        at = self.start + i
        if at in self.skipped:
            return list(self.skipped[at])
        if at in self._empty:
            return []
        row = at - int(np.searchsorted(self._skipped, at))
        return [col[row].as_py() for col in self.columns]

    def __iter__(self) -> Iterator[list[Cell]]:
        for i in range(len(self)):
            yield self[i]


def _quoting(delim: str) -> str:
    """RE2 pattern of one line that is one well-formed record: every cell either plain
    (no quote, no delimiter) or quoted whole, with quotes inside doubled."""
    d = f"\\x{{{ord(delim):x}}}"
    cell = f'(?:[^"{d}\r\n]*|"(?:[^"\r\n]|"")*")'
    return f"^{cell}(?:{d}{cell})*\r?\n?$"


def column_rows(data: bytes, delimiter: str | None, header_score: HeaderScore | None,
                name: str) -> ColumnRows | None:
    """Split UTF-8 ``data`` into records with Arrow's CSV parser, or None when it must not be.

    Only a text whose every line is one well-formed record (no quote left open, none in
    the middle of a plain cell, no NUL, no line end inside a cell) is read so: there the
    csv module and Arrow agree cell for cell, and the rows, their numbers and their cells
    are those :func:`read_text_table` gives. Anything else (a stray quote, a line past a
    limit, too many rows or columns) returns None, and the careful reader reads the file
    and reports it.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    if b"\x00" in data or data.count(b"\r") != data.count(b"\r\n"):
        return None
    lines = _lines(data)
    n = len(lines)
    if not n or n > settings.max_rows:
        return None
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)[:n + 1]
    sizes = np.diff(offsets)
    longest = int(sizes.max())  # bytes, with the line end: at least the characters
    if longest > min(settings.max_line_chars, settings.max_cell_chars):
        longest = pc.max(pc.utf8_length(lines)).as_py()
        if longest > min(settings.max_line_chars, settings.max_cell_chars):
            return None  # the careful reader says which line
    head = data[:65536 * 4 + 4].decode("utf-8", "ignore")[:65536]  # text[:65536]
    delim = _delimiter_option(delimiter, name) or sniff_delimiter(head, header_score)
    width = _usual_width(head, delim)
    if width < 1 or delim in '"\r\n' or width > settings.max_columns:
        return None
    if not pc.all(pc.match_substring_regex(lines, _quoting(delim))).as_py():
        return None
    first = np.frombuffer(data, np.uint8)[np.minimum(offsets[:-1], len(data) - 1)]
    empty = np.flatnonzero((sizes == 1) | ((sizes == 2) & (first == 13)))
    del lines
    names = [f"c{i}" for i in range(width)]
    skipped: dict[int, list[Cell]] = {}

    def other_width(row: Any) -> str:
        cells: list[Cell] = list(next(csv.reader([row.text], delimiter=delim, strict=True), []))
        skipped[row.number - 1] = cells
        return "skip"

    table = pcsv.read_csv(
        pa.py_buffer(data),
        read_options=pcsv.ReadOptions(column_names=names, use_threads=False,
                                      block_size=max(1 << 24, 4 * longest + 16)),
        parse_options=pcsv.ParseOptions(delimiter=delim, quote_char='"', double_quote=True,
                                        escape_char=False, newlines_in_values=False,
                                        ignore_empty_lines=False,
                                        invalid_row_handler=other_width),
        convert_options=pcsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()),
                                            strings_can_be_null=False,
                                            quoted_strings_can_be_null=False, null_values=[]))
    if (table.num_rows + len(skipped) != n
            or any(len(c) > settings.max_columns for c in skipped.values())):
        return None
    columns = [table.column(c).combine_chunks() for c in names]
    return ColumnRows(columns, skipped, empty, n, delim)


def _lines(data: bytes) -> Any:
    """The lines of UTF-8 ``data`` as an Arrow string array (each with its line end), no copy."""
    import numpy as np
    import pyarrow as pa

    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10) + 1
    if not len(ends) or ends[-1] != len(data):
        ends = np.append(ends, len(data))
    offsets = np.concatenate([[0], ends]).astype(np.int64)
    return pa.LargeStringArray.from_buffers(len(ends), pa.py_buffer(offsets),
                                            pa.py_buffer(data))




def _head(lines: list[str], size: int) -> str:
    """The first lines, cut at ``size`` characters."""
    out: list[str] = []
    for line in lines:
        out.append(line[:size])
        size -= len(out[-1])
        if size <= 0:
            break
    return "".join(out)


def limit_error(file: str, what: str, found: str, setting: str, unit: str,
                hint: str = "") -> LimitError:
    """The error for ``what`` (``found``) going past ``camera_map.settings.<setting>``."""
    limit = getattr(settings, setting)
    return LimitError(
        f"{file}: {what} ({found}) is more than camera-map reads ({limit:,} {unit}, "
        f"settings.{setting}); {hint}if the file is genuine, raise the limit with the "
        f"environment variable CAMERA_MAP_{setting.upper()}"
    )


def _usual_width(sample: str, delim: str) -> int:
    """The most common number of cells (above one) of the first records; 0 if none."""
    try:
        recs = _records(sample, delim)[:30]
    except csv.Error:
        return 0
    counts = Counter(len(r) for r in recs if len(r) > 1)
    return counts.most_common(1)[0][0] if counts else 0


def _parse_lines(lines: list[str], delim: str, width: int,
                 name: str) -> tuple[list[list[Cell]], list[int], dict[int, str]]:
    """Parse text lines into records; return ``(records, first line of each, problems)``.

    Strict csv parsing, restarted after a record that went wrong: a misplaced quote
    inside one line is read leniently and reported; a quote that runs on over the lines
    that follow (they look like rows of their own, or the parser fails further down) is
    read as a plain character and reported, and parsing resumes on the next line.
    """
    records: list[list[Cell]] = []
    starts: list[int] = []
    problems: dict[int, str] = {}
    n = len(lines)
    i = 0
    old_limit = csv.field_size_limit(settings.max_cell_chars)
    try:
        while i < n:
            base, prev = i, 0
            reader = csv.reader(map(lines.__getitem__, range(i, n)), delimiter=delim,
                                strict=True)
            i = n
            try:
                for rec in reader:
                    start, end = base + prev, base + reader.line_num
                    prev = reader.line_num
                    if end - start > 1 and _runs_on(rec, lines[start:end], delim, width):
                        _add_stray(records, starts, problems, lines, start, end, delim, "", name)
                        i = start + 1
                        break
                    _check_record(rec, len(records), start, name)
                    records.append(list(rec))
                    starts.append(start)
            except csv.Error as exc:
                start, end = base + prev, base + reader.line_num
                if end - start > 1:
                    _add_stray(records, starts, problems, lines, start, end, delim, str(exc),
                               name)
                elif "field larger" in str(exc):
                    raise limit_error(name, f"a cell on line {start + 1}",
                                      f"more than {settings.max_cell_chars:,} characters",
                                      "max_cell_chars", "characters") from None
                else:
                    rec = next(csv.reader([lines[start]], delimiter=delim, strict=False), [])
                    _check_record(rec, len(records), start, name)
                    problems[len(records)] = (
                        f"line {start + 1}: a quote (\") is out of place ({exc}); the row "
                        "is read as well as it goes: check it, and write a quote inside a "
                        'quoted cell as two quotes ("")')
                    records.append(list(rec))
                    starts.append(start)
                i = start + 1
    finally:
        csv.field_size_limit(old_limit)
    return records, starts, problems


def _check_record(rec: Sequence[str], index: int, line: int, name: str) -> None:
    if len(rec) > settings.max_columns:
        raise limit_error(name, f"line {line + 1}", f"{len(rec):,} columns", "max_columns",
                          "columns")
    if index >= settings.max_rows:
        raise limit_error(name, "the number of rows", f"more than {index:,}", "max_rows", "rows")


def _runs_on(rec: Sequence[str], lines: list[str], delim: str, width: int) -> bool:
    """Whether a record over several lines swallowed rows: a quote that was never closed.

    A cell may hold line breaks (a note typed over two lines). But when each line of the
    record, read on its own (a quote as a plain character), has the file's usual number
    of cells, while the record has another number of cells or holds whole lines in
    between, the lines were rows and the quote a stray one. Both readings are possible
    only in a file whose rows differ in length; the one that gives every row the usual
    length is taken, and the row is reported either way.
    """
    if width < 2 or not all(len(_split_stray(line, delim)) == width for line in lines):
        return False
    return len(rec) != width or len(lines) > 2


def _add_stray(records: list[list[Cell]], starts: list[int], problems: dict[int, str],
               lines: list[str], start: int, end: int, delim: str, error: str,
               name: str) -> None:
    rec = _split_stray(lines[start], delim)
    _check_record(rec, len(records), start, name)
    swallowed = (f"lines {start + 2}-{end}" if end > start + 2 else f"line {start + 2}")
    problems[len(records)] = (
        f"line {start + 1}: a quote (\") opens a cell and is not closed where the row ends, "
        f"so {swallowed} would have become part of that cell"
        + (f" ({error})" if error else "")
        + "; this row is read with the quote as a plain character and the lines after it as "
        'rows of their own: check the row, and remove the quote or close it ("...")')
    records.append(list(rec))
    starts.append(start)


def _split_stray(line: str, delim: str) -> list[str]:
    """Split one line into cells, reading a quote that is never closed as a plain character."""
    text = line.rstrip("\r\n")
    cells: list[str] = []
    i, n = 0, len(text)
    while True:
        if i < n and text[i] == '"':
            j, buf, closed = i + 1, [], False
            while j < n:
                if text[j] == '"':
                    if j + 1 < n and text[j + 1] == '"':
                        buf.append('"')
                        j += 2
                        continue
                    closed = True
                    j += 1
                    break
                buf.append(text[j])
                j += 1
            if closed:
                k = text.find(delim, j)
                k = n if k < 0 else k
                cells.append("".join(buf) + text[j:k])
            else:
                k = text.find(delim, i)
                k = n if k < 0 else k
                cells.append(text[i:k])
        else:
            k = text.find(delim, i)
            k = n if k < 0 else k
            cells.append(text[i:k])
        if k >= n:
            return cells
        i = k + 1
        if i == n:
            cells.append("")
            return cells


def _mixed_message(mixed: MixedEncoding, starts: list[int], n_lines: int) -> str:
    """Name the rows (1-based, as a spreadsheet shows them) whose lines are in ``other``."""
    import bisect

    rows = sorted({bisect.bisect_right(starts, line) for line in mixed.lines
                   if line < n_lines})
    shown = ", ".join(map(str, rows[:20])) + (f" and {len(rows) - 20} more" if len(rows) > 20
                                              else "")
    main = ENCODING_LABELS.get(mixed.main, mixed.main)
    other = ENCODING_LABELS.get(mixed.other, mixed.other)
    return (f"the file mixes two text encodings: row(s) {shown} are {other}, the other rows "
            f"{main}; each row was read in its own encoding, so check the letters of those "
            "rows, and save the file again as UTF-8")


# --- workbooks: common limits ----------------------------------------------------------------


def check_zip(path: Path) -> None:
    """Refuse a ZIP container (XLSX, ODS) whose parts declare too much decompressed data.

    :mod:`zipfile` never returns more than a part's declared size (more fails its CRC
    check), so summing the declared sizes bounds what any reader can decompress.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            total = sum(i.file_size for i in zf.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnknownFormatError(
            f"{path.name}: is a damaged ZIP archive ({exc}); open it in a spreadsheet program "
            "and save it again as .xlsx, .ods or CSV"
        ) from None
    if total > settings.max_table_bytes:
        raise limit_error(path.name, "the decompressed size of its contents",
                          f"{total:,} bytes", "max_table_bytes", "bytes",
                          "a small file that unpacks to this much is a 'zip bomb'; ")


class _Grid:
    """Rows of one sheet built cell by cell, within the row, column and cell limits."""

    def __init__(self, file: str, sheet: str, budget: list[int]) -> None:
        self.file, self.sheet = file, sheet
        self.rows: list[list[Cell]] = []
        self.budget = budget  # cells left for the whole workbook (shared between sheets)

    def where(self, row: int, col: int | None = None) -> str:
        cell = f", cell {column_letter(col)}{row + 1}" if col is not None else f", row {row + 1}"
        return f"sheet {self.sheet!r}{cell}"

    def check(self, row: int, col: int, cells: int) -> None:
        """Before placing ``cells`` filled cells ending at 0-based ``(row, col)``."""
        if row >= settings.max_rows:
            raise limit_error(self.file, f"{self.where(row, col)} holds a value: its row number",
                              f"{row + 1:,}", "max_rows", "rows",
                              "delete what is far below the table; ")
        if col >= settings.max_columns:
            raise limit_error(self.file, f"{self.where(row, col)} holds a value: its column",
                              f"{col + 1:,}", "max_columns", "columns",
                              "delete what is far right of the table; ")
        self.budget[0] -= cells
        if self.budget[0] < 0:
            raise limit_error(self.file, f"the number of filled cells up to {self.where(row)}",
                              f"more than {settings.max_cells:,}", "max_cells", "cells")

    def put(self, row: int, col: int, value: Cell) -> None:
        self.check(row, col, 1)
        if isinstance(value, str) and len(value) > settings.max_cell_chars:
            raise limit_error(self.file, self.where(row, col), f"{len(value):,} characters",
                              "max_cell_chars", "characters")
        rows = self.rows
        while len(rows) <= row:
            rows.append([])
        cells = rows[row]
        if len(cells) <= col:
            cells.extend([None] * (col + 1 - len(cells)))
        cells[col] = value

    def width(self) -> int:
        return max(map(len, self.rows), default=0)


def column_letter(col: int) -> str:
    """The spreadsheet letters of a 0-based column: 0 → A, 26 → AA."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _fill_merges(sheet: Sheet, spans: list[tuple[int, int, int, int]]) -> None:
    """Fill merged ranges ``(row0, col0, rows, cols)`` with their top-left value.

    A range is clipped to the rows and columns that hold data: merging a whole row or
    column (or a hostile A1:XFD1048576) costs nothing beyond the table.
    """
    rows = sheet.rows
    width = max(map(len, rows), default=0)
    for r0, c0, rs, cs in spans:
        if r0 >= len(rows) or c0 >= width:
            continue
        value = rows[r0][c0] if c0 < len(rows[r0]) else None
        for r in range(r0, min(r0 + rs, len(rows))):
            for c in range(c0, min(c0 + cs, width)):
                while len(rows[r]) <= c:
                    rows[r].append(None)
                if cs > 1:
                    sheet.wide_merges.add((r, c))
                if (r, c) != (r0, c0):
                    rows[r][c] = value
                    sheet.merged_from[(r, c)] = (r0, c0)


# --- XLSX -----------------------------------------------------------------------------------


def _xlsx(path: Path, sheet: str | int | None) -> Table:
    """Read an XLSX workbook sparsely: only cells that hold a value take memory.

    openpyxl's read-only parser streams each sheet's XML; the declared dimension and empty
    (styled) cells are ignored, so one far cell (XFD1048576) costs one cell, and a value
    beyond the limits is refused with its reference.
    """
    import openpyxl
    from openpyxl.utils import range_boundaries
    from openpyxl.worksheet._reader import WorkSheetParser

    check_zip(path)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        raise UnknownFormatError(
            f"{path.name}: is an XLSX workbook that cannot be opened ({exc}); open it in a "
            "spreadsheet program and save it again as .xlsx or CSV"
        ) from exc
    budget = [settings.max_cells]
    out: list[Sheet] = []
    try:
        names = list(wb.sheetnames)
        for name in select_sheets(names, sheet, file=path.name):
            ws = wb[name]
            grid = _Grid(path.name, name, budget)
            spans: list[tuple[int, int, int, int]] = []
            if hasattr(ws, "_get_source"):  # a chartsheet has no cells
                try:
                    with ws._get_source() as src:
                        parser = WorkSheetParser(
                            src, ws._shared_strings, data_only=True, epoch=wb.epoch,
                            date_formats=wb._date_formats,
                            timedelta_formats=wb._timedelta_formats)
                        for _, cells in parser.parse():
                            for c in cells:
                                value = c["value"]
                                if value is not None:
                                    grid.put(c["row"] - 1, c["column"] - 1, value)
                        merged = parser.merged_cells
                    for rng in getattr(merged, "mergeCell", None) or []:
                        c0, r0, c1, r1 = range_boundaries(rng.ref)
                        spans.append((r0 - 1, c0 - 1, r1 - r0 + 1, c1 - c0 + 1))
                except InputError:
                    raise
                except Exception as exc:  # a damaged sheet: bad numbers, references...
                    raise UnknownFormatError(
                        f"{path.name}: sheet {name!r} of the XLSX workbook is damaged ({exc}); "
                        "open it in a spreadsheet program and save it again as .xlsx or CSV"
                    ) from None
            result = Sheet(name, grid.rows)
            _fill_merges(result, spans)
            out.append(result)
    finally:
        wb.close()
    return Table("xlsx", out, names)


# --- ODS ------------------------------------------------------------------------------------

_TABLE_NS: Final = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE_NS: Final = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_TEXT_NS: Final = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_T_TABLE: Final = _TABLE_NS + "table"
_T_ROW: Final = _TABLE_NS + "table-row"
_T_CELL: Final = _TABLE_NS + "table-cell"
_T_COVERED: Final = _TABLE_NS + "covered-table-cell"
_PARAGRAPHS: Final = (_TEXT_NS + "p", _TEXT_NS + "h")


def _ods_int(el: object, attr: str, file: str) -> int:
    raw = el.get(_TABLE_NS + attr)  # type: ignore[attr-defined]
    if raw is None:
        return 1
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise UnknownFormatError(
            f"{file}: is a damaged ODS workbook (table:{attr}={raw!r} is not a positive whole "
            "number); open it in a spreadsheet program and save it again as .ods, .xlsx or CSV"
        )
    return value


def _ods_text(cell: object) -> str:
    """The text a spreadsheet shows in a cell: its paragraphs, one per line (no comments)."""
    paras: list[str] = []
    for p in cell:  # type: ignore[attr-defined]
        if p.tag not in _PARAGRAPHS:
            continue  # office:annotation (a comment) and the like
        for el in p.iter():
            if el.tag == _TEXT_NS + "s":
                el.text = " " * _ods_int_text(el.get(_TEXT_NS + "c"))
            elif el.tag == _TEXT_NS + "tab":
                el.text = "\t"
            elif el.tag == _TEXT_NS + "line-break":
                el.text = "\n"
        paras.append("".join(p.itertext()))
    return "\n".join(paras)


def _ods_int_text(raw: str | None) -> int:
    try:
        return max(1, min(int(raw or 1), settings.max_cell_chars))
    except ValueError:
        return 1


def _ods_value(cell: object) -> Cell:
    """The value of a cell: typed from ``office:value-type``; the shown text otherwise.

    A number or date attribute that does not parse falls back to the text the cell shows,
    which the register reader then judges like any other text.
    """
    get = cell.get  # type: ignore[attr-defined]
    vtype = get(_OFFICE_NS + "value-type")
    if vtype in ("float", "percentage", "currency"):
        raw = get(_OFFICE_NS + "value") or ""
        try:
            num = float(raw)
        except ValueError:
            pass
        else:
            plain = num.is_integer() and "." not in raw and "e" not in raw.lower()
            return int(num) if plain else num
    elif vtype == "date":
        raw = get(_OFFICE_NS + "date-value") or ""
        try:
            return dt.datetime.fromisoformat(raw) if "T" in raw else dt.date.fromisoformat(raw)
        except ValueError:
            pass
    elif vtype == "boolean":
        raw = get(_OFFICE_NS + "boolean-value")
        if raw in ("true", "false"):
            return raw == "true"
    text = _ods_text(cell)
    return text if text else None


def _ods(path: Path, sheet: str | int | None) -> Table:
    """Stream an ODS workbook's ``content.xml``, expanding repeats only within the limits.

    ``table:number-columns-repeated`` and ``table:number-rows-repeated`` are counted, not
    expanded, while the cells they repeat are empty (sheets are padded that way to their
    full size); a filled cell or row is expanded only after the limits on columns, rows
    and cells have been checked, so an 893-byte file that repeats one cell 16,384 ×
    1,000,000 times is refused at once.
    """
    from xml.etree.ElementTree import ParseError, iterparse

    check_zip(path)
    grids: list[tuple[str, _Grid, list[tuple[int, int, int, int]]]] = []
    budget = [settings.max_cells]
    try:
        with zipfile.ZipFile(path) as zf, zf.open("content.xml") as fh:
            stack: list[object] = []
            grid: _Grid | None = None
            spans: list[tuple[int, int, int, int]] = []
            row = 0  # 0-based index of the current row
            col = 0
            row_values: list[tuple[int, Cell, int]] = []  # (col, value, repeat)
            in_cell = 0
            for event, el in iterparse(fh, events=("start", "end")):
                tag = el.tag
                if event == "start":
                    stack.append(el)
                    if in_cell:
                        in_cell += tag in (_T_CELL, _T_COVERED)
                    elif tag == _T_TABLE:
                        name = el.get(_TABLE_NS + "name") or f"Sheet{len(grids) + 1}"
                        grid, spans, row = _Grid(path.name, name, budget), [], 0
                        grids.append((name, grid, spans))
                    elif tag == _T_ROW and grid is not None:
                        col, row_values = 0, []
                    elif tag in (_T_CELL, _T_COVERED) and grid is not None:
                        in_cell = 1
                    continue
                stack.pop()
                if in_cell:
                    if tag in (_T_CELL, _T_COVERED):
                        in_cell -= 1
                    if in_cell or grid is None:
                        continue
                    crep = _ods_int(el, "number-columns-repeated", path.name)
                    rs = _ods_int(el, "number-rows-spanned", path.name)
                    cs = _ods_int(el, "number-columns-spanned", path.name)
                    if rs > 1 or cs > 1:
                        spans.append((row, col, rs, cs))
                    value = _ods_value(el) if tag == _T_CELL else None
                    if value is not None:
                        grid.check(row, col + crep - 1, 0)
                        row_values.append((col, value, crep))
                    col += crep
                    el.clear()
                    if stack:
                        stack[-1].remove(el)  # type: ignore[attr-defined]
                elif tag == _T_ROW and grid is not None:
                    rrep = _ods_int(el, "number-rows-repeated", path.name)
                    if row_values:
                        grid.check(row + rrep - 1, 0, 0)
                        width = row_values[-1][0] + row_values[-1][2]
                        grid.check(row, width - 1,
                                   sum(n for _, _, n in row_values) * rrep)
                        cells: list[Cell] = [None] * width
                        for c, v, n in row_values:
                            cells[c:c + n] = [v] * n
                        while len(grid.rows) < row:
                            grid.rows.append([])
                        grid.rows.extend(list(cells) for _ in range(rrep))
                    row += rrep
                    el.clear()
                    if stack:
                        stack[-1].remove(el)  # type: ignore[attr-defined]
                elif tag == _T_TABLE:
                    grid = None
                    el.clear()
    except InputError:
        raise
    except (ParseError, KeyError, zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnknownFormatError(
            f"{path.name}: is an ODS workbook that cannot be read ({exc}); open it in a "
            "spreadsheet program and save it again as .ods, .xlsx or CSV"
        ) from None
    names = [name for name, _, _ in grids]
    wanted = set(select_sheets(names, sheet, file=path.name))
    out: list[Sheet] = []
    for name, g, sp in grids:
        if name in wanted:
            result = Sheet(name, g.rows)
            _fill_merges(result, sp)
            out.append(result)
    return Table("ods", out, names)


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
               header_score: HeaderScore | None = None, columnar: bool = False) -> Table:
    """Read a CSV/TSV, XLSX or ODS file into a :class:`Table` of raw cells.

    ``header_score(record)`` tells how many known column names a record holds; it helps
    choose the delimiter of a text file. ``columnar``: see :func:`read_text_table`.

    Raises :class:`~camera_map.errors.InputError` for an empty or undecodable file and
    :class:`~camera_map.errors.UnknownFormatError` for a file that is not a table.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file; check the path")
    if p.is_dir():
        raise InputError(f"{p}: is a folder; give the register file itself")
    size = p.stat().st_size
    if size > settings.max_table_bytes:
        raise limit_error(p.name, "the file's size", f"{size:,} bytes", "max_table_bytes",
                          "bytes")
    data = p.read_bytes()
    kind = sniff_kind(p, data)
    if kind == "xlsx":
        return _xlsx(p, sheet)
    if kind == "ods":
        return _ods(p, sheet)
    if sheet is not None:
        log.warning("%s: --sheet %r ignored: a text file has no sheets", p.name, sheet)
    return read_text_table(p, data, encoding=encoding, delimiter=delimiter,
                           header_score=header_score, columnar=columnar)
