"""camera-map: surveillance-camera densities per municipality, from FOI replies, tenders and OSM.

The pipeline, one module per stage::

    sources -> normalise (table) -> geocode -> merge -> join -> metrics -> render / export

:func:`build` runs all of it; every stage is usable on its own.
"""

from __future__ import annotations

__version__ = "0.1.0"
