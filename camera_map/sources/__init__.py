"""Read camera evidence from any supported file, detecting its kind from the content.

FOI registers (CSV/TSV, XLSX, ODS) go to :mod:`camera_map.sources.foi`; OpenStreetMap files
(``.osm``, ``.osm.bz2``, ``.osm.gz``, ``.osm.pbf``) and Overpass JSON go to
:mod:`camera_map.sources.osm`; point layers (GeoJSON, KML/KMZ, GeoPackage, Shapefile, FlatGeobuf,
GeoParquet, GPX) go to :mod:`camera_map.sources.points`. This is the one entry every command
(``check``, ``build``, ``geocode``, ``town``) reads through. A folder is read file by file,
in name order. Every reader returns the camera table plus its problems and rejected rows,
gathered here in one :class:`SourceResult`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd

from ..errors import InputError, Problem, UnknownFormatError
from ..rejected import RejectedRows
from .points import POINT_KINDS, sniff_point_layer
from .points import SUFFIXES as POINT_SUFFIXES
from .tabular import MAGIC, looks_binary, zip_kind

if TYPE_CHECKING:
    from .foi import RegisterResult

log = logging.getLogger(__name__)

#: What camera-map reads, for error messages.
EXPECTED = (
    "a FOI register (CSV/TSV, XLSX or ODS), an OpenStreetMap file (.osm, .osm.bz2, "
    ".osm.gz, .osm.pbf), Overpass API JSON, or a point layer (GeoJSON, KML/KMZ, GeoPackage, "
    "Shapefile, FlatGeobuf, GeoParquet, GPX)"
)
_SUFFIXES = {".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".ods", ".osm", ".pbf", ".bz2", ".gz",
             *POINT_SUFFIXES}


@dataclass
class SourceResult:
    """Cameras read from one input, and everything to tell the user about it.

    ``rejected`` holds the rows that were not used, with the reason and their cells
    (written by the export stage as rejected.csv); ``register`` is how a register or point
    layer was read (columns, sheets), for ``camera-map check``.
    """

    path: Path
    kind: str
    cameras: gpd.GeoDataFrame
    rejected: RejectedRows = field(default_factory=RejectedRows)
    problems: list[Problem] = field(default_factory=list)
    rows_read: int = 0
    attribution: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    register: RegisterResult | None = None


def detect_kind(path: str | os.PathLike[str]) -> str:
    """Return the kind of camera file at ``path`` from its first bytes.

    One of ``"osm-xml"``, ``"osm-pbf"``, ``"osm-bz2"``, ``"osm-gz"``, ``"overpass-json"``,
    ``"xlsx"``, ``"ods"``, ``"csv"`` (any delimited text) or a point layer kind of
    :data:`camera_map.sources.points.POINT_KINDS` (``"geojson"``, ``"kmz"``, ``"gpkg"``, …).

    Raises
    ------
    InputError
        The file does not exist.
    UnknownFormatError
        The file is of no kind camera-map reads; the message says what it looks like.
    """
    from .osm import sniff_osm

    p = Path(path)
    if not p.exists():
        raise InputError(f"camera file {str(p)!r} does not exist; expected {EXPECTED}")
    if p.is_dir():
        return "folder"
    with p.open("rb") as fh:
        head = fh.read(4096)
    if not head:
        raise UnknownFormatError(f"camera file {str(p)!r} is empty; expected {EXPECTED}")
    osm_kind = sniff_osm(p)
    if osm_kind:
        return osm_kind
    if head.startswith(b"PK\x03\x04"):
        kind = zip_kind(p)
        if kind in ("xlsx", "ods"):
            return kind
    with p.open("rb") as fh:
        point_kind = sniff_point_layer(p, fh.read(65536))
    if point_kind:
        return point_kind
    if head.startswith(b"PK\x03\x04"):
        raise UnknownFormatError(
            f"camera file {str(p)!r} is a ZIP archive but not an XLSX or ODS spreadsheet, a "
            f"KMZ or a zipped Shapefile; expected {EXPECTED}"
        )
    for magic, what in MAGIC:
        if head.startswith(magic):
            raise UnknownFormatError(
                f"camera file {str(p)!r} looks like {what}; expected {EXPECTED}")
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] in (b"{", b"["):
        raise UnknownFormatError(
            f"camera file {str(p)!r} is JSON but neither Overpass API JSON (no \"elements\" "
            "with nodes or ways) nor GeoJSON (no Feature or FeatureCollection); "
            f"expected {EXPECTED}"
        )
    if stripped.startswith(b"<"):
        raise UnknownFormatError(
            f"camera file {str(p)!r} is XML/HTML but not OpenStreetMap XML (no <osm> root); "
            f"expected {EXPECTED}"
        )
    if looks_binary(head):
        raise UnknownFormatError(
            f"camera file {str(p)!r} is a binary file of unknown kind; expected {EXPECTED}"
        )
    return "csv"


def read_source(path: str | os.PathLike[str], **options: Any) -> list[SourceResult]:
    """Read one file (or every camera file in a folder) into camera tables.

    ``options`` go to the FOI register reader (:func:`camera_map.sources.foi.read_register`:
    ``sheet``, ``encoding``, ``delimiter``, ``crs``, ``mapping``, ``units``,
    ``default_municipality``, ``document``); OSM readers take none.
    """
    p = Path(path)
    kind = detect_kind(p)
    if kind == "folder":
        files = camera_files(p)
        if not files:
            raise InputError(f"folder {str(p)!r} holds no camera files; expected {EXPECTED}")
        return [r for f in files for r in read_source(f, **options)]
    if kind.startswith("osm") or kind == "overpass-json":
        from .osm import read_osm

        res = read_osm(p)
        return [SourceResult(p, kind, res.cameras, problems=list(res.problems),
                             rows_read=len(res.cameras), attribution=[res.attribution])]
    from .foi import read_register

    given = {k: v for k, v in options.items() if v is not None}
    if kind in POINT_KINDS:
        from .points import read_point_layer

        reg = read_point_layer(p, kind=kind, **given)
    else:
        reg = read_register(p, **given)
    return [SourceResult(p, kind, reg.cameras, rejected=reg.rejected_rows,
                         problems=list(reg.problems), rows_read=reg.rows_read,
                         details={"needs_geocoding": reg.needs_geocoding,
                                  "columns": reg.columns}, register=reg)]


def camera_files(path: str | os.PathLike[str]) -> list[Path]:
    """The files an input stands for: itself, or a folder's camera files in name order."""
    p = Path(path)
    if not p.is_dir():
        return [p]
    return sorted(f for f in p.iterdir() if f.is_file() and not f.name.startswith(".")
                  and _is_candidate(f))


def _is_candidate(f: Path) -> bool:
    """Files in a folder worth reading: known suffixes, not READMEs or notes."""
    name = f.name.lower()
    if name.startswith("readme") or name.endswith((".md", ".toml")):
        return False
    if name.endswith((".js", ".zip")):  # scripts and archives of a web map folder: only data
        with f.open("rb") as fh:
            return sniff_point_layer(f, fh.read(65536)) is not None
    return any(name.endswith(s) for s in _SUFFIXES)


def read_sources(paths: Sequence[str | os.PathLike[str]], **options: Any) -> list[SourceResult]:
    """Read several inputs; every file that cannot be read is reported in one error."""
    results: list[SourceResult] = []
    failures: list[InputError] = []
    for path in paths:
        try:
            results.extend(read_source(path, **options))
        except InputError as exc:
            failures.append(exc)
    if len(failures) == 1:
        raise failures[0]
    if failures:
        raise InputError(f"{len(failures)} camera files could not be read",
                         [Problem(str(e)) for e in failures])
    return results


def check_source(path: str | os.PathLike[str], **options: Any) -> Any:
    """Read one file as :func:`read_source` would and report on it (``camera-map check``).

    Registers and point layers give a :class:`camera_map.sources.foi.CheckReport` (columns, what
    was inferred and why, problems, rejected rows); OpenStreetMap files a short one.
    """
    from .foi import CheckReport

    p = Path(path)
    if p.is_dir():
        raise InputError(f"{p}: check reads one file at a time; give a file, not a folder")
    [result] = read_source(p, **options)
    if result.register is not None:
        return CheckReport(result.register)
    return _OsmCheck(result)


@dataclass
class _OsmCheck:
    result: SourceResult
    ok: bool = True

    def format(self) -> str:
        r = self.result
        lines = [f"{r.path.name}: {r.kind} (OpenStreetMap), {len(r.cameras):,} camera objects"]
        if r.problems:
            lines.append(f"Problems ({len(r.problems)}):")
            lines.extend(f"  {p}" for p in r.problems)
        return "\n".join(lines)
