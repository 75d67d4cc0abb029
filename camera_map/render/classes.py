"""Class breaks for the choropleth without importing mapclassify.

``import mapclassify`` pulls in scipy.stats, scikit-learn and matplotlib.pyplot (about a
second) to classify a few hundred values. The default scheme, Fisher-Jenks, is computed
here instead, with the same arithmetic as ``mapclassify.FisherJenks`` (single-precision
sums, the same tie rule), so the breaks are identical; ``tests/test_render.py`` compares
them. Every other scheme is still mapclassify's.
"""

from __future__ import annotations

import numpy as np

__all__ = ["fisher_jenks_bins"]


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
