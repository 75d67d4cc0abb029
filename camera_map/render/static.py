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
from pathlib import Path
from typing import Any, Final

import geopandas as gpd

from .._io import write_bytes_atomic
from ..errors import InputError
from . import NO_EVIDENCE, UNKNOWN_FIGURE, check_metric, classify, i18n, prepare_units

logger = logging.getLogger(__name__)

#: Formats the printed map is written in, chosen by the file's suffix.
FORMATS: Final = ("png", "svg", "pdf")
# no dates or versions in the file: the same data give the same bytes
_METADATA: Final[dict[str, dict[str, Any]]] = {
    "png": {"Software": None},
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


def print_figure(
    units: gpd.GeoDataFrame,
    *,
    title: str,
    attribution: Sequence[str],
    metric: str = "cameras_per_1000",
    scheme: str = "fisher_jenks",
    k: int = 5,
    lang: str = "en",
    data_date: str | None = None,
    size_px: int = 1600,
    dpi: int = DEFAULT_DPI,
    size: tuple[int, int] | None = None,
    camera_sources: str | None = None,
    labels: int = TOP_LABELS,
    notes: Sequence[str] = (),
) -> Any:
    """Return the printed choropleth of ``metric`` as a matplotlib Figure (see :func:`render_png`).

    Parameters
    ----------
    units
        The metrics frame (see :func:`camera_map.render.render_map`).
    title, attribution
        Printed above and below the map; every attribution string is printed.
    metric, scheme, k, lang
        As for the interactive map.
    data_date
        Printed under the title when given.
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

    Returns
    -------
    matplotlib.figure.Figure
        On an Agg canvas, ready to save.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    lang = i18n.check_lang(lang)
    check_metric(metric)
    width, height = size if size is not None else (size_px, size_px)
    units = prepare_units(units)
    classes = classify(units, metric, scheme=scheme, k=k)
    projected = units.to_crs(utm_crs(units)) if len(units) else units
    if len(projected):
        # detail finer than a pixel only costs drawing time: simplify to a third of a pixel
        minx, miny, maxx, maxy = projected.total_bounds
        pixel = max(maxx - minx, maxy - miny) / max(width, height)
        projected = projected.set_geometry(
            projected.geometry.simplify_coverage(pixel / 3)
            if hasattr(projected.geometry, "simplify_coverage")
            else projected.geometry.simplify(pixel / 3, preserve_topology=True))
    fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    canvas = FigureCanvasAgg(fig)
    # geopandas' plot() asks the canvas for a full redraw after every layer it adds (eight
    # or more here): the picture is drawn once, by savefig
    canvas.draw_idle = lambda *args, **kwargs: None  # type: ignore[method-assign]
    renderer = canvas.get_renderer()
    # type sizes follow the page: 8 inches on the short side is the reference
    pt = min(width, height) / dpi / 8
    pad = 0.25 / (width / dpi), 0.25 / (height / dpi)  # a quarter inch, as fractions

    def text(x: float, y: float, s: str, **kw: Any) -> Any:
        return fig.text(x, y, s, parse_math=False, **kw)  # data are never mathtext

    def top_of(artist: Any) -> float:
        return float(fig.transFigure.inverted().transform(
            artist.get_window_extent(renderer))[1][1])

    def bottom_of(artist: Any) -> float:
        return float(fig.transFigure.inverted().transform(
            artist.get_window_extent(renderer))[0][1])

    # header: title and date
    wrap = max(20, int(width / dpi * 72 / (13 * pt) * 1.7))
    head = text(pad[0], 1 - pad[1], textwrap.fill(title, wrap), fontsize=13 * pt,
                fontweight="bold", va="top")
    header_bottom = bottom_of(head)
    if data_date:
        date = text(pad[0], header_bottom - 0.004, i18n.text("map.data_date", lang,
                    date=data_date), fontsize=8 * pt, va="top", color="#444")
        header_bottom = bottom_of(date)
    # footer: notes, then credits (boundaries, population, cameras)
    credit_lines = [*attribution, *([camera_sources] if camera_sources else [])]
    chars = max(40, int(width / dpi * 72 / (5 * pt) * 1.8))
    footer = "\n".join(textwrap.fill(a, chars) for a in credit_lines)
    credits = text(pad[0], pad[1] * 0.6, footer, fontsize=5 * pt, va="bottom", color="#444")
    footer_top = top_of(credits) if footer else pad[1]
    if notes:
        note_text = "\n".join(textwrap.fill(n, chars) for n in notes)
        note_artist = text(pad[0], footer_top + 0.006, note_text, fontsize=5.5 * pt,
                           va="bottom", color="#222")
        footer_top = top_of(note_artist)

    group = (units["evidence"] == "group").to_numpy()
    none = classes.klass == NO_EVIDENCE
    unknown = classes.klass == UNKNOWN_FIGURE
    handles = [
        Patch(facecolor=c, edgecolor="#555", label=label)
        for c, label in zip(classes.colors, classes.labels(lang), strict=True)
    ]
    handles.append(Patch(facecolor="#e0e0e0", edgecolor="#8c8c8c", hatch="////",
                         label=i18n.text("legend.no_data", lang)))
    if unknown.any():
        handles.append(Patch(facecolor="#bdbdbd", edgecolor="#555",
                             label=i18n.text("legend.unknown", lang)))
    if group.any():
        handles.append(Patch(facecolor="white", edgecolor="#222", linestyle="--",
                             label=i18n.text("legend.group", lang)))
    landscape = width / height >= 1.15
    # legend labels wrap to the legend's column (a quarter of a landscape page)
    room = (0.24 if landscape else 0.6) * width / dpi * 72 / (7 * pt * 0.55)
    for handle in handles:
        handle.set_label(textwrap.fill(str(handle.get_label()), max(16, int(room))))
    legend_kw: dict[str, Any] = {
        "handles": handles, "fontsize": 7 * pt, "title": i18n.text(f"metric.{metric}", lang),
        "title_fontsize": 8 * pt, "frameon": False, "ncols": 1, "alignment": "left",
    }
    if landscape:  # legend beside the map, at the top of a right-hand column
        legend = fig.legend(loc="upper left", bbox_to_anchor=(0.74, header_bottom - 0.02),
                            **legend_kw)
        map_box = (pad[0], footer_top + 0.015, 0.72 - pad[0],
                   header_bottom - footer_top - 0.035)
    else:  # legend under the map, one column
        legend = fig.legend(loc="lower left", bbox_to_anchor=(pad[0], footer_top + 0.01),
                            **legend_kw)
        legend_top = top_of(legend)
        map_box = (pad[0], legend_top + 0.01, 1 - 2 * pad[0],
                   header_bottom - legend_top - 0.03)
    for t in [*legend.get_texts(), legend.get_title()]:
        t.set_parse_math(False)
    ax = fig.add_axes(map_box)
    ax.set_axis_off()
    for i, colour in enumerate(classes.colors):
        sel = classes.klass == i
        if (sel & ~group).any():
            projected[sel & ~group].plot(ax=ax, color=colour, edgecolor="#555", linewidth=0.3)
        if (sel & group).any():
            projected[sel & group].plot(
                ax=ax, color=colour, edgecolor="#222", linewidth=0.6, linestyle="--"
            )
    if none.any():
        projected[none].plot(
            ax=ax, facecolor="#e0e0e0", edgecolor="#8c8c8c", hatch="////", linewidth=0.3
        )
    if unknown.any():
        projected[unknown].plot(ax=ax, color="#bdbdbd", edgecolor="#555", linewidth=0.3)
    if labels > 0 and len(projected):
        _label_top_units(ax, projected, classes.values, labels, lang, 7.5 * pt, renderer)
    return fig


def render_png(
    units: gpd.GeoDataFrame,
    path: str | Path,
    *,
    title: str,
    attribution: Sequence[str],
    metric: str = "cameras_per_1000",
    scheme: str = "fisher_jenks",
    k: int = 5,
    lang: str = "en",
    data_date: str | None = None,
    size_px: int = 1600,
    dpi: int = DEFAULT_DPI,
    size: tuple[int, int] | None = None,
    camera_sources: str | None = None,
    labels: int = TOP_LABELS,
    notes: Sequence[str] = (),
) -> Path:
    """Write the printed choropleth of ``metric`` to ``path`` (PNG, SVG or PDF, atomically).

    Parameters are those of :func:`print_figure`; the suffix of ``path`` (``.png``,
    ``.svg``, ``.pdf``) is the format. Returns ``path``.
    """
    from matplotlib import rc_context

    fmt = print_format(path)
    fig = print_figure(
        units, title=title, attribution=attribution, metric=metric, scheme=scheme, k=k,
        lang=lang, data_date=data_date, size_px=size_px, dpi=dpi, size=size,
        camera_sources=camera_sources, labels=labels, notes=notes,
    )  # fmt: skip
    buf = io.BytesIO()
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": "camera-map",
                     "pdf.fonttype": 42}):
        fig.savefig(buf, format=fmt, dpi=fig.dpi, metadata=_METADATA[fmt])
    out = write_bytes_atomic(path, buf.getvalue())
    logger.info("wrote %s (%d bytes)", out, len(buf.getvalue()))
    return out


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
