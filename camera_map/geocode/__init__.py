"""The geocoding stage: place camera-table rows that have an address but no coordinates.

The chain, tried in order for every distinct (address, municipality) of the table:

1. the **offline gazetteer** of an OSM extract (:mod:`camera_map.geocode.gazetteer`): precision
   ``address``, ``intersection``, ``street`` or ``settlement``, geocoder ``"gazetteer"``;
2. **Nominatim** when ``online`` (:mod:`camera_map.geocode.nominatim`): precision from the
   result's class/type, geocoder ``"nominatim"``; a result outside the municipality the row
   names, or with coordinates that are not a latitude and longitude, is not taken (the
   latter is a problem). When Nominatim is offline or keeps failing, one warning says so
   and the rest of the run goes on without it;
3. the **municipal layer**: a representative point inside the unit the row names
   (``representative_point()``, always inside the polygon), precision ``municipality``,
   geocoder ``"layer"``. Such a point says *which municipality*, not where the camera is:
   maps must not draw it as a camera position.

Rows that already have coordinates get precision ``exact`` and geocoder ``"source"`` when
those are not set. Rows that nothing could place keep no geometry and are listed in
:attr:`GeocodeResult.unplaced` with the reason for each step, phrased so that a clerk can
fix the register.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._io import write_with_atomic
from ..errors import ColumnError, InputError, NetworkError, Problem
from ..layers import UnitNames
from ..table import is_located
from .addresses import AddressQuery, parse_address, place_key
from .gazetteer import Gazetteer, build_gazetteer

if TYPE_CHECKING:
    from ..sources.foi import RegisterResult
    from .nominatim import NominatimClient

log = logging.getLogger(__name__)

__all__ = ["GeocodeResult", "UnitScope", "geocode_cameras", "geocode_file"]

UNPLACED_COLUMNS = ("camera_id", "source_ref", "address", "municipality", "reason")


@dataclass
class GeocodeResult:
    """What :func:`geocode_cameras` returns.

    Attributes
    ----------
    cameras
        The camera table with geometry, ``geocode_precision`` and ``geocoder`` filled in
        where a point was found.
    unplaced
        One row per camera that could not be placed: ``camera_id``, ``source_ref``,
        ``address``, ``municipality``, ``reason``.
    report
        Where :func:`geocode_file` wrote the unplaced rows, if it did.
    problems
        What went wrong on the way without stopping the run: Nominatim unavailable (then
        the rows were placed by the next step), answers that were not used.
    """

    cameras: gpd.GeoDataFrame
    unplaced: pd.DataFrame
    report: Path | None = None
    problems: list[Problem] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Return how many rows each precision has (``"unplaced"`` included)."""
        prec = self.cameras["geocode_precision"].dropna().astype(str)
        out = {str(k): int(v) for k, v in prec.value_counts().sort_index().items()}
        out["unplaced"] = len(self.unplaced)
        return out


class UnitScope:
    """Resolve the municipality a row names to unit ids of a municipal layer.

    Matches the unit ``id`` (official code), ``name`` and ``name_cyr`` in any script, with or
    without diacritics, and a city's ``group_name`` ("Beograd" → its city municipalities).
    """

    def __init__(self, units: gpd.GeoDataFrame) -> None:
        missing = [c for c in ("id", "name") if c not in units.columns]
        if missing:
            raise ColumnError(f"the municipal layer has no column(s) {missing}; it needs 'id', "
                              "'name' and polygon geometry")
        self.units = units.to_crs("EPSG:4326") if units.crs is not None else units
        ids = [str(v) for v in units["id"]]
        self._ids = ids
        self.names: dict[str, str] = dict(zip(ids, map(str, units["name"]), strict=True))
        self._index = UnitNames(units, columns=("id", "name", "name_cyr", "group_name"))
        points = self.units.geometry.representative_point()
        self.points: dict[str, tuple[float, float]] = {
            uid: (float(p.x), float(p.y)) for uid, p in zip(ids, points, strict=True)
        }
        self.geoms = dict(zip(ids, self.units.geometry.values, strict=True))

    def resolve(self, text: object) -> frozenset[str] | None:
        """Return the unit ids ``text`` names, or ``None`` if it names none."""
        if text is None or (not isinstance(text, str) and pd.isna(text)):
            return None
        s = str(text).strip()
        # "Opština Osečina", "grad Valjevo": drop the words that name the kind of place
        hits = self._index.positions(s) or self._index.positions(place_key(s))
        return frozenset(self._ids[i] for i in hits) if hits else None

    def suggest(self, text: str) -> list[str]:
        """Return up to three unit names close to ``text``."""
        return self._index.close(text, n=3, cutoff=0.75)

    def contains(self, scope: frozenset[str], lon: float, lat: float) -> bool:
        """Whether the point lies in any unit of ``scope``."""
        pt = shapely.Point(lon, lat)
        return any(self.geoms[u].covers(pt) for u in scope)


@dataclass(frozen=True)
class _Placed:
    lon: float
    lat: float
    precision: str
    geocoder: str


def _is_blank(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value)) or \
        str(value).strip() == ""


class _Chain:
    """The three steps, with per-query memory: every distinct query is answered once."""

    def __init__(self, gazetteer: Gazetteer | None, nominatim: NominatimClient | None,
                 scope: UnitScope | None) -> None:
        self.gazetteer = gazetteer
        self.nominatim = nominatim
        self.scope = scope
        self.problems: list[Problem] = []
        self.nominatim_down: str | None = None

    def place(self, address: str, municipality: str | None) -> _Placed | str:
        """The point of an address, from the first step that finds one; else why not,
        step by step."""
        query = parse_address(address, municipality)
        reasons: list[str] = []
        unit_scope = self._unit_scope(municipality, reasons)
        if query.kind == "empty":
            return "address is empty; give a street, intersection or place"
        for step in (self._from_gazetteer, self._from_nominatim, self._from_layer):
            found = step(query, municipality, unit_scope, reasons)
            if found is not None:
                return found
        return "; ".join(dict.fromkeys(reasons))

    def _unit_scope(self, municipality: str | None,
                    reasons: list[str]) -> frozenset[str] | None:
        """The units the row's municipality names (None if it names none, or no layer)."""
        if not municipality or self.scope is None:
            return None
        unit_scope = self.scope.resolve(municipality)
        if unit_scope is None:
            close = self.scope.suggest(municipality)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            reasons.append(f"municipality {municipality!r} is not in the layer{hint}")
        return unit_scope

    def _from_gazetteer(self, query: AddressQuery, municipality: str | None,
                        unit_scope: frozenset[str] | None, reasons: list[str]) -> _Placed | None:
        """1. The offline gazetteer, within the named units, or near the municipality's seat
        when there is no layer to scope by."""
        if self.gazetteer is None:
            reasons.append("gazetteer: no OSM extract given (use --extract)")
            return None
        near = None
        if municipality and unit_scope is None:
            pl = self.gazetteer.find_place(municipality)
            if pl.match is not None:
                near = (pl.match.lon, pl.match.lat)
        hit = self.gazetteer.lookup(query, scope=unit_scope, near=near)
        if hit.match is not None:
            m = hit.match
            return _Placed(m.lon, m.lat, m.precision, "gazetteer")
        reasons.append(f"gazetteer: {hit.reason}")
        return None

    def _from_nominatim(self, query: AddressQuery, municipality: str | None,
                        unit_scope: frozenset[str] | None, reasons: list[str]) -> _Placed | None:
        """2. Nominatim, when online and not down."""
        if self.nominatim is not None:
            found = self._nominatim(query, unit_scope, query.text)
            if isinstance(found, _Placed):
                return found
            reasons.append(f"nominatim: {found}")
        elif self.nominatim_down is not None:
            reasons.append(f"nominatim: unavailable ({self.nominatim_down})")
        else:
            reasons.append("nominatim: not asked (offline; use --online)")
        return None

    def _from_layer(self, query: AddressQuery, municipality: str | None,
                    unit_scope: frozenset[str] | None, reasons: list[str]) -> _Placed | None:
        """3. The municipal layer: a point inside the one unit the row names."""
        if self.scope is None:
            reasons.append("no municipal layer to fall back on")
        elif not municipality:
            reasons.append("no municipality given; add it so at least the municipality "
                           "is known")
        elif unit_scope is not None:
            if len(unit_scope) == 1:
                (uid,) = unit_scope
                lon, lat = self.scope.points[uid]
                return _Placed(lon, lat, "municipality", "layer")
            names = ", ".join(sorted(self.scope.names[u] for u in unit_scope)[:5])
            reasons.append(f"{municipality!r} covers {len(unit_scope)} municipalities "
                           f"({names}, ...); name the one the camera is in")
        return None

    def _nominatim(self, query: AddressQuery, unit_scope: frozenset[str] | None,
                   address: str) -> _Placed | str:
        from .nominatim import query_for

        assert self.nominatim is not None
        q = query_for(query)
        if q is None:
            return "nothing to ask"
        try:
            ans = self.nominatim.search(q)
        except InputError as exc:  # an answer with impossible coordinates
            log.warning("%s (address %r)", exc, address)
            self.problems.append(Problem(str(exc), value=address))
            return str(exc)
        except NetworkError as exc:
            # one warning, then the rest of the run without Nominatim
            self.nominatim = None
            self.nominatim_down = "it failed earlier in this run"
            message = (f"Nominatim is not available, so addresses are placed without it "
                       f"(gazetteer, then municipality level): {exc}")
            log.warning("%s", message)
            self.problems.append(Problem(message))
            return "unavailable"
        if ans is None:
            return f"no result for {q!r}"
        if unit_scope is not None and self.scope is not None \
                and not self.scope.contains(unit_scope, ans.lon, ans.lat):
            return (f"found {ans.display_name!r}, which is outside the named municipality; "
                    "not used")
        precision = ans.precision
        if query.kind == "intersection" and precision in ("address", "intersection"):
            precision = "street"  # Nominatim was asked for one of the two streets
        return _Placed(ans.lon, ans.lat, precision, "nominatim")


def geocode_cameras(
    cameras: gpd.GeoDataFrame,
    *,
    extract: str | os.PathLike[str] | Gazetteer | None = None,
    online: bool = False,
    nominatim_url: str | None = None,
    units: gpd.GeoDataFrame | None = None,
    country_codes: str | None = "rs",
    progress: Callable[[int, int], None] | None = None,
) -> GeocodeResult:
    """Give coordinates to camera-table rows that have an address but no point.

    Parameters
    ----------
    cameras
        A camera table (:mod:`camera_map.table`). Rows with no geometry, ``count`` 1 and an
        ``address`` are geocoded; count-only rows are left alone.
    extract
        An OSM extract (``.osm.pbf``) for the offline gazetteer, built once and reused
        (:func:`camera_map.geocode.gazetteer.build_gazetteer`), or an open
        :class:`~camera_map.geocode.gazetteer.Gazetteer`.
    online
        Ask Nominatim for what the gazetteer cannot place (1 request/s, cached on disk).
    nominatim_url
        Nominatim server; default ``settings.nominatim_url``.
    units
        The municipal layer (``id``, ``name``, ``name_cyr``, ``group_name``, polygons): scopes
        lookups to the municipality a row names and is the last fallback.
    country_codes
        ISO 3166-1 alpha-2 codes Nominatim searches in (comma-separated).
    progress
        Called as ``progress(done, total)`` with rows geocoded so far, for a progress bar.

    Returns
    -------
    GeocodeResult
        The table with points, precisions and geocoders, and the rows left unplaced.

    Nominatim failing (offline, refused, or still failing at its deadline) does not stop the
    run: one warning is logged and recorded in :attr:`GeocodeResult.problems`, and the rows
    go on to the next step. Answers received so far are cached for the next run.
    """
    table, located = _prepared_table(cameras)
    addresses, munis, todo, no_address = _rows_to_place(table, located)
    points = _Points.of(table)
    unplaced: list[tuple[int, str]] = [
        (int(i), "no coordinates and no address: add either (the row still counts toward "
                 "the municipality it names)") for i in no_address
    ]
    with _chain_for(extract, online=online, nominatim_url=nominatim_url, units=units,
                    country_codes=country_codes) as chain:
        unplaced += _place_rows(chain, todo.tolist(), addresses, munis, points, progress)
    table = points.written_into(table)
    report = _unplaced_report(table, unplaced, addresses, munis)
    log.info("geocoded %d rows; %d placed, %d unplaced", len(todo), points.placed(),
             len(unplaced))
    return GeocodeResult(table, report, problems=chain.problems)


def _prepared_table(cameras: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """A copy of the table with the geocoding columns, located rows marked ``exact`` /
    ``"source"`` where not set, and which rows are located; ColumnError for a table that
    is not a camera table."""
    table = cameras.copy()
    for col in ("geocode_precision", "geocoder", "address", "municipality"):
        if col not in table.columns:
            table[col] = pd.Series(pd.NA, index=table.index, dtype="string")
    for col in ("count", "camera_id", "source_ref"):
        if col not in table.columns:
            raise ColumnError(f"the camera table has no column {col!r}; build it with "
                              "camera_map.table.cameras_from_records")
    located = is_located(table).to_numpy()
    prec = table["geocode_precision"].astype("string")
    geocoder = table["geocoder"].astype("string")
    table["geocode_precision"] = prec.mask(pd.Series(located, index=table.index)
                                           & prec.isna(), "exact")
    table["geocoder"] = geocoder.mask(pd.Series(located, index=table.index)
                                      & geocoder.isna(), "source")
    return table, located


def _rows_to_place(
    table: gpd.GeoDataFrame, located: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The addresses and municipalities of the rows, the positions of the one-camera rows
    without a point that have an address, and of those that have none."""
    count = pd.to_numeric(table["count"], errors="coerce").to_numpy(dtype=float, na_value=1.0)
    addr = table["address"].astype("string")
    has_addr = (addr.notna() & (addr.str.strip() != "")).to_numpy(dtype=bool, na_value=False)
    todo = np.flatnonzero(~located & (count == 1) & has_addr)
    no_address = np.flatnonzero(~located & (count == 1) & ~has_addr)
    addresses = addr.to_numpy(dtype=object, na_value=None)
    munis = table["municipality"].astype("string").to_numpy(dtype=object, na_value=None)
    return addresses, munis, todo, no_address


@contextlib.contextmanager
def _chain_for(
    extract: str | os.PathLike[str] | Gazetteer | None,
    *,
    online: bool,
    nominatim_url: str | None,
    units: gpd.GeoDataFrame | None,
    country_codes: str | None,
) -> Iterator[_Chain]:
    """The chain of steps for a run; closes what it opened (a gazetteer it built, the
    Nominatim client) when the run ends."""
    with contextlib.ExitStack() as stack:
        gaz: Gazetteer | None = None
        if isinstance(extract, Gazetteer):
            gaz = extract
        elif extract is not None:
            gaz = stack.enter_context(Gazetteer(build_gazetteer(extract, units=units)))
        client: NominatimClient | None = None
        if online:
            from .nominatim import NominatimClient

            client = stack.enter_context(NominatimClient(nominatim_url,
                                                         country_codes=country_codes))
        yield _Chain(gaz, client, UnitScope(units) if units is not None else None)


@dataclass
class _Points:
    """The point, precision and geocoder found for each row (NaN where none)."""

    lon: np.ndarray
    lat: np.ndarray
    precision: np.ndarray
    geocoder: np.ndarray

    @classmethod
    def of(cls, table: gpd.GeoDataFrame) -> _Points:
        return cls(np.full(len(table), np.nan), np.full(len(table), np.nan),
                   table["geocode_precision"].to_numpy(dtype=object, na_value=None),
                   table["geocoder"].to_numpy(dtype=object, na_value=None))

    def set(self, i: int, found: _Placed) -> None:
        self.lon[i], self.lat[i] = found.lon, found.lat
        self.precision[i], self.geocoder[i] = found.precision, found.geocoder

    def placed(self) -> int:
        return int(np.count_nonzero(~np.isnan(self.lon)))

    def written_into(self, table: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """``table`` with the points found as geometry (EPSG:4326), and the precisions and
        geocoders."""
        placed = np.flatnonzero(~np.isnan(self.lon))
        if len(placed):
            geoms = np.asarray(table.geometry.values, dtype=object)
            geoms[placed] = shapely.points(self.lon[placed], self.lat[placed])
            table = table.set_geometry(gpd.GeoSeries(geoms, index=table.index,
                                                     crs="EPSG:4326"))
        table["geocode_precision"] = pd.array(self.precision, dtype="string")
        table["geocoder"] = pd.array(self.geocoder, dtype="string")
        return table


def _place_rows(
    chain: _Chain,
    todo: list[int],
    addresses: np.ndarray,
    munis: np.ndarray,
    points: _Points,
    progress: Callable[[int, int], None] | None,
) -> list[tuple[int, str]]:
    """Run the chain on the rows ``todo``, each distinct (address, municipality) once;
    return the rows it could not place, with the reason."""
    memo: dict[tuple[str, str | None], _Placed | str] = {}
    unplaced: list[tuple[int, str]] = []
    total = len(todo)
    step = max(1, total // 200)
    for done, i in enumerate(todo, start=1):
        a = str(addresses[i]).strip()
        m = munis[i].strip() if munis[i] is not None and str(munis[i]).strip() else None
        key = (a, m)
        res = memo.get(key)
        if res is None:
            res = memo[key] = chain.place(a, m)
        if isinstance(res, _Placed):
            points.set(i, res)
        else:
            unplaced.append((i, res))
        if progress is not None and (done % step == 0 or done == total):
            progress(done, total)
    return unplaced


def _unplaced_report(table: gpd.GeoDataFrame, unplaced: list[tuple[int, str]],
                     addresses: np.ndarray, munis: np.ndarray) -> pd.DataFrame:
    """One row per unplaced camera, in table order, with the reason."""
    rows = [
        (table["camera_id"].iat[i], table["source_ref"].iat[i], addresses[i], munis[i], why)
        for i, why in sorted(unplaced)
    ]
    return pd.DataFrame(rows, columns=list(UNPLACED_COLUMNS)).astype("string")


# --------------------------------------------------------------------------- files

def geocode_file(
    path: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    extract: str | os.PathLike[str] | None = None,
    online: bool = False,
    nominatim_url: str | None = None,
    units: gpd.GeoDataFrame | None = None,
    address_column: str | None = None,
    municipality_column: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    **read_options: Any,
) -> GeocodeResult:
    """Geocode a register's addresses and write it back with coordinates and precision.

    The register is read as ``build`` reads it (:func:`camera_map.sources.read_source`: the
    kind from the content, the encoding detected, any register or point layer). The output
    has the register's own columns, as read, plus ``latitude``, ``longitude`` (EPSG:4326
    degrees), ``geocode_precision`` and ``geocoder`` (and ``sheet`` first when several
    sheets were read); rows that could not be placed or were not read are listed, with the
    reason, in ``<out stem>-unplaced.csv`` beside ``out``. Both files are written
    atomically.

    Parameters
    ----------
    path
        A register (CSV/TSV, XLSX, ODS) or point layer with an address column
        ("address", "adresa", "lokacija", ...) and optionally a municipality column.
    out
        The CSV to write.
    extract, online, nominatim_url, units, progress
        As for :func:`geocode_cameras`.
    address_column, municipality_column
        Column names when they are not among the recognised headers.
    read_options
        As for :func:`camera_map.sources.foi.read_register` (``encoding``, ``sheet``, ``crs``, …).
    """
    reg = _register_of(Path(path), units=units, address_column=address_column,
                       municipality_column=municipality_column, read_options=read_options)
    result = geocode_cameras(reg.cameras, extract=extract, online=online,
                             nominatim_url=nominatim_url, units=units, progress=progress)
    written = _register_with_points(reg, result.cameras)
    return _write_outputs(written, result, Path(out), reg.rejected)


def _register_of(src: Path, *, units: gpd.GeoDataFrame | None, address_column: str | None,
                 municipality_column: str | None, read_options: dict[str, Any]) -> RegisterResult:
    """The register read from ``src`` (as ``build`` reads it), with the column names given
    mapped to ``address`` and ``municipality``; InputError or ColumnError for a file that
    is no register with an address column."""
    from ..sources import read_source

    if not src.exists():
        raise InputError(f"register {src} does not exist")
    from ..sources.foi import header_key, load_mapping

    mapping = load_mapping(read_options.pop("mapping", None))
    if address_column:
        mapping[header_key(address_column)] = "address"
    if municipality_column:
        mapping[header_key(municipality_column)] = "municipality"
    if src.is_dir():
        raise InputError(f"{src}: geocode writes one register back; give a file, not a folder")
    [source] = read_source(src, units=units, mapping=mapping or None, **read_options)
    reg = source.register
    if reg is None:
        raise InputError(f"{src.name}: geocode places the addresses of registers and point "
                         "layers; OpenStreetMap data have coordinates already")
    found = list(reg.columns)
    if not {"address", "street"} & set(reg.columns.values()):
        raise ColumnError(f"{src.name}: no address column; found columns {found}. Name it "
                          "'address' (or 'adresa', 'lokacija'), or pass address_column= "
                          "(a --mapping file on the command line)")
    return reg


def _register_with_points(reg: RegisterResult, cams: gpd.GeoDataFrame) -> pd.DataFrame:
    """The register's rows as read (``sheet`` first when several sheets were read), with
    ``latitude``, ``longitude`` (7 decimals), ``geocode_precision`` and ``geocoder`` of the
    camera each row became; empty where none."""
    geoms = np.asarray(cams.geometry.values, dtype=object)
    lat, lon = shapely.get_y(geoms), shapely.get_x(geoms)  # NaN where there is no point
    placed = {ref: (la, lo, prec, how) for ref, la, lo, prec, how in zip(
        cams["source_ref"], lat, lon, cams["geocode_precision"], cams["geocoder"],
        strict=True)}
    several = len({sheet for sheet, _, _ in reg.originals}) > 1
    header: list[str] = ["sheet"] if several else []
    for _, _, original in reg.originals:
        header.extend(k for k in original if k not in header)
    rows = []
    for sheet, row, original in reg.originals:
        ref = f"{reg.file}#{sheet}!row {row}" if sheet is not None else f"{reg.file}#row {row}"
        rec: dict[str, Any] = {"sheet": sheet} if several else {}
        rec.update({k: _cell_text(v) for k, v in original.items()})
        la, lo, prec, how = placed.get(ref, (np.nan, np.nan, None, None))
        rec["latitude"] = "" if np.isnan(la) else f"{la:.7f}"
        rec["longitude"] = "" if np.isnan(lo) else f"{lo:.7f}"
        rec["geocode_precision"] = "" if prec is None or pd.isna(prec) else str(prec)
        rec["geocoder"] = "" if how is None or pd.isna(how) else str(how)
        rows.append(rec)
    extra = [c for c in ("latitude", "longitude", "geocode_precision", "geocoder")
             if c not in header]
    return pd.DataFrame(rows, columns=[*header, *extra]).fillna("")


def _cell_text(value: Any) -> str:
    """A cell as the text written back: numbers without a spurious ``.0``, dates in ISO."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def _spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells and headers without control characters, formulas neutralised
    (:func:`camera_map.text.safe_cell`); numbers as they are."""
    from ..text import safe_cell

    out = frame.rename(columns=lambda c: safe_cell(str(c)))
    for col in out.columns:
        if out[col].dtype == object or isinstance(out[col].dtype, pd.StringDtype):
            out[col] = out[col].map(safe_cell, na_action="ignore")
    return out


def _write_outputs(written: pd.DataFrame, result: GeocodeResult, target: Path,
                   rejected: pd.DataFrame | None = None) -> GeocodeResult:
    written = _spreadsheet_safe(written)
    write_with_atomic(target, lambda fh: written.to_csv(fh, index=False, lineterminator="\n"))
    report_path = target.with_name(f"{target.stem}-unplaced.csv")
    report = result.unplaced.drop(columns=["camera_id"])
    report.insert(0, "row", [ref.rsplit("row ", 1)[-1] for ref in report["source_ref"]])
    if rejected is not None and len(rejected):
        extra = pd.DataFrame({
            "row": rejected["row"].astype(str),
            "source_ref": [f"{f}#{s + '!' if isinstance(s, str) and s else ''}row {r}"
                           for f, s, r in zip(rejected["file"], rejected["sheet"],
                                              rejected["row"], strict=True)],
            "address": pd.NA, "municipality": pd.NA,
            "reason": "not read: " + rejected["reason"].astype(str),
        })
        report = pd.concat([report, extra], ignore_index=True)
    report = _spreadsheet_safe(report)
    write_with_atomic(report_path, lambda fh: report.to_csv(fh, index=False,
                                                            lineterminator="\n"))
    result.report = report_path
    return result
