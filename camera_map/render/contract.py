"""What the map page's data and its script (``camera_map/data/map.js``) agree on.

The page's JSON config (:func:`camera_map.render.map_config`) and the script that draws it
share bit flags, class numbers, colours and the names of fields. They are defined here,
once: Python writes the payload with these constants, and :func:`page_contract` hands the
same values to the script as ``cfg.contract``, from which map.js reads every one of them
(it holds no number or colour of its own for them). The printed map
(:mod:`camera_map.render.static`) and the page's hatch pattern
(:mod:`camera_map.render.page`) use the same colours. ``tests/test_browser_contract.py``
runs map.js in Chromium with a payload and checks that it decodes each flag and class as
Python meant.

The config, as the script reads it
-----------------------------------
``cfg.cameras`` (:func:`camera_map.render.payload.camera_payload`), one entry per marker:

- ``n`` markers; ``lat``/``lon`` integers, degrees × ``scale``;
- ``flags``: an integer per marker, the sum of the :data:`CAMERA_FLAGS` bits that apply
  (``fr`` 1: face recognition; ``alpr`` 2: number-plate reader);
- ``fields``: the popup fields present, in order; ``cols[field]`` is either
  ``{"d": [values], "i": [index + 1 per marker, 0 for none]}`` or ``{"v": [value per
  marker]}``; the filters read the :data:`FILTER_FIELDS` columns;
- ``cone``: index into ``cones`` per marker (0: none); a cone is ``"c"`` (all round) or a
  list of ``[start, width]`` bearings in degrees;
- on an aggregated page: ``w`` cameras per marker, ``cellMetres``, ``heatMax``.

``cfg.units`` is a GeoJSON FeatureCollection; each feature's properties are ``id``, ``c``
(class per metric: ``0 … k-1``, :data:`NO_EVIDENCE` or :data:`UNKNOWN_FIGURE`), ``g``
(shows its city's figure), ``t``/``p`` (tooltip and popup HTML, escaped in Python) and the
navigation keys ``n``, ``s``, ``k``, ``r``, ``top``, ``l``
(:func:`camera_map.render.navigation.unit_navigation`).
"""

from __future__ import annotations

from typing import Any, Final

#: Class of a unit with no evidence at all: hatched, "no data — not zero".
NO_EVIDENCE: Final = -1
#: Class of a unit with evidence but no computable figure (e.g. population unknown).
UNKNOWN_FIGURE: Final = -2

#: Bits of a camera's ``flags``: what it can do beyond filming.
CAMERA_FLAGS: Final[dict[str, int]] = {"fr": 1, "alpr": 2}

#: Marker colour of a camera: the first of its flags in this order, else ``other``.
CAMERA_COLOURS: Final[dict[str, str]] = {"fr": "#d7191c", "alpr": "#7b3294",
                                         "other": "#2c7bb6"}

#: Colours of units beside the class colours (page, legend and print).
UNIT_COLOURS: Final[dict[str, str]] = {
    "noData": "#e0e0e0",       # fill of a unit without evidence, under the hatch
    "noDataHatch": "#8c8c8c",  # its hatch lines and edge
    "unknown": "#bdbdbd",      # fill of a unit whose figure is unknown
    "edge": "#555",            # outline of a unit
    "groupEdge": "#222",       # outline of a unit that shows its city's figure (dashed)
}

#: Popup columns the filters read: (filter key, column of ``cfg.cameras.cols``).
FILTER_FIELDS: Final[dict[str, str]] = {"vendor": "manufacturer", "source": "source"}


def page_contract() -> dict[str, Any]:
    """The constants above as the page's ``cfg.contract`` (JSON-ready)."""
    return {
        "klass": {"noEvidence": NO_EVIDENCE, "unknown": UNKNOWN_FIGURE},
        "flags": dict(CAMERA_FLAGS),
        "cameraColours": dict(CAMERA_COLOURS),
        "unitColours": dict(UNIT_COLOURS),
        "filterFields": dict(FILTER_FIELDS),
    }
