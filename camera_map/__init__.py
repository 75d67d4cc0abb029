"""camera-map: surveillance-camera densities per municipality, from FOI replies, tenders and OSM.

The pipeline, one module per stage::

    sources -> normalise (table) -> geocode -> merge -> join -> metrics -> render / export

:func:`build` runs all of it; every stage is usable on its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from .layers import Layer, layer_from_files, load_layer
    from .pipeline import Analysis, BuildResult, analyse, build
    from .sources import read_source

__all__ = ["Analysis", "BuildResult", "Layer", "__version__", "analyse", "build",
           "layer_from_files", "load_layer", "read_source"]

_LAZY = {
    "build": "pipeline", "BuildResult": "pipeline", "analyse": "pipeline",
    "Analysis": "pipeline", "Layer": "layers", "load_layer": "layers",
    "layer_from_files": "layers", "read_source": "sources",
}  # fmt: skip


def __getattr__(name: str) -> Any:
    """Import the heavy modules (geopandas, folium) only when they are used."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'camera_map' has no attribute {name!r}")
