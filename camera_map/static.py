"""The static picture (``map.png``): the choropleth for print and social media.

Drawn with geopandas on a matplotlib :class:`~matplotlib.figure.Figure` (no pyplot global
state, the Agg canvas, so it works without a display), in a UTM projection chosen for the
data so that shapes are not stretched. Classes and colours are the interactive map's
(:func:`camera_map.render.classify`); units without evidence are hatched grey and labelled
"no data — no evidence found, not zero".
"""

from __future__ import annotations

import io
import logging
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import geopandas as gpd

from . import i18n
from ._io import write_bytes_atomic
from .errors import InputError
from .render import NO_EVIDENCE, UNKNOWN_FIGURE, check_metric, classify, prepare_units

logger = logging.getLogger(__name__)

#: Formats the printed map is written in, chosen by the file's suffix.
FORMATS: Final = ("png", "svg", "pdf")
# no dates or versions in the file: the same data give the same bytes
_METADATA: Final[dict[str, dict[str, Any]]] = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "Creator": None, "Producer": None},
}


def print_format(path: str | Path) -> str:
    """Return ``png``, ``svg`` or ``pdf`` from the suffix of ``path``, or raise InputError."""
    fmt = Path(path).suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise InputError(
            f"cannot write the printed map as {Path(path).name!r}: the name must end in "
            + ", ".join(f".{f}" for f in FORMATS)
        )
    return fmt


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
    dpi: int = 200,
) -> Path:
    """Write a static choropleth of ``metric`` to ``path`` (PNG, atomically).

    Parameters
    ----------
    units
        The metrics frame (see :func:`camera_map.render.render_map`).
    path
        Where the PNG goes.
    title, attribution
        Printed above and below the map; every attribution string is printed.
    metric, scheme, k, lang
        As for the interactive map.
    data_date
        Printed under the title when given.
    size_px, dpi
        The picture is ``size_px`` × ``size_px`` pixels at ``dpi`` (1600 px at 200 dpi is
        8 × 8 inches).

    Returns
    -------
    Path
        ``path``.
    """
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    fmt = print_format(path)
    lang = i18n.check_lang(lang)
    check_metric(metric)
    units = prepare_units(units)
    classes = classify(units, metric, scheme=scheme, k=k)
    projected = units.to_crs(units.estimate_utm_crs()) if len(units) else units
    if len(projected):
        # detail finer than a pixel only costs drawing time: simplify to a third of a pixel
        minx, miny, maxx, maxy = projected.total_bounds
        pixel = max(maxx - minx, maxy - miny) / size_px
        projected = projected.set_geometry(
            projected.geometry.simplify_coverage(pixel / 3)
            if hasattr(projected.geometry, "simplify_coverage")
            else projected.geometry.simplify(pixel / 3, preserve_topology=True))
    inches = size_px / dpi
    fig = Figure(figsize=(inches, inches), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.02, 0.2, 0.96, 0.68))
    ax.set_axis_off()
    group = (units["evidence"] == "group").to_numpy()
    for i, colour in enumerate(classes.colors):
        sel = classes.klass == i
        if (sel & ~group).any():
            projected[sel & ~group].plot(ax=ax, color=colour, edgecolor="#555", linewidth=0.3)
        if (sel & group).any():
            projected[sel & group].plot(
                ax=ax, color=colour, edgecolor="#222", linewidth=0.6, linestyle="--"
            )
    none = classes.klass == NO_EVIDENCE
    if none.any():
        projected[none].plot(
            ax=ax, facecolor="#e0e0e0", edgecolor="#8c8c8c", hatch="////", linewidth=0.3
        )
    unknown = classes.klass == UNKNOWN_FIGURE
    if unknown.any():
        projected[unknown].plot(ax=ax, color="#bdbdbd", edgecolor="#555", linewidth=0.3)
    handles = [
        Patch(facecolor=c, edgecolor="#555", label=label)
        for c, label in zip(classes.colors, classes.labels(lang), strict=True)
    ]
    handles.append(
        Patch(
            facecolor="#e0e0e0",
            edgecolor="#8c8c8c",
            hatch="////",
            label=i18n.text("legend.no_data", lang),
        )
    )
    if unknown.any():
        handles.append(
            Patch(facecolor="#bdbdbd", edgecolor="#555", label=i18n.text("legend.unknown", lang))
        )
    if group.any():
        handles.append(
            Patch(
                facecolor="white",
                edgecolor="#222",
                linestyle="--",
                label=i18n.text("legend.group", lang),
            )
        )
    legend = fig.legend(
        handles=handles,
        loc="lower left",
        bbox_to_anchor=(0.03, 0.06),
        fontsize=6.5,
        title=i18n.text(f"metric.{metric}", lang),
        title_fontsize=7.5,
        frameon=False,
        ncols=2,
    )
    # text is data: never matplotlib mathtext ("$\\foo$" would be parsed, or fail)
    for text in [*legend.get_texts(), legend.get_title()]:
        text.set_parse_math(False)
    fig.text(0.03, 0.965, title, fontsize=13, fontweight="bold", va="top", parse_math=False)
    if data_date:
        fig.text(
            0.03,
            0.925,
            i18n.text("map.data_date", lang, date=data_date),
            fontsize=8,
            va="top",
            color="#444",
            parse_math=False,
        )
    credits = "\n".join(textwrap.fill(a, 150) for a in attribution)
    fig.text(0.03, 0.015, credits, fontsize=4.5, va="bottom", color="#444", parse_math=False)
    buf = io.BytesIO()
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": "camera-map",
                     "pdf.fonttype": 42}):
        fig.savefig(buf, format=fmt, dpi=dpi, metadata=_METADATA[fmt])
    out = write_bytes_atomic(path, buf.getvalue())
    logger.info("wrote %s (%d bytes)", out, len(buf.getvalue()))
    return out
