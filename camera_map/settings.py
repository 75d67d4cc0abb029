"""Settings in one place: folders, endpoints, timeouts and the User-Agent.

Change them at run time (``camera_map.settings.overpass_url = ...``) or through the
environment variables named below; CLI flags override them for one run. Modules read these
values when they run, never at import time, so a change takes effect immediately.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from ._version import __version__


def _env_seconds(name: str, default: float | None) -> float | None:
    """Seconds from the environment variable ``name``; ``default`` when unset or unreadable.

    Accepts what ``--max-age`` and ``--timeout`` accept: ``90``, ``30s``, ``15m``, ``12h``,
    ``1d``, ``2w``, or ``none`` (no limit).
    """
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return parse_seconds(raw)
    except ValueError as exc:
        logging.getLogger(__name__).warning("%s=%r: %s; using %s", name, raw, exc, default)
        return default


_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}


def parse_seconds(text: str) -> float | None:
    """Read a duration: ``90`` (seconds), ``30s``, ``15m``, ``12h``, ``1d``, ``2w`` or ``none``.

    >>> parse_seconds("12h"), parse_seconds("90"), parse_seconds("none")
    (43200.0, 90.0, None)
    >>> parse_seconds("soon")
    Traceback (most recent call last):
    ValueError: 'soon' is not a duration; expected seconds or a number with a unit, e.g. ...

    Raises
    ------
    ValueError
        Not a non-negative number with an optional unit; the message shows examples.
    """
    value = text.strip().lower()
    if value in ("none", "never", "inf", "forever"):
        return None
    unit = _UNITS.get(value[-1:])
    number = value[:-1] if unit is not None else value
    try:
        seconds = float(number) * (unit or 1.0)
    except ValueError:
        seconds = float("nan")
    if not seconds >= 0 or seconds == float("inf"):
        raise ValueError(f"{text!r} is not a duration; expected seconds or a number with a "
                         "unit, e.g. 90, 30s, 15m, 12h, 1d, 2w, or none")
    return seconds


def _env_int(name: str, default: int) -> int:
    """An integer from the environment variable ``name``; ``default`` when unset or empty."""
    raw = os.environ.get(name, "").strip().replace("_", "")
    return int(raw) if raw else default


#: Folder of the bundled data layers, shipped inside the package (``camera_map/data/layers``;
#: each layer's sources and the script that made it are in the repository's ``layers/``).
#: Override with ``CAMERA_MAP_LAYERS`` to use layers of your own.
layers_dir: Path = Path(
    os.environ.get("CAMERA_MAP_LAYERS", Path(__file__).resolve().parent / "data" / "layers")
)

#: Name of the bundled layer that ``camera-map build`` uses without ``--boundaries``.
default_layer: str = "serbia"

#: Where outputs land by default.
output_dir: Path = Path(os.environ.get("CAMERA_MAP_OUTPUT", "output"))

#: On-disk cache of HTTP responses (Overpass, Nominatim).
cache_dir: Path = Path(
    os.environ.get("CAMERA_MAP_CACHE", Path.home() / ".cache" / "camera-map")
)

#: Whether to use the on-disk cache at all.
use_cache: bool = os.environ.get("CAMERA_MAP_NO_CACHE", "") == ""

#: Overpass API interpreter endpoint.
overpass_url: str = os.environ.get(
    "CAMERA_MAP_OVERPASS_URL", "https://overpass-api.de/api/interpreter"
)

#: Nominatim base URL (search endpoint is ``{nominatim_url}/search``).
nominatim_url: str = os.environ.get(
    "CAMERA_MAP_NOMINATIM_URL", "https://nominatim.openstreetmap.org"
)

#: Seconds between Nominatim requests (its usage policy: at most one per second), held by
#: every process on the machine: the pause runs from the end of one request to the start of
#: the next, through a lock file in ``cache_dir / "throttle"``.
nominatim_min_delay: float = 1.0

#: Seconds to wait for one try of a request (to connect, and for each read). Environment:
#: ``CAMERA_MAP_TIMEOUT``; CLI: ``--timeout``.
timeout: float = _env_seconds("CAMERA_MAP_TIMEOUT", 180.0) or 180.0

#: Seconds one request may take in all, its tries and the pauses between them included;
#: no try starts, and no try waits, past it. Environment: ``CAMERA_MAP_DEADLINE``.
deadline: float = _env_seconds("CAMERA_MAP_DEADLINE", 300.0) or 300.0

#: Oldest cached Overpass answer used, in seconds (``None``: any age). Environment:
#: ``CAMERA_MAP_MAX_AGE``; CLI: ``--max-age``. OpenStreetMap changes every minute.
overpass_max_age: float | None = _env_seconds("CAMERA_MAP_MAX_AGE", 86400.0)

#: Oldest cached Nominatim answer used, in seconds (``None``: any age). Addresses move
#: rarely, and a long geocoding run resumes from these answers.
nominatim_max_age: float | None = 30 * 86400.0

#: How many times a failed request is tried in all (429, 5xx, timeouts, resets).
max_tries: int = 4

#: First back-off pause in seconds; doubles with every retry.
backoff: float = 2.0

#: User-Agent sent with every request, as the Overpass and Nominatim usage policies ask.
user_agent: str = f"camera-map/{__version__} (+https://github.com/camera-map/camera-map)"

#: Equal-area CRS for areas (km²) of user-supplied boundaries. ``None`` (the default) uses a
#: Lambert azimuthal equal-area projection centred on the boundaries, which keeps areas
#: exact anywhere on Earth; set e.g. ``"EPSG:3035"`` to match a national statistic.
equal_area_crs: str | None = None

# --- limits on what an input file declares -------------------------------------------------
# Files come from strangers: a few bytes can declare a million rows, a cell repeated 16 G
# times, or gigabytes of compressed blank space. Every reader checks these limits *before*
# it materialises anything, and exceeding one is an InputError that names the file and the
# limit (and the setting to raise). Each can be set here or through the environment
# variable named; the defaults are far above any real FOI register or camera extract.

#: Bytes of one text register (CSV/TSV), and of the decompressed XML of one XLSX/ODS
#: workbook (every part summed) (``CAMERA_MAP_MAX_TABLE_BYTES``).
max_table_bytes: int = _env_int("CAMERA_MAP_MAX_TABLE_BYTES", 256 * 2**20)

#: Rows of one sheet or text register, counting the last filled row
#: (``CAMERA_MAP_MAX_ROWS``; a spreadsheet program shows at most 1,048,576).
max_rows: int = _env_int("CAMERA_MAP_MAX_ROWS", 1_048_576)

#: Columns of one sheet or text register, counting the last filled column
#: (``CAMERA_MAP_MAX_COLUMNS``).
max_columns: int = _env_int("CAMERA_MAP_MAX_COLUMNS", 1_000)

#: Cells of one workbook after expanding repeated cells and rows
#: (``CAMERA_MAP_MAX_CELLS``).
max_cells: int = _env_int("CAMERA_MAP_MAX_CELLS", 20_000_000)

#: Characters in one cell (``CAMERA_MAP_MAX_CELL_CHARS``; Excel's own limit is 32,767).
max_cell_chars: int = _env_int("CAMERA_MAP_MAX_CELL_CHARS", 32_767)

#: Characters in one line of a text register (``CAMERA_MAP_MAX_LINE_CHARS``).
max_line_chars: int = _env_int("CAMERA_MAP_MAX_LINE_CHARS", 1_000_000)

#: Decompressed size of compressed OSM XML (``.osm.bz2``, ``.osm.gz``) as a multiple of
#: the compressed size, once past :data:`compressed_floor_bytes`
#: (``CAMERA_MAP_MAX_COMPRESSION_RATIO``). Real OSM XML compresses 10-20 times; a
#: "zip bomb" of blank space, hundreds to thousands of times.
max_compression_ratio: int = _env_int("CAMERA_MAP_MAX_COMPRESSION_RATIO", 100)

#: Decompressed bytes always allowed, whatever the ratio (``CAMERA_MAP_COMPRESSED_FLOOR_BYTES``).
compressed_floor_bytes: int = _env_int("CAMERA_MAP_COMPRESSED_FLOOR_BYTES", 64 * 2**20)

#: Bytes of one JSON file (Overpass answers) (``CAMERA_MAP_MAX_JSON_BYTES``).
max_json_bytes: int = _env_int("CAMERA_MAP_MAX_JSON_BYTES", 1024 * 2**20)
# (JSON nested deeper than Python's parser goes, about 1,000 levels, is refused as such.)
