"""How far a clip lies from the judge's training data: the out-of-domain measure.

The judge's clip heads read one feature vector per window (`JudgeModel` output `features`,
`(N, D)`). Training statistics of those vectors, measured on held-out validation windows of the
training mixture, are stored with the judge as its `domain` description:

    {"mean": [D floats], "std": [D floats], "threshold": float, "quantile": 0.99, "windows": N}

A window's distance is the root-mean-square z-score of its features (a diagonal Mahalanobis
distance divided by sqrt(D)): about 1 for a typical training window, whatever D is. A clip's
distance is the median over its windows, so one odd window (a flash, a cut) does not move it
and long clips are not penalised for their length. `threshold` is the `quantile` of the
validation windows' own distances: by construction about 1% of in-domain windows lie beyond
it, and a clip whose median window does is called out of domain.

The judge's scores on an out-of-domain clip are extrapolation; `judge-rerank --ood` can skip or
flag such candidates rather than trust them.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

DEFAULT_QUANTILE = 0.99
_MIN_STD = 1e-6  # features that never vary (dead channels) must not divide by zero


def fit_domain(features: np.ndarray, quantile: float = DEFAULT_QUANTILE) -> dict:
    """Domain statistics (module docstring) of validation window features float `(N, D)`.

    Raises:
        ValueError: fewer than 2 windows, or a quantile outside (0, 1).
    """
    x = np.asarray(features, np.float64)
    if x.ndim != 2 or len(x) < 2:
        raise ValueError(f"domain statistics need (N >= 2, D) features, got shape {x.shape}")
    if not 0.0 < quantile < 1.0:
        raise ValueError(f"quantile must be in (0, 1), got {quantile}")
    mean, std = x.mean(axis=0), np.maximum(x.std(axis=0), _MIN_STD)
    stats = {"mean": mean.tolist(), "std": std.tolist(), "quantile": float(quantile)}
    distances = window_distances(x, stats)
    stats["threshold"] = float(np.quantile(distances, quantile))
    stats["windows"] = int(len(x))
    return stats


def window_distances(features: np.ndarray, stats: Mapping) -> np.ndarray:
    """float64 `(N,)`: each window's RMS z-score against `stats` (features `(N, D)`).

    Raises:
        ValueError: D differs from the statistics' width.
    """
    x = np.asarray(features, np.float64)
    mean = np.asarray(stats["mean"], np.float64)
    std = np.asarray(stats["std"], np.float64)
    if x.ndim != 2 or x.shape[1] != len(mean):
        raise ValueError(f"features of shape {x.shape} do not match {len(mean)} domain statistics")
    z = (x - mean) / std
    return np.sqrt((z * z).mean(axis=1))


def clip_distance(window_distances_: np.ndarray) -> float:
    """A clip's distance: the median of its windows' distances (module docstring)."""
    return float(np.median(np.asarray(window_distances_, np.float64)))


def is_out_of_domain(distance: float, stats: Mapping) -> bool:
    return bool(distance > float(stats["threshold"]))
