"""Best-of-N on labelled groups: does reranking by a system's score pick an artifact-free clip?

A group is a "prompt" and its clips are the N candidates. On every group with at least two
scored candidates of known label, the system's top-ranked candidate is compared with a random
pick: ``best_of_n_clean`` is the share of groups whose winner is clean, ``random_clean`` the
expected share for a uniform random pick (the mean share of clean candidates), and
``oracle_clean`` the share of groups that hold any clean candidate at all (the ceiling).
Candidates tied at the top score share the win: the group counts the share of clean ones among
them, so a tie never favours whichever clip happens to come first.
"""

from __future__ import annotations

import numpy as np

from judge.evaluation.clip_metrics import Predictions, Truth
from judge.rerank.rerank import Ranking, rerank


def rank_groups(truth: Truth, pred: Predictions) -> Ranking:
    """Rank each group's scored clips of known label by plausibility (``1 - artifact``); each
    ranked record's ``path`` is its row index, zero-padded so that ties break by row order."""
    records, keys = [], []
    for i in np.flatnonzero(pred.ok & (truth.plausible >= 0)):
        if truth.groups[i] is not None:
            plausibility = 1.0 - float(pred.artifact[i])
            records.append({"path": f"{i:08d}", "status": "ok", "plausibility": plausibility})
            keys.append(truth.groups[i])
    return rerank(records, keys)


def ranked_rows(ranking: Ranking, group: str) -> list[int]:
    """Row indices of one group's candidates, best first."""
    return [int(c.record["path"]) for c in ranking.ranked[group]]


def best_of_n(truth: Truth, pred: Predictions) -> dict[str, float]:
    """``rerank/groups``, ``rerank/candidates`` (mean N), ``rerank/best_of_n_clean``,
    ``rerank/random_clean``, ``rerank/oracle_clean`` (module docstring); NaN without groups."""
    ranking = rank_groups(truth, pred)
    groups = []
    for group in ranking.ranked:
        members = ranked_rows(ranking, group)
        groups.append([(1.0 - pred.artifact[i], truth.plausible[i] == 1) for i in members])
    return {f"rerank/{k}": v for k, v in clean_shares(groups).items()}


def clean_shares(groups: list[list[tuple[float, bool]]]) -> dict[str, float]:
    """Best-of-N figures from ``(score, is clean)`` per candidate (higher score ranks first),
    one list per group; groups of fewer than two candidates are left out.

    Returns:
        ``groups``, ``candidates`` (mean N), ``best_of_n_clean``, ``random_clean``,
        ``oracle_clean`` (module docstring; NaN without groups).
    """
    won, rand, oracle, sizes = [], [], [], []
    for members in groups:
        if len(members) < 2:
            continue
        top = max(score for score, _ in members)
        won.append(float(np.mean([clean for score, clean in members if score == top])))
        rand.append(float(np.mean([clean for _, clean in members])))
        oracle.append(float(any(clean for _, clean in members)))
        sizes.append(len(members))
    return {
        "groups": float(len(won)),
        "candidates": _mean(sizes),
        "best_of_n_clean": _mean(won),
        "random_clean": _mean(rand),
        "oracle_clean": _mean(oracle),
    }


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else float("nan")
