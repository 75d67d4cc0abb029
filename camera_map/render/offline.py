"""Make a map page self-contained: every script and stylesheet inlined, no other host.

The page (:mod:`camera_map.render.page`) links Leaflet, Leaflet.markercluster and
leaflet-heat from their CDNs, so that it also works as a small online page. For an offline
reader this module rewrites the HTML: each ``<script src>`` and ``<link rel="stylesheet">``
pointing at one of those libraries is replaced by the file's content, read from the xstatic
packages (xstatic-leaflet 1.9.3.0, xstatic-leaflet-markercluster) and from folium's
``templates/`` folder (the leaflet-heat plugin). Images referenced from those stylesheets
and Leaflet's default marker icons become ``data:`` URIs.

Anything else that would still load a script or stylesheet from the network makes
:func:`inline_resources` raise, so a page that claims to be self-contained never silently
is not.
"""

from __future__ import annotations

import base64
import functools
import importlib.util
import re
from pathlib import Path
from typing import Final

from ..errors import CameraMapError


class SelfContainedError(CameraMapError, RuntimeError):
    """A page meant to be self-contained still refers to a script or stylesheet online."""


def _package_dir(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise SelfContainedError(
            f"package {module!r} is not installed; it provides files that a self-contained "
            f"map inlines. Install it (pip install {module.replace('.', '-').replace('-pkg', '')})"
            " or build the map with self_contained=False"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def _xstatic(name: str, file: str) -> Path:
    return _package_dir(f"xstatic.pkg.{name}") / "data" / file


def _folium_template(file: str) -> Path:
    return _package_dir("folium") / "templates" / file


# (pattern matched against the URL, where the file lives). Checked in order.
_JS: Final[list[tuple[re.Pattern[str], tuple[str, str, str]]]] = [
    (re.compile(r"markercluster[^/]*\.js$"), ("xstatic", "leaflet_markercluster",
                                               "leaflet.markercluster.js")),
    (re.compile(r"/leaflet(@[\d.]+)?/dist/leaflet\.js$|/leaflet(\.min)?\.js$"),
     ("xstatic", "leaflet", "leaflet.js")),
    (re.compile(r"leaflet_heat\.min\.js$"), ("folium", "", "leaflet_heat.min.js")),
]  # fmt: skip
_CSS: Final[list[tuple[re.Pattern[str], tuple[str, str, str]]]] = [
    (re.compile(r"MarkerCluster\.Default\.css$"), ("xstatic", "leaflet_markercluster",
                                                     "MarkerCluster.Default.css")),
    (re.compile(r"MarkerCluster\.css$"), ("xstatic", "leaflet_markercluster",
                                          "MarkerCluster.css")),
    (re.compile(r"/leaflet(@[\d.]+)?/dist/leaflet\.css$|/leaflet\.css$"),
     ("xstatic", "leaflet", "leaflet.css")),
]  # fmt: skip

_SCRIPT_SRC = re.compile(
    r"""<script\b[^>]*\bsrc\s*=\s*["']([^"']+)["'][^>]*>\s*</script>""", re.IGNORECASE
)
_LINK_TAG = re.compile(r"<link\b[^>]*>", re.IGNORECASE)
_HREF = re.compile(r"""\bhref\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_REMOTE = re.compile(r"^(?:https?:)?//", re.IGNORECASE)
_CSS_URL = re.compile(r"""url\(\s*(['"]?)(images/[^'")]+)\1\s*\)""")


def _resolve(kind: str, a: str, b: str) -> Path:
    return _xstatic(a, b) if kind == "xstatic" else _folium_template(b)


@functools.lru_cache(maxsize=32)
def _read_text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def data_uri(path: Path, mime: str = "image/png") -> str:
    """Return the file at ``path`` as a base64 ``data:`` URI."""
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _script_body(text: str) -> str:
    # A literal "</script" inside an inlined library would end the element early.
    return re.sub(r"</(script)", r"<\\/\1", text, flags=re.IGNORECASE)


def _style_body(text: str, base: Path) -> str:
    def repl(match: re.Match[str]) -> str:
        img = base / match.group(2)
        return f'url("{data_uri(img)}")' if img.exists() else match.group(0)

    text = _CSS_URL.sub(repl, text)
    return re.sub(r"</(style)", r"<\\/\1", text, flags=re.IGNORECASE)


def leaflet_icon_script() -> str:
    """Return JavaScript that points ``L.Icon.Default`` at inlined marker images.

    With leaflet.css inlined Leaflet can no longer derive its image folder from the
    stylesheet's URL, so default markers would request ``marker-icon.png`` from nowhere.
    """
    images = _xstatic("leaflet", "images")
    return (
        "if (window.L && L.Icon && L.Icon.Default) {"
        'L.Icon.Default.imagePath = "";'
        "L.Icon.Default.mergeOptions({"
        f'iconUrl: "{data_uri(images / "marker-icon.png")}",'
        f'iconRetinaUrl: "{data_uri(images / "marker-icon-2x.png")}",'
        f'shadowUrl: "{data_uri(images / "marker-shadow.png")}"'
        "});}"
    )


def _inline_script(url: str) -> str | None:
    for pattern, (kind, a, b) in _JS:
        if pattern.search(url):
            path = _resolve(kind, a, b)
            body = _script_body(_read_text(path))
            if b == "leaflet.js":
                body += "\n" + leaflet_icon_script()
            return f"<script>/* {b} (inlined) */\n{body}\n</script>"
    return None


def _inline_style(url: str) -> str | None:
    for pattern, (kind, a, b) in _CSS:
        if pattern.search(url):
            path = _resolve(kind, a, b)
            return (
                f"<style>/* {b} (inlined) */\n{_style_body(_read_text(path), path.parent)}</style>"
            )
    return None


def inline_resources(html: str) -> str:
    """Return ``html`` with every known script and stylesheet inlined.

    Parameters
    ----------
    html
        A page written by :mod:`camera_map.render.page`.

    Returns
    -------
    str
        The page with ``<script src>`` and ``<link rel="stylesheet">`` tags for Leaflet,
        Leaflet.markercluster and leaflet-heat replaced by inline elements, and a ``data:``
        favicon added (so browsers do not request ``/favicon.ico``).

    Raises
    ------
    SelfContainedError
        If a script or stylesheet would still be loaded from another host.
    """

    def script(match: re.Match[str]) -> str:
        url = match.group(1)
        if not _REMOTE.match(url):
            return match.group(0)
        inlined = _inline_script(url)
        return inlined if inlined is not None else match.group(0)  # else reported below

    def link(match: re.Match[str]) -> str:
        tag = match.group(0)
        href = _HREF.search(tag)
        if href is None or not _REMOTE.match(href.group(1)):
            return tag
        if "stylesheet" not in tag.lower():
            return tag
        inlined = _inline_style(href.group(1))
        return inlined if inlined is not None else tag

    html = _SCRIPT_SRC.sub(script, html)
    html = _LINK_TAG.sub(link, html)
    if 'rel="icon"' not in html:
        html = html.replace("<head>", '<head>\n<link rel="icon" href="data:,">', 1)
    check_self_contained(html)
    return html


def remote_resources(html: str) -> list[str]:
    """Return the URLs of scripts and stylesheets in ``html`` that live on another host."""
    found = [m.group(1) for m in _SCRIPT_SRC.finditer(html) if _REMOTE.match(m.group(1))]
    for tag in _LINK_TAG.findall(html):
        href = _HREF.search(tag)
        if href and _REMOTE.match(href.group(1)) and "stylesheet" in tag.lower():
            found.append(href.group(1))
    found += re.findall(r"""@import\s+(?:url\()?\s*['"]?((?:https?:)?//[^'")\s]+)""", html)
    return found


def check_self_contained(html: str) -> None:
    """Raise :class:`SelfContainedError` if ``html`` loads a script or stylesheet online."""
    remote = remote_resources(html)
    if remote:
        raise SelfContainedError(
            "the map is meant to be self-contained but still loads "
            f"{len(remote)} resource(s) from other hosts: {', '.join(sorted(set(remote)))}. "
            "camera-map only knows how to inline Leaflet, Leaflet.markercluster and "
            "leaflet-heat; build with self_contained=False to link the rest from CDNs"
        )
