"""The choropleth's classes: a figure per unit, class breaks, colours and legend labels.

Class breaks without importing mapclassify:

``import mapclassify`` pulls in scipy.stats, scikit-learn and matplotlib.pyplot (about a
second) to classify a few hundred values. The default scheme, Fisher-Jenks, is computed
here instead, with the same arithmetic as ``mapclassify.FisherJenks`` (single-precision
sums, the same tie rule), so the breaks are identical; ``tests/test_render.py`` compares
them. Every other scheme is still mapclassify's.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd

from ..errors import InputError
from . import i18n
from .contract import NO_EVIDENCE, UNKNOWN_FIGURE

METRICS: Final = ("cameras_per_1000", "cameras_per_km2", "cameras")


#: mapclassify schemes usable without extra arguments (``user_defined`` needs bins).
SCHEMES: Final = (
    "boxplot", "equalinterval", "fisherjenks", "fisherjenkssampled", "headtailbreaks",
    "jenkscaspall", "jenkscaspallforced", "jenkscaspallsampled", "maxp", "maximumbreaks",
    "naturalbreaks", "percentiles", "prettybreaks", "quantiles", "stdmean",
)  # fmt: skip


@dataclass
class Classes:
    """Choropleth classes of one metric.

    Attributes
    ----------
    metric
        Column the classes are of.
    values
        The value shown for each unit (its own figure, or its city's figure), NA if none.
    klass
        Class index per unit: 0..k-1, or ``NO_EVIDENCE`` (-1) or ``UNKNOWN_FIGURE`` (-2,
        evidence exists but the figure cannot be computed, e.g. population unknown).
    bins
        Upper bound of each class.
    ranges
        Lowest and highest value that falls in each class (what the legend shows).
    colors
        Hex colour of each class.
    counts
        Number of units in each class.
    """

    metric: str
    values: pd.Series
    klass: np.ndarray
    bins: list[float]
    ranges: list[tuple[float, float]]
    colors: list[str]
    counts: list[int] = field(default_factory=list)

    def labels(self, lang: str = "en") -> list[str]:
        """Return the legend label of each class (``"2.50 – 10.00"``)."""
        out: list[str] = []
        for lo, hi in self.ranges:
            a, b = i18n.fmt_metric(lo, self.metric, lang), i18n.fmt_metric(hi, self.metric, lang)
            out.append(a if a == b else f"{a} – {b}")
        return out

    @property
    def has_unknown(self) -> bool:
        """Whether some unit has evidence but no computable figure for this metric."""
        return bool((self.klass == UNKNOWN_FIGURE).any())


def check_scheme(scheme: str) -> str:
    """Return the mapclassify name of ``scheme`` or raise :class:`InputError` listing them."""
    key = scheme.lower().replace("_", "").replace("-", "")
    if key not in SCHEMES:
        close = difflib.get_close_matches(key, SCHEMES, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise InputError(
            f"unknown classification scheme {scheme!r}{hint}; use one of: {', '.join(SCHEMES)}"
        )
    return key


def check_metric(metric: str) -> str:
    """Return ``metric`` if it is one the map can show, else raise :class:`InputError`."""
    if metric not in METRICS:
        raise InputError(f"unknown metric {metric!r}; use one of: {', '.join(METRICS)}")
    return metric


def shown_values(units: pd.DataFrame, metric: str) -> pd.Series:
    """Return the figure each unit is drawn with: its own, or its city's for ``group``."""
    own = units[metric].astype("Float64")
    group = units[f"group_{metric}"].astype("Float64")
    ev = units["evidence"]
    out = own.where(ev == "unit", pd.NA)
    return out.mask(ev == "group", group)


def classify(
    units: pd.DataFrame,
    metric: str = "cameras_per_1000",
    *,
    scheme: str = "fisherjenks",
    k: int = 5,
    cmap: str = "YlOrRd",
) -> Classes:
    """Classify the units' figures of ``metric`` with a mapclassify scheme.

    Classes are computed over the entities that have a figure: each unit with its own
    figure, and each city group once (its members all show the group's figure). Units
    without evidence are not zero: they get ``NO_EVIDENCE``.
    """
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    scheme = check_scheme(scheme)
    check_metric(metric)
    if k < 1:
        raise InputError(f"k (number of classes) must be at least 1, got {k}")
    values = shown_values(units, metric)
    ev = units["evidence"]
    klass = np.full(len(units), NO_EVIDENCE, dtype=int)
    klass[((ev != "none") & values.isna()).to_numpy(dtype=bool)] = UNKNOWN_FIGURE
    has = values.notna().to_numpy(dtype=bool)
    # one value per entity: units on their own, groups once
    entity = units["id"].astype(str).where(ev != "group", "group:" + units["group_id"].astype(str))
    sample = (
        pd.Series(values[has].to_numpy(dtype=float), index=entity[has]).groupby(level=0).first()
    )
    uniq = np.unique(sample.to_numpy(dtype=float))
    if len(uniq) == 0:
        return Classes(metric, values, klass, [], [], [])
    if len(uniq) <= k:
        bins = [float(v) for v in uniq]
    elif scheme == "fisherjenks":  # the default: no mapclassify import (about a second)
        bins = sorted({float(b) for b in fisher_jenks_bins(sample.to_numpy(dtype=float), k)})
        bins[-1] = max(bins[-1], float(uniq[-1]))
    else:
        import mapclassify

        with np.errstate(all="ignore"):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                clf = mapclassify.classify(sample.to_numpy(dtype=float), scheme, k=k)
        bins = sorted({float(b) for b in clf.bins})
        bins[-1] = max(bins[-1], float(uniq[-1]))
    vals = values[has].to_numpy(dtype=float)
    idx = np.searchsorted(np.asarray(bins), vals, side="left")
    klass[has] = np.minimum(idx, len(bins) - 1)
    palette = colormaps[cmap]
    stops = [0.6] if len(bins) == 1 else list(np.linspace(0.12, 0.95, len(bins)))
    colors = [to_hex(palette(s)) for s in stops]
    counts = [int((klass == i).sum()) for i in range(len(bins))]
    ranges = []
    for i, hi in enumerate(bins):
        members = vals[klass[has] == i]
        ranges.append((float(members.min()), float(members.max())) if len(members) else (hi, hi))
    return Classes(metric, values, klass, bins, ranges, colors, counts)



def fisher_jenks_bins(values: np.ndarray, k: int) -> np.ndarray:
    """Upper bounds of the ``k`` Fisher-Jenks (natural breaks) classes of ``values``.

    Parameters
    ----------
    values
        The figures to classify, at least ``k`` distinct ones.
    k
        Number of classes.

    Returns
    -------
    numpy.ndarray
        ``k`` upper bounds, ascending; what ``mapclassify.FisherJenks(values, k).bins``
        gives.
    """
    x = np.sort(np.asarray(values, dtype=float))
    n = len(x)
    if len(np.unique(x)) < k:
        raise ValueError(f"Fewer unique values ({len(np.unique(x))}) than classes ({k}).")
    x32 = x.astype(np.float32)
    # lower_class[l, j]: 1-based index of the first value of the last class when the first
    # l values form j classes; variance[l, j]: the smallest sum of squared deviations
    lower_class = np.zeros((n + 1, k + 1), dtype=np.int64)
    variance = np.zeros((n + 1, k + 1), dtype=np.float32)
    lower_class[1, 1:] = 1
    variance[2:, 1:] = np.inf
    for last in range(2, n + 1):
        # the candidate last classes x[i3-1 .. last-1], for i3 = last, last-1, ..., 1,
        # accumulated in that order in float32, as mapclassify does
        tail = x32[last - 1 :: -1]
        s1 = np.cumsum(tail, dtype=np.float32)
        s2 = np.cumsum(tail * tail, dtype=np.float32)
        w = np.arange(1, last + 1, dtype=np.float32)
        v = s2 - (s1 * s1) / w
        i3 = last - np.arange(last)  # last, last-1, ..., 1
        i4 = i3 - 1
        inner = i4 != 0
        if inner.any():
            # one column per class count j = 2..k: candidates for every split point
            cand = v[inner][:, None] + variance[i4[inner], 1:k]
            best = cand.min(axis=0)
            # mapclassify replaces on ``>=``: among equal candidates the last one wins
            at = len(cand) - 1 - np.argmax((cand == best)[::-1], axis=0)
            lower_class[last, 2:] = i3[inner][at]
            variance[last, 2:] = best
        lower_class[last, 1] = 1
        variance[last, 1] = v[-1]
    bins = np.zeros(k + 1, dtype=float)
    bins[k] = x[-1]
    bins[0] = x[0]
    row = n
    for j in range(k, 1, -1):
        pivot = lower_class[row, j]
        bins[j - 1] = x[int(pivot - 2)]
        row = int(pivot - 1)
    return bins[1:]
