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
from hashlib import sha1
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
        self.values: dict[str, pa.Array] = {}
        self.lat = self.lon = self.points = np.zeros(0)

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
        fills :attr:`values` with the value of each target as an Arrow array."""
        ok = np.ones(self.n, dtype=bool)
        for target, source, parser in _PARSERS:
            arr = self.column(source)
            kind = pa.bool_() if target == "facial_recognition" else pa.string()
            if arr is None:  # a register is an FOI reply unless it says otherwise
                self.values[target] = (pa.repeat("foi", self.n) if target == "source"
                                       else pa.nulls(self.n, kind))
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
            self.values[target] = pa.array(got, kind).take(pa.array(index))
        for target in ("municipality", "address", "ref", *_TEXT_TARGETS):
            arr = self.column(target)
            self.values[target] = pa.nulls(self.n, pa.string()) if arr is None else _texts(arr)
        default = self.opts.default_municipality or self.acc.sheet_municipality
        if default:  # a register of one municipality, or one its title names
            self.values["municipality"] = pc.fill_null(self.values["municipality"], default)
        if self.opts.document:
            self.values["document"] = pc.fill_null(self.values["document"], self.opts.document)
        return ok

    def placed(self, rows: np.ndarray) -> np.ndarray:
        """Check the points of ``rows`` against the units as :func:`foi._check_place` does.

        Returns the rows whose point stays as given (a point that lands in its unit only
        when swapped is fixed on the careful path); their warnings go to :attr:`problems`.
        """
        at = np.flatnonzero(rows)
        self.points = np.empty(self.n, dtype=object)
        self.points[at] = shapely.points(self.lon[at], self.lat[at])
        units = self.opts.units
        keep = rows.copy()
        if units is None:
            return keep
        lon, lat = self.lon[at], self.lat[at]
        enc = pc.dictionary_encode(self.values["municipality"].take(pa.array(at)))
        names = enc.dictionary.to_pylist()
        codes = pc.fill_null(enc.indices, len(names)).to_numpy(zero_copy_only=False)
        stated_sets = [units.lookup(m) if m else None for m in names]
        stated = np.zeros((len(names) + 1, len(units.names)), dtype=bool)
        for i, s in enumerate(stated_sets):
            stated[i, list(s or ())] = True
        has_stated = np.array([s is not None for s in stated_sets] + [False])
        polygons = units.gdf.geometry.to_numpy()

        def query(points: np.ndarray, which: np.ndarray) -> tuple[Any, Any, Any]:
            """(point, unit) pairs sorted by point; units per point; a stated unit among them."""
            found = shapely.STRtree(points).query(polygons, predicate="intersects")
            pairs = found[::-1, np.lexsort((found[0], found[1]))]
            count = np.bincount(pairs[0], minlength=len(points))
            fits = stated[codes[which][pairs[0]], pairs[1]]
            return pairs, count, np.bincount(pairs[0][fits], minlength=len(points)) > 0

        def units_of(pairs: np.ndarray, count: np.ndarray, i: int) -> str:
            lo = int(np.searchsorted(pairs[0], i))
            if count[i] == 1:
                return units.names[pairs[1][lo]]
            return units.label(pairs[1][lo:lo + count[i]].tolist())

        def muni(i: int) -> str | None:
            return names[codes[i]] if codes[i] < len(names) else None

        pairs, count, fits = query(self.points[at], np.arange(len(at)))
        outside = np.flatnonzero(count == 0)
        sw_pairs, sw_count, sw_fits = query(shapely.points(lat[outside], lon[outside]), outside)
        swap = (sw_count > 0) & (~has_stated[codes[outside]] | sw_fits)
        keep[at[outside[swap]]] = False
        messages: dict[int, tuple[str, str]] = {}
        for j in np.flatnonzero(~swap).tolist():
            i = int(outside[j])
            la, lo = lat[i], lon[i]
            if sw_count[j]:
                there = units_of(sw_pairs, sw_count, j)
                messages[i] = ("outside", f"point {la:.6f}, {lo:.6f} (lat, lon) is outside "
                               f"every unit; swapped it would be in {there}, not in the "
                               f"stated municipality {muni(i)!r}: left as given, check the "
                               "coordinates")
            else:
                messages[i] = ("outside", f"point {la:.6f}, {lo:.6f} (lat, lon) is outside "
                               "every unit of the boundary layer: check the coordinates")
        for i in np.flatnonzero((count > 0) & has_stated[codes] & ~fits).tolist():
            messages[i] = ("elsewhere", f"point {lat[i]:.6f}, {lon[i]:.6f} (lat, lon) is in "
                           f"{units_of(pairs, count, i)}, not in the stated municipality "
                           f"{muni(i)!r}: check the coordinates or the municipality")
        unknown = {k: _unknown_unit(units, m) for k, (m, s) in enumerate(
            zip(names, stated_sets, strict=True)) if s is None and m}
        named = np.isin(codes, list(unknown))
        for i in sorted({*messages, *np.flatnonzero(named).tolist()}):
            if not keep[at[i]]:
                continue
            if i in messages:
                code, text = messages[i]
                self._warn(int(at[i]), text, code)
            if codes[i] in unknown:
                self._warn(int(at[i]), str(unknown[codes[i]]), "unknown-unit")
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
        out = np.zeros(self.n, dtype=bool)
        at = np.flatnonzero(rows)
        refs = self.values["ref"].take(pa.array(at))
        mine = pd.Series(pd.arrays.ArrowStringArray(refs))
        theirs = pd.Series([m["ref"] for m in acc.meta], dtype="string")
        both = pd.concat([mine, theirs], ignore_index=True)
        twice = (both.duplicated(keep=False) & both.notna()).to_numpy()[:len(at)]
        out[at[twice]] = True
        bare = at[refs.is_null().to_numpy(zero_copy_only=False)]
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
        take = pa.array(at)
        opts = self.opts
        data: dict[str, Any] = {}
        for target, values in self.values.items():
            if target in COLUMNS:
                data[target] = _pandas(values.take(take))
        rownums = self.records[at] + 1 + opts.row_shift
        prefix = _source_ref(opts.file, self.sheet, 0)[:-1]
        refs = pc.binary_join_element_wise(prefix, pc.cast(pa.array(rownums), pa.string()), "")
        data["source_ref"] = _pandas(refs)
        data["camera_id"] = _pandas(_camera_ids(self.values["source"].take(take), refs))
        data["count"] = pd.array(np.ones(n, dtype=np.int64), dtype="Int64")
        data["geocode_precision"] = _pandas(pa.repeat("exact", n))
        data["tags"] = _pandas(self._tags(at))
        gdf = gpd.GeoDataFrame(pd.DataFrame(data), geometry=gpd.GeoSeries(self.points[at],
                                                                          crs=CRS), crs=CRS)
        return ColumnRecords(np.asarray(rownums, dtype=np.int64), conform(gdf))

    def _tags(self, at: np.ndarray) -> pa.Array:
        """The ``tags`` JSON of ``at`` as :func:`table.tags_json` writes it (sorted keys)."""
        kept = sorted((c for c in self.cols if c.target in (None, "ordinal", "ref")),
                      key=lambda c: clean_text(c.header))
        parts = []
        for c in kept:
            key = json.dumps(clean_text(c.header), ensure_ascii=False) + ": "
            arr = self.cells[c.index].take(pa.array(at))

            def dumps(v: str, key: str = key) -> str:
                return key + json.dumps(clean_text(v.strip()), ensure_ascii=False)

            def plain(values: pa.Array, key: str = key) -> pa.Array:
                return pc.binary_join_element_wise(key + '"', values, '"', "")

            parts.append(pc.if_else(pa.array(self.blank[c.index][at]),
                                    pa.scalar(None, pa.string()),
                                    _each(arr, _JSON_ESCAPED, plain, dumps)))
        if not parts:
            return pa.nulls(len(at), pa.string())
        # joined by a character JSON never leaves raw, then tidied ("skip" mishandles a row
        # of nulls in some Arrow versions)
        joined = pc.binary_join_element_wise(*parts, "\x01", null_handling="replace",
                                             null_replacement="")
        joined = pc.replace_substring(pc.utf8_trim(pc.replace_substring_regex(
            joined, "\x01+", "\x01"), "\x01"), "\x01", ", ")
        out = pc.binary_join_element_wise("{", joined, "}", "")
        return pc.if_else(pc.equal(joined, ""), pa.scalar(None, pa.string()), out)


def _each(arr: pa.Array, odd: str | Callable[[pa.Array], np.ndarray],
          plain: Callable[[pa.Array], pa.Array], fn: Callable[[str], Any]) -> pa.Array:
    """``plain(arr)`` (Arrow kernels), but ``fn(value)`` for the values ``odd`` marks
    (a pattern, or a function giving a mask), called once per distinct such value."""
    marked = _mask(arr, odd) if isinstance(odd, str) else odd(arr)
    out = plain(arr)
    if not marked.any():
        return out
    enc = pc.dictionary_encode(arr.filter(pa.array(marked)))
    fixed = pa.array([fn(v) for v in enc.dictionary.to_pylist()], out.type)
    return pc.replace_with_mask(out, pa.array(marked), fixed.take(enc.indices))


def _texts(arr: pa.Array) -> pa.Array:
    """:func:`foi._text` of every cell (None for a placeholder such as "-"), as Arrow strings;
    only the distinct values whose spaces need tidying, or that hold no letter or digit, are
    given to it."""
    return _each(arr, lambda a: _mask(a, _UNTIDY) | ~_mask(a, _ALNUM), lambda a: a, _text)


def _camera_ids(sources: pa.Array, refs: pa.Array) -> pa.Array:
    """:func:`table.camera_id_for` of each (source, source_ref) pair."""
    if pc.all(pc.equal(sources, "foi")).as_py():
        head = "foi-"  # inlined: a million calls cost as much as the hashes
        return pa.array([head + sha1(f"foi\x1f{r}".encode()).hexdigest()[:12]
                         for r in refs.to_pylist()], pa.string())
    return pa.array([camera_id_for(s, r) for s, r in zip(
        sources.to_pylist(), refs.to_pylist(), strict=True)], pa.string())


def _pandas(arr: pa.Array) -> Any:
    """An Arrow array as the pandas array the camera table holds (no Python objects)."""
    if pa.types.is_boolean(arr.type):
        return pd.arrays.BooleanArray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False),
                                      arr.is_null().to_numpy(zero_copy_only=False))
    return pd.arrays.ArrowStringArray(arr)


_BAD: Final = object()  # a value a parser did not understand


class ColumnRecords:
    """Rows accepted column-wise: their row numbers and their part of the camera table."""

    def __init__(self, rows: np.ndarray, cameras: gpd.GeoDataFrame) -> None:
        self.rows = rows
        self.cameras = cameras
