"""Detectors' view of figures: rows of `a["figure"]` (`[T, K]`, -1 for objects) group segments.

A figure is supported when any of its segments touches something; a swinging leg is not a
levitating object, so `checks.find_levitate` leaves segments to `find_figure_levitate`.
"""

from __future__ import annotations

import numpy as np

from judge.synth.checks import GRAVITY, Thresholds


def figure_rows(a: dict) -> dict[int, np.ndarray]:
    """Figure index -> its object indices (segments and shown extra limbs alike)."""
    if "figure" not in a:
        return {}
    fig = a["figure"][0]
    return {int(f): np.nonzero(fig == f)[0] for f in np.unique(fig) if f >= 0}


def find_figure_levitate(a: dict, th: Thresholds) -> list[tuple[int, int]]:
    """A figure off the ground (no segment in contact) on three frames running whose highest
    segment (the torso or back) does not fall with -g: floating while the gait goes on.

    Returns `(frame, object)` with the object the figure's first segment; a plausible jump's
    torso follows a ballistic arc, so its acceleration is -g in the air."""
    out = []
    z = a["pos"][..., 2]
    for rows in figure_rows(a).values():
        root = int(rows[0])
        exists = a["exists"][:, root]
        free = ~a["contact"][:, rows].any(1) & exists
        for t in range(1, len(z) - 1):
            if not (free[t - 1] and free[t] and free[t + 1]):
                continue
            acc = (z[t + 1, root] - 2 * z[t, root] + z[t - 1, root]) / th.dt**2
            if acc > -0.5 * GRAVITY and a["visible_px"][t, rows].sum() >= th.min_visible_px:
                out.append((t, root))
    return out


def same_figure(a: dict, i: int, j: int) -> bool:
    """Whether objects i and j are segments of one figure."""
    if "figure" not in a:
        return False
    f = a["figure"][0]
    return bool(f[i] >= 0 and f[i] == f[j])
