"""Freedom-of-information registers: messy spreadsheets in, every row accounted for.

Reads the CSV/TSV, XLSX and ODS files that municipalities send in reply to FOI requests
or attach to tenders, typed by clerks in Serbian Latin or Cyrillic, and turns each row
into one record of the camera table (:mod:`camera_map.table`) or into a rejected row with
a reason a clerk could act on. Rows read = rows accepted + rows rejected; blank rows are
counted apart.

A row is one of three kinds:

- a **located camera**: coordinates (decimal degrees, DMS, or projected x/y with a CRS),
  ``count`` 1;
- an **address** to geocode later: no point, ``address`` set (``count`` from the row, else 1);
- a **count for a municipality**: no point, no address, a municipality and a number of
  cameras (or, when the register has no count column, one listed camera).

A row with coordinates *and* a number of cameras above one ("Trg slobode: 12 cameras" with
the square's coordinates) is kept as one count row: ``count`` N, no geometry, the
municipality from the row or from the unit containing the point, and a note
"N cameras listed at <lat>, <lon>". Turning it into N points would invent N cameras at
one exact spot; keeping one point with count N would break the camera-table contract.

Header names are matched against ``camera_map/data/foi_aliases.toml`` and a user mapping
(TOML ``[columns] "Moja kolona" = "manufacturer"``) after :func:`camera_map.names.fold`;
columns nobody knows are kept in ``tags`` under their original header.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import logging
import math
import re
import tomllib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any, Final, overload

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

from ..errors import InputError, Problem
from ..layers import UnitNames
from ..names import fold
from ..rejected import RejectedRow, RejectedRows
from ..table import (
    COLUMNS,
    COUNTS_VALUES,
    PREMISES,
    PUBLIC_SPACE,
    SOURCE_KINDS,
    STATUS_VALUES,
    cameras_from_records,
    validate_cameras,
)
from . import coords
from .tabular import (
    DELIMITER_NAMES,
    ENCODING_LABELS,
    Cell,
    ColumnRows,
    Sheet,
    Table,
    column_letter,
    is_blank,
    read_table,
)

log = logging.getLogger(__name__)

KEPT: Final = "kept in tags"
#: Targets that are read from a register but are not camera-table columns.
INPUT_TARGETS: Final = (
    "latitude", "longitude", "x", "y", "coordinates", "street", "house_number", "settlement",
    "ordinal", "ref",
)  # fmt: skip
_NOT_MAPPABLE: Final = frozenset(
    {"camera_id", "source_ref", "tags", "geocoder", "geocode_precision"}
)
#: Every target a header can be mapped to (plus "tags" to keep a column as it is).
TARGETS: Final = tuple(c for c in COLUMNS if c not in _NOT_MAPPABLE) + INPUT_TARGETS
_JOINED: Final = {"document": "; ", "note": "; ", "description": "; ", "address": ", ",
                  "name": "; "}
_LAST_WINS: Final = frozenset({"municipality", "settlement"})  # "Grad | Opština": the finer one
_HEADER_SCAN: Final = 30
#: First words of the guide sheet of camera-map's register template
#: (:mod:`camera_map.request.template`): a sheet that explains the columns, passed over.
GUIDE_MARK: Final = "camera-map"
_TOTAL_WORDS: Final = ("ukupno", "ukupan", "svega", "sveukupno", "total", "zbir", "suma", "sum")
_TRAILING_NOISE: Final = frozenset(
    {"a", "u", "rsd", "din", "dinara", "eur", "evra", "sa", "bez", "pdv", "wgs84", "wgs", "84",
     "dd", "kom", "ukupno", "da", "ne"}
)
_COUNT_UNITS: Final = frozenset(
    {"", "kom", "komada", "komad", "kamera", "kamere", "kameri", "pcs", "cameras", "camera"}
)
_PARENS: Final = re.compile(r"[(\[{].*?[)\]}]")
_MAIN_TARGETS: Final = ("municipality", "address", "latitude", "longitude", "x", "y", "count",
                        "manufacturer", "model", "facial_recognition", "status", "supplier",
                        "contract_value", "installed", "document")


# --- column mapping -------------------------------------------------------------------------


def header_key(text: object) -> str:
    """Comparison key of a header: :func:`~camera_map.names.fold` keeping unit words."""
    return fold(text, drop_unit_words=False)


@functools.cache
def _alias_table() -> tuple[dict[str, str], dict[str, str]]:
    """Return ``(folded alias → target, folded alias → alias as written)``."""
    raw = resources.files("camera_map").joinpath("data", "foi_aliases.toml").read_text("utf-8")
    table = tomllib.loads(raw)["aliases"]
    targets: dict[str, str] = {}
    spelled: dict[str, str] = {}
    for target, aliases in table.items():
        if target not in TARGETS:
            raise ValueError(f"foi_aliases.toml: unknown target {target!r}")
        for alias in aliases:
            key = header_key(alias)
            if targets.get(key, target) != target:
                raise ValueError(f"foi_aliases.toml: {alias!r} is listed under "
                                 f"{targets[key]!r} and {target!r}")
            targets[key] = target
            spelled.setdefault(key, alias)
    return targets, spelled


def builtin_aliases() -> dict[str, str]:
    """Return the built-in header aliases: folded header text → target column."""
    return dict(_alias_table()[0])


def load_mapping(mapping: str | Path | Mapping[str, str] | None) -> dict[str, str]:
    """Read a user column mapping: a TOML file with a ``[columns]`` table, or a dict.

    Keys are headers as they appear in the register (compared folded, so case, script and
    diacritics do not matter); values are targets from :data:`TARGETS`, or ``"tags"`` to
    keep the column as it is. Returns folded header → target.
    """
    if mapping is None:
        return {}
    where = "mapping"
    if isinstance(mapping, str | Path):
        path = Path(mapping)
        where = path.name
        try:
            data = tomllib.loads(path.read_text("utf-8-sig"))
        except FileNotFoundError:
            raise InputError(f"{path}: mapping file not found; check the path") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise InputError(
                f"{where}: is not a valid TOML mapping file ({exc}); write it like\n"
                '[columns]\n"Moja kolona" = "manufacturer"'
            ) from None
        if not isinstance(data.get("columns"), dict):
            raise InputError(
                f"{where}: has no [columns] table; write it like\n"
                '[columns]\n"Moja kolona" = "manufacturer"'
            )
        mapping = data["columns"]
    assert isinstance(mapping, Mapping)
    out: dict[str, str] = {}
    for header, target in mapping.items():
        target = str(target).strip()
        if target not in (*TARGETS, "tags"):
            close = difflib.get_close_matches(target, [*TARGETS, "tags"], n=3)
            hint = f"did you mean {' or '.join(map(repr, close))}? " if close else ""
            raise InputError(
                f"{where}: column {header!r} is mapped to {target!r}, which is not a column "
                f"camera-map knows; {hint}use one of {', '.join([*TARGETS, 'tags'])}"
            )
        out[header_key(header)] = target
    return out


def match_header(text: object, user: Mapping[str, str] | None = None) -> str | None:
    """Return the target a header means, or None.

    Tries the user mapping, then the built-in aliases: the whole header, the header
    without parenthesised parts ("Vrednost (RSD)"), then without trailing words such as
    "RSD", "sa PDV", "WGS84".
    """
    if not isinstance(text, str) or is_blank(text):
        return None
    user = user or {}
    aliases = _alias_table()[0]
    candidates = [header_key(text), header_key(_PARENS.sub(" ", text))]
    words = candidates[-1].split()
    while len(words) > 1 and words[-1] in _TRAILING_NOISE:
        words = words[:-1]
        candidates.append(" ".join(words))
    for key in candidates:
        if key and key in user:
            return user[key]
    for key in candidates:
        if key and key in aliases:
            return aliases[key]
    return None


def _closest_aliases(text: str) -> list[str]:
    aliases, spelled = _alias_table()
    close = difflib.get_close_matches(header_key(text), list(aliases), n=3, cutoff=0.6)
    return [f"{spelled[k]!r} = {aliases[k]}" for k in close]


# --- results --------------------------------------------------------------------------------


@dataclass
class SheetInfo:
    """How one sheet (or the whole CSV) was read."""

    name: str | None
    header_row: int | None  # 1-based; None when the sheet was not read
    header_rows: int = 1  # 2 for a two-row (merged group) header
    title: list[str] = field(default_factory=list)  # text of title rows above the header
    columns: dict[str, str] = field(default_factory=dict)  # header → target or KEPT
    rows_read: int = 0
    blank_rows: int = 0
    skipped: str | None = None  # why the sheet was not read
    inferred: list[str] = field(default_factory=list)  # columns read by their values


@dataclass
class RegisterResult:
    """Everything read from one register.

    Attributes
    ----------
    cameras
        Camera table (:mod:`camera_map.table`), one record per accepted row, EPSG:4326.
    rejected_rows
        One :class:`~camera_map.rejected.RejectedRow` per rejected row: file, sheet, row,
        reason, the cell at fault when known, and every original cell as read
        (:attr:`rejected` is the same as a DataFrame).
    rows_read
        Non-blank data rows (below the header) in the sheets read;
        ``len(cameras) + len(rejected_rows) == rows_read``.
    blank_rows
        Empty data rows (and rows with nothing but a running number), not counted as read.
    needs_geocoding
        Accepted rows with an address but no point.
    columns
        How each source header was mapped: header → target column or ``"kept in tags"``.
    problems
        Warnings about accepted rows and the file (swapped coordinates fixed, a point
        outside its stated municipality, a value not understood, sheets not read).
    """

    file: str
    kind: str
    cameras: gpd.GeoDataFrame
    rejected_rows: RejectedRows
    rows_read: int
    blank_rows: int
    needs_geocoding: int
    columns: dict[str, str]
    problems: list[Problem]
    encoding: str | None
    delimiter: str | None
    sheets: list[str]
    sheet_info: list[SheetInfo]
    kinds: dict[str, int]  # accepted rows by kind: "point", "address", "count"
    count_cameras: int  # cameras stated by the rows of kind "count"
    #: Accepted rows that name no municipality and have no point: only geocoding an
    #: address can make them count anywhere.
    unplaced_rows: int = 0
    #: Municipality the register's title row or file name names (used for rows naming none).
    municipality_from: str | None = None
    #: Every row read, as ``(sheet, row, {header: value as read})``, in the file's order:
    #: what a command that writes the register back (``geocode``) starts from.
    originals: Sequence[tuple[str | None, int, dict[str, Any]]] = field(
        default_factory=list, repr=False)

    @property
    def accepted(self) -> int:
        """Number of accepted rows (a count row is one row)."""
        return len(self.cameras)

    @functools.cached_property
    def rejected(self) -> pd.DataFrame:
        """:attr:`rejected_rows` as a DataFrame: ``file``, ``sheet``, ``row``, ``reason``,
        then every original column (:meth:`camera_map.rejected.RejectedRows.frame`)."""
        return self.rejected_rows.frame()

    @property
    def total_cameras(self) -> int:
        """Cameras in every accepted row (points count 1, count rows their count)."""
        return int(self.cameras["count"].sum())


# --- value parsing --------------------------------------------------------------------------

_FR_TRUE: Final = frozenset({
    "da", "yes", "y", "true", "1", "x", "ima", "fr", "prepoznavanje lica",
    "sa prepoznavanjem lica", "face recognition", "facial recognition", "podrzava", "podrzano",
    "ukljuceno", "jeste", "postoji", "da ima", "da fr", "omoguceno", "ima fr", "lpr i fr",
})  # fmt: skip
_FR_FALSE: Final = frozenset({
    "ne", "no", "n", "false", "0", "nema", "bez", "bez prepoznavanja lica", "nije",
    "ne podrzava", "iskljuceno", "none", "ne postoji", "nema fr", "nije omoguceno",
})  # fmt: skip
#: "capable", "capable; software reported off": the equipment can recognise faces.
_FR_CAPABLE: Final = ("capable", "sposob", "moze", "podrzava", "yes ", "da ")
_FR_OFF: Final = ("off", "iskljucen", "nije ukljucen", "not switched on", "not in use",
                  "not used", "ne koristi", "nije aktiv", "inactive", "disabled")
_FR_ON: Final = ("switched on", "in use", "ukljucen", "koristi se", "active", "enabled")
_UNKNOWN_WORDS: Final = frozenset({"", "nepoznato", "unknown", "n a", "na", "nije poznato",
                                   "nema podataka", "bez podataka"})
_STATUS_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "installed": ("instal", "postavlj", "ugradj", "montir", "u funkcij", "u upotreb", "aktiv",
                  "radi", "operativ", "funkcionis", "install", "active", "operational", "in use",
                  "in service", "existing", "postojec", "u radu"),
    "contracted": ("ugovor", "narucen", "u nabav", "nabavlj", "u realizacij", "contract",
                   "ordered", "procured", "purchased", "kupljen"),
    "planned": ("planir", "u planu", "plan", "predvidj", "predloz", "projektova", "buduc",
                "proposed", "future"),
    "removed": ("uklonj", "demontir", "skinut", "removed", "dismantled", "decommission",
                "van upotreb"),
    "testing": ("testir", "u testu", "probni rad", "u probnom", "testing", "in test", "trial"),
    "unknown": ("nepoznat", "unknown"),
}
#: Words for "cameras exist, their number was not reported" in a count cell.
_COUNT_UNKNOWN: Final = frozenset({"nepoznato", "nepoznat", "unknown", "not reported",
                                   "nije objavljeno", "nije navedeno", "not stated", "nn"})
_SOURCE_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "foi": ("foi", "freedom of information", "zahtev za pristup", "pristup informacijama",
            "odgovor na zahtev", "slobodan pristup"),
    "tender": ("tender", "nabavk", "procurement", "javna nabavka", "ugovor", "contract"),
    "report": ("report", "press", "news", "media", "ngo", "izvestaj", "vest", "novine",
               "medij", "clanak", "article"),
    "osm": ("osm", "openstreetmap"),
    "survey": ("survey", "popis", "terensk", "obilazak", "field"),
}
_COUNTS_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "cameras": ("camera", "kamer", "komad"),
    "locations": ("location", "lokacij", "mest", "site", "pozicij"),
}
_SCOPE_PUBLIC: Final = ("public", "javn", "ulic", "street", "outdoor")
_SCOPE_PREMISES: Final = ("premises", "objekat", "objekt", "prostorij", "zgrad", "skol",
                          "vrtic", "building", "indoor", "unutr")
_MONTHS: Final = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "maj": 5, "may": 5, "jun": 6,
                  "jul": 7, "avg": 8, "aug": 8, "sep": 9, "okt": 10, "oct": 10, "nov": 11,
                  "dec": 12}


def parse_facial_recognition(value: Cell) -> bool | None:
    """Return True/False for explicit words ("da", "ne", "yes", "FR", "x", ...), else None.

    Raises :class:`ValueError` for text that is not empty and not understood.
    """
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    raw = str(value).strip()
    if raw in ("✓", "✔", "☑", "+"):
        return True
    if raw in ("✗", "✘", "☐"):
        return False
    key = fold(raw, drop_unit_words=False)
    if key in _FR_TRUE or key.startswith(_FR_CAPABLE):
        return True
    if key in _FR_FALSE:
        return False
    if key in _UNKNOWN_WORDS:
        return None
    raise ValueError(
        f"facial recognition {raw!r} is not understood: write da/ne (yes/no); "
        "it is recorded as unknown"
    )


def parse_facial_recognition_software(value: Cell) -> str | None:
    """Return ``off`` or ``on`` when a face-recognition cell says whether the software runs.

    "capable; software reported off" → ``off``; a plain "yes" says nothing about it (None).
    """
    if is_blank(value) or not isinstance(value, str):
        return None
    key = f" {fold(value, drop_unit_words=False)} "
    if any(f" {w}" in key for w in _FR_OFF):
        return "off"
    if any(f" {w}" in key for w in _FR_ON):
        return "on"
    return None


def parse_status(value: Cell) -> str | None:
    """Return installed/contracted/planned/removed/unknown from Serbian or English words.

    Raises :class:`ValueError` for text that is not empty and not understood.
    """
    return _vocabulary(
        value, _STATUS_WORDS, "status", STATUS_VALUES, placeholder=True,
        negations=("ne ", "nije ", "not "),  # "nije instalirano" must not read as installed
        hint="write instalirano (installed), ugovoreno (contracted), planirano (planned) or "
             "uklonjeno (removed); it is recorded as unknown")


def _stemmed(key: str, words: Mapping[str, tuple[str, ...]]) -> str | None:
    """The first target one of whose stems starts a word of the folded ``key``."""
    for target, stems in words.items():
        if any(key.startswith(st) or f" {st}" in f" {key}" for st in stems):
            return target
    return None


def _vocabulary(value: Cell, words: Mapping[str, tuple[str, ...]], what: str,
                allowed: Sequence[str], *, placeholder: bool = False,
                negations: tuple[str, ...] = (), hint: str | None = None) -> str | None:
    """The value of ``allowed`` a cell names, by its words' stems; None for an empty cell
    (and, with ``placeholder``, for one without letters or digits, such as "-")."""
    if is_blank(value):
        return None
    raw = str(value).strip()
    key = fold(raw, drop_unit_words=False)
    if key in allowed:
        return key
    if placeholder and not key:
        return None
    target = _stemmed(key, words)
    if target is not None and not key.startswith(negations):
        return target
    hint = hint or f"write one of {', '.join(allowed)}"
    raise ValueError(f"{what} {raw!r} is not understood: {hint}")


def parse_source_kind(value: Cell) -> str | None:
    """Return foi/tender/report/osm/survey from a "kind of source" cell ("news" → report)."""
    return _vocabulary(value, _SOURCE_WORDS, "kind of source", SOURCE_KINDS)


def parse_counts(value: Cell) -> str | None:
    """Return ``cameras`` or ``locations`` (a lower bound on cameras) from a cell."""
    return _vocabulary(value, _COUNTS_WORDS, "what the number counts", COUNTS_VALUES)


def parse_scope(value: Cell) -> str | None:
    """Return ``public space`` or ``premises`` (keeping a detail: ``premises (schools)``)."""
    if is_blank(value):
        return None
    raw = " ".join(str(value).split())
    key = fold(raw, drop_unit_words=False)
    if key.startswith(PREMISES):
        return PREMISES + raw[len(PREMISES):] if raw.lower().startswith(PREMISES) else PREMISES
    if any(key.startswith(st) or f" {st}" in f" {key}" for st in _SCOPE_PREMISES):
        return f"{PREMISES} ({raw})"
    if any(key.startswith(st) or f" {st}" in f" {key}" for st in _SCOPE_PUBLIC):
        return PUBLIC_SPACE
    raise ValueError(f"scope {raw!r} is not understood: write {PUBLIC_SPACE!r} or "
                     f"{PREMISES!r} (e.g. 'premises (schools)')")


def parse_date(value: Cell) -> str | None:
    """Return an ISO date, possibly partial: "2021", "05.2021" → "2021-05", "15.03.2021." ...

    Day comes before month ("03/04/2021" is 3 April) unless that is impossible. Raises
    :class:`ValueError` when the text is not a date.
    """
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | float) and not isinstance(value, bool):
        if float(value).is_integer() and 1900 <= value <= 2100:
            return str(int(value))
        raise ValueError(f"date {value!r} is not a date: write it like 15.03.2021 or 2021")
    raw = str(value).strip()
    text = re.sub(r"\s*(godine|godina|god|g|године|година|год|г)\.?\s*$", "", raw,
                  flags=re.IGNORECASE).strip().rstrip(".").strip()
    text = re.sub(r"[T ]\d{1,2}:\d{2}(:\d{2})?$", "", text)
    try:
        m = re.fullmatch(r"(\d{4})", text)
        if m:
            return _iso(int(m[1]))
        m = re.fullmatch(r"(\d{1,2})\s*[./-]\s*(\d{4})", text)
        if m:
            return _iso(int(m[2]), int(m[1]))
        m = re.fullmatch(r"(\d{4})\s*[./-]\s*(\d{1,2})", text)
        if m:
            return _iso(int(m[1]), int(m[2]))
        m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
        if m:
            return _iso(int(m[1]), int(m[2]), int(m[3]))
        m = re.fullmatch(r"(\d{1,2})\s*[./-]\s*(\d{1,2})\s*[./-]\s*(\d{4})", text)
        if m:
            a, b = int(m[1]), int(m[2])
            day, month = (b, a) if a <= 12 < b else (a, b)
            return _iso(int(m[3]), month, day)
        m = re.fullmatch(r"(?:(\d{1,2})\.?\s+)?([^\W\d_]+)\.?,?\s+(\d{4})", text)
        if m:
            named = _MONTHS.get(fold(m[2], drop_unit_words=False)[:3])
            if named:
                return _iso(int(m[3]), named, int(m[1]) if m[1] else None)
    except ValueError:
        pass
    raise ValueError(f"date {raw!r} is not a date: write it like 15.03.2021, 03.2021 or 2021")


def _iso(year: int, month: int | None = None, day: int | None = None) -> str:
    if not 1900 <= year <= 2100:
        raise ValueError("year out of range")
    if month is None:
        return f"{year:04d}"
    if day is None:
        dt.date(year, month, 1)
        return f"{year:04d}-{month:02d}"
    return dt.date(year, month, day).isoformat()


def _count(value: Cell) -> int:
    """Parse a number of cameras ("45", "45 kom", "1.200"); raise ValueError with the reason."""
    try:
        number, unit = coords.split_number(value, grouped_three=True)
    except ValueError:
        number, unit = math.nan, "?"
    if (unit and fold(unit, drop_unit_words=False) not in _COUNT_UNITS) or math.isnan(number):
        raise ValueError(f"number of cameras {value!r} is not a whole number: write it like 45")
    if not float(number).is_integer() or number < 0:
        raise ValueError(f"number of cameras {value!r} is not a whole number: write it like 45")
    return int(number)


def _text(value: Cell) -> str | None:
    """A cell as text for a text column; placeholders such as "-" and "/" are missing."""
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        value = value.date() if value.time() == dt.time() else value
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    text = " ".join(str(value).split())
    return text if fold(text, drop_unit_words=False) else None


def _jsonable(value: object) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, str):
        return value.strip()
    return value


# --- units (municipal boundaries) ------------------------------------------------------------


class _Units:
    """Look-ups in a units GeoDataFrame (``id``, ``name``, ``name_cyr``, optional groups)."""

    def __init__(self, units: gpd.GeoDataFrame) -> None:
        if units.crs is not None and units.crs.to_epsg() != 4326:
            units = units.to_crs("EPSG:4326")
        self.gdf = units.reset_index(drop=True)
        self.names = [str(n) for n in self.gdf.get("name", self.gdf.index.astype(str))]
        self.index = UnitNames(self.gdf)

    def lookup(self, name: str) -> set[int] | None:
        return self.index.positions(name) or None

    def close_names(self, name: str) -> list[str]:
        return self.index.close(name)

    def containing(self, lon: float, lat: float) -> set[int]:
        if not (math.isfinite(lon) and math.isfinite(lat)):
            return set()
        hits = self.gdf.sindex.query(Point(lon, lat), predicate="intersects")
        return {int(i) for i in hits}

    def label(self, idx: Iterable[int]) -> str:
        return ", ".join(sorted(self.names[i] for i in idx))


# --- reading --------------------------------------------------------------------------------


@dataclass
class _Col:
    index: int
    header: str  # display name, unique in the sheet
    key: str  # header_key of the header row text (for repeated-header detection)
    target: str | None  # None = kept in tags


@dataclass
class _Options:
    file: str
    crs: str | None
    units: _Units | None
    default_municipality: str | None
    document: str | None
    user: dict[str, str]
    repair: bool = True
    row_shift: int = 0  # -1 for point layers: feature 1 is "row 1" under the header row
    columnar: bool = True  # read a sheet kept as columns column-wise (False: row by row)


def _row_targets(row: Sequence[Cell], user: Mapping[str, str]) -> set[str]:
    return {t for t in (match_header(c, user) for c in row) if t}


def _find_header(rows: Sequence[list[Cell]], user: Mapping[str, str]) -> int | None:
    """First row (0-based) where two or more cells map to different known targets."""
    first_filled: int | None = None
    for i, row in enumerate(rows[:_HEADER_SCAN]):
        if all(is_blank(c) for c in row):
            continue
        if first_filled is None:
            first_filled = i
        if len(_row_targets(row, user) - {"ordinal"}) >= 2:
            return i
    if first_filled is not None:
        row = rows[first_filled]
        filled = [c for c in row if not is_blank(c)]
        if all(isinstance(c, str) for c in filled) and _row_targets(row, user) - {"ordinal"}:
            return first_filled  # a one-column register ("Adresa")
    return None


def _build_columns(sheet: Sheet, h: int, user: Mapping[str, str],
                   kind: str) -> tuple[list[_Col], int, list[str]]:
    """Map the header row ``h`` (and a second header row below it, if any) to targets.

    Returns the columns, the number of header rows (1 or 2) and notes about the mapping.
    """
    rows = sheet.rows
    width = (rows.width if isinstance(rows, ColumnRows)
             else max((len(r) for r in rows), default=0))
    head = list(rows[h]) + [None] * (width - len(rows[h]))
    sub: list[Cell] | None = None
    if h + 1 < len(rows):
        nxt = list(rows[h + 1]) + [None] * (width - len(rows[h + 1]))
        own = [c for c in range(width)
               if not is_blank(nxt[c]) and (h + 1, c) not in sheet.merged_from]
        known = [c for c in own if match_header(nxt[c], user)]
        under_merge = [c for c in known if (h, c) in sheet.wide_merges]
        under_blank = [c for c in known if is_blank(head[c])]
        # A second header row: every cell of its own is a column name, and they sit under a
        # merged group header ("Koordinate" over "Širina", "Dužina") or, in a CSV export of
        # one, under the blank cells the merge left.
        if own and len(known) == len(own) and (under_merge or (under_blank and len(known) >= 2)):
            sub = nxt
    cols: list[_Col] = []
    seen: Counter[str] = Counter()
    notes: list[str] = []
    used: dict[str, int] = {}
    for c in range(width):
        top = _text(head[c]) or ""
        low = _text(sub[c]) if sub is not None and (h + 1, c) not in sheet.merged_from else None
        if low and top and low != top:
            display = f"{top} / {low}"
            target = match_header(low, user) or match_header(f"{top} {low}", user)
            if target is None and (h, c) not in sheet.wide_merges:
                target = match_header(top, user)
        else:
            display = top or low or ""
            target = match_header(display, user) if display else None
        if not display:
            display = f"column {column_letter(c) if kind != 'csv' else c + 1}"
        seen[display] += 1
        if seen[display] > 1:
            display = f"{display} (column {column_letter(c) if kind != 'csv' else c + 1})"
        if target == "tags":
            target = None
        if target and target in used and target not in _JOINED:
            first = cols[used[target]]
            if target in _LAST_WINS:
                notes.append(f"columns {first.header!r} and {display!r} both name the "
                             f"{target}; {display!r} is used, {first.header!r} kept in tags")
                first.target = None
                used[target] = len(cols)
            else:
                notes.append(f"columns {first.header!r} and {display!r} both map to "
                             f"{target}; {first.header!r} is used, {display!r} kept in tags")
                target = None
        elif target:
            used[target] = len(cols)
        cols.append(_Col(c, display, header_key(top or low or ""), target))
    return cols, (2 if sub is not None else 1), notes


class _Rows:
    """Accumulates accepted records, rejected rows and problems over the sheets of a file."""

    def __init__(self, opts: _Options) -> None:
        self.opts = opts
        self.records: list[dict[str, Any]] = []
        self.rejected: list[RejectedRow] = []
        self.problems: list[Problem] = []
        self.needs_geocoding = 0
        self.kinds: Counter[str] = Counter()
        self.count_cameras = 0
        self.unplaced_rows = 0
        self.sheet_municipality: str | None = None
        self.municipality_from: str | None = None
        # rows rejected for projected coordinates without --crs: (rejected index, x, y)
        self.projected: list[tuple[int, float, float]] = []
        # per accepted record: what the within-register repeat check needs
        self.meta: list[dict[str, Any]] = []
        # rows read: (sheet, row, {header: value}) tuples, or a sheet's rows made when read
        self.originals: list[Any] = []
        # rows accepted column-wise (camera_map.sources.foi_columns), one part per sheet
        self.column_records: list[Any] = []

    def warn(self, message: str, sheet: str | None, row: int | None,
             column: str | None = None, value: object = None, code: str | None = None) -> None:
        self.problems.append(Problem(message, file=self.opts.file, sheet=sheet, row=row,
                                     column=column, value=_jsonable(value), code=code))

    def keep(self, rec: dict[str, Any], meta: dict[str, Any], *, counted: bool = True) -> None:
        """Accept a record; ``meta`` says what the within-register repeat check needs."""
        kind = meta["kind"]
        self.kinds[kind] += 1
        if kind == "count" and counted:
            self.count_cameras += int(rec["count"])
        if kind != "point" and not rec.get("municipality"):
            self.unplaced_rows += 1
        self.records.append(rec)
        self.meta.append(meta)

    def reject(self, sheet: str | None, row: int, reason: str, original: dict[str, Any],
               column: str | None = None, value: object = None) -> None:
        self.rejected.append(RejectedRow(
            self.opts.file, sheet, row, reason, column=column, value=_jsonable(value),
            original={k: _jsonable(v) for k, v in original.items()}))


#: A row's point: ``((lon, lat) or None, errors, warnings)``.
_Located = tuple[tuple[float, float] | None, list[str], list[str]]
#: What a kind of coordinates gave: ``(point, projected (x, y) needing a CRS, errors)``.
_Found = tuple[tuple[float, float] | None, tuple[float, float] | None, list[str]]


def _located(values: dict[str, Cell], opts: _Options, municipality: str | None = None,
             projected_out: list[tuple[float, float]] | None = None) -> _Located:
    """Find the row's point. Returns ``((lon, lat) or None, errors, warnings)``.

    Latitude/longitude come first, then x/y, then one cell holding both; projected numbers
    are transformed with the CRS given. ``projected_out`` receives the (x, y) of projected
    coordinates given without a CRS.
    """
    warns: list[str] = []
    lat_v, lon_v = values.get("latitude"), values.get("longitude")
    x_v, y_v = values.get("x"), values.get("y")
    if not is_blank(lat_v) or not is_blank(lon_v):
        point, projected, errors = _from_degrees(lat_v, lon_v, municipality, opts, warns)
    elif not is_blank(x_v) or not is_blank(y_v):
        point, projected, errors = _from_xy(x_v, y_v, opts, warns)
    elif not is_blank(values.get("coordinates")):
        point, projected, errors = _from_pair(values["coordinates"], warns)
    else:
        return None, [], warns
    if projected is None:
        return point, errors, warns
    return _from_projected(projected, opts, projected_out, warns)


def _from_degrees(lat_v: Cell, lon_v: Cell, municipality: str | None, opts: _Options,
                  warns: list[str]) -> _Found:
    """Latitude and longitude columns: decimal degrees or DMS, repaired or swapped if need be."""
    if is_blank(lat_v) or is_blank(lon_v):
        given, missing = (("latitude", "longitude") if is_blank(lon_v)
                          else ("longitude", "latitude"))
        return None, None, [f"{given} is given but {missing} is empty: give both, or neither "
                            "and an address"]
    errors: list[str] = []
    try:
        lat, lat_axis = coords.parse_degrees(lat_v, axis="lat")
    except ValueError as exc:
        errors.append(str(exc))
    try:
        lon, lon_axis = coords.parse_degrees(lon_v, axis="lon")
    except ValueError as exc:
        errors.append(str(exc))
    if errors:
        return None, None, errors
    repaired = _repair(lat_v, lon_v, lat, lon, municipality, opts, errors, warns)
    if repaired is not None or errors:
        return repaired, None, errors
    if not coords.looks_like_degrees(lat, lon):
        return None, (lon, lat), errors
    if lat_axis == "lon" and lon_axis == "lat":
        lat, lon = lon, lat
        warns.append("the latitude and longitude columns hold each other's values "
                     "(by their N/E letters): swapped")
    if abs(lat) > 90 and abs(lon) <= 90:
        lat, lon = lon, lat
        warns.append("latitude is beyond ±90°, so latitude and longitude were swapped")
    return (lon, lat), None, errors


def _from_xy(x_v: Cell, y_v: Cell, opts: _Options, warns: list[str]) -> _Found:
    """x/y columns: projected metres, or longitude/latitude degrees when no CRS is given."""
    if is_blank(x_v) or is_blank(y_v):
        return None, None, ["only one of the x/y coordinates is given: give both, or neither "
                            "and an address"]
    try:
        x = coords.parse_number(x_v)
        y = coords.parse_number(y_v)
    except ValueError:
        return None, None, [f"coordinates x={x_v!r}, y={y_v!r} are not numbers: write them "
                            "like 7457291.66 (easting) and 4962972.43 (northing)"]
    if coords.looks_like_degrees(y, x) and opts.crs is None:
        if abs(y) > 90 and abs(x) <= 90:
            x, y = y, x
            warns.append("y is beyond ±90°, so x and y were read as latitude, longitude")
        return (x, y), None, []
    return None, (x, y), []


def _from_pair(pair_v: Cell, warns: list[str]) -> _Found:
    """One cell holding both coordinates ("44.27, 19.89", a map link, WKT)."""
    try:
        lat, lon = coords.parse_pair(pair_v)
    except ValueError as exc:
        return None, None, [str(exc)]
    if not coords.looks_like_degrees(lat, lon):
        return None, (lon, lat), []
    if abs(lat) > 90 and abs(lon) <= 90:
        lat, lon = lon, lat
        warns.append("latitude is beyond ±90°, so the pair was read as longitude, latitude")
    return (lon, lat), None, []


def _from_projected(projected: tuple[float, float], opts: _Options,
                    projected_out: list[tuple[float, float]] | None,
                    warns: list[str]) -> _Located:
    """Projected easting/northing turned into degrees with the CRS given (rejected without)."""
    px, py = projected
    if opts.crs is None:
        if projected_out is not None:
            projected_out.append((px, py))
        return None, [_projected_reason(px, py)], warns
    lon, lat, swapped = coords.projected_to_wgs84(px, py, opts.crs)
    if not coords.in_area_of_use(opts.crs, lon, lat):
        likely = "; ".join(coords.likely_crs(px, py))
        return None, [f"coordinates {_num(px)}, {_num(py)} in {opts.crs} land at {lat:.5f}, "
                      f"{lon:.5f} (lat, lon), outside the area where {opts.crs} is used: "
                      f"check --crs; likely {likely}"], warns
    if swapped:
        warns.append(f"x and y were swapped (in Gauss-Krüger notation X is the northing): "
                     f"read easting {_num(py)}, northing {_num(px)}")
    return (lon, lat), [], warns


def _projected_reason(px: float, py: float) -> str:
    return (f"coordinates {_num(px)}, {_num(py)} are projected (metres), not degrees, and no "
            "CRS was given: pass --crs (crs= in Python) with the register's coordinate system")


def _repair(lat_v: Cell, lon_v: Cell, lat: float, lon: float, municipality: str | None,
            opts: _Options, errors: list[str], warns: list[str]) -> tuple[float, float] | None:
    """Put back a decimal point a spreadsheet dropped (``461.993.881`` → 46.1993881).

    Only when exactly one placement of the decimal point in each damaged value puts the
    point inside the boundaries (and inside the row's municipality when it names one).
    Returns ``(lon, lat)`` repaired, or None (nothing to repair, or no single placement;
    an ambiguity or ``repair=False`` adds an error).
    """
    units = opts.units
    if units is None or opts.crs is not None:
        return None
    options: dict[str, list[float]] = {}
    damaged: list[str] = []
    for axis, raw, value in (("lat", lat_v, lat), ("lon", lon_v, lon)):
        digits = coords.damaged_digits(raw)
        if abs(value) <= (90 if axis == "lat" else 180):
            options[axis] = [value]
        elif digits is not None:
            options[axis] = coords.decimal_placements(*digits, axis=axis)  # type: ignore[arg-type]
            damaged.append(f"{'latitude' if axis == 'lat' else 'longitude'} {str(raw).strip()!r}")
        else:
            return None
    if not damaged:
        return None
    stated = units.lookup(municipality) if municipality else None
    fits = []
    for la in options["lat"]:
        for lo in options["lon"]:
            inside = units.containing(lo, la)
            if inside and (stated is None or inside & stated):
                fits.append((lo, la))
    where = f"municipality {municipality!r}" if stated else "the boundaries"
    if len(fits) > 1:
        shown = "; ".join(f"{_deg(la)}, {_deg(lo)}" for lo, la in fits)
        errors.append(f"{' and '.join(damaged)} lost the decimal point (a spreadsheet's "
                      f"thousands separators) and {len(fits)} placements of it fall inside "
                      f"{where} ({shown}, lat, lon): write the coordinates as decimal degrees")
        return None
    if not fits:
        return None
    lo, la = fits[0]
    if not opts.repair:
        errors.append(f"{' and '.join(damaged)} lost the decimal point (a spreadsheet's "
                      f"thousands separators); the only placement inside {where} is {_deg(la)}, "
                      f"{_deg(lo)} (lat, lon), but repairs are off (--no-repair): write the "
                      "coordinates as decimal degrees")
        return None
    repaired = _coded("repaired", f"repaired {' and '.join(damaged)} to {_deg(la)}, "
                      f"{_deg(lo)} (lat, lon): the decimal point was lost (a spreadsheet's "
                      "thousands separators) and this is the only placement of it inside "
                      f"{where}; pass --no-repair to refuse such rows")
    repaired.value = f"{str(lat_v).strip()}, {str(lon_v).strip()}"
    warns.append(repaired)
    return lo, la


def _deg(v: float) -> str:
    return f"{v:.8f}".rstrip("0").rstrip(".")


class _Coded(str):
    """A warning text that says which kind of fact it reports (see Problem.code)."""

    code: str | None = None
    value: str | None = None  # the original text it is about, for problems.csv


def _coded(code: str, text: str) -> _Coded:
    w = _Coded(text)
    w.code = code
    return w


def _num(v: float) -> str:
    return f"{v:.2f}" if abs(v) >= 1000 else f"{v:g}"


def _check_place(point: tuple[float, float], municipality: str | None, opts: _Options,
                 warns: list[str]) -> tuple[tuple[float, float], set[int]]:
    """Swapped-coordinate fix and outside-municipality warnings against the units."""
    units = opts.units
    if units is None:
        return point, set()
    lon, lat = point
    stated = units.lookup(municipality) if municipality else None
    inside = units.containing(lon, lat)
    if not inside:
        swapped = units.containing(lat, lon)
        if swapped and (stated is None or swapped & stated):
            where = units.label(swapped)
            warns.append(f"point {lat:.6f}, {lon:.6f} (lat, lon) is outside every unit but "
                         f"with latitude and longitude swapped it is in {where}: swapped")
            return (lat, lon), swapped
        if swapped:
            warns.append(_coded(
                "outside", f"point {lat:.6f}, {lon:.6f} (lat, lon) is outside every unit; "
                f"swapped it would be in {units.label(swapped)}, not in the stated "
                f"municipality {municipality!r}: left as given, check the coordinates"))
        else:
            warns.append(_coded("outside", f"point {lat:.6f}, {lon:.6f} (lat, lon) is outside "
                                "every unit of the boundary layer: check the coordinates"))
        return point, inside
    if stated is not None and not inside & stated:
        warns.append(_coded("elsewhere", f"point {lat:.6f}, {lon:.6f} (lat, lon) is in "
                            f"{units.label(inside)}, not in the stated municipality "
                            f"{municipality!r}: check the coordinates or the municipality"))
    return point, inside


def _labelled_defaults(rows: Sequence[Sequence[Cell]], user: Mapping[str, str]
                       ) -> dict[str, str]:
    """Municipality and document given on labelled lines above the header.

    A line "opština: Osečina" (one cell, or the label with its colon in one cell and the
    value in the next) names the municipality, "dokument: …" the document, of every row
    that names none: the register template writes them so. Lines without a colon after a
    known header (an ordinary title) give nothing.
    """
    found: dict[str, str] = {}
    for row in rows:
        cells = [c for c in row if not is_blank(c)]
        if not cells or not isinstance(cells[0], str) or ":" not in cells[0]:
            continue
        label, _, rest = cells[0].partition(":")
        value = rest.strip() or (_text(cells[1]) if len(cells) > 1 else None)
        target = match_header(label, user)
        if value and target in ("municipality", "document"):
            found.setdefault(target, value)
    return found


_USEFUL: Final = frozenset({"municipality", "address", "street", "latitude", "longitude", "x",
                            "y", "coordinates", "count"})


def _read_sheet(sheet: Sheet, table: Table, info: SheetInfo, h: int, acc: _Rows,
                *, generic: bool = False) -> bool:
    """Read the rows of one sheet below its header row ``h``.

    ``generic``: the header row was taken for want of a better one (its names are not
    known); the sheet is read only if the columns' values say what they hold. Returns
    whether the sheet was read. Labelled lines above the header ("opština: Osečina",
    :func:`_labelled_defaults`) apply to its rows before the options that apply to every
    file.
    """
    opts = acc.opts
    labelled = _labelled_defaults(sheet.rows[:h], opts.user)
    if labelled:
        acc.opts = replace(opts, default_municipality=labelled.get("municipality",
                                                                   opts.default_municipality),
                           document=labelled.get("document", opts.document))
    try:
        return _read_sheet_rows(sheet, table, info, h, acc, generic=generic)
    finally:
        acc.opts = opts


def _read_sheet_rows(sheet: Sheet, table: Table, info: SheetInfo, h: int, acc: _Rows,
                     *, generic: bool) -> bool:
    """Map the header, describe the sheet, then read its rows (column-wise when it can)."""
    opts = acc.opts
    cols, n_head, notes = _build_columns(sheet, h, opts.user, table.kind)
    first = h + n_head
    info.inferred = infer_columns(sheet.rows[first:], cols, opts.units, user=opts.user)
    if generic and not any(c.target in _USEFUL for c in cols):
        info.inferred = []
        return False
    _describe_sheet(sheet, info, h, n_head, cols)
    for note in notes:
        acc.warn(note, sheet.name, h + 1)
    by_target: dict[str, list[_Col]] = {}
    for c in cols:
        if c.target:
            by_target.setdefault(c.target, []).append(c)
    _sheet_municipality(sheet, info, first, by_target, acc)
    if not _read_columns(sheet, first, cols, by_target, info, acc):
        for r in range(first, len(sheet.rows)):
            _read_one(sheet, r, cols, by_target, info, acc)
    if info.rows_read == 0:
        acc.warn(f"the {'sheet' if sheet.name else 'file'} has a header row (row {h + 1}) but "
                 "no data rows: 0 rows read", sheet.name, None)
    return True


def _describe_sheet(sheet: Sheet, info: SheetInfo, h: int, n_head: int,
                    cols: list[_Col]) -> None:
    info.header_row = h + 1
    info.header_rows = n_head
    info.title = [
        " ".join(t for c, v in enumerate(row)
                 if (r, c) not in sheet.merged_from and (t := _text(v)))
        for r, row in enumerate(sheet.rows[:h]) if any(not is_blank(v) for v in row)
    ]
    info.columns = {c.header: (c.target or KEPT) for c in cols}


def _sheet_municipality(sheet: Sheet, info: SheetInfo, first: int,
                        by_target: dict[str, list[_Col]], acc: _Rows) -> None:
    """The unit a title row (or the file name) names, for rows that name none."""
    opts = acc.opts
    acc.sheet_municipality = None
    if opts.default_municipality is not None or opts.units is None:
        return
    named = _unit_named_in(opts.units, info.title, opts.file)
    if named is not None and _rows_lack(sheet.rows[first:], by_target.get("municipality")):
        unit, said_in = named
        acc.sheet_municipality = unit
        acc.municipality_from = unit
        info.inferred.append(f"municipality {unit!r} for rows that name none, from {said_in}")
        acc.warn(f"rows that name no municipality are taken to be in {unit} (from "
                 f"{said_in}); pass --municipality to say otherwise", sheet.name, None)


def _read_one(sheet: Sheet, r: int, cols: list[_Col], by_target: dict[str, list[_Col]],
              info: SheetInfo, acc: _Rows, *, originals: bool = True) -> None:
    """Read row ``r`` (0-based) on the careful path; blank rows are only counted."""
    cells = list(sheet.rows[r]) + [None] * (len(cols) - len(sheet.rows[r]))
    rownum = r + 1 + acc.opts.row_shift
    filled = [c for c in cols if not is_blank(cells[c.index])]
    if not filled or all(c.target == "ordinal" for c in filled):
        info.blank_rows += 1
        return
    info.rows_read += 1
    original = {c.header: cells[c.index] for c in cols}
    if originals:
        acc.originals.append((sheet.name, rownum, original))
    _read_row(cells, cols, by_target, "count" in by_target, sheet, r, rownum, original, acc)


def _read_columns(sheet: Sheet, first: int, cols: list[_Col],
                  by_target: dict[str, list[_Col]], info: SheetInfo, acc: _Rows) -> bool:
    """Read a CSV sheet kept as columns column-wise (:mod:`.foi_columns`), if it can be.

    Rows that need the careful path take it; afterwards the problems of the sheet's rows
    and the records are put back in row order, as the careful path alone gives them.
    """
    rows = sheet.rows
    if not isinstance(rows, ColumnRows) or not acc.opts.columnar:
        return False
    from .foi_columns import read_columns

    start = len(acc.problems)
    done = read_columns(rows, first, cols, by_target, sheet.name, acc,
                        lambda r: _read_one(sheet, r, cols, by_target, info, acc,
                                            originals=False))
    if done is None:
        return False
    info.rows_read += done[0]
    info.blank_rows += done[1]
    acc.problems[start:] = sorted(acc.problems[start:], key=lambda p: p.row or 0)
    order = sorted(range(len(acc.records)), key=lambda i: acc.meta[i]["row"])
    acc.records = [acc.records[i] for i in order]
    acc.meta = [acc.meta[i] for i in order]
    acc.originals.append(_SheetOriginals(rows, first, cols, sheet.name, acc.opts.row_shift))
    return True


class _SheetOriginals:
    """The non-blank rows of a sheet kept as columns, as ``(sheet, row, {header: value})``,
    made when iterated (a million rows would hold a million dicts)."""

    def __init__(self, rows: ColumnRows, first: int, cols: list[_Col], sheet: str | None,
                 row_shift: int) -> None:
        self.rows, self.first, self.cols = rows, first, cols
        self.sheet, self.row_shift = sheet, row_shift

    def __iter__(self) -> Iterator[tuple[str | None, int, dict[str, Any]]]:
        for r, cells in enumerate(self.rows[self.first:], start=self.first):
            cells = cells + [None] * (len(self.cols) - len(cells))
            filled = [c for c in self.cols if not is_blank(cells[c.index])]
            if filled and not all(c.target == "ordinal" for c in filled):
                yield self.sheet, r + 1 + self.row_shift, {c.header: cells[c.index]
                                                           for c in self.cols}


class Originals(Sequence[tuple[str | None, int, dict[str, Any]]]):
    """Every row read, as ``(sheet, row, {header: value as read})``, in the file's order."""

    def __init__(self, parts: Iterable[Any]) -> None:
        self._parts = list(parts)
        self._list: list[tuple[str | None, int, dict[str, Any]]] | None = None

    def _all(self) -> list[tuple[str | None, int, dict[str, Any]]]:
        if self._list is None:
            out: list[tuple[str | None, int, dict[str, Any]]] = []
            for part in self._parts:
                out.extend(part if isinstance(part, _SheetOriginals) else [part])
            self._list = out
        return self._list

    def __iter__(self) -> Iterator[tuple[str | None, int, dict[str, Any]]]:
        for part in self._parts:
            if isinstance(part, _SheetOriginals):
                yield from part
            else:
                yield part

    def __len__(self) -> int:
        return len(self._all())

    @overload
    def __getitem__(self, i: int) -> tuple[str | None, int, dict[str, Any]]: ...

    @overload
    def __getitem__(self, i: slice) -> list[tuple[str | None, int, dict[str, Any]]]: ...

    def __getitem__(self, i: int | slice) -> Any:
        return self._all()[i]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]


def _rows_lack(rows: Sequence[list[Cell]], mcols: list[_Col] | None) -> bool:
    """Whether no data row names a municipality in ``mcols``."""
    if not mcols:
        return True
    return all(is_blank(row[c.index]) for row in rows for c in mcols if c.index < len(row))


_TITLE_NOISE: Final = re.compile(r"[_\-.]+")


def _unit_named_in(units: _Units, titles: list[str], file: str) -> tuple[str, str] | None:
    """The one unit that the title rows (or else the file name) name, and where it was said.

    Word sequences are tried longest first ("Bačka Palanka" before "Palanka"); a title
    naming two units names none.
    """
    stem = Path(file).stem
    for text, said_in in ([(t, f"the title row {t!r}") for t in titles]
                          + [(_TITLE_NOISE.sub(" ", stem), f"the file name {file!r}")]):
        words = text.split()
        found: set[int] = set()
        for size in range(min(4, len(words)), 0, -1):
            for i in range(len(words) - size + 1):
                gram = " ".join(words[i:i + size])
                if not fold(gram) or fold(gram).isdigit():
                    continue
                hit = units.lookup(gram)
                if hit and len(hit) == 1:
                    found |= hit
            if found:
                break
        if len(found) == 1:
            return units.names[next(iter(found))], said_in
    return None


# --- columns read by their values -----------------------------------------------------------

_SAMPLE: Final = 2000
_SAMPLE_POINTS: Final = 500
_LOCATION: Final = frozenset({"latitude", "longitude", "x", "y", "coordinates"})
_SURVEILLANCE_WORDS: Final = frozenset({"public", "outdoor", "indoor", "private", "outside",
                                        "inside"})
_ZONE_WORDS: Final = frozenset({"town", "parking", "traffic", "shop", "building", "area",
                                "street", "bank", "school", "entrance"})
_COUNT_HINTS: Final = ("camer", "kamer", "cctv", "count", "broj", "number", "qty", "quantity",
                       "reported", "total", "ukupno", "anzahl", "nombre", "kolicina")


def _share(values: list[Cell], test: Callable[[Cell], bool]) -> tuple[int, int]:
    filled = [v for v in values if not is_blank(v)]
    return sum(1 for v in filled if test(v)), len(filled)


def _is_degree_pair(v: Cell) -> bool:
    try:
        lat, lon = coords.parse_pair(v)
    except ValueError:
        return False
    return abs(lat) <= 90 and abs(lon) <= 180


def _degrees_or_damaged(v: Cell, axis: coords.Axis) -> list[float]:
    """Values a cell may stand for as a latitude/longitude (several if damaged)."""
    try:
        value, _ = coords.parse_degrees(v, axis=axis)
    except ValueError:
        value = math.inf
    if abs(value) <= (90 if axis == "lat" else 180):
        return [value]
    digits = coords.damaged_digits(v)
    return coords.decimal_placements(*digits, axis=axis) if digits is not None else []


def _col_label(cols: list[_Col]) -> str:
    nums = [c.index + 1 for c in cols]
    names = ", ".join(repr(c.header) for c in cols)
    return f"columns {nums[0]}–{nums[-1]} ({names})" if len(cols) > 1 else f"column {names}"


def infer_columns(rows: Sequence[list[Cell]], cols: list[Any], units: _Units | None, *,
                  user: Mapping[str, str] | None = None) -> list[str]:
    """Give columns whose header says nothing a target from their values; say what was done.

    Changes the ``target`` of the columns in ``cols`` in place and returns one sentence per
    inference, e.g. "columns 4–5 ('column 4', 'column 5'): latitude/longitude by their
    values, 137 of 137 rows inside the boundaries". A header the user mapped is never
    second-guessed. Looks for, in this order: an address column holding OSM-style values
    (``public``, ``outdoor``), one column holding both coordinates, two columns of
    degrees, a column of the boundaries' unit names and a column of camera counts.
    """
    inf = _Inference(rows, cols, units, user or {})
    inf.osm_style_addresses()
    if not inf.used & _LOCATION:
        inf.pair_column()
    if not inf.used & _LOCATION:
        inf.degree_columns()
    if "municipality" not in inf.used and units is not None:
        inf.unit_names()
    if "count" not in inf.used and "municipality" in inf.used and not inf.used & _LOCATION:
        inf.count_column()
    return inf.said


class _Inference:
    """The steps of :func:`infer_columns`, over the first rows of a sheet."""

    def __init__(self, rows: Sequence[list[Cell]], cols: list[_Col], units: _Units | None,
                 user: Mapping[str, str]) -> None:
        self.sample = list(rows[:_SAMPLE])
        self.cols, self.units, self.user = cols, units, user
        self.used = {c.target for c in cols if c.target}
        self.said: list[str] = []

    def values(self, c: _Col) -> list[Cell]:
        return [r[c.index] if c.index < len(r) else None for r in self.sample]

    def few(self, c: _Col) -> list[Cell]:  # point-in-polygon tests are dearer: fewer rows
        return self.values(c)[:_SAMPLE_POINTS]

    def free(self, c: _Col) -> bool:
        return c.target is None and header_key(c.header) not in self.user

    def osm_style_addresses(self) -> None:
        """An "address" column of OSM-style values (public, outdoor) is surveillance or zone."""
        for c in self.cols:
            if c.target != "address" or header_key(c.header) in self.user:
                continue
            words = [fold(v, drop_unit_words=False) for v in self.values(c) if not is_blank(v)]
            if not words:
                continue
            surv = sum(1 for w in words if w in _SURVEILLANCE_WORDS)
            zone = sum(1 for w in words if w in _ZONE_WORDS)
            if surv + zone >= 0.8 * len(words):
                target = "surveillance" if surv >= zone else "zone"
                c.target = target if target not in self.used else None
                self.used.discard("address")
                self.used.add(target)
                kinds = ", ".join(sorted(set(words))[:4])
                self.said.append(f"{c.header!r}: OSM-style values ({kinds}), not addresses: "
                                 f"read as {c.target or KEPT}")

    def pair_column(self) -> None:
        """One column whose cells hold latitude and longitude together."""
        for c in self.cols:
            if not (self.free(c) or c.target in ("address", "name", "description", "note")):
                continue
            ok, n = _share(self.values(c), _is_degree_pair)
            if n and ok >= 0.8 * n:
                if c.target:
                    self.used.discard(c.target)
                c.target = "coordinates"
                self.used.add("coordinates")
                self.said.append(f"column {c.header!r}: latitude and longitude in one cell by "
                                 f"its values, {ok} of {n} rows")
                return

    def degree_columns(self) -> None:
        """Two columns of degrees that put the rows inside the boundaries."""
        found = _degree_columns(self.cols, self.few, self.units, self.free)
        if found is None:
            return
        lat_c, lon_c, ok, n = found
        lat_c.target, lon_c.target = "latitude", "longitude"
        self.used |= {"latitude", "longitude"}
        pair = sorted((lat_c, lon_c), key=lambda c: c.index)
        order = "/".join("latitude" if c is lat_c else "longitude" for c in pair)
        where = "inside the boundaries" if self.units is not None else "plausible degrees"
        self.said.append(f"{_col_label(pair)}: {order} by their values, {ok} of {n} rows "
                         f"{where}")

    def unit_names(self) -> None:
        """A column whose values are the names of the boundaries' units."""
        assert self.units is not None
        for c in self.cols:
            if not self.free(c):
                continue
            names = {str(v).strip() for v in self.values(c) if isinstance(v, str) and v.strip()}
            if not names or all(fold(v).isdigit() or not fold(v) for v in names):
                continue
            hits = sum(1 for v in names if self.units.lookup(v))
            if hits >= 0.8 * len(names):
                c.target = "municipality"
                self.used.add("municipality")
                self.said.append(f"{c.header!r}: unit names, {hits} of {len(names)} match")
                return

    def count_column(self) -> None:
        """The one column of whole numbers (or the one whose name says count) beside names."""
        counts = []
        for c in self.cols:
            if not self.free(c):
                continue
            ok, n = _share(self.values(c), _is_count)
            if n and ok == n:
                counts.append(c)
        hinted = [c for c in counts if any(h in header_key(c.header).replace(" ", "")
                                           for h in _COUNT_HINTS)]
        pick = hinted[0] if len(hinted) == 1 else counts[0] if len(counts) == 1 else None
        if pick is not None:
            pick.target = "count"
            self.said.append(f"{pick.header!r}: count (whole numbers"
                             + (", and its name says so)" if pick in hinted else ")"))


def _is_count(v: Cell) -> bool:
    try:
        _count(v)
    except ValueError:
        return False
    return True


def _degree_columns(cols: list[_Col], values: Callable[[_Col], list[Cell]],
                    units: _Units | None, free: Callable[[_Col], bool],
                    ) -> tuple[_Col, _Col, int, int] | None:
    """The two free columns that hold latitude and longitude, by where their values fall."""
    numeric = []
    for c in cols:
        if not free(c):
            continue
        vals = values(c)
        ok, n = _share(vals, lambda v: bool(_degrees_or_damaged(v, "lon")))
        whole, _ = _share(vals, lambda v: bool(re.fullmatch(r"\s*[+-]?\d{1,3}\s*", str(v))))
        if n and ok >= 0.8 * n and whole < 0.5 * n:  # small whole numbers are not degrees
            numeric.append(c)
    best: tuple[int, int, _Col, _Col, int] | None = None
    for i, a in enumerate(numeric):
        for b in numeric[i + 1:]:
            for lat_c, lon_c in ((a, b), (b, a)):
                ok = n = 0
                for la_v, lo_v in zip(values(lat_c), values(lon_c), strict=True):
                    if is_blank(la_v) or is_blank(lo_v):
                        continue
                    n += 1
                    las = _degrees_or_damaged(la_v, "lat")
                    los = _degrees_or_damaged(lo_v, "lon")
                    if units is not None:
                        if any(units.containing(lo, la) for la in las for lo in los):
                            ok += 1
                    elif las and los:
                        ok += 1
                adjacent = 1 if abs(a.index - b.index) == 1 else 0
                # ties: adjacent columns, then latitude first (as people write them)
                key = (ok, adjacent, lat_c, lon_c, n)
                if ok and ok >= 0.5 * n and (best is None or key[:2] > best[:2]):
                    best = key
    if best is None:
        return None
    ok, _, lat_c, lon_c, n = best
    return lat_c, lon_c, ok, n


def _read_row(cells: list[Cell], cols: list[_Col], by_target: dict[str, list[_Col]],
              has_count_col: bool, sheet: Sheet, r: int, rownum: int,
              original: dict[str, Any], acc: _Rows) -> None:
    """Turn one row into an accepted record, or a rejected row saying why (the careful path).

    Steps: rows that are no camera at all (a repeated header, part of a merged count) →
    the row's value per target → its point → its number of cameras → its kind (located
    camera, address, count) → the other columns parsed → the record kept.
    """
    opts = acc.opts
    sname = sheet.name

    def reject(reason: str) -> None:
        acc.reject(sname, rownum, reason, original)

    reason = _not_a_camera(cells, cols, by_target, sheet, r)
    if reason:
        return reject(reason)
    values = _row_values(cells, by_target, sheet, r)
    tags = _kept_cells(cells, cols)
    municipality = (_text(values.get("municipality")) or opts.default_municipality
                    or acc.sheet_municipality)
    projected: list[tuple[float, float]] = []
    point, errors, warns = _located(values, opts, municipality, projected)
    if point is None and not errors:
        reason = _total_row(values, [cells[c.index] for c in cols])
        if reason:
            return reject(reason)
    count, count_unknown = _row_count(values, errors)
    if errors:
        if projected:
            acc.projected.append((len(acc.rejected), *projected[0]))
        return reject("; ".join(errors))
    address = _row_address(values)
    rec: dict[str, Any] = {"source": "foi", "source_ref": _source_ref(opts.file, sname, rownum),
                           "municipality": municipality, "address": address}
    inside: set[int] = set()
    if point is not None:
        point, inside = _check_place(point, municipality, opts, warns)
    _check_unit_name(municipality, opts, warns)
    notes: list[str] = []
    kind = _row_kind(rec, point, inside, count, count_unknown, has_count_col, opts, notes,
                     warns)
    if kind not in _KINDS:
        return reject(kind)
    if kind == "address":
        acc.needs_geocoding += 1
    _parse_values(values, rec, tags, by_target, acc, sname, rownum)
    _text_values(values, rec, opts)
    if notes:
        rec["note"] = "; ".join([*([rec["note"]] if rec.get("note") else []), *notes])
    rec["tags"] = tags or None
    for w in warns:
        acc.warn(w, sname, rownum, value=getattr(w, "value", None),
                 code=getattr(w, "code", None))
    acc.keep(rec, {"kind": kind, "sheet": sname, "row": rownum, "original": original,
                   "ref": _text(values.get("ref")), "digits": _digits(values)},
             counted=not count_unknown)


_KINDS: Final = ("point", "address", "count")


def _not_a_camera(cells: list[Cell], cols: list[_Col], by_target: dict[str, list[_Col]],
                  sheet: Sheet, r: int) -> str | None:
    """Why a row is no camera at all (a repeated header, part of a merged count), or None."""
    # a header repeated below (page breaks in a printed register)
    repeats = sum(1 for c in cols if c.key and not is_blank(cells[c.index])
                  and header_key(cells[c.index]) == c.key)
    if repeats >= 2:
        return "repeats the header row: not a camera"
    for c in by_target.get("count", []):
        src = sheet.merged_from.get((r, c.index))
        if src is not None and src[0] != r and not is_blank(cells[c.index]):
            last = max(rr for (rr, cc), s in sheet.merged_from.items() if s == src)
            return (f"part of the merged {c.header!r} cell of rows {src[0] + 1}-{last + 1} "
                    f"({cells[c.index]} cameras, counted once on row {src[0] + 1}): give each "
                    "row its own number of cameras to keep this row")
    return None


def _row_values(cells: list[Cell], by_target: dict[str, list[_Col]], sheet: Sheet,
                r: int) -> dict[str, Cell]:
    """The row's value for each target: the first filled column, or the columns joined."""
    values: dict[str, Cell] = {}
    for target, tcols in by_target.items():
        parts = []
        for c in tcols:
            v = cells[c.index]
            src = sheet.merged_from.get((r, c.index))
            if src is not None and src[0] != r and target == "contract_value":
                continue  # a merged total belongs to its first row only
            if not is_blank(v):
                parts.append(v)
        if not parts:
            continue
        if target in _JOINED and len(parts) > 1:
            texts = [t for t in (_text(p) for p in parts) if t]
            values[target] = _JOINED[target].join(texts) if texts else None
        else:
            values[target] = parts[0]
    return values


def _kept_cells(cells: list[Cell], cols: list[_Col]) -> dict[str, Any]:
    """The cells kept in ``tags`` as they are: unmapped columns, running number, own id."""
    return {c.header: _jsonable(cells[c.index]) for c in cols
            if c.target in (None, "ordinal", "ref") and not is_blank(cells[c.index])}


def _source_ref(file: str, sheet: str | None, row: int) -> str:
    return f"{file}#{sheet}!row {row}" if sheet is not None else f"{file}#row {row}"


def _total_row(values: dict[str, Cell], cells: list[Cell]) -> str | None:
    """The reason to reject a row without location that reads as a total ("Ukupno"), or None."""
    lead = next((v for v in (values.get("municipality"), values.get("address"),
                             values.get("name"), *cells) if not is_blank(v)), None)
    if isinstance(lead, str) and fold(lead, drop_unit_words=False).startswith(_TOTAL_WORDS):
        return (f"looks like a total row ({lead.strip()!r}): a total is not a camera and "
                "would count the rows above twice")
    return None


def _row_count(values: dict[str, Cell], errors: list[str]) -> tuple[int | None, bool]:
    """``(number of cameras or None, whether a source names cameras without a number)``."""
    v = values.get("count")
    if is_blank(v):
        return None, False
    if isinstance(v, str) and fold(v, drop_unit_words=False) in _COUNT_UNKNOWN:
        return None, True  # cameras exist; a source names them without a number
    try:
        return _count(v), False
    except ValueError as exc:
        errors.append(str(exc))
        return None, False


def _row_address(values: dict[str, Cell]) -> str | None:
    """The address to geocode: address, street and house number, settlement, joined."""
    street = _text(values.get("street"))
    number = _text(values.get("house_number"))
    settlement = _text(values.get("settlement"))
    address_parts = [p for p in (_text(values.get("address")),
                                 " ".join(p for p in (street, number) if p) or None) if p]
    if settlement and not any(fold(settlement) in fold(p) for p in address_parts):
        address_parts.append(settlement)
    return ", ".join(address_parts) or None


def _check_unit_name(municipality: str | None, opts: _Options, warns: list[str]) -> None:
    units = opts.units
    if units is not None and municipality and units.lookup(municipality) is None:
        warns.append(_unknown_unit(units, municipality))


def _unknown_unit(units: _Units, municipality: str) -> _Coded:
    close = units.close_names(municipality)
    hint = f" (closest: {', '.join(close)})" if close else ""
    return _coded("unknown-unit", f"municipality {municipality!r} is not a unit of the "
                  f"boundary layer{hint}: check the spelling")


def _row_kind(rec: dict[str, Any], point: tuple[float, float] | None, inside: set[int],
              count: int | None, count_unknown: bool, has_count_col: bool, opts: _Options,
              notes: list[str], warns: list[str]) -> str:
    """Say what the row is ("point", "address", "count") and fill ``rec`` for it.

    Returns the reason to reject the row instead when it is none of them.
    """
    municipality, address, units = rec["municipality"], rec["address"], opts.units
    if count == 0 and (point is not None or address):
        return ("the number of cameras is 0 on a row with a location: a reported zero is a "
                "count for a municipality (give the municipality, no location)")
    if point is not None and (count is None or count == 1):
        rec.update(geometry=Point(*point), count=1, geocode_precision="exact")
        return "point"
    if point is not None:
        assert count is not None
        lon, lat = point
        rec["count"] = count
        notes.append(f"{count} cameras listed at {lat:.6f}, {lon:.6f} (lat, lon)")
        if not municipality and units is not None and len(inside) == 1:
            rec["municipality"] = units.names[next(iter(inside))]
        if not rec["municipality"]:
            warns.append(f"{count} cameras at one point without a municipality: they cannot "
                         "be counted in a municipality; add a municipality column")
        return "count"
    if address:
        rec["count"] = count or 1
        return "address"
    if municipality and count_unknown:
        rec["count"] = pd.NA  # evidence of cameras without a number: not zero, not "no data"
        return "count"
    if municipality and (count is not None or not has_count_col):
        rec["count"] = 1 if count is None else count  # a reported 0 is evidence of none
        return "count"
    if municipality:
        return (f"the number of cameras is empty: the row names municipality "
                f"{municipality!r} but no coordinates, address or number of cameras; fill "
                "in the number of cameras, or give coordinates or an address")
    return ("no location: give latitude and longitude (or x/y with --crs), an address, or a "
            "municipality with a number of cameras")


#: Columns read by a parser, each with the target its value comes from.
_PARSERS: Final[tuple[tuple[str, str, Callable[[Cell], Any]], ...]] = (
    ("facial_recognition", "facial_recognition", parse_facial_recognition),
    ("status", "status", parse_status), ("installed", "installed", parse_date),
    ("as_of", "as_of", parse_date), ("counts", "counts", parse_counts),
    ("scope", "scope", parse_scope), ("source", "source", parse_source_kind),
    ("facial_recognition_software", "facial_recognition", parse_facial_recognition_software))
#: Text columns taken as they are (spaces tidied).
_TEXT_TARGETS: Final = ("document", "name", "description", "surveillance_type", "camera_type",
                        "mount", "direction", "zone", "operator", "manufacturer", "model",
                        "supplier", "note", "source_version", "source_date", "surveillance")


def _parse_values(values: dict[str, Cell], rec: dict[str, Any], tags: dict[str, Any],
                  by_target: dict[str, list[_Col]], acc: _Rows, sname: str | None,
                  rownum: int) -> None:
    """Fill ``rec`` from the columns read by a parser, amounts and heights; a value not
    understood is recorded as unknown, kept in tags and reported."""
    for target, source, parser in _PARSERS:
        v = values.get(source)
        if target == "source" and is_blank(v):
            continue  # a register is an FOI reply unless it says otherwise
        try:
            rec[target] = parser(v)
        except ValueError as exc:
            rec[target] = "unknown" if target == "status" else None
            if target == "source":
                rec[target] = "foi"
            col = by_target[target][0].header
            tags[col] = _jsonable(v)
            acc.warn(str(exc), sname, rownum, col, v)
    if not is_blank(values.get("contract_value")):
        v = values["contract_value"]
        try:
            amount, unit = coords.split_number(v, grouped_three=True)
            rec["contract_value"] = amount
            if unit:
                tags["currency"] = unit
        except ValueError:
            col = by_target["contract_value"][0].header
            tags[col] = _jsonable(v)
            acc.warn(f"contract value {v!r} is not an amount: write it like 1.234.567,00 RSD; "
                     "kept in tags", sname, rownum, col, v)
    if not is_blank(values.get("height")):
        try:
            rec["height"] = coords.parse_number(values["height"])
        except ValueError:
            col = by_target["height"][0].header
            tags[col] = _jsonable(values["height"])
            acc.warn("height is not a number of metres; kept in tags", sname, rownum, col,
                     values["height"])


def _text_values(values: dict[str, Cell], rec: dict[str, Any], opts: _Options) -> None:
    for target in _TEXT_TARGETS:
        text = _text(values.get(target))
        if text is not None:
            rec[target] = text
    if not rec.get("document") and opts.document:
        rec["document"] = opts.document


def _digits(values: dict[str, Cell]) -> int:
    """How many decimals the row's coordinates were given with (precision, for repeats)."""
    n = 0
    for target in ("latitude", "longitude", "x", "y", "coordinates"):
        v = values.get(target)
        if isinstance(v, float):
            text = repr(v)
        elif isinstance(v, str):
            text = v
        else:
            continue
        n += sum(len(m) for m in re.findall(r"[.,](\d+)", text))
    return n


def _is_guide(rows: Sequence[Sequence[Cell]]) -> bool:
    first = next((c for row in rows for c in row if not is_blank(c)), None)
    return isinstance(first, str) and first.startswith(GUIDE_MARK + ":")


def _no_header_error(file: str, sheets: list[Sheet]) -> InputError:
    best: tuple[int, int, list[str]] | None = None
    for sheet in sheets:
        for i, cells in enumerate(sheet.rows[:_HEADER_SCAN]):
            texts = [str(c).strip() for c in cells if isinstance(c, str) and c.strip()]
            if texts and (best is None or len(texts) > len(best[2])):
                best = (i, 0, texts)
        if best:
            break
    if best is None:
        return InputError(
            f"{file}: no header row found: the sheets have no text cells; expected a header "
            "row naming the columns, such as 'Opština', 'Adresa', 'Latitude', 'Broj kamera'"
        )
    row, _, texts = best
    described = []
    for t in texts[:12]:
        close = _closest_aliases(t)
        described.append(f"{t!r} (closest known: {', '.join(close)})" if close
                         else f"{t!r} (nothing close)")
    example = texts[0].replace('"', "'")
    return InputError(
        f"{file}: no header row found: expected a row with at least two column names "
        "camera-map knows, such as 'Opština', 'Adresa', 'Latitude', 'Longitude', 'Broj kamera'. "
        f"Row {row + 1} has: {'; '.join(described)}. Name the columns in a mapping file, "
        f'one line per column, e.g.\n[columns]\n"{example}" = "address"\nand pass it with '
        "--mapping FILE.toml (mapping= in Python). Columns it can name: "
        f"{', '.join(_MAIN_TARGETS)}"
        f"; also {', '.join(t for t in TARGETS if t not in _MAIN_TARGETS)}, or tags"
    )


def read_register(
    path: str | Path,
    *,
    sheet: str | int | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    crs: str | None = None,
    mapping: str | Path | Mapping[str, str] | None = None,
    units: gpd.GeoDataFrame | None = None,
    default_municipality: str | None = None,
    document: str | None = None,
    repair: bool = True,
    columnar: bool = True,
) -> RegisterResult:
    """Read an FOI register (CSV/TSV, XLSX or ODS) into the camera table.

    Parameters
    ----------
    path
        The register. Its kind is told by its bytes, not its extension.
    sheet
        Sheet name or 0-based index; None reads every sheet with a recognisable header
        (the others are reported in ``problems``).
    encoding, delimiter
        Override detection for text files (``"cp1251"``, ``";"``, ``"tab"``).
    crs
        CRS of projected x/y columns, e.g. ``"EPSG:31277"`` (Serbian Gauss-Krüger zone 7)
        or ``"EPSG:32634"`` (UTM 34N). Rows with projected numbers are rejected without it.
    mapping
        Extra header → column mapping: a TOML file with ``[columns]`` or a dict.
    units
        Municipal units (EPSG:4326; ``id``, ``name``, ``name_cyr``) to check points against:
        swapped coordinates are fixed when the swapped point lands where the row says,
        points outside their stated municipality or every unit are reported.
    default_municipality
        Municipality of rows that name none (a register of one municipality).
    document
        Document title/URL/reference for rows without a document of their own.
    repair
        Put back decimal points a spreadsheet dropped (``461.993.881`` → 46.1993881)
        when exactly one placement lands inside the ``units`` (and the row's
        municipality); every repair is reported. False rejects such rows instead.
    columnar
        Read a clean CSV register a column at a time (Arrow's parser, each distinct value
        parsed once, one spatial query); rows that need it are still read one by one.
        False reads every row one by one; both give the same result.

    Returns
    -------
    RegisterResult

    Raises
    ------
    camera_map.errors.InputError
        The file is empty, not a table, undecodable, or has no recognisable header.
    """
    p = Path(path)
    user = load_mapping(mapping)
    if crs is not None:
        coords.crs_from_user(crs)  # fail early, before reading rows
    table = read_table(p, sheet=sheet, encoding=encoding, delimiter=delimiter,
                       header_score=lambda row: len(_row_targets(row, user) - {"ordinal"}),
                       columnar=columnar)
    return register_from_table(table, p.name, sheet=sheet, crs=crs, mapping=user,
                               units=units, default_municipality=default_municipality,
                               document=document, repair=repair, columnar=columnar)


def register_from_table(
    table: Table,
    file: str,
    *,
    sheet: str | int | None = None,
    crs: str | None = None,
    mapping: Mapping[str, str] | None = None,
    units: gpd.GeoDataFrame | None = None,
    default_municipality: str | None = None,
    document: str | None = None,
    repair: bool = True,
    row_shift: int = 0,
    columnar: bool = True,
) -> RegisterResult:
    """Read the rows of a :class:`~camera_map.sources.tabular.Table` as :func:`read_register` does.

    Used for registers and for point layers turned into a table
    (:mod:`camera_map.sources.points`); ``mapping`` is folded header → target
    (:func:`load_mapping`).
    """
    p = Path(file)
    opts = _Options(
        file=p.name, crs=crs, units=_Units(units) if units is not None else None,
        default_municipality=default_municipality, document=document,
        user=dict(mapping or {}), repair=repair, row_shift=row_shift, columnar=columnar,
    )
    if not any(any(not is_blank(c) for c in row) for s in table.sheets for row in s.rows):
        raise InputError(
            f"{p.name}: the file is empty (no filled cells): expected a register with a header "
            "row and one row per camera or per municipality; check that the export finished"
        )
    acc = _Rows(opts)
    infos = _read_sheets(table, acc, sheet)
    _report_file(table, infos, acc)
    _suggest_crs(acc)
    _drop_repeats(acc)
    return _result(table, infos, acc)


def _read_sheets(table: Table, acc: _Rows, sheet: str | int | None) -> list[SheetInfo]:
    """Find each sheet's header row and read the sheets that have one; say why not the others.

    Raises :class:`InputError` naming the closest known column names when no sheet (or not
    the one asked for) has a header camera-map recognises.
    """
    file = acc.opts.file
    infos: list[SheetInfo] = []
    readable: list[tuple[Sheet, SheetInfo, int, bool]] = []
    for s in table.sheets:
        info = SheetInfo(s.name, None)
        infos.append(info)
        h = _find_header(s.rows, acc.opts.user)
        if _is_guide(s.rows):
            info.skipped = "the guide of camera-map's register template"
            continue
        generic = h is None
        if h is None:
            h = _generic_header(s.rows)
        if h is None:
            filled = _filled_rows(s)
            info.skipped = ("empty" if not filled else
                            f"no recognisable header row ({filled} filled rows not read)")
        else:
            readable.append((s, info, h, generic))
    read_any = False
    for s, info, h, generic in readable:
        if _read_sheet(s, table, info, h, acc, generic=generic):
            read_any = True
        else:
            info.skipped = f"no recognisable header row ({_filled_rows(s)} filled rows not read)"
    if not read_any or (sheet is not None and table.kind != "csv" and infos[0].skipped):
        raise _no_header_error(file, table.sheets)
    return infos


def _filled_rows(sheet: Sheet) -> int:
    return sum(1 for row in sheet.rows if any(not is_blank(c) for c in row))


def _report_file(table: Table, infos: list[SheetInfo], acc: _Rows) -> None:
    """Problems of the file rather than of a row: sheets not read, encodings, stray quotes."""
    for info in infos:
        if info.skipped and not info.skipped.startswith("the guide"):
            acc.warn(f"sheet {info.name!r} not read: {info.skipped}", None, None)
    for message in table.problems:
        acc.warn(message, None, None)
    for s in table.sheets:
        for r, message in sorted(s.row_problems.items()):
            acc.warn(message, s.name, r + 1 + acc.opts.row_shift)


def _result(table: Table, infos: list[SheetInfo], acc: _Rows) -> RegisterResult:
    """What was read, as a :class:`RegisterResult`: every row read is accepted or rejected."""
    file = acc.opts.file
    cameras = validate_cameras(_camera_table(acc), where=file)
    rejected = RejectedRows(tuple(acc.rejected))
    columns: dict[str, str] = {}
    for info in infos:
        for k, v in info.columns.items():
            columns.setdefault(k, v)
    rows_read = sum(i.rows_read for i in infos)
    blank = sum(i.blank_rows for i in infos)
    assert len(cameras) + len(rejected) == rows_read
    log.info("%s: %d rows read, %d accepted, %d rejected, %d blank", file, rows_read,
             len(cameras), len(rejected), blank)
    return RegisterResult(
        file=file, kind=table.kind, cameras=cameras, rejected_rows=rejected,
        rows_read=rows_read,
        blank_rows=blank, needs_geocoding=acc.needs_geocoding, columns=columns,
        problems=acc.problems, encoding=table.encoding, delimiter=table.delimiter,
        sheets=[i.name for i in infos if i.header_row is not None and i.name is not None],
        sheet_info=infos, kinds={k: acc.kinds.get(k, 0) for k in ("point", "address", "count")},
        count_cameras=acc.count_cameras, unplaced_rows=acc.unplaced_rows,
        municipality_from=acc.municipality_from, originals=Originals(acc.originals),
    )


def _camera_table(acc: _Rows) -> gpd.GeoDataFrame:
    """The accepted records as a camera table, in row order (careful and column-wise ones)."""
    table = cameras_from_records(acc.records)
    if not acc.column_records:
        return table
    parts = [(np.array([m["row"] for m in acc.meta], dtype=np.int64), table),
             *((c.rows, c.cameras) for c in acc.column_records)]
    parts = [(rows, frame) for rows, frame in parts if len(frame)] or parts[:1]
    merged = pd.concat([frame for _, frame in parts], ignore_index=True)
    order = np.argsort(np.concatenate([rows for rows, _ in parts]), kind="stable")
    return merged.iloc[order].reset_index(drop=True)


def _generic_header(rows: Sequence[list[Cell]]) -> int | None:
    """The first filled row when it looks like a header of names nobody knows.

    Two or more text cells that are not numbers, with a row below it; whether the
    sheet is then read depends on what its columns' values turn out to be.
    """
    for i, row in enumerate(rows[:_HEADER_SCAN]):
        filled = [c for c in row if not is_blank(c)]
        if not filled:
            continue
        texts = [c for c in filled if isinstance(c, str) and not _is_number_text(c)]
        if len(texts) >= 2 and len(texts) == len(filled) and i + 1 < len(rows):
            return i
        return None
    return None


def _is_number_text(text: str) -> bool:
    try:
        coords.parse_number(text)
    except ValueError:
        return False
    return True


def _suggest_crs(acc: _Rows) -> None:
    """Name the CRS that places the projected rows, trying those the boundaries suggest."""
    if not acc.projected:
        return
    units = acc.opts.units
    points = [(x, y) for _, x, y in acc.projected]
    sep = "; "
    if units is None:
        sep, hint = ", ", "likely " + "; ".join(coords.likely_crs(*points[0]))
    else:
        w, s, e, n = (float(v) for v in units.gdf.total_bounds)
        trials = coords.crs_trials(points, (w, s, e, n),
                                   lambda lon, lat: bool(units.containing(lon, lat)))
        count = len(coords.crs_candidates((w, s, e, n)))
        if trials:
            top = [t for t in trials if t.inside == trials[0].inside][:3]
            hint = (f"of the {count} CRSs whose area of use covers the boundaries, "
                    f"{'; '.join(f'{t} points inside the boundaries' for t in top)}: "
                    f"try --crs {top[0].code}")
        else:
            hint = (f"none of the {count} CRSs whose area of use covers the boundaries places "
                    "these points inside them: check the coordinates")
    for i, _x, _y in acc.projected:
        acc.rejected[i] = replace(acc.rejected[i], reason=f"{acc.rejected[i].reason}{sep}{hint}")
    acc.warn(f"{len(acc.projected)} row(s) have projected coordinates and no --crs: {hint}",
             None, None)


def _drop_repeats(acc: _Rows) -> None:
    """Keep one row per camera listed twice in the register; reject the others, saying why.

    Repeats: rows with the same ``ref`` (the register's camera id), or located rows with
    the same coordinates and every other value equal (two vintages appended). The row
    kept is the most precise (a point before an address; more decimals), then the most
    recent (installation date), then the later row.
    """
    groups: dict[tuple[Any, ...], list[int]] = {}
    for i, (rec, meta) in enumerate(zip(acc.records, acc.meta, strict=True)):
        if meta["ref"]:
            groups.setdefault(("ref", meta["ref"]), []).append(i)
        elif meta["kind"] == "point":
            geom = rec["geometry"]
            same = tuple(sorted((k, str(v)) for k, v in rec.items()
                                if k not in ("geometry", "source_ref", "tags", "note")))
            groups.setdefault(("at", round(geom.x, 7), round(geom.y, 7), same), []).append(i)
    drop: dict[int, tuple[int, str]] = {}
    for key, members in groups.items():
        if len(members) < 2:
            continue

        def rank(i: int) -> tuple[Any, ...]:
            m, rec = acc.meta[i], acc.records[i]
            return (m["kind"] == "point", m["digits"], str(rec.get("installed") or ""), i)

        keep = max(members, key=rank)
        why = "same id " + repr(key[1]) if key[0] == "ref" else "same coordinates and values"
        for i in members:
            if i != keep:
                drop[i] = (keep, why)
    if not drop:
        return
    records: list[dict[str, Any]] = []
    metas: list[dict[str, Any]] = []
    for i, (rec, m) in enumerate(zip(acc.records, acc.meta, strict=True)):
        if i not in drop:
            records.append(rec)
            metas.append(m)
            continue
        keep, why = drop[i]
        kept = acc.meta[keep]
        where = f"row {kept['row']}" + (f" of sheet {kept['sheet']!r}"
                                        if kept["sheet"] != m["sheet"] else "")
        acc.reject(m["sheet"], m["row"], f"the same camera as {where} ({why}): {where} is "
                   "kept (the most precise, then most recent, then later row)", m["original"])
        acc.kinds[m["kind"]] -= 1
        if m["kind"] == "count":
            acc.count_cameras -= int(rec["count"])
        if m["kind"] == "address":
            acc.needs_geocoding -= 1
        if m["kind"] != "point" and not rec.get("municipality"):
            acc.unplaced_rows -= 1
    acc.records, acc.meta = records, metas


# --- check ----------------------------------------------------------------------------------


@dataclass
class CheckReport:
    """What :func:`check_register` found; ``format()`` gives the text the CLI prints."""

    result: RegisterResult

    @property
    def ok(self) -> bool:
        """True when no row was rejected (``--strict`` fails otherwise)."""
        return len(self.result.rejected) == 0

    def format(self) -> str:
        """Return the report as plain text: reading, mapping, counts, problems, rejections."""
        r = self.result
        lines: list[str] = []
        from .points import POINT_KINDS

        if r.kind == "csv":
            enc = ENCODING_LABELS.get(r.encoding or "", r.encoding)
            delim = DELIMITER_NAMES.get(r.delimiter or "", repr(r.delimiter))
            lines.append(f"{r.file}: CSV text, encoding {enc}, delimiter {delim}")
        elif r.kind in POINT_KINDS:
            lines.append(f"{r.file}: {POINT_KINDS[r.kind]} point layer, "
                         f"{len(r.sheet_info)} layer(s); features are rows 1, 2, …, their "
                         "properties the columns")
        else:
            lines.append(f"{r.file}: {r.kind.upper()} workbook, {len(r.sheet_info)} sheet(s)")
        for info in r.sheet_info:
            where = f"sheet {info.name!r}" if info.name is not None else "file"
            if info.header_row is None:
                lines.append(f"  {where}: not read: {info.skipped}")
                continue
            head = (f"rows {info.header_row}-{info.header_row + 1}" if info.header_rows == 2
                    else f"row {info.header_row}")
            if r.kind in POINT_KINDS:
                where = f"layer {info.name!r}" if info.name is not None else "layer"
                lines.append(f"  {where}: {info.rows_read} features read, {info.blank_rows} "
                             "with neither a point nor a property")
            else:
                lines.append(f"  {where}: header in {head}; {info.rows_read} rows read, "
                             f"{info.blank_rows} blank")
            for t in info.title:
                lines.append(f"    title: {t}")
            for header, target in info.columns.items():
                lines.append(f"    {header!r} → {target}")
            for said in info.inferred:
                lines.append(f"    by their values: {said}")
        k = r.kinds
        lines.append(
            f"Rows read: {r.rows_read} (accepted {r.accepted}, rejected {len(r.rejected)}); "
            f"blank rows skipped: {r.blank_rows}"
        )
        lines.append(
            f"Accepted: {k['point']} located cameras, {k['address']} addresses "
            f"(needs geocoding: {r.needs_geocoding}), {k['count']} count rows with "
            f"{r.count_cameras} cameras; {r.total_cameras} cameras in all"
        )
        if r.unplaced_rows and not r.municipality_from:
            lines.append(
                f"{r.unplaced_rows} of {r.accepted} accepted rows name no municipality and "
                "have no coordinates: they count nowhere unless geocoding places their "
                "address; if the whole register is from one municipality, pass "
                "--municipality NAME")
        if r.problems:
            lines.append(f"Problems ({len(r.problems)}):")
            lines.extend(f"  {p}" for p in r.problems)
        if len(r.rejected):
            lines.append(f"Rejected rows ({len(r.rejected)}):")
            for rec in r.rejected.itertuples(index=False):
                sheet = f"#{rec.sheet}" if rec.sheet else ""
                lines.append(f"  {rec.file}{sheet}, row {rec.row}: {rec.reason}")
        lines.append("OK: every row accepted" if self.ok
                     else f"NOT OK: {len(r.rejected)} row(s) rejected")
        return "\n".join(lines)


def check_register(path: str | Path, **options: Any) -> CheckReport:
    """Read a register as :func:`read_register` would (same options) and report on it."""
    return CheckReport(read_register(path, **options))

