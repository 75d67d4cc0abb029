"""The printed map (``map.png``, ``map.svg``, ``map.pdf``): the choropleth for print.

Drawn with geopandas on a matplotlib :class:`~matplotlib.figure.Figure` (no pyplot global
state, the Agg canvas, so it works without a display), in a UTM projection chosen for the
data so that shapes are not stretched. Classes and colours are the interactive map's
(:func:`camera_map.render.classify`); units without evidence are hatched grey and labelled
"no data — no evidence found, not zero". The top units are named on the map, the legend is
one column (beside the map on a landscape page, under it on a portrait one) and the credit
line names the camera sources besides boundaries and population.

Any size: :func:`print_size` reads ``2400x1600`` (pixels), ``2400x1600@300`` (pixels at a
DPI) or a paper size such as ``A4@300`` / ``A3-landscape@150``. Text from the data is never
parsed as mathtext; SVG keeps text as text; files carry no date, so the same data give the
same bytes.
"""

from __future__ import annotations

import io
import logging
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import geopandas as gpd

from .._io import write_bytes_atomic
from ..errors import InputError
from . import i18n, prepare_units
from .classes import check_metric, classify
from .contract import NO_EVIDENCE, UNIT_COLOURS, UNKNOWN_FIGURE
from .options import Look

logger = logging.getLogger(__name__)

#: Formats the printed map is written in, chosen by the file's suffix.
FORMATS: Final = ("png", "svg", "pdf")
# no dates or versions in the file: the same data give the same bytes
_METADATA: Final[dict[str, dict[str, Any]]] = {
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "Creator": None, "Producer": None},
}


#: Paper sizes in millimetres (portrait).
PAPER_MM: Final[dict[str, tuple[float, float]]] = {
    "a5": (148, 210), "a4": (210, 297), "a3": (297, 420), "a2": (420, 594),
    "letter": (215.9, 279.4), "tabloid": (279.4, 431.8),
}  # fmt: skip
DEFAULT_DPI: Final = 200
#: Units named on the printed map, highest figure first.
TOP_LABELS: Final = 10
_SIZE = re.compile(r"^\s*(\d{2,5})\s*[x×]\s*(\d{2,5})\s*(?:@\s*(\d{2,4})\s*(?:dpi)?)?\s*$", re.I)
_PAPER = re.compile(
    r"^\s*([a-z]+\d?)(?:[\s_-]*(portrait|landscape|p|l))?\s*(?:@\s*(\d{2,4})\s*(?:dpi)?)?\s*$",
    re.I,
)
_MAX_PIXELS: Final = 10_000 * 10_000


def print_size(text: str) -> tuple[int, int, int]:
    """Return (width px, height px, dpi) from ``2400x1600``, ``2400x1600@300`` or ``A4@300``.

    Paper sizes (A5–A2, letter, tabloid) are portrait unless followed by ``landscape``
    (``A4-landscape@300``); without ``@DPI`` they are at 200 dpi.

    Raises
    ------
    InputError
        The text is neither, or the picture would be smaller than 200 or larger than
        10,000 pixels a side.
    """
    m = _SIZE.match(text)
    if m:
        w, h, dpi = int(m.group(1)), int(m.group(2)), int(m.group(3) or DEFAULT_DPI)
    else:
        m = _PAPER.match(text)
        if not m or m.group(1).lower() not in PAPER_MM:
            raise InputError(
                f"print size {text!r} is not understood; give pixels (2400x1600, or "
                f"2400x1600@300 for 300 dpi) or a paper size at a DPI ({', '.join(PAPER_MM)}, "
                "e.g. A4@300 or A4-landscape@300)"
            )
        mm_w, mm_h = PAPER_MM[m.group(1).lower()]
        if (m.group(2) or "").lower() in ("landscape", "l"):
            mm_w, mm_h = mm_h, mm_w
        dpi = int(m.group(3) or DEFAULT_DPI)
        w, h = round(mm_w / 25.4 * dpi), round(mm_h / 25.4 * dpi)
    if not (50 <= dpi <= 1200):
        raise InputError(f"print size {text!r}: {dpi} dpi is outside 50–1200")
    if min(w, h) < 200 or max(w, h) > 10_000:
        raise InputError(f"print size {text!r} gives {w}×{h} pixels; each side must be "
                         "200–10,000 pixels")
    return w, h, dpi


def camera_credit(cameras: Any, lang: str = "en", *, most: int = 3) -> str | None:
    """Return one credit line naming the camera sources (kinds and their documents).

    ``"Cameras: foi (2 documents: a.pdf, b.pdf); osm (221)"``. None without cameras.
    """
    import pandas as pd

    if cameras is None or len(cameras) == 0 or "source" not in cameras:
        return None
    src = cameras["source"].astype("string").fillna("?")
    docs = (cameras["document"].astype("string") if "document" in cameras
            else pd.Series(pd.NA, index=cameras.index, dtype="string"))
    from ..table import is_located
    from . import kind_text

    # located cameras are counted; count rows are figures, which are never added up (a
    # contracted total and an installed count describe the same cameras)
    located = is_located(cameras)
    parts = []
    for kind in sorted(set(src.tolist())):
        sel = src == kind
        named = sorted({str(d) for d in docs[sel].dropna().tolist() if str(d).strip()})
        bits = []
        n_located, n_figures = int((sel & located).sum()), int((sel & ~located).sum())
        if n_located:
            bits.append(i18n.text("print.located", lang, n=i18n.fmt_number(n_located, lang)))
        if n_figures:
            bits.append(i18n.text("print.figures", lang, n=i18n.fmt_number(n_figures, lang)))
        text = f"{kind_text(kind, lang) or kind} ({', '.join(bits)}"
        if named:
            shown = ", ".join(textwrap.shorten(d, 90, placeholder="…") for d in named[:most])
            more = f", +{len(named) - most}" if len(named) > most else ""
            text += f"; {shown}{more}"
        parts.append(text + ")")
    return i18n.text("print.cameras", lang, sources="; ".join(parts))


def print_format(path: str | Path) -> str:
    """Return ``png``, ``svg`` or ``pdf`` from the suffix of ``path``, or raise InputError."""
    fmt = Path(path).suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise InputError(
            f"cannot write the printed map as {Path(path).name!r}: the name must end in "
            + ", ".join(f".{f}" for f in FORMATS)
        )
    return fmt


def utm_crs(frame: gpd.GeoDataFrame) -> str:
    """The WGS 84 / UTM zone of the centre of ``frame`` (EPSG:4326), e.g. ``"EPSG:32634"``.

    What ``GeoDataFrame.estimate_utm_crs()`` gives, computed from the longitude instead of
    a query of the PROJ database (0.1 s of every build).
    """
    minx, miny, maxx, maxy = frame.total_bounds
    lon, lat = (minx + maxx) / 2, (miny + maxy) / 2
    zone = int((lon + 180) // 6) % 60 + 1
    return f"EPSG:{(32600 if lat >= 0 else 32700) + zone}"


@dataclass(kw_only=True)
class PrintOptions(Look):
    """What the printed map shows, beside the :class:`~camera_map.render.options.Look` of
    every map (``lang``, ``metric``, ``scheme``, ``k``, ``data_date``).

    Attributes
    ----------
    title, attribution
        Printed above and below the map; every attribution string is printed.
    size_px, dpi
        A square picture of ``size_px`` pixels at ``dpi`` (1600 px at 200 dpi is 8 × 8
        inches), unless ``size`` is given.
    size
        (width, height) in pixels (see :func:`print_size`).
    camera_sources
        The credit line of the cameras (:func:`camera_credit`), printed with the others.
    labels
        How many units to name, highest figure first (a city of several units once).
    notes
        Footnotes printed above the credits.
    """

    title: str
    attribution: Sequence[str]
    size_px: int = 1600
    dpi: int = DEFAULT_DPI
    size: tuple[int, int] | None = None
    camera_sources: str | None = None
    labels: int = TOP_LABELS
    notes: Sequence[str] = ()


def print_figure(units: gpd.GeoDataFrame, **options: Any) -> Any:
    """Return the printed choropleth as a matplotlib Figure (see :func:`render_png`).

    ``units`` is the metrics frame (see :func:`camera_map.render.render_map`); ``options``
    are the fields of :class:`PrintOptions` (``title`` and ``attribution`` required).
    The Figure is on an Agg canvas, ready to save.
    """
    opts = PrintOptions(**options)
    lang = i18n.check_lang(opts.lang)
    check_metric(opts.metric)
    width, height = opts.size if opts.size is not None else (opts.size_px, opts.size_px)
    units = prepare_units(units)
    classes = classify(units, opts.metric, scheme=opts.scheme, k=opts.k)
    projected = _projected(units, max(width, height))
    page = _Page.new(width, height, opts.dpi)
    header_bottom = page.header(opts.title, i18n.text("map.data_date", lang, date=opts.data_date)
                                if opts.data_date else None)
    footer_top = page.footer(
        [*opts.attribution, *([opts.camera_sources] if opts.camera_sources else [])],
        opts.notes)
    group = (units["evidence"] == "group").to_numpy()
    legend = page.legend_options(_legend_handles(classes, group, lang),
                                 i18n.text(f"metric.{opts.metric}", lang))
    ax = page.map_axes(legend, header_bottom, footer_top)
    _draw_units(ax, projected, classes, group)
    if opts.labels > 0 and len(projected):
        _label_top_units(ax, projected, classes.values, opts.labels, lang, 7.5 * page.pt,
                         page.renderer)
    return page.fig


def _projected(units: gpd.GeoDataFrame, pixels: int) -> gpd.GeoDataFrame:
    """``units`` in their UTM zone, simplified to a third of a pixel of a ``pixels`` wide
    picture: finer detail only costs drawing time."""
    if not len(units):
        return units
    projected = units.to_crs(utm_crs(units))
    minx, miny, maxx, maxy = projected.total_bounds
    tolerance = max(maxx - minx, maxy - miny) / pixels / 3
    return projected.set_geometry(
        projected.geometry.simplify_coverage(tolerance)
        if hasattr(projected.geometry, "simplify_coverage")
        else projected.geometry.simplify(tolerance, preserve_topology=True))


@dataclass
class _Page:
    """The figure of a printed map and its type scale, filled top (title), bottom
    (credits), then legend and map in the room left."""

    fig: Any
    renderer: Any
    width: int
    height: int
    dpi: int

    @classmethod
    def new(cls, width: int, height: int, dpi: int) -> _Page:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
        canvas = FigureCanvasAgg(fig)
        return cls(fig, canvas.get_renderer(), width, height, dpi)

    @property
    def pt(self) -> float:
        """Type scale: 8 inches on the short side is the reference."""
        return min(self.width, self.height) / self.dpi / 8

    @property
    def pad(self) -> tuple[float, float]:
        """A quarter inch, as fractions of the width and the height."""
        return 0.25 / (self.width / self.dpi), 0.25 / (self.height / self.dpi)

    @property
    def landscape(self) -> bool:
        return self.width / self.height >= 1.15

    def text(self, x: float, y: float, s: str, **kw: Any) -> Any:
        return self.fig.text(x, y, s, parse_math=False, **kw)  # data are never mathtext

    def _extent(self, artist: Any) -> Any:
        return self.fig.transFigure.inverted().transform(artist.get_window_extent(self.renderer))

    def top_of(self, artist: Any) -> float:
        return float(self._extent(artist)[1][1])

    def bottom_of(self, artist: Any) -> float:
        return float(self._extent(artist)[0][1])

    def header(self, title: str, date: str | None) -> float:
        """Print the title and the date; return the bottom of the header."""
        pt, pad = self.pt, self.pad
        wrap = max(20, int(self.width / self.dpi * 72 / (13 * pt) * 1.7))
        head = self.text(pad[0], 1 - pad[1], textwrap.fill(title, wrap), fontsize=13 * pt,
                         fontweight="bold", va="top")
        bottom = self.bottom_of(head)
        if date:
            line = self.text(pad[0], bottom - 0.004, date, fontsize=8 * pt, va="top",
                             color="#444")
            bottom = self.bottom_of(line)
        return bottom

    def footer(self, credit_lines: Sequence[str], notes: Sequence[str]) -> float:
        """Print the credits (boundaries, population, cameras) and the notes above them;
        return the top of the footer."""
        pt, pad = self.pt, self.pad
        chars = max(40, int(self.width / self.dpi * 72 / (5 * pt) * 1.8))
        footer = "\n".join(textwrap.fill(a, chars) for a in credit_lines)
        credits = self.text(pad[0], pad[1] * 0.6, footer, fontsize=5 * pt, va="bottom",
                            color="#444")
        top = self.top_of(credits) if footer else pad[1]
        if notes:
            note_text = "\n".join(textwrap.fill(n, chars) for n in notes)
            top = self.top_of(self.text(pad[0], top + 0.006, note_text, fontsize=5.5 * pt,
                                        va="bottom", color="#222"))
        return top

    def legend_options(self, handles: list[Any], title: str) -> dict[str, Any]:
        """The keywords of a one-column legend whose labels wrap to its column."""
        # a quarter of a landscape page, most of a portrait one
        room = (0.24 if self.landscape else 0.6) * self.width / self.dpi * 72 / (
            7 * self.pt * 0.55)
        for handle in handles:
            handle.set_label(textwrap.fill(str(handle.get_label()), max(16, int(room))))
        return {"handles": handles, "fontsize": 7 * self.pt, "title": title,
                "title_fontsize": 8 * self.pt, "frameon": False, "ncols": 1,
                "alignment": "left"}

    def map_axes(self, legend_kw: dict[str, Any], header_bottom: float,
                 footer_top: float) -> Any:
        """Place the legend (beside the map on a landscape page, under it on a portrait
        one) and return the map's axes in the room left."""
        pad = self.pad
        if self.landscape:  # legend at the top of a right-hand column
            legend = self.fig.legend(loc="upper left",
                                     bbox_to_anchor=(0.74, header_bottom - 0.02), **legend_kw)
            box = (pad[0], footer_top + 0.015, 0.72 - pad[0],
                   header_bottom - footer_top - 0.035)
        else:
            legend = self.fig.legend(loc="lower left",
                                     bbox_to_anchor=(pad[0], footer_top + 0.01), **legend_kw)
            legend_top = self.top_of(legend)
            box = (pad[0], legend_top + 0.01, 1 - 2 * pad[0], header_bottom - legend_top - 0.03)
        for t in [*legend.get_texts(), legend.get_title()]:
            t.set_parse_math(False)
        ax = self.fig.add_axes(box)
        ax.set_axis_off()
        return ax


#: The look of a kind of unit: face, edge, line width in points, line style, hatch.
_Look = tuple[str, str, float, str, str | None]
_NO_DATA: Final[_Look] = (UNIT_COLOURS["noData"], UNIT_COLOURS["noDataHatch"], 0.3, "-", "////")
_UNKNOWN: Final[_Look] = (UNIT_COLOURS["unknown"], UNIT_COLOURS["edge"], 0.3, "-", None)


def _legend_handles(classes: Any, group: Any, lang: str) -> list[Any]:
    """A patch per class, then no data, unknown figure and city (when the map has them)."""
    from matplotlib.patches import Patch

    handles = [
        Patch(facecolor=c, edgecolor=UNIT_COLOURS["edge"], label=label)
        for c, label in zip(classes.colors, classes.labels(lang), strict=True)
    ]
    face, edge, _, _, hatch = _NO_DATA
    handles.append(Patch(facecolor=face, edgecolor=edge, hatch=hatch,
                         label=i18n.text("legend.no_data", lang)))
    if (classes.klass == UNKNOWN_FIGURE).any():
        handles.append(Patch(facecolor=_UNKNOWN[0], edgecolor=_UNKNOWN[1],
                             label=i18n.text("legend.unknown", lang)))
    if group.any():
        handles.append(Patch(facecolor="white", edgecolor=UNIT_COLOURS["groupEdge"], linestyle="--",
                             label=i18n.text("legend.group", lang)))
    return handles


def _draw_units(ax: Any, projected: gpd.GeoDataFrame, classes: Any, group: Any) -> None:
    """Fill the units by class; each kind of unit is one compound path, so that the hatch
    of the units without data is drawn once, not once per unit."""
    from matplotlib.collections import PathCollection

    layers: list[tuple[Any, _Look]] = []
    for i, colour in enumerate(classes.colors):
        sel = classes.klass == i
        layers.append((sel & ~group, (colour, UNIT_COLOURS["edge"], 0.3, "-", None)))
        layers.append((sel & group, (colour, UNIT_COLOURS["groupEdge"], 0.6, "--", None)))
    layers.append((classes.klass == NO_EVIDENCE, _NO_DATA))
    layers.append((classes.klass == UNKNOWN_FIGURE, _UNKNOWN))
    geoms = projected.geometry.to_numpy()
    for sel, (face, edge, width, style, hatch) in layers:
        if sel.any():
            ax.add_collection(PathCollection(
                [_compound_path(geoms[sel])], facecolors=face, edgecolors=edge,
                linewidths=width, linestyles=style, hatch=hatch), autolim=False)
    if len(projected):
        minx, miny, maxx, maxy = projected.total_bounds
        ax.update_datalim([(minx, miny), (maxx, maxy)])
        ax.autoscale_view()
    ax.set_aspect("equal")


def _compound_path(geoms: Any) -> Any:
    """One matplotlib Path of every ring of the (multi)polygons ``geoms``: each ring a
    closed sub-path, holes included (what geopandas draws a polygon with)."""
    import numpy as np
    import shapely
    from matplotlib.path import Path as MplPath

    rings = shapely.get_rings(shapely.get_parts(geoms))
    coords, ring = shapely.get_coordinates(rings, return_index=True)
    codes = np.full(len(coords), MplPath.LINETO, dtype=MplPath.code_type)
    starts = np.flatnonzero(np.r_[True, np.diff(ring) != 0])
    codes[starts] = MplPath.MOVETO
    codes[np.r_[starts[1:] - 1, len(coords) - 1]] = MplPath.CLOSEPOLY
    return MplPath(coords, codes)


def render_png(units: gpd.GeoDataFrame, path: str | Path, **options: Any) -> Path:
    """Write the printed choropleth to ``path`` (PNG, SVG or PDF, atomically); return ``path``.

    ``options`` are those of :func:`print_figure` (:class:`PrintOptions`); the suffix of
    ``path`` (``.png``, ``.svg``, ``.pdf``) is the format.
    """
    from matplotlib import rc_context

    fmt = print_format(path)
    fig = print_figure(units, **options)
    if fmt == "png":
        data = _png_bytes(fig)
    else:
        buf = io.BytesIO()
        with rc_context({"svg.fonttype": "none", "svg.hashsalt": "camera-map",
                         "pdf.fonttype": 42}):
            fig.savefig(buf, format=fmt, dpi=fig.dpi, metadata=_METADATA[fmt])
        data = buf.getvalue()
    out = write_bytes_atomic(path, data)
    logger.info("wrote %s (%d bytes)", out, len(data))
    return out


def _png_bytes(fig: Any) -> bytes:
    """The figure as an RGB PNG: the page is opaque, so the alpha channel matplotlib
    writes holds nothing; without it the file is 10 % smaller and encodes in half the
    time (the same pixels; no date or software in the file)."""
    import numpy as np
    from PIL import Image

    fig.canvas.draw()
    rgb = np.ascontiguousarray(np.asarray(fig.canvas.buffer_rgba())[..., :3])
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="png", dpi=(fig.dpi, fig.dpi), compress_level=3)
    return buf.getvalue()


def _label_top_units(ax: Any, projected: gpd.GeoDataFrame, values: Any, n: int, lang: str,
                     fontsize: float, renderer: Any) -> None:
    """Name the ``n`` units with the highest figures (a city once), never overlapping."""
    import pandas as pd
    from matplotlib import patheffects

    from .navigation import label_point

    ax.apply_aspect()  # final limits, so that label extents are where they will be drawn
    vals = pd.to_numeric(pd.Series(values.to_numpy(), index=projected.index), errors="coerce")
    entities: list[tuple[float, str, Any]] = []
    seen_groups: set[str] = set()
    for i in range(len(projected)):
        v = vals.iloc[i]
        if pd.isna(v):
            continue
        row = projected.iloc[i]
        if str(row["evidence"]) == "group" and not i18n.is_missing(row["group_id"]):
            gid = str(row["group_id"])
            if gid in seen_groups:
                continue
            seen_groups.add(gid)
            members = projected[projected["group_id"].astype("string") == gid]
            geom = members.geometry.union_all()
            name = i18n.place_name(row["group_name"], lang) or i18n.unit_name(row, lang)
        else:
            geom, name = row.geometry, i18n.unit_name(row, lang)
        entities.append((float(v), name, geom))
    entities.sort(key=lambda e: (-e[0], e[1]))
    placed: list[Any] = []
    for _, name, geom in entities:
        if len(placed) >= n:
            break
        point = label_point(geom)
        if point is None or not name:
            continue
        y, x = point
        style = {"fontsize": fontsize, "fontweight": "bold", "ha": "center", "va": "center",
                 "parse_math": False}
        label = ax.text(x, y, name, color="#111", zorder=6, **style)
        box = label.get_window_extent(renderer)
        if any(box.overlaps(other) for other in placed):
            label.remove()
            continue
        # the white halo is a second text under the label: path effects would turn the
        # label itself into outlines, and an SVG or PDF reader could no longer select it
        ax.text(x, y, name, color="white", zorder=5, path_effects=[
            patheffects.withStroke(linewidth=fontsize / 3, foreground="white")], **style)
        placed.append(box)
