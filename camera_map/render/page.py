"""The HTML document of the map and the town page, written without a template engine.

Data reach the page only as one JSON object in ``<script type="application/json">``
(serialised by :func:`camera_map.render.script_json`, so no value can end the element) and
as text that Python escaped with :func:`html.escape`. Nothing from an input is ever parsed
as a template: a register cell reading ``{{ 7*7 }}`` shows as ``{{ 7*7 }}``. Element ids are
fixed, so the same inputs give a byte-identical page.

Scripts and stylesheets are linked from their CDNs and then inlined from installed packages
by :func:`camera_map.render.offline.inline_resources` when the page is self-contained.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from importlib import resources
from typing import Final

from .contract import UNIT_COLOURS

#: Libraries the page's script uses, as the CDN URLs that :mod:`camera_map.render.offline` inlines.
LEAFLET_CSS: Final = "https://unpkg.com/leaflet@1.9.3/dist/leaflet.css"
LEAFLET_JS: Final = "https://unpkg.com/leaflet@1.9.3/dist/leaflet.js"
CLUSTER_CSS: Final = (
    "https://unpkg.com/leaflet.markercluster@1.4.1/dist/MarkerCluster.css",
    "https://unpkg.com/leaflet.markercluster@1.4.1/dist/MarkerCluster.Default.css",
)
CLUSTER_JS: Final = "https://unpkg.com/leaflet.markercluster@1.4.1/dist/leaflet.markercluster.js"
HEAT_JS: Final = (
    "https://cdn.jsdelivr.net/gh/python-visualization/folium@main/folium/templates/"
    "leaflet_heat.min.js"
)

_BASE_CSS: Final = """html, body { width: 100%; height: 100%; margin: 0; padding: 0; }
.cm-map-full { position: absolute; top: 0; bottom: 0; left: 0; right: 0; }
.leaflet-container { font-size: 1rem; }"""

# the fill of units without evidence (colours: camera_map.render.contract)
_HATCH: Final = f"""<svg width="0" height="0" style="position:absolute" aria-hidden="true"><defs>
<pattern id="cm-hatch" width="6" height="6" patternUnits="userSpaceOnUse"
 patternTransform="rotate(45)"><rect width="6" height="6" fill="{UNIT_COLOURS['noData']}"/>
 <line x1="0" y1="0" x2="0" y2="6" stroke="{UNIT_COLOURS['noDataHatch']}" stroke-width="2"/>\
</pattern>
</defs></svg>"""


def asset(name: str) -> str:
    """Return the text of ``camera_map/data/<name>`` (the page's own script and style)."""
    return resources.files("camera_map").joinpath("data", name).read_text(encoding="utf-8")


def _script_text(text: str) -> str:
    # a literal "</script" in a script would end the element early
    return text.replace("</", "<\\/")


@dataclass
class Page:
    """One HTML document holding a map.

    Attributes
    ----------
    title
        Plain text (escaped here) for ``<title>``.
    lang
        BCP 47 tag for ``<html lang>``.
    data_json
        The map's data, already serialised with :func:`camera_map.render.script_json`.
    map_height
        CSS height of the map; ``"100%"`` makes the map fill the window.
    before_map, after_map
        HTML around the map, already escaped by the caller (the town page's facts).
    extra_css
        Static stylesheets (never data).
    """

    title: str
    lang: str
    data_json: str
    map_height: str = "100%"
    before_map: str = ""
    after_map: str = ""
    extra_css: list[str] = field(default_factory=list)

    def render(self) -> str:
        """Return the document (scripts and styles linked; see :func:`page_document`)."""
        full = self.map_height == "100%"
        style = "" if full else f' style="height:{html.escape(self.map_height, quote=True)}"'
        cls = "cm-map cm-map-full" if full else "cm-map"
        css = [_BASE_CSS, asset("map.css"), *self.extra_css]
        parts = [
            "<!DOCTYPE html>",
            f'<html lang="{html.escape(self.lang, quote=True)}">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1.0">',
            '<link rel="icon" href="data:,">',
            f"<title>{html.escape(self.title)}</title>",
            f'<link rel="stylesheet" href="{LEAFLET_CSS}">',
            *(f'<link rel="stylesheet" href="{u}">' for u in CLUSTER_CSS),
            *(f"<style>{_script_text(c)}</style>" for c in css),
            "</head>",
            "<body>",
            _HATCH,
            self.before_map,
            f'<div id="cm-map" class="{cls}"{style}></div>',
            self.after_map,
            f'<script src="{LEAFLET_JS}"></script>',
            f'<script src="{CLUSTER_JS}"></script>',
            f'<script src="{HEAT_JS}"></script>',
            f'<script id="cm-data" type="application/json">{self.data_json}</script>',
            f"<script>{_script_text(asset('map.js'))}\ncameraMapStart();</script>",
            "</body>",
            "</html>",
            "",
        ]
        return "\n".join(parts)


def page_document(page: Page, *, self_contained: bool) -> str:
    """Return ``page`` as HTML; with ``self_contained`` every library is inlined."""
    from .offline import check_self_contained, inline_resources

    text = page.render()
    if self_contained:
        text = inline_resources(text)
        check_self_contained(text)
    return text

