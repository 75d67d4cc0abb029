"""Settings in one place: folders, endpoints, timeouts and the User-Agent.

Change them at run time (``camera_map.settings.overpass_url = ...``) or through the
environment variables named below; CLI flags override them for one run. Modules read these
values when they run, never at import time, so a change takes effect immediately.
"""

from __future__ import annotations

import os
from pathlib import Path

from ._version import __version__

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

#: Seconds between Nominatim requests (its usage policy: at most one per second).
nominatim_min_delay: float = 1.0

#: HTTP timeout in seconds for one request.
timeout: float = 180.0

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
