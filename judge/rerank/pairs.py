"""Preference pairs for post-training a generator (DPO-style) from a best-of-N ranking.

Pairs come from every scored candidate of a group, not just the rows a ``--top-k`` or
``--min-plausibility`` kept: the rejected side is exactly what those filters throw away.
A chosen video must still meet ``min_chosen`` (if given), so the generator is never pulled
towards a clip the judge itself finds implausible.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from judge.rerank.rerank import Ranked

PAIR_MODES = ("best-vs-rest", "all")
# Scores are floats: 0.9 - 0.8 is 0.0999..., which a user asking for a 0.1 margin means to keep.
_EPS = 1e-9


def preference_pairs(
    ranked: Mapping[str, Sequence[Ranked]],
    *,
    min_margin: float = 0.1,
    mode: str = "best-vs-rest",
    min_chosen: float | None = None,
) -> list[dict]:
    """Pairs ``{group, chosen, rejected, chosen_score, rejected_score, margin}``.

    Args:
        ranked: per group, its ok candidates best first (``Ranking.ranked``).
        min_margin: keep a pair only if ``chosen_score - rejected_score >= min_margin``; a pair
            also needs a strictly positive margin, since a tie states no preference.
        mode: ``best-vs-rest`` pairs each group's best with every other candidate; ``all`` pairs
            every better candidate with every worse one.
        min_chosen: the chosen video's plausibility must be at least this.

    Returns:
        Pairs grouped by group (in ``ranked``'s order), chosen best first, then rejected best first.
    """
    if mode not in PAIR_MODES:
        raise ValueError(f"pairs mode must be one of {', '.join(PAIR_MODES)}, got {mode!r}")
    if min_margin < 0:
        raise ValueError(f"pair margin must be >= 0, got {min_margin}")
    pairs = []
    for group, cands in ranked.items():
        chosen_side = cands[:1] if mode == "best-vs-rest" else cands
        for i, chosen in enumerate(chosen_side):
            if min_chosen is not None and (
                chosen.plausibility is None or chosen.plausibility < min_chosen
            ):
                continue
            for rejected in cands[i + 1 :]:
                margin = chosen.score - rejected.score
                if margin <= 0 or margin < min_margin - _EPS:
                    continue
                pairs.append(
                    {
                        "group": group,
                        "chosen": chosen.path,
                        "rejected": rejected.path,
                        "chosen_score": chosen.score,
                        "rejected_score": rejected.score,
                        "margin": margin,
                    }
                )
    return pairs
