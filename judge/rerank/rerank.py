"""Best-of-N reranking over score records (docs/formats.md, "Score record"): pure logic, no model.

Within each group, candidates are ranked by a rank score, best first: the judge's plausibility
by default, or ``1 - weighted mean`` of chosen artifact scores. The full ranking of every scored
candidate is kept (``Ranking.ranked``) for preference pairs; the output rows apply
``min_plausibility`` and ``top_k`` on top of it.

Out-of-domain candidates (records with ``out_of_domain: true``, see ``domain.py``; a record
without the field counts as in domain), by ``ood``:
- ``keep`` (default): ranked like any other; rows as before, without an ``out_of_domain`` field;
- ``flag``: ranked like any other, each row carrying ``out_of_domain`` (true/false, null for a
  failed video), and counted in ``Ranking.out_of_domain``;
- ``skip``: left out of the ranking, the winners and the pairs; listed after the group's
  ranked rows with ``rank`` null, ``status`` "skipped" and the reason in ``error``; rows carry
  ``out_of_domain`` as with ``flag``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from judge.labels import PLAUSIBLE

OOD_MODES = ("keep", "flag", "skip")


def parse_weights(text: str) -> dict[str, float]:
    """``"teleport=2,vanish=1"`` -> ``{"teleport": 2.0, "vanish": 1.0}``.

    Raises:
        ValueError: malformed items, a repeated or ``plausible`` label, negative weights, or
            weights that sum to zero.
    """
    weights: dict[str, float] = {}
    for item in text.split(","):
        label, sep, value = item.partition("=")
        label = label.strip()
        try:
            w = float(value) if sep and label else math.nan
        except ValueError:
            w = math.nan
        if not math.isfinite(w):
            raise ValueError(f"bad weight {item.strip()!r} in {text!r}; want label=number,...")
        if label in weights:
            raise ValueError(f"label {label!r} is weighted twice in {text!r}")
        if label == PLAUSIBLE:
            raise ValueError("weights are for artifact labels; 'plausible' is ranked by default")
        if w < 0:
            raise ValueError(f"weight of {label!r} must be >= 0, got {w}")
        weights[label] = w
    if sum(weights.values()) <= 0:
        raise ValueError(f"weights {text!r} sum to zero")
    return weights


def rank_score(record: Mapping, weights: Mapping[str, float] | None = None) -> float:
    """The score a candidate is ranked by (higher is better) from one ``ok`` record.

    Raises:
        ValueError: the record lacks the plausibility or a weighted label's score.
    """
    if not weights:
        value = record.get("plausibility")
        if not _finite(value):
            raise ValueError(f"{record.get('path')}: record has no plausibility ({value!r})")
        return float(value)
    scores = record.get("scores") or {}
    missing = [label for label in weights if not _finite(scores.get(label))]
    if missing:
        raise ValueError(
            f"{record.get('path')}: no score for weighted label(s) {', '.join(missing)}; "
            f"the record has {', '.join(sorted(scores)) or 'none'}"
        )
    total = sum(weights.values())
    return 1.0 - sum(w * float(scores[label]) for label, w in weights.items()) / total


def worst_artifact(record: Mapping) -> tuple[str | None, float | None, float | None]:
    """``(label, score, onset seconds)`` of the highest-scoring artifact; Nones if there is none."""
    raw = record.get("scores") or {}
    scores = {k: float(v) for k, v in raw.items() if k != PLAUSIBLE and _finite(v)}
    if not scores:
        return None, None, None
    # Ties go to the first label in sorted order, so the choice does not depend on dict order.
    label = min(scores, key=lambda k: (-scores[k], k))
    onset = (record.get("onsets") or {}).get(label)
    return label, scores[label], onset


def is_out_of_domain(record: Mapping) -> bool:
    """The record's ``out_of_domain`` verdict; a record without one counts as in domain."""
    return record.get("out_of_domain") is True


def _finite(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


@dataclass(frozen=True)
class Ranked:
    """One scored candidate in its group's ranking."""

    path: str
    score: float
    plausibility: float | None
    record: Mapping = field(repr=False)


@dataclass
class Ranking:
    """The result of ``rerank``: output rows and what pairs, links and the summary need."""

    rows: list[dict]
    ranked: dict[str, list[Ranked]]  # every ok candidate per group, best first, before filters
    winners: dict[str, Ranked]  # rank 1 of each group that kept one
    candidates: int = 0
    errors: int = 0
    dropped: int = 0  # below min_plausibility
    out_of_domain: int = 0  # ok candidates out of domain (ranked with flag/keep, else skipped)
    skipped: int = 0  # left out as out of domain (ood="skip")

    @property
    def groups(self) -> int:
        return len(self.ranked)


def rerank(
    records: Sequence[Mapping],
    groups: Sequence[str],
    *,
    weights: Mapping[str, float] | None = None,
    top_k: int | None = None,
    min_plausibility: float | None = None,
    ood: str = "keep",
) -> Ranking:
    """Rank candidates within their groups.

    Args:
        records: score records, one per candidate (``status`` ``ok`` or ``error``).
        groups: each record's group key, in the same order.
        weights: rank by ``1 - weighted mean`` of these artifact scores instead of plausibility.
        top_k: keep the best ``top_k`` per group in the rows (error rows are always kept).
        min_plausibility: drop ``ok`` candidates whose plausibility is below this.
        ood: out-of-domain candidates: "keep", "flag" or "skip" (module docstring).

    Returns:
        A ``Ranking`` whose rows go group by group (sorted by key): ranked candidates best first
        with ``rank`` 1.., ``margin`` to the next kept candidate (null for the last), then
        skipped rows (``ood="skip"``) and error rows, by path, with ``rank`` null. Ties rank by
        path, so the order never depends on input order.
    """
    if len(records) != len(groups):
        raise ValueError(f"{len(records)} records but {len(groups)} group keys")
    if top_k is not None and top_k < 1:
        raise ValueError(f"top_k must be >= 1, got {top_k}")
    if ood not in OOD_MODES:
        raise ValueError(f"ood must be one of {OOD_MODES}, got {ood!r}")
    mark = ood != "keep"
    ranked: dict[str, list[Ranked]] = {}
    failed: dict[str, list[Mapping]] = {}
    skipped: dict[str, list[Mapping]] = {}
    result = Ranking(rows=[], ranked={}, winners={}, candidates=len(records))
    for record, group in zip(records, groups, strict=True):
        ranked.setdefault(group, [])
        if record.get("status") != "ok":
            failed.setdefault(group, []).append(record)
            continue
        if is_out_of_domain(record):
            result.out_of_domain += 1
            if ood == "skip":
                skipped.setdefault(group, []).append(record)
                continue
        plaus = record.get("plausibility")
        ranked[group].append(
            Ranked(
                str(record["path"]),
                rank_score(record, weights),
                float(plaus) if _finite(plaus) else None,
                record,
            )
        )
    for group in sorted(ranked):
        ranked[group].sort(key=lambda c: (-c.score, c.path))
        result.ranked[group] = ranked[group]
        kept = [
            c
            for c in ranked[group]
            if min_plausibility is None
            or (c.plausibility is not None and c.plausibility >= min_plausibility)
        ]
        result.dropped += len(ranked[group]) - len(kept)
        for i, c in enumerate(kept[:top_k]):
            margin = c.score - kept[i + 1].score if i + 1 < len(kept) else None
            result.rows.append(
                _row(group, c.record, rank=i + 1, score=c.score, margin=margin, mark=mark)
            )
        if kept:
            result.winners[group] = kept[0]
        left_out = sorted(skipped.get(group, []), key=lambda r: str(r.get("path")))
        result.skipped += len(left_out)
        result.rows += [
            _row(group, r, rank=None, score=None, margin=None, mark=mark, skip=True)
            for r in left_out
        ]
        errors = sorted(failed.get(group, []), key=lambda r: str(r.get("path")))
        result.errors += len(errors)
        result.rows += [
            _row(group, r, rank=None, score=None, margin=None, mark=mark) for r in errors
        ]
    return result


def _row(
    group: str,
    record: Mapping,
    *,
    rank: int | None,
    score: float | None,
    margin: float | None,
    mark: bool = False,
    skip: bool = False,
) -> dict:
    ok = record.get("status") == "ok"
    label, worst, onset = worst_artifact(record) if ok else (None, None, None)
    row = {
        "group": group,
        "path": str(record.get("path")),
        "rank": rank,
        "score": score,
        "margin": margin,
        "plausibility": record.get("plausibility") if ok else None,
        "worst_label": label,
        "worst_score": worst,
        "worst_onset": onset,
        "status": "ok" if ok else "error",
        "error": None if ok else (record.get("error") or "unknown error"),
    }
    if skip:
        distance = record.get("ood_distance")
        shown = f"{float(distance):.3g}" if _finite(distance) else "unknown"
        row["status"], row["error"] = "skipped", f"out of domain (ood_distance {shown})"
    if mark:
        row["out_of_domain"] = is_out_of_domain(record) if ok else None
    return row
