"""Small statistics shared by the analysis and the disclosure-control layers."""

from __future__ import annotations

import numpy as np

Z_95 = 1.959963984540054
"""The two-sided 95 % normal quantile."""


def wilson_interval(
    successes: np.ndarray | float, trials: np.ndarray | float, *, z: float = Z_95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a binomial proportion (bounds as proportions; NaN where ``trials`` is 0).

    Preferred over the normal interval because it stays inside [0, 1] and behaves for small counts,
    which is the usual case for incidents at one place.
    """
    x = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x / n
        denominator = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denominator
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denominator
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)
