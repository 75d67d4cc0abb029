"""Boundary layers: the bundled ones under ``layers/`` and the user's own files.

A :class:`Layer` holds the municipal units (polygons with id, names, population, area),
the groups that evidence may name as a whole (the City of Belgrade = 17 units), aliases,
and the attribution its licences ask for. :meth:`Layer.resolve` turns a municipality as
written in evidence — code, Latin, Cyrillic or ASCII name — into a unit or a group.

Boundaries are read with pyogrio (any format GDAL reads); areas are computed in an
equal-area CRS, never in degrees.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import logging
import math
import re
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Final, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from . import settings
from .errors import ColumnError, InputError, ProblemLog, UnknownFormatError, UnknownPlaceError
from .names import fold, fold_loose
from .text import clean_text

log = logging.getLogger(__name__)

UNIT_COLUMNS = ["id", "name", "name_cyr", "kind", "group_id", "group_name", "population",
                "population_method", "area_km2"]
#: Attribution every output containing OpenStreetMap data must carry (the one definition:
#: the OSM readers, the map and the build's attribution lines use it).
OSM_ATTRIBUTION: Final = ("© OpenStreetMap contributors, ODbL 1.0 "
                          "(https://www.openstreetmap.org/copyright)")


class UnitNames:
    """Find the units of a units frame by any spelling of their code or name.

    The one index behind every "which municipality does this text name" question: keys are
    folded (:func:`camera_map.names.fold`: script, diacritics, case and words such as
    "opština" do not matter), with a looser second key in which ``dj`` equals ``d``. Columns
    ``id``, ``name``, ``name_cyr`` and, where present, ``group_id`` and ``group_name`` are
    indexed, so a city's name gives all of its units. Results are row positions.

    >>> units = pd.DataFrame({"id": ["70882", "80055"], "name": ["Osečina", "Beočin"],
    ...                       "name_cyr": ["Осечина", "Беочин"]})
    >>> names = UnitNames(units)
    >>> names.positions("OPŠTINA OSECINA"), names.positions("Беочин"), names.positions("Ub")
    ({0}, {1}, set())
    >>> names.close("Beocn")
    ['Beočin']
    """

    COLUMNS: tuple[str, ...] = ("id", "name", "name_cyr", "group_id", "group_name")

    def __init__(self, units: pd.DataFrame, columns: tuple[str, ...] = COLUMNS) -> None:
        self.names = [str(n) for n in units["name"]] if "name" in units else []
        self._exact: dict[str, set[int]] = {}
        self._loose: dict[str, set[int]] = {}
        for col in columns:
            if col not in units.columns:
                continue
            for i, value in enumerate(units[col].tolist()):
                if value is None or (not isinstance(value, str) and pd.isna(value)):
                    continue
                self._exact.setdefault(fold(value), set()).add(i)
                self._loose.setdefault(fold_loose(value), set()).add(i)

    def positions(self, text: object) -> set[int]:
        """Row positions of the units ``text`` names (empty when it names none)."""
        if text is None or (not isinstance(text, str) and pd.isna(text)):
            return set()
        return set(self._exact.get(fold(text)) or self._loose.get(fold_loose(text)) or ())

    def close(self, text: object, n: int = 3, cutoff: float = 0.6) -> list[str]:
        """Up to ``n`` unit names closest to ``text`` (for "did you mean …" messages)."""
        keys = {fold(name): name for name in self.names}
        return [keys[k] for k in difflib.get_close_matches(fold(text), list(keys), n=n,
                                                           cutoff=cutoff)]


@dataclass(frozen=True)
class Match:
    """What a municipality name or code in the evidence refers to.

    ``level`` is ``"unit"`` (one layer unit) or ``"group"`` (several units as a whole);
    ``via`` says how it matched (``"code"``, ``"name"``, ``"alias: <note>"``).
    """

    id: str
    level: Literal["unit", "group"]
    name: str
    via: str


@dataclass(frozen=True)
class Country:
    """The country a layer covers, as a map's title and a geocoder's scope need it.

    >>> Country("Serbia", "Srbija", "rs").code
    'rs'
    """

    #: in English
    name: str | None = None
    #: in the local language (Latin script where there are two)
    local: str | None = None
    #: ISO 3166-1 alpha-2, lower case: limits Nominatim to the country
    code: str | None = None


@dataclass(frozen=True)
class Census:
    """Where a layer's population figures come from, when known."""

    #: the year they count
    year: int | None = None
    #: who counted them (e.g. the statistical office and the census)
    source: str | None = None


@dataclass
class Layer:
    """Municipal units with population, plus groups, aliases and attribution.

    Attributes
    ----------
    name, title
        The layer's short name (a bundled layer's folder, a user file's stem) and its title.
    units
        One row per unit in EPSG:4326, columns :data:`UNIT_COLUMNS` (``population`` empty
        where unknown, ``area_km2`` computed in an equal-area CRS), sorted by ``id``.
    groups, aliases
        Places evidence may name as a whole (``id``, ``name``, ``population``, ``members``),
        and other names of units or groups (``alias``, ``id``, ``note``).
    attribution
        The lines the licences of the boundaries and the population ask for.
    census
        Year and source of the population figures (:class:`Census`), when known.
    country
        The country in English and in the local language, and its ISO code
        (:class:`Country`), when known.
    contains_osm
        Whether the boundaries themselves are OpenStreetMap data (outputs then carry
        :data:`OSM_ATTRIBUTION`).
    path
        The folder or file the layer was read from (``None`` when built in memory).
    """

    name: str
    title: str
    units: gpd.GeoDataFrame
    groups: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["id", "name", "name_cyr", "population", "area_km2", "members"]))
    aliases: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["alias", "id", "note"]))
    attribution: list[str] = field(default_factory=list)
    census: Census = field(default_factory=Census)
    country: Country = field(default_factory=Country)
    contains_osm: bool = False
    path: Path | None = None

    # -- name matching -------------------------------------------------------------
    @cached_property
    def _index(self) -> dict[str, dict[str, set[tuple[str, str, str]]]]:
        """Folded key -> {(id, level, via)}, for exact keys and loose (dj = d) keys."""
        exact: dict[str, set[tuple[str, str, str]]] = {}
        loose: dict[str, set[tuple[str, str, str]]] = {}

        def add(text: object, target: str, level: str, via: str) -> None:
            if text is None or pd.isna(text) or str(text).strip() == "":
                return
            exact.setdefault(fold(text), set()).add((target, level, via))
            loose.setdefault(fold_loose(text), set()).add((target, level, via))

        for row in self.units.itertuples(index=False):
            add(row.id, row.id, "unit", "code")
            add(row.name, row.id, "unit", "name")
            add(getattr(row, "name_cyr", None), row.id, "unit", "name")
        for row in self.groups.itertuples(index=False):
            add(row.id, str(row.id), "group", "code")
            for col in ("name", "name_cyr", "name_en"):
                add(getattr(row, col, None), str(row.id), "group", "name")
        group_ids = set(self.groups["id"].astype(str))
        for row in self.aliases.itertuples(index=False):
            level = "group" if str(row.id) in group_ids else "unit"
            add(row.alias, str(row.id), level, f"alias: {row.note}")
        return {"exact": exact, "loose": loose}

    @cached_property
    def _names(self) -> dict[str, dict[str, str]]:
        """Level ("unit", "group") -> id -> name (the first row of an id)."""
        return {level: {str(i): str(n) for i, n in reversed(list(zip(
                    table["id"].tolist(), table["name"].tolist(), strict=True)))}
                for level, table in (("unit", self.units), ("group", self.groups))}

    def _name_of(self, target: str, level: str) -> str:
        return self._names["group" if level == "group" else "unit"].get(target, target)

    def match(self, text: object) -> Match | None:
        """Return what ``text`` names, or ``None``; raise on an ambiguous name.

        Tries the code, then the folded Latin/Cyrillic/ASCII name, group names and
        aliases, then a looser key in which ``dj`` equals ``d``.
        """
        if text is None or pd.isna(text):
            return None
        raw = str(text).strip()
        if raw.endswith(".0") and raw[:-2].isdigit():  # codes read from spreadsheets as floats
            raw = raw[:-2]
        for key, table in ((fold(raw), "exact"), (fold_loose(raw), "loose")):
            hits = self._index[table].get(key)
            if not hits:
                continue
            targets = {(t, lvl) for t, lvl, _ in hits}
            if len(targets) > 1:
                names = sorted(f"{self._name_of(t, lvl)} ({t})" for t, lvl in targets)
                raise UnknownPlaceError(
                    f"municipality {raw!r} is ambiguous in layer {self.name!r}: it could be "
                    f"{', '.join(names)}; write the official code instead"
                )
            target, level, via = sorted(hits)[0]
            return Match(target, level, self._name_of(target, level), via)  # type: ignore[arg-type]
        return None

    def suggestions(self, text: object, n: int = 5) -> list[str]:
        """Return up to ``n`` unit or group names closest to ``text``."""
        names = {fold(v): str(v) for v in [*self.units["name"], *self.groups["name"]]}
        close = difflib.get_close_matches(fold(text), list(names), n=n, cutoff=0.6)
        return [names[c] for c in close]

    def resolve(self, text: object) -> Match:
        """Like :meth:`match`, but raise :class:`UnknownPlaceError` naming close matches.

        >>> serbia = load_layer("serbia")
        >>> serbia.resolve("Осечина")
        Match(id='70882', level='unit', name='Osečina', via='name')
        >>> serbia.resolve("Grad Beograd").level
        'group'
        >>> serbia.resolve("Osecna")  # doctest: +NORMALIZE_WHITESPACE
        Traceback (most recent call last):
        camera_map.errors.UnknownPlaceError: municipality 'Osecna' is not in layer 'serbia'; did
        you mean Osečina, Senta, Sečanj, Sjenica? ...
        """
        found = self.match(text)
        if found is None:
            close = self.suggestions(text)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise UnknownPlaceError(
                f"municipality {text!r} is not in layer {self.name!r}{hint} "
                "(use the official code, or a Latin or Cyrillic name)"
            )
        return found

    def members(self, group_id: str) -> list[str]:
        """Ids of the units that make up a group."""
        return sorted(self.units.loc[self.units["group_id"] == group_id, "id"])

    @cached_property
    def equal_area_crs(self) -> pyproj.CRS:
        """The equal-area CRS areas are computed in (see :func:`equal_area_crs_for`)."""
        return equal_area_crs_for(self.units)


def equal_area_crs_for(gdf: gpd.GeoDataFrame) -> pyproj.CRS:
    """Return ``settings.equal_area_crs``, or else a Lambert azimuthal
    equal-area CRS centred on ``gdf``."""
    if settings.equal_area_crs:
        return pyproj.CRS(settings.equal_area_crs)
    minx, miny, maxx, maxy = gdf.to_crs("EPSG:4326").total_bounds
    return pyproj.CRS.from_proj4(
        f"+proj=laea +lat_0={(miny + maxy) / 2:.4f} +lon_0={(minx + maxx) / 2:.4f} "
        "+x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"
    )


def area_km2(gdf: gpd.GeoDataFrame, crs: pyproj.CRS | None = None) -> pd.Series:
    """Area of each geometry in km², computed in an equal-area CRS (never in degrees).

    One degree by one degree at 44–45° N (central Serbia):

    >>> square = gpd.GeoDataFrame(geometry=[shapely.box(20, 44, 21, 45)], crs="EPSG:4326")
    >>> round(float(area_km2(square).iloc[0]))
    8837
    """
    return gdf.to_crs(crs or equal_area_crs_for(gdf)).area / 1e6


def available_layers() -> list[str]:
    """Names of the bundled layers (folders under ``settings.layers_dir`` with a layer.toml)."""
    return sorted(p.parent.name for p in Path(settings.layers_dir).glob("*/layer.toml"))


def load_layer(name: str | None = None) -> Layer:
    """Load a bundled layer by name (default: ``settings.default_layer``, Serbia).

    The files are read once per process (again when one of them changes); each call
    returns a layer of its own, so a caller may change its tables freely.
    """
    name = name or settings.default_layer
    folder = Path(settings.layers_dir) / name
    meta_path = folder / "layer.toml"
    if not meta_path.exists():
        raise InputError(
            f"no bundled layer {name!r} in {settings.layers_dir} (available: "
            f"{', '.join(available_layers()) or 'none'}); pass --boundaries FILE for your own"
        )
    read = _read_bundled(name, folder, _stamp(folder))
    return dataclasses.replace(read, units=read.units.copy(), groups=read.groups.copy(),
                               aliases=read.aliases.copy(), attribution=list(read.attribution))


def _stamp(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """Path, modification time and size of every file below ``folder``: what changes when
    any file of the layer does (without reading layer.toml to learn which ones)."""
    stats = ((path, path.stat()) for path in folder.rglob("*") if path.is_file())
    return tuple(sorted((str(path), st.st_mtime_ns, st.st_size) for path, st in stats))


@functools.lru_cache(maxsize=4)
def _read_bundled(name: str, folder: Path, stamp: tuple[tuple[str, int, int], ...]) -> Layer:
    """Read a bundled layer's files (``stamp``, from :func:`_stamp`, is part of the cache
    key, so that a changed file is read again)."""
    meta = tomllib.loads((folder / "layer.toml").read_text("utf-8"))
    units = gpd.read_file(folder / meta["units_file"], engine="pyogrio")
    units = _conform_units(units)
    groups = pd.DataFrame(columns=["id", "name", "name_cyr", "population", "area_km2", "members"])
    if meta.get("groups_file"):
        groups = pd.read_csv(folder / meta["groups_file"], dtype={"id": str})
        groups["population"] = groups["population"].astype("Int64")
    aliases = pd.DataFrame(columns=["alias", "id", "note"])
    if meta.get("aliases_file"):
        aliases = pd.read_csv(folder / meta["aliases_file"], dtype=str, keep_default_na=False)
    return Layer(
        name=name, title=meta.get("title", name), units=units, groups=groups, aliases=aliases,
        attribution=list(meta.get("attribution", [])),
        census=Census(meta.get("population_year"), meta.get("population_source")),
        country=Country(meta.get("country"), meta.get("country_local"),
                        meta.get("country_code")),
        contains_osm=bool(meta.get("contains_osm")),
        path=folder,
    )


def _conform_units(units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Give a units frame the canonical columns and dtypes, sorted by id."""
    out = units.copy()
    for col in UNIT_COLUMNS:
        if col not in out.columns:
            out[col] = pd.NA
    out["id"] = out["id"].astype(str)
    for col in ("name", "name_cyr", "kind", "group_id", "group_name", "population_method"):
        out[col] = out[col].astype("string")
    out["population"] = pd.to_numeric(out["population"]).astype("Int64")
    out["area_km2"] = out["area_km2"].astype(float)
    out = out[[*UNIT_COLUMNS, "geometry"]].sort_values("id", kind="stable")
    return gpd.GeoDataFrame(out.reset_index(drop=True), geometry="geometry", crs="EPSG:4326")


def layer_from_files(
    boundaries: str | Path,
    *,
    id_field: str | None = None,
    name_field: str | None = None,
    population: str | Path | None = None,
    population_field: str | None = None,
    attribution: list[str] | None = None,
) -> Layer:
    """Build a :class:`Layer` from the user's own boundaries and population.

    Parameters
    ----------
    boundaries
        Polygons in any format GDAL reads (GeoPackage, GeoJSON, Shapefile, ...), any CRS.
    id_field, name_field
        Columns holding each unit's unique id and display name (default ``id`` / ``name``
        when present; the name defaults to the id).
    population
        A CSV with the id column (named like ``id_field``, or ``id``) and a ``population``
        column. Empty cells stay unknown.
    population_field
        Alternatively, a population column already in ``boundaries``.
    attribution
        Attribution lines the boundaries' and population's licences ask for.
    """
    path = Path(boundaries)
    gdf = _read_boundaries(path, population, population_field)
    id_field, name_field = _unit_columns(gdf, path.name, id_field, name_field,
                                         population_field)
    _check_crs(gdf, path.name)
    _check_polygons(gdf, path.name)
    ids = _checked_ids(gdf, path.name, id_field)
    units, own = _units_in_lonlat(gdf, ids, name_field, path.name)
    area = area_km2(units)
    units["area_km2"] = area.round(3)
    _check_areas(own, area, units["id"], path.name, id_field)
    _add_population(units, gdf, path, id_field, population, population_field)
    return Layer(name=path.stem, title=path.stem, units=_conform_units(units),
                 attribution=list(attribution or []), path=path)


def _read_boundaries(path: Path, population: str | Path | None,
                     population_field: str | None) -> gpd.GeoDataFrame:
    """The features of the boundaries file; it must exist, be readable and not be empty."""
    if not path.exists():
        raise InputError(f"boundaries file {str(path)!r} does not exist")
    if population is not None and population_field is not None:
        raise InputError("use just one of --population (a CSV) or --population-field (a column)")
    try:
        gdf = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # pyogrio raises several types for unreadable files
        raise UnknownFormatError(
            f"boundaries file {str(path)!r} could not be read as a vector dataset ({exc}); "
            "expected polygons in a format GDAL reads (GeoPackage, GeoJSON, Shapefile, ...)"
        ) from exc
    if len(gdf) == 0:
        raise InputError(f"{path.name}: the boundaries file has no features; expected one "
                         "polygon per municipal unit")
    return gdf


def _unit_columns(gdf: gpd.GeoDataFrame, file: str, id_field: str | None,
                  name_field: str | None, population_field: str | None) -> tuple[str, str]:
    """The id and name columns (defaults ``id`` and ``name``, the name falling back on the
    id); every column the user named must exist, else the message lists close ones."""
    columns = [c for c in gdf.columns if c != "geometry"]
    id_field = id_field or ("id" if "id" in columns else None)
    if id_field is None:
        raise ColumnError(
            f"{file}: no 'id' column; name the column of unique unit ids with --id-field "
            f"(columns: {', '.join(columns)})"
        )
    for flag, col in (("--id-field", id_field), ("--name-field", name_field),
                      ("--population-field", population_field)):
        if col is not None and col not in gdf.columns:
            close = difflib.get_close_matches(col, columns, n=3)
            hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
            raise ColumnError(
                f"{file}: {flag} {col!r} is not a column of the boundaries{hint} "
                f"(columns: {', '.join(columns)})"
            )
    return id_field, name_field or ("name" if "name" in columns else id_field)


def _check_polygons(gdf: gpd.GeoDataFrame, file: str) -> None:
    geom_types = set(gdf.geom_type.dropna())
    if not geom_types <= {"Polygon", "MultiPolygon"}:
        raise InputError(f"{file}: expected polygons, found {sorted(geom_types)}")


def _checked_ids(gdf: gpd.GeoDataFrame, file: str, id_field: str) -> pd.Series:
    """The unit ids; every empty or repeated id and every feature without a geometry is a
    problem, reported together."""
    problems = ProblemLog()
    ids = _unit_ids(gdf[id_field], file, id_field, problems)
    for dup in sorted(set(ids[ids.duplicated() & ids.notna()])):
        rows = ", ".join(str(i + 1) for i in np.flatnonzero(ids == dup))
        problems.add(f"id is not unique (features {rows}); each unit needs its own id",
                     file=file, column=id_field, value=dup)
    for i in np.flatnonzero(gdf.geometry.isna() | gdf.geometry.is_empty):
        problems.add("feature has no geometry; give every unit its polygon or remove the "
                     "feature", file=file, row=int(i) + 1, value=ids.iloc[i])
    problems.raise_if_any(f"{file}: the boundaries cannot be used (rows are feature "
                          "numbers)")
    return ids


def _units_in_lonlat(gdf: gpd.GeoDataFrame, ids: pd.Series, name_field: str,
                     file: str) -> tuple[gpd.GeoDataFrame, gpd.GeoSeries]:
    """Units with id and name (an empty name is the id) in EPSG:4326, and their polygons
    repaired in the file's own CRS."""
    names = gdf[name_field].astype("string").map(clean_text, na_action="ignore")
    names = names.where(names.notna() & (names.str.strip() != ""), ids)
    own = _polygonal(gdf.geometry, file)  # repaired in the file's own CRS
    units = gpd.GeoDataFrame({"id": ids.astype(str), "name": names.astype(str)},
                             geometry=own.values, crs=gdf.crs).to_crs("EPSG:4326")
    _check_transformed(units, file)
    return units, own


def _check_areas(own: gpd.GeoSeries, area: pd.Series, ids: pd.Series, file: str,
                 id_field: str) -> None:
    """Every unit must have an area: not degenerate in the file's own coordinates (a
    "polygon" whose points lie on a line gets a sliver of area from the projection alone),
    and at least :data:`MIN_AREA_KM2`."""
    problems = ProblemLog()
    mine = np.asarray(own.values, dtype=object)
    flat = ~(shapely.area(mine) > 1e-9 * shapely.area(shapely.envelope(mine)))
    for i in np.flatnonzero(flat | ~(area >= MIN_AREA_KM2).to_numpy()):
        problems.add("unit has no area (a degenerate "
                     "polygon: all its points on one line, or repeated) and would give "
                     "meaningless cameras per km²; fix its geometry or remove it",
                     file=file, row=int(i) + 1, column=id_field, value=ids.iloc[i])
    problems.raise_if_any(f"{file}: some units have no area (rows are feature numbers)")


def _add_population(units: gpd.GeoDataFrame, gdf: gpd.GeoDataFrame, path: Path, id_field: str,
                    population: str | Path | None, population_field: str | None) -> None:
    """Set ``population`` and ``population_method`` of ``units`` from a column of the
    boundaries or from a CSV keyed by id; without either they stay unknown."""
    if population_field:
        problems = ProblemLog()
        units["population"] = _population_values(gdf[population_field], path.name,
                                                  population_field, problems, row_offset=1)
        units["population_method"] = f"column {population_field} of {path.name}"
        problems.raise_if_any(f"{path.name}: population values are not usable")
    elif population is not None:
        units["population"] = _population_from_csv(Path(population), units["id"], id_field)
        units["population_method"] = f"{Path(population).name}"


#: Smallest area a municipal unit may have (1 m²); less is a degenerate polygon.
MIN_AREA_KM2 = 1e-6
#: Largest population a unit may have (more than any country): "1e20" is a mistake.
MAX_POPULATION = 2_000_000_000


def _unit_ids(values: pd.Series, file: str, column: str, problems: ProblemLog) -> pd.Series:
    """Unit ids as text ("70882", never "70882.0"); an empty id is a problem."""
    if pd.api.types.is_float_dtype(values.dtype):
        whole = values.dropna()
        if len(whole) and bool((whole == whole.round()).all()):
            values = values.astype("Int64")
    text = values.astype("string").map(clean_text, na_action="ignore").str.strip()
    for i in np.flatnonzero(text.isna() | (text == "")):
        problems.add("id is empty; every unit needs an id (the code population and evidence "
                     "use)", file=file, row=int(i) + 1, column=column)
    return text


def _describe_bounds(b: np.ndarray) -> str:
    return f"x {b[0]:,.6g} … {b[2]:,.6g}, y {b[1]:,.6g} … {b[3]:,.6g}"


def _check_crs(gdf: gpd.GeoDataFrame, file: str) -> None:
    """The declared CRS must fit the coordinates: degrees in a geographic CRS, metres
    (or feet) in a projected one. A contradiction is the usual mistake of a file written
    with the wrong CRS, and gives areas of 0 km² or cameras outside every unit."""
    bounds = np.asarray(gdf.total_bounds, dtype=float)
    if not np.isfinite(bounds).all():
        raise InputError(f"{file}: the boundaries have coordinates that are not finite numbers "
                         "(inf or NaN); fix the geometries")
    degrees = bool(np.all(np.abs(bounds[[0, 2]]) <= 180) and np.all(np.abs(bounds[[1, 3]]) <= 90))
    if gdf.crs is None:
        guess = ("they look like longitude/latitude degrees: EPSG:4326" if degrees else
                 "they look like metres, e.g. Web Mercator EPSG:3857 or a national grid")
        raise InputError(f"{file}: the boundaries have no CRS ({_describe_bounds(bounds)}; "
                         f"{guess}); define it, e.g. ogr2ogr -a_srs EPSG:4326 out.gpkg {file}")
    crs = gdf.crs
    name = crs.to_string()
    if crs.is_geographic and not degrees:
        raise InputError(
            f"{file}: the boundaries declare {name} (degrees), but their coordinates are "
            f"{_describe_bounds(bounds)}, outside ±180/±90: they look like metres (e.g. Web "
            f"Mercator EPSG:3857). Declare the CRS they were written in, e.g. ogr2ogr -a_srs "
            f"EPSG:3857 out.gpkg {file}")
    if crs.is_projected and degrees:
        raise InputError(
            f"{file}: the boundaries declare {name} (metres), but their coordinates are "
            f"{_describe_bounds(bounds)}: they look like longitude/latitude degrees. Declare "
            f"EPSG:4326, e.g. ogr2ogr -a_srs EPSG:4326 out.gpkg {file}")


def _check_transformed(units: gpd.GeoDataFrame, file: str) -> None:
    bounds = np.asarray(units.total_bounds, dtype=float)
    if not np.isfinite(bounds).all():
        raise InputError(f"{file}: the boundaries could not be transformed to longitude/"
                         "latitude (their coordinates are outside the area of their CRS); "
                         "check the declared CRS")


def _polygonal(geoms: gpd.GeoSeries, file: str) -> gpd.GeoSeries:
    """Valid polygonal geometries: invalid ones repaired with make_valid, keeping only their
    polygon parts (a repaired bow-tie may come with stray lines); a unit left with no
    polygon is empty and reported as having no area."""
    invalid = ~geoms.is_valid
    if not invalid.any():
        return geoms
    log.warning("%s: %d invalid geometries repaired with make_valid", file, int(invalid.sum()))
    fixed = geoms.copy()
    repaired = shapely.make_valid(np.asarray(geoms[invalid].values, dtype=object))
    out = []
    for g in repaired:
        if g.geom_type in ("Polygon", "MultiPolygon"):
            out.append(g)
            continue
        parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
        out.append(shapely.union_all(parts) if parts else shapely.MultiPolygon())
    fixed[invalid] = out
    return fixed


def _population_values(values: pd.Series, file: str, column: str, problems: ProblemLog,
                       row_offset: int = 2) -> pd.Series:
    """Parse population counts, recording every cell that is not a whole number from 0 to
    :data:`MAX_POPULATION`; an empty cell is unknown (never 0)."""
    out: list[object] = []
    expected = (f"expected a whole number of residents from 0 to {MAX_POPULATION:,} without "
                "separators (leave it empty if unknown)")
    for i, v in enumerate(values):
        if v is None or (isinstance(v, float) and pd.isna(v)) or str(v).strip() == "":
            out.append(pd.NA)
            continue
        text = str(v).strip().replace("\u00a0", "").replace(" ", "")
        if re.fullmatch(r"\d{1,3}([.,]\d{3})+", text):
            problems.add(f"population {text!r} has a thousands separator, so it could be read "
                         f"as a fraction; write {re.sub(r'[.,]', '', text)}", file=file,
                         row=i + row_offset, column=column, value=v)
            out.append(pd.NA)
            continue
        try:
            num = float(text)
        except ValueError:
            num = math.nan
        if not (math.isfinite(num) and 0 <= num <= MAX_POPULATION and num == int(num)):
            problems.add(f"population is not usable: {expected}", file=file,
                         row=i + row_offset, column=column, value=v)
            out.append(pd.NA)
            continue
        out.append(int(num))
    return pd.Series(out, index=values.index, dtype="Int64")


def _population_from_csv(path: Path, ids: pd.Series, id_field: str) -> pd.Series:
    if not path.exists():
        raise InputError(f"population file {str(path)!r} does not exist")
    expected = f"expected a UTF-8 CSV with columns {id_field!r} (or 'id') and 'population'"
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except pd.errors.EmptyDataError:
        raise InputError(f"population file {path.name!r} is empty; {expected}") from None
    except (UnicodeDecodeError, pd.errors.ParserError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UnknownFormatError(
            f"population file {path.name!r} could not be read ({first}); {expected}"
        ) from exc
    key = id_field if id_field in table.columns else ("id" if "id" in table.columns else None)
    if key is None or "population" not in table.columns:
        raise ColumnError(
            f"{path.name}: expected columns {id_field!r} (or 'id') and 'population', found "
            f"{', '.join(map(str, table.columns))}"
        )
    if len(table) == 0:
        raise InputError(f"population file {path.name!r} has a header but no rows; {expected}")
    problems = ProblemLog()
    values = _population_values(table["population"], path.name, "population", problems)
    keys = table[key].astype(str).map(clean_text).str.strip()
    for i in np.flatnonzero(keys == ""):
        problems.add("id is empty; give the unit's id or remove the row", file=path.name,
                     row=int(i) + 2, column=key)
    for dup in sorted(set(keys[keys.duplicated() & (keys != "")])):
        rows = ", ".join(str(i + 2) for i in np.flatnonzero(keys == dup))
        problems.add(f"id appears in rows {rows}; give each unit's population once",
                     file=path.name, column=key, value=dup)
    problems.raise_if_any(f"{path.name}: population values are not usable")
    lookup = dict(zip(keys, values, strict=True))
    unknown = sorted(set(lookup) - set(ids))
    if unknown:
        log.warning("%s: %d ids match no boundary (e.g. %s)", path.name, len(unknown), unknown[:3])
    return pd.Series([lookup.get(i, pd.NA) for i in ids], index=ids.index, dtype="Int64")
