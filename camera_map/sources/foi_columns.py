"""Column-wise reading of a clean CSV register: the fast path of :mod:`camera_map.sources.foi`.

A CSV register that :func:`camera_map.sources.tabular.column_rows` split with Arrow's C++
parser keeps its cells as string columns. Here the rows that are plainly located cameras
(decimal degrees, values every parser understands, no repeated header, nothing to repair or
swap, no repeat of another row) are read a column at a time: each distinct value is parsed
once by the functions the careful path uses, numbers are cast by Arrow, the units of all
points come from one spatial-index query. Every other row takes the careful path
(:func:`camera_map.sources.foi._read_row`). Both give the same records, problems and
rejected rows; a test compares them on every fixture and on generated registers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from ..errors import Problem
from ..table import COLUMNS, CRS, camera_id_for, conform
from ..text import clean_text
from .foi import (
    _PARSERS,
    _TEXT_TARGETS,
    _Col,
    _Rows,
    _source_ref,
    _text,
    _unknown_unit,
    header_key,
)
from .tabular import ColumnRows, is_blank

#: Targets a column may have for the sheet to be read column-wise; any other (x/y, a count,
#: street parts, amounts) sends the whole sheet to the careful path.
_FAST_TARGETS: Final = frozenset(
    {None, "ordinal", "ref", "latitude", "longitude", "municipality", "address",
     *_TEXT_TARGETS, *(t for t, _, _ in _PARSERS)})
#: The characters Python's ``str.split()`` and ``str.strip()`` take for white space.
_SPACES: Final = ("\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f"
                  "\u205f\u3000")
_NOT_BLANK: Final = f"[^{_SPACES}]"
#: A cell whose spaces :func:`foi._text` tidies: any space but a single one between words.
_UNTIDY: Final = f"^[{_SPACES}]|[{_SPACES}]$|  |[{_SPACES.replace(' ', '')}]"
#: Characters that fold to a letter or digit: a cell holding one is never a placeholder.
_ALNUM: Final = ("[0-9A-Za-zčćžšđČĆŽŠĐабвгдђежзијклљмнњопрстћуфхцчџшАБВГДЂЕЖЗИЈКЛЉМНЊОПРС"
                 "ТЋУФХЦЧЏШ]")
#: A cell JSON would escape, or that loses something to strip() or clean_text().
_JSON_ESCAPED: Final = f'["\\\\\\x00-\\x1f\\x7f-\\x9f]|^[{_SPACES}]|[{_SPACES}]$'
#: Decimal degrees that :func:`coords.parse_degrees` reads as Arrow casts them (, → .).
_DECIMAL: Final = r"^-?\d{1,3}(?:[.,]\d+)?$"


def read_columns(rows: ColumnRows, first: int, cols: list[_Col],
                 by_target: dict[str, list[_Col]], sheet: str | None, acc: _Rows,
                 careful: Callable[[int], None]) -> tuple[int, int] | None:
    """Read the records from ``first`` on; a row that needs it goes to ``careful(record)``.

    Returns ``(rows read column-wise, blank rows among them)``, or None (nothing done) when
    the sheet has columns this path does not read. Accepted rows go to
    ``acc.column_records``, their problems to ``acc.problems`` (the caller puts the
    problems in row order).
    """
    if not _eligible(rows, cols, by_target):
        return None
    records = rows.records()
    start = int(np.searchsorted(records, first))
    read = _Read(rows, start, cols, by_target, sheet, acc)
    fast = read.filled & ~read.header_like() & read.located() & read.parsed()
    fast &= read.placed(fast)
    late = sorted([*(r for r in rows.skipped if r >= first),
                   *read.records[read.filled & ~fast].tolist()])
    for r in late:
        careful(r)
    repeats = read.repeats(fast)
    for r in read.records[repeats].tolist():
        careful(r)
    fast &= ~repeats
    acc.column_records.append(read.cameras(fast))
    acc.problems.extend(p for i, p in read.problems if fast[i])
    acc.kinds["point"] += int(fast.sum())
    return int(fast.sum()), int((~read.filled).sum())


def _eligible(rows: ColumnRows, cols: list[_Col], by_target: dict[str, list[_Col]]) -> bool:
    kept = [clean_text(c.header) for c in cols if c.target in (None, "ordinal", "ref")]
    return (all(c.target in _FAST_TARGETS for c in cols)
            and {"latitude", "longitude"} <= set(by_target)
            and all(len(v) == 1 for v in by_target.values())
            and rows.width == len(rows.columns) == len(cols)
            and len(set(kept)) == len(kept))


def _mask(arr: pa.Array, pattern: str) -> np.ndarray:
    return np.asarray(pc.match_substring_regex(arr, pattern).to_numpy(zero_copy_only=False),
                      dtype=bool)


def _distinct(arr: pa.Array, fn: Callable[[str], Any],
              simple: Callable[[pa.Array], tuple[np.ndarray, Any]] | None = None
              ) -> tuple[np.ndarray, np.ndarray]:
    """``fn`` of each distinct value of ``arr`` (an object array) and each cell's value index.

    ``simple(values) → (mask, results)`` may give at once the results of the distinct
    values it can; ``fn`` is called for the others.
    """
    enc = pc.dictionary_encode(arr)
    values = enc.dictionary
    out = np.empty(len(values), dtype=object)
    done = np.zeros(len(values), dtype=bool)
    if simple is not None and len(values):
        done, results = simple(values)
        out[done] = results[done]
    rest = np.flatnonzero(~done)
    if len(rest):
        out[rest] = [fn(v) for v in values.take(pa.array(rest)).to_pylist()]
    return out, enc.indices.to_numpy(zero_copy_only=False)


def _per_value(arr: pa.Array, fn: Callable[[str], Any],
               simple: Callable[[pa.Array], tuple[np.ndarray, Any]] | None = None
               ) -> np.ndarray:
    """``fn`` of every cell, called once per distinct value (see :func:`_distinct`)."""
    out, index = _distinct(arr, fn, simple)
    return out[index]


def _tidy(values: pa.Array) -> tuple[np.ndarray, Any]:
    """Values that are their own :func:`foi._text`: tidy spaces and a letter or digit."""
    done = ~_mask(values, _UNTIDY) & _mask(values, _ALNUM)
    return done, values.to_numpy(zero_copy_only=False)


class _Read:
    """The column-wise reading of one sheet, a step at a time (each a mask over its rows)."""

    def __init__(self, rows: ColumnRows, start: int, cols: list[_Col],
                 by_target: dict[str, list[_Col]], sheet: str | None, acc: _Rows) -> None:
        self.records = rows.records()[start:]
        self.cols = cols
        self.by_target = by_target
        self.sheet = sheet
        self.acc = acc
        self.opts = acc.opts
        self.n = len(self.records)
        self.cells = {c.index: rows.columns[c.index].slice(start) for c in cols}
        self.blank = {c.index: self._blank(self.cells[c.index]) for c in cols}
        self.filled = np.zeros(self.n, dtype=bool)
        for c in cols:
            if c.target != "ordinal":
                self.filled |= ~self.blank[c.index]
        self.problems: list[tuple[int, Problem]] = []
        self.values: dict[str, np.ndarray] = {}
        self.lat = self.lon = np.zeros(0)

    def column(self, target: str) -> pa.Array | None:
        tcols = self.by_target.get(target)
        return self.cells[tcols[0].index] if tcols else None

    @staticmethod
    def _blank(arr: pa.Array) -> np.ndarray:
        """:func:`is_blank` of every cell: empty, or nothing but white space."""
        return ~_mask(arr, _NOT_BLANK)

    def header_like(self) -> np.ndarray:
        """Rows that may repeat the header row (the careful path says whether they do).

        A repeat has two cells that fold to their column's header; so it has one among all
        columns but the one with the most distinct non-ASCII values, whose values would
        take longest to fold (ASCII cells are folded by Arrow).
        """
        keyed = [c for c in self.cols if c.key]
        hit = np.zeros(self.n, dtype=bool)
        if len(keyed) < 2:
            return hit
        odd = {c.index: pc.unique(self.cells[c.index].filter(
            pc.invert(pc.string_is_ascii(self.cells[c.index])))) for c in keyed}
        skip = max(keyed, key=lambda c: len(odd[c.index]))
        for c in keyed:
            if c is skip:
                continue
            arr = self.cells[c.index]
            word = max(c.key.split(), key=len)
            near = pc.and_(pc.string_is_ascii(arr),
                           pc.match_substring(arr, word, ignore_case=True))
            folded = pc.utf8_trim(pc.replace_substring_regex(
                pc.ascii_lower(arr.filter(near)), "[^0-9a-z]+", " "), " ")
            ascii_hit = np.zeros(self.n, dtype=bool)
            ascii_hit[np.flatnonzero(near.to_numpy(zero_copy_only=False))] = pc.equal(
                folded, c.key).to_numpy(zero_copy_only=False)
            same = [v for v in odd[c.index].to_pylist() if header_key(v) == c.key]
            hit |= ascii_hit | np.asarray(pc.is_in(arr, value_set=pa.array(
                same, pa.string())).to_numpy(zero_copy_only=False), dtype=bool)
        return hit

    def located(self) -> np.ndarray:
        """Rows whose latitude and longitude are plain decimal degrees within ±90°/±180°."""
        lat_a, lon_a = self.column("latitude"), self.column("longitude")
        assert lat_a is not None and lon_a is not None
        ok = _mask(lat_a, _DECIMAL) & _mask(lon_a, _DECIMAL)
        okp = pa.array(ok)
        self.lat, self.lon = (
            pc.cast(pc.replace_substring(pc.if_else(okp, a, "0"), ",", "."),
                    pa.float64()).to_numpy(zero_copy_only=False) for a in (lat_a, lon_a))
        return ok & (np.abs(self.lat) <= 90) & (np.abs(self.lon) <= 180)

    def parsed(self) -> np.ndarray:
        """Rows whose every parsed column (status, dates, face recognition, …) is understood;
        fills :attr:`values` with the parsed and tidied value of each target."""
        ok = np.ones(self.n, dtype=bool)
        for target, source, parser in _PARSERS:
            arr = self.column(source)
            if arr is None:  # a register is an FOI reply unless it says otherwise
                self.values[target] = np.full(self.n, "foi" if target == "source" else None,
                                              dtype=object)
                continue

            def parse(v: str, parser: Callable[[Any], Any] = parser,
                      target: str = target) -> Any:
                if is_blank(v):
                    return "foi" if target == "source" else None
                try:
                    return parser(v)
                except ValueError:
                    return _BAD

            got, index = _distinct(arr, parse)
            bad = np.array([v is _BAD for v in got], dtype=bool)
            got[bad] = None
            ok &= ~bad[index]
            self.values[target] = got[index]
        for target in ("municipality", "address", "ref", *_TEXT_TARGETS):
            arr = self.column(target)
            self.values[target] = (np.full(self.n, None, dtype=object) if arr is None
                                   else _per_value(arr, _text, _tidy))
        muni = self.values["municipality"]
        default = self.opts.default_municipality or self.acc.sheet_municipality
        if default:
            muni[pd.isna(muni)] = default  # a register of one municipality, or its title
        if self.opts.document:
            doc = self.values["document"]
            doc[pd.isna(doc)] = self.opts.document
        return ok

    def placed(self, rows: np.ndarray) -> np.ndarray:
        """Check the points of ``rows`` against the units as :func:`foi._check_place` does.

        Returns the rows whose point stays as given (a point that lands in its unit only
        when swapped is fixed on the careful path); their warnings go to :attr:`problems`.
        """
        units = self.opts.units
        keep = rows.copy()
        if units is None:
            return keep
        at = np.flatnonzero(rows)
        lon, lat = self.lon[at], self.lat[at]
        muni = self.values["municipality"][at]
        codes, names = pd.factorize(pd.Series(muni, dtype=object), use_na_sentinel=True)
        stated_sets = [units.lookup(m) if m else None for m in names]
        stated = np.zeros((len(names) + 1, len(units.names)), dtype=bool)
        for i, s in enumerate(stated_sets):
            stated[i, list(s or ())] = True
        has_stated = np.array([s is not None for s in stated_sets] + [False])
        codes = np.where(codes < 0, len(names), codes)  # the last row of the matrix: none

        def query(x: np.ndarray, y: np.ndarray, which: np.ndarray) -> tuple[Any, Any, Any]:
            pairs = units.gdf.sindex.query(shapely.points(x, y), predicate="intersects")
            count = np.bincount(pairs[0], minlength=len(x))
            fits = stated[codes[which][pairs[0]], pairs[1]]
            return pairs, count, np.bincount(pairs[0][fits], minlength=len(x)) > 0

        every = np.arange(len(at))
        pairs, count, fits = query(lon, lat, every)
        outside = np.flatnonzero(count == 0)
        sw_pairs, sw_count, sw_fits = query(lat[outside], lon[outside], outside)
        swap = (sw_count > 0) & (~has_stated[codes[outside]] | sw_fits)
        keep[at[outside[swap]]] = False
        messages: dict[int, tuple[str, str]] = {}
        for j in np.flatnonzero(~swap):
            i = outside[j]
            la, lo = lat[i], lon[i]
            if sw_count[j]:
                where = units.label(sw_pairs[1][sw_pairs[0] == j].tolist())
                messages[i] = ("outside", f"point {la:.6f}, {lo:.6f} (lat, lon) is outside "
                               f"every unit; swapped it would be in {where}, not in the stated "
                               f"municipality {muni[i]!r}: left as given, check the "
                               "coordinates")
            else:
                messages[i] = ("outside", f"point {la:.6f}, {lo:.6f} (lat, lon) is outside "
                               "every unit of the boundary layer: check the coordinates")
        elsewhere = np.flatnonzero((count > 0) & has_stated[codes] & ~fits)
        if len(elsewhere):
            order = np.argsort(pairs[0], kind="stable")
            bounds = np.searchsorted(pairs[0][order], [elsewhere, elsewhere + 1])
            for i, lo_b, hi_b in zip(elsewhere, *bounds, strict=True):
                where = units.label(pairs[1][order[lo_b:hi_b]].tolist())
                messages[i] = ("elsewhere", f"point {lat[i]:.6f}, {lon[i]:.6f} (lat, lon) is "
                               f"in {where}, not in the stated municipality {muni[i]!r}: "
                               "check the coordinates or the municipality")
        unknown = {m: _unknown_unit(units, m) for m, s in zip(names, stated_sets, strict=True)
                   if s is None and m}
        named = pd.Series(muni, dtype=object).isin(list(unknown)).to_numpy()
        for i in sorted({*messages, *np.flatnonzero(named).tolist()}):
            if not keep[at[i]]:
                continue
            if i in messages:
                code, text = messages[i]
                self._warn(int(at[i]), text, code)
            if muni[i] in unknown:
                self._warn(int(at[i]), str(unknown[muni[i]]), "unknown-unit")
        return keep

    def _warn(self, i: int, message: str, code: str | None) -> None:
        opts = self.opts
        self.problems.append((i, Problem(message, file=opts.file, sheet=self.sheet,
                                         row=self.rownum(i), code=code)))

    def rownum(self, i: int) -> int:
        return int(self.records[i]) + 1 + self.opts.row_shift

    def repeats(self, rows: np.ndarray) -> np.ndarray:
        """Rows of ``rows`` that may be a camera listed twice (the same id, or a located
        row without id at the same point as another): the careful path reads them, so that
        :func:`foi._drop_repeats` sees every row of such a pair."""
        acc = self.acc
        refs = self.values["ref"]
        out = np.zeros(self.n, dtype=bool)
        at = np.flatnonzero(rows)
        mine = pd.Series(refs[at], dtype=object)
        theirs = pd.Series([m["ref"] for m in acc.meta], dtype=object)
        both = pd.concat([mine, theirs], ignore_index=True)
        twice = (both.duplicated(keep=False) & both.notna()).to_numpy()[:len(at)]
        out[at[twice]] = True
        bare = at[pd.isna(refs[at])]
        if len(bare):
            here = [(round(x, 7), round(y, 7))
                    for x, y in zip(self.lon[bare].tolist(), self.lat[bare].tolist(),
                                    strict=True)]
            there = [(round(r["geometry"].x, 7), round(r["geometry"].y, 7))
                     for r, m in zip(acc.records, acc.meta, strict=True)
                     if m["kind"] == "point" and not m["ref"]]
            keys = pd.Series([*here, *there], dtype=object)
            out[bare[keys.duplicated(keep=False).to_numpy()[:len(bare)]]] = True
        return out

    def cameras(self, rows: np.ndarray) -> ColumnRecords:
        """The camera-table part of ``rows``, as :func:`table.cameras_from_records` builds it."""
        at = np.flatnonzero(rows)
        n = len(at)
        opts = self.opts
        data: dict[str, Any] = {col: np.full(n, None, dtype=object) for col in COLUMNS}
        for target, values in self.values.items():
            if target in data:
                data[target] = values[at]
        rownums = (self.records[at] + 1 + opts.row_shift).tolist()
        refs = [_source_ref(opts.file, self.sheet, r) for r in rownums]
        data["source_ref"] = np.array(refs, dtype=object)
        data["camera_id"] = np.array([camera_id_for(str(s), r) for s, r in zip(
            data["source"], refs, strict=True)], dtype=object)
        data["count"] = np.ones(n, dtype=np.int64)
        data["geocode_precision"] = np.full(n, "exact", dtype=object)
        data["tags"] = self._tags(at)
        frame = pd.DataFrame(data, columns=list(COLUMNS))
        points = shapely.points(self.lon[at], self.lat[at])
        gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(points, crs=CRS), crs=CRS)
        return ColumnRecords(np.asarray(rownums, dtype=np.int64), conform(gdf))

    def _tags(self, at: np.ndarray) -> np.ndarray:
        """The ``tags`` JSON of ``at`` as :func:`table.tags_json` writes it (sorted keys)."""
        kept = sorted((c for c in self.cols if c.target in (None, "ordinal", "ref")),
                      key=lambda c: clean_text(c.header))
        parts = []
        for c in kept:
            key = json.dumps(clean_text(c.header), ensure_ascii=False) + ": "
            arr = self.cells[c.index].take(pa.array(at))

            def dumps(v: str, key: str = key) -> str:
                return key + json.dumps(clean_text(v.strip()), ensure_ascii=False)

            def plain(values: pa.Array, key: str = key) -> tuple[np.ndarray, Any]:
                done = ~_mask(values, _JSON_ESCAPED)
                texts = pc.binary_join_element_wise(key + '"', values, '"', "")
                return done, texts.to_numpy(zero_copy_only=False)

            pieces, index = _distinct(arr, dumps, plain)
            piece = pa.array(pieces, pa.string()).take(pa.array(index))
            parts.append(pc.if_else(pa.array(self.blank[c.index][at]),
                                    pa.scalar(None, pa.string()), piece))
        if not parts:
            return np.full(len(at), None, dtype=object)
        joined = pc.binary_join_element_wise(*parts, ", ", null_handling="skip")
        out = pc.binary_join_element_wise("{", joined, "}", "").to_numpy(zero_copy_only=False)
        out[pc.equal(joined, "").to_numpy(zero_copy_only=False)] = None
        return out


_BAD: Final = object()  # a value a parser did not understand


class ColumnRecords:
    """Rows accepted column-wise: their row numbers and their part of the camera table."""

    def __init__(self, rows: np.ndarray, cameras: gpd.GeoDataFrame) -> None:
        self.rows = rows
        self.cameras = cameras
