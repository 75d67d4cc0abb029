"""The options of every map camera-map draws, defined once.

:class:`Look` (what a map shows, how it is classified, in which language) is shared by the
page (:func:`camera_map.render.render_map`), the town page
(:func:`camera_map.render.town.render_town`) and print
(:func:`camera_map.render.static.render_png`); :class:`MapOptions` adds what only a page has.
Those functions take the options as keywords (``render_map(..., metric="cameras",
lang="sr-Cyrl")``) and hand them here unchanged, so each default is written once; an unknown
keyword is refused as by any function call.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

#: ``tiles`` default: no tiled base map on a self-contained page, OpenStreetMap otherwise.
AUTO: Final = "auto"


@dataclass(kw_only=True)
class Look:
    """What a map shows and how.

    Attributes
    ----------
    lang
        ``en``, ``sr-Latn`` or ``sr-Cyrl``.
    metric
        Metric shown (first): ``cameras_per_1000``, ``cameras_per_km2`` or ``cameras``.
    scheme, k
        mapclassify scheme (any name in :data:`camera_map.render.SCHEMES`, underscores
        allowed) and number of classes.
    data_date
        Date of the data ("2024-05-01"), shown under the title.
    """

    lang: str = "en"
    metric: str = "cameras_per_1000"
    scheme: str = "fisher_jenks"
    k: int = 5
    data_date: str | None = None


@dataclass(kw_only=True)
class MapOptions(Look):
    """Everything a page with a map needs besides the data.

    Attributes
    ----------
    title
        Shown on the map and as the page title.
    attribution
        Every attribution the data require; OpenStreetMap's is added when OSM cameras or
        an OSM base map are shown and no string mentions OpenStreetMap.
    tiles
        xyzservices provider name of a tiled base map, or None for none. ``"auto"``: none
        when self-contained, else OpenStreetMap.Mapnik.
    self_contained
        Inline every script and stylesheet; the page then makes no request to any other
        host (unless ``tiles`` names a base map explicitly).
    town_links
        Link each unit's popup to ``towns/<slug>.html``.
    height
        CSS height of the map; ``"100%"`` fills the window.
    cone_length_m
        Length of a camera's view cone, in metres.
    focus
        Ids of the units a town page is about: drawn emphasised, their neighbours faded.
    basemap
        OSM extract the offline base map is made from (roads, railways, water, place names
        around the drawn cameras; see :mod:`camera_map.render.basemap`), or None.
    context
        Figures about the whole country that belong to no unit
        (:func:`camera_map.render.popups.context_payload`).
    """

    title: str
    attribution: list[str]
    tiles: str | None = AUTO
    self_contained: bool = True
    town_links: bool = False
    height: str = "100%"
    cone_length_m: float = 30.0
    focus: list[str] | None = None
    basemap: str | Path | None = None
    context: list[dict[str, str]] | None = None
