"""Sampling weights for mixtures of manifests and for class balance."""

from __future__ import annotations

from collections import Counter

import numpy as np

from judge.labels import PLAUSIBLE


def clip_class(row: dict) -> str:
    """The class a clip is balanced under: its first positive artifact label, else plausible."""
    labels = row.get("labels", {})
    for name, value in sorted(labels.items()):
        if name != PLAUSIBLE and value:
            return name
    if labels.get(PLAUSIBLE) == 0:
        return "implausible"
    return PLAUSIBLE if PLAUSIBLE in labels or labels else "unknown"


def sample_weights(
    sources: list[int], source_weights: list[float], rows: list[dict], balanced: bool
) -> np.ndarray:
    """Per-clip weights `(N,)` summing to 1.

    Each manifest gets its weight's share whatever its size; with `balanced`, within each
    manifest every class (see `clip_class`) gets an equal share.
    """
    sources = np.asarray(sources)
    w = np.zeros(len(rows))
    for s, share in enumerate(source_weights):
        members = np.nonzero(sources == s)[0]
        if not len(members) or share <= 0:
            continue
        if balanced:
            classes = [clip_class(rows[i]) for i in members]
            counts = Counter(classes)
            per = np.array([1.0 / (len(counts) * counts[c]) for c in classes])
        else:
            per = np.full(len(members), 1.0 / len(members))
        w[members] = share * per
    total = w.sum()
    if total <= 0:
        raise ValueError("every manifest in the mixture has weight 0 or no clips")
    return w / total
