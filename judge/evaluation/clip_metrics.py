"""Clip-level evaluation figures of one system (the judge or a baseline) on a labelled manifest.

Everything is computed from whole-clip scores, as users see them (``judge-score`` records),
not from training windows:

- per label: AUROC, AP, and precision / recall / F1 at the system's stored threshold;
  macro means over the labels that have both classes;
- ``plausible/*``: the same for "any artifact" (score ``1 - plausibility``), and ``ece``, the
  calibration error of the plausibility (``label_ece``: of all label scores together);
- onset: on every artifact clip with a known event frame, the predicted onset frame of the
  event's label minus the true one (``onset_mae``, ``onset_acc`` = share within one frame);
- ``fpr``: share of the ``clean_clips`` that are flagged (``Predictions.flagged``: the record's
  own ``flagged`` decision when it carries one, else plausibility below its threshold);
  ``fpr/<tag>``: the same on clean clips carrying a hard-negative tag, ``fpr/untagged`` on the
  other clean clips; ``plausible/recall`` is the share of the ``artifact_clips`` flagged;
- IntPhys-style matched groups: within each group, every (clean, artifact) pair is scored
  right when the artifact clip gets the higher artifact score (ties half). ``pair_acc`` is the
  share right and ``intphys/relative_err = 1 - pair_acc`` the share wrong;
  ``intphys/absolute_err`` is ``1 - AUROC`` of the same score over the same clips, i.e. without
  the help of comparing twins;
- out of domain, from records that carry it: ``ood/share`` of the ``ood/n`` scored clips with
  an ``out_of_domain`` decision, ``ood/median_distance`` of the clips with an ``ood_distance``.

``source_metrics`` gives the same figures per source family (``synthetic``, ``spliced``,
``real``, ...: the part of a row's ``source`` before the first ``/``), from ``compute_metrics``
on each family's clips. Synthetic rows of a randomisation family held out of training
(``"holdout": true``, docs/formats.md) form the family ``held-out`` of their own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from judge.labels import PLAUSIBLE
from judge.metrics import auroc as _auroc
from judge.metrics import average_precision, ece
from judge.targets_rule import row_plausible_target

UNTAGGED = "untagged"
UNKNOWN_SOURCE = "unknown"  # the family of rows without a ``source``
HELD_OUT = "held-out"  # the family of rows whose randomisation family training never saw
# Families in this order first, then any other in name order, then ``unknown``.
SOURCE_ORDER = ("synthetic", HELD_OUT, "spliced", "real")


def source_family(source: str | None) -> str:
    """``"spliced/ssv2"`` -> ``"spliced"``; None or empty -> ``"unknown"``."""
    return (source or "").split("/", 1)[0] or UNKNOWN_SOURCE


def row_source(row: dict) -> str | None:
    """A row's ``source``, under ``held-out/`` when its scene's family was held out of train."""
    source = row.get("source")
    return f"{HELD_OUT}/{source or UNKNOWN_SOURCE}" if row.get("holdout") else source


def _family_key(family: str) -> tuple[int, int, str]:
    if family == UNKNOWN_SOURCE:
        return (2, 0, family)
    if family in SOURCE_ORDER:
        return (0, SOURCE_ORDER.index(family), family)
    return (1, 0, family)


@dataclass
class Truth:
    """Labels of N manifest clips.

    Attributes:
        paths: (N,) the rows' paths as written.
        labels: the L artifact labels, in column order.
        y: int8 (N, L): 1 artifact, 0 absent, -1 unknown.
        plausible: int8 (N,): 1 clean, 0 artifact, -1 unknown (``judge.targets_rule``): the
            row's ``plausible`` label; without one, 0 when it has a positive artifact label or
            an event, 1 when all L labels are known and 0.
        onset: int64 (N,): 0-based frame of the first event, -1 when none is known.
        onset_label: (N,) the first event's type (None without events).
        tags: (N,) hard-negative tags of each clip.
        groups: (N,) matched-group key (None outside a group).
        sources: (N,) the rows' ``source`` (None where missing; empty list: none known).
    """

    paths: list[str]
    labels: list[str]
    y: np.ndarray
    plausible: np.ndarray
    onset: np.ndarray
    onset_label: list[str | None]
    tags: list[list[str]]
    groups: list[str | None]
    sources: list[str | None] = field(default_factory=list)

    def families(self) -> list[str]:
        """(N,) each clip's source family (``source_family``)."""
        sources = self.sources or [None] * len(self.paths)
        return [source_family(s) for s in sources]

    def subset(self, idx: np.ndarray) -> Truth:
        """The clips at row indices ``idx``, in that order."""
        idx = np.asarray(idx, np.int64)

        def pick(xs: list) -> list:
            return [xs[i] for i in idx] if xs else []

        return Truth(
            paths=pick(self.paths),
            labels=list(self.labels),
            y=self.y[idx],
            plausible=self.plausible[idx],
            onset=self.onset[idx],
            onset_label=pick(self.onset_label),
            tags=pick(self.tags),
            groups=pick(self.groups),
            sources=pick(self.sources),
        )

    @classmethod
    def from_rows(cls, rows: list[dict], labels: list[str]) -> Truth:
        """From manifest rows (``judge.io.manifest.read_manifest``)."""
        n, num = len(rows), len(labels)
        y = np.full((n, num), -1, np.int8)
        plausible = np.full(n, -1, np.int8)
        onset = np.full(n, -1, np.int64)
        onset_label: list[str | None] = [None] * n
        for i, row in enumerate(rows):
            known = row.get("labels") or {}
            for j, label in enumerate(labels):
                if known.get(label) is not None:
                    y[i, j] = int(known[label])
            target = row_plausible_target(row, labels)
            plausible[i] = -1 if target is None else target
            events = sorted(row.get("events") or [], key=lambda e: e.get("frame", 0))
            if events and events[0].get("frame") is not None:
                onset[i] = int(events[0]["frame"])
                onset_label[i] = events[0].get("type")
        return cls(
            paths=[str(r["path"]) for r in rows],
            labels=list(labels),
            y=y,
            plausible=plausible,
            onset=onset,
            onset_label=onset_label,
            tags=[list(r.get("tags") or []) for r in rows],
            groups=[r.get("group") for r in rows],
            sources=[row_source(r) for r in rows],
        )


@dataclass
class Predictions:
    """One system's clip scores, aligned with a ``Truth``.

    Attributes:
        ok: bool (N,): the clip was scored (False: unreadable, left out of every figure).
        scores: float (N, L): artifact score per label, in [0, 1].
        artifact: float (N,): P(any artifact) = 1 - plausibility.
        onset: int64 (N, L): predicted onset frame per label (-1 unknown).
        thresholds: per label and ``plausible`` (default 0.5); a label is flagged at
            ``score >= threshold``, a clip at ``plausibility < thresholds["plausible"]``.
        curves: per clip, the per-frame artifact curve (float (T,)) or None.
        record_flagged: float (N,): the record's own ``flagged`` decision (1.0 / 0.0), NaN where
            it has none (older records, the baseline); None: none known.
        ood_distance: float (N,): the record's ``ood_distance``, NaN where missing.
        out_of_domain: float (N,): the record's ``out_of_domain`` (1.0 / 0.0), NaN where missing.
    """

    ok: np.ndarray
    scores: np.ndarray
    artifact: np.ndarray
    onset: np.ndarray
    thresholds: dict[str, float] = field(default_factory=dict)
    curves: list[np.ndarray | None] = field(default_factory=list)
    record_flagged: np.ndarray | None = None
    ood_distance: np.ndarray | None = None
    out_of_domain: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.ok)
        for name in ("record_flagged", "ood_distance", "out_of_domain"):
            if getattr(self, name) is None:
                setattr(self, name, np.full(n, np.nan))

    def threshold(self, label: str) -> float:
        return float(self.thresholds.get(label, 0.5))

    def flagged(self) -> np.ndarray:
        """bool (N,): scored clips the system calls implausible. The one rule every figure at
        the stored thresholds uses: the record's ``flagged`` where it has one (the decision the
        judge gave its user), else ``plausibility < threshold("plausible")``."""
        rule = (1.0 - self.artifact) < self.threshold(PLAUSIBLE)
        own = ~np.isnan(self.record_flagged)
        return self.ok & np.where(own, self.record_flagged == 1.0, rule)

    def subset(self, idx: np.ndarray) -> Predictions:
        """The clips at indices ``idx``, in that order (same thresholds)."""
        idx = np.asarray(idx, np.int64)
        return Predictions(
            ok=self.ok[idx],
            scores=self.scores[idx],
            artifact=self.artifact[idx],
            onset=self.onset[idx],
            thresholds=dict(self.thresholds),
            curves=[self.curves[i] for i in idx] if self.curves else [],
            record_flagged=self.record_flagged[idx],
            ood_distance=self.ood_distance[idx],
            out_of_domain=self.out_of_domain[idx],
        )

    @classmethod
    def from_records(
        cls, records: list[dict | None], labels: list[str], thresholds: dict[str, float]
    ) -> Predictions:
        """From judge score records (``Judge.score``), one per clip (None or error: not ok).
        ``flagged``, ``ood_distance`` and ``out_of_domain`` are read where a record has them."""
        n, num = len(records), len(labels)
        ok = np.zeros(n, bool)
        own_flag, ood_distance, out_of_domain = (np.full(n, np.nan) for _ in range(3))
        scores = np.full((n, num), np.nan)
        artifact = np.full(n, np.nan)
        onset = np.full((n, num), -1, np.int64)
        curves: list[np.ndarray | None] = [None] * n
        for i, rec in enumerate(records):
            if not rec or rec.get("status") != "ok":
                continue
            ok[i] = True
            scores[i] = [float(rec["scores"][label]) for label in labels]
            artifact[i] = 1.0 - float(rec["plausibility"])
            frames = rec.get("onset_frames") or {}
            onset[i] = [int(frames.get(label, -1)) for label in labels]
            if rec.get("frame_scores") is not None:
                curves[i] = np.asarray(rec["frame_scores"], np.float64)
            for key, out in (("flagged", own_flag), ("out_of_domain", out_of_domain)):
                if rec.get(key) is not None:
                    out[i] = float(bool(rec[key]))
            if rec.get("ood_distance") is not None:
                ood_distance[i] = float(rec["ood_distance"])
        extra = {"ood_distance": ood_distance, "out_of_domain": out_of_domain}
        return cls(ok, scores, artifact, onset, dict(thresholds), curves, own_flag, **extra)


def _auroc_ap(score: np.ndarray, target: np.ndarray) -> tuple[float, float]:
    """(AUROC, AP) of ``score`` (M,) for 0/1 ``target`` (M,); both NaN with one class only."""
    return _auroc(target, score), average_precision(target, score)


def _prf(pred: np.ndarray, target: np.ndarray) -> dict[str, float]:
    tp = float(np.sum(pred & (target == 1)))
    fp, fn = float(np.sum(pred & (target == 0))), float(np.sum(~pred & (target == 1)))
    precision = tp / (tp + fp) if tp + fp else math.nan
    recall = tp / (tp + fn) if tp + fn else math.nan
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else math.nan
    return {"precision": precision, "recall": recall, "f1": f1}


def _mean(values: list[float]) -> float:
    kept = [v for v in values if not math.isnan(v)]
    return float(np.mean(kept)) if kept else math.nan


def compute_metrics(truth: Truth, pred: Predictions) -> dict[str, float]:
    """The figures of the module docstring, as ``{name: float}`` (NaN where undefined)."""
    res: dict[str, float] = {"clips": float(len(truth.paths)), "errors": float((~pred.ok).sum())}
    per: dict[str, list[float]] = {"auroc": [], "ap": [], "precision": [], "recall": [], "f1": []}
    for j, label in enumerate(truth.labels):
        known = pred.ok & (truth.y[:, j] >= 0)
        target, score = truth.y[known, j], pred.scores[known, j]
        auroc, ap = _auroc_ap(score, target)
        thr = pred.threshold(label)
        res |= {f"{label}/auroc": auroc, f"{label}/ap": ap, f"{label}/threshold": thr}
        res[f"{label}/positives"] = float((target == 1).sum())
        prf = _prf(score >= thr, target) if (target == 1).any() else {}
        for key in ("precision", "recall", "f1"):
            res[f"{label}/{key}"] = prf.get(key, math.nan)
        for key in per:
            per[key].append(res[f"{label}/{key}"] if not math.isnan(auroc) else math.nan)
    for key, values in per.items():
        res[key] = _mean(values)
    res["labels_scored"] = float(sum(not math.isnan(v) for v in per["auroc"]))

    known = pred.ok & (truth.plausible >= 0)
    flagged = pred.flagged()
    is_artifact = (truth.plausible[known] == 0).astype(np.int64)
    auroc, ap = _auroc_ap(pred.artifact[known], is_artifact)
    res |= {f"{PLAUSIBLE}/auroc": auroc, f"{PLAUSIBLE}/ap": ap}
    res |= {f"{PLAUSIBLE}/{k}": v for k, v in _prf(flagged[known], is_artifact).items()}
    clean = pred.ok & (truth.plausible == 1)
    res["clean_clips"] = float(clean.sum())
    res["artifact_clips"] = float(is_artifact.sum())
    res["fpr"] = float(flagged[clean].mean()) if clean.any() else math.nan
    res["ece"] = (
        ece(1.0 - pred.artifact[known], truth.plausible[known]) if known.any() else math.nan
    )
    label_known = pred.ok[:, None] & (truth.y >= 0)
    res["label_ece"] = ece(pred.scores[label_known], truth.y[label_known])

    errors = onset_errors(truth, pred)
    res["onset_n"] = float(len(errors))
    res["onset_mae"] = float(np.abs(errors).mean()) if len(errors) else math.nan
    res["onset_acc"] = float((np.abs(errors) <= 1).mean()) if len(errors) else math.nan

    for tag, members in _clean_by_tag(truth, pred.ok).items():
        res[f"fpr/{tag}"] = float(flagged[members].mean())
        res[f"fpr/{tag}/n"] = float(len(members))
    res |= intphys(truth, pred)
    res["pair_acc"] = 1.0 - res["intphys/relative_err"]  # NaN without pairs
    res |= out_of_domain(pred)
    return res


def out_of_domain(pred: Predictions) -> dict[str, float]:
    """``ood/n``, ``ood/share`` and ``ood/median_distance`` of the scored clips (module
    docstring); NaN when no record carries them."""
    decided = pred.ok & ~np.isnan(pred.out_of_domain)
    distance = pred.ood_distance[pred.ok & np.isfinite(pred.ood_distance)]
    return {
        "ood/n": float(decided.sum()),
        "ood/share": float(pred.out_of_domain[decided].mean()) if decided.any() else math.nan,
        "ood/median_distance": float(np.median(distance)) if len(distance) else math.nan,
    }


def source_metrics(truth: Truth, pred: Predictions) -> dict[str, dict[str, float]]:
    """``{family: compute_metrics of its clips}``, families in ``SOURCE_ORDER``, then others
    by name, then ``unknown`` (rows without a source)."""
    families = truth.families()
    out = {}
    for family in sorted(set(families), key=_family_key):
        idx = np.asarray([i for i, f in enumerate(families) if f == family], np.int64)
        out[family] = compute_metrics(truth.subset(idx), pred.subset(idx))
    return out


def onset_errors(truth: Truth, pred: Predictions) -> np.ndarray:
    """int64 (K,): predicted minus true onset frame on the K scored artifact clips whose first
    event has a known frame and a label the system scores."""
    out = []
    for i in np.flatnonzero(pred.ok & (truth.onset >= 0) & (truth.plausible == 0)):
        label = truth.onset_label[i]
        if label in truth.labels:
            guess = pred.onset[i, truth.labels.index(label)]
            if guess >= 0:
                out.append(int(guess) - int(truth.onset[i]))
    return np.asarray(out, np.int64)


def _clean_by_tag(truth: Truth, ok: np.ndarray) -> dict[str, np.ndarray]:
    members: dict[str, list[int]] = {}
    for i in np.flatnonzero(ok & (truth.plausible == 1)):
        for tag in truth.tags[i] or [UNTAGGED]:
            members.setdefault(tag, []).append(int(i))
    return {tag: np.asarray(idx) for tag, idx in sorted(members.items())}


def matched_pairs(truth: Truth, ok: np.ndarray) -> list[tuple[int, int]]:
    """(clean index, artifact index) for every scored pair inside a matched group."""
    by_group: dict[str, tuple[list[int], list[int]]] = {}
    for i in np.flatnonzero(ok & (truth.plausible >= 0)):
        if truth.groups[i] is not None:
            clean, bad = by_group.setdefault(truth.groups[i], ([], []))
            (clean if truth.plausible[i] == 1 else bad).append(int(i))
    return [(c, b) for clean, bad in by_group.values() for c in clean for b in bad]


def intphys(truth: Truth, pred: Predictions) -> dict[str, float]:
    """Relative against absolute error on matched groups (module docstring)."""
    pairs = matched_pairs(truth, pred.ok)
    if not pairs:
        return {"intphys/pairs": 0.0, "intphys/relative_err": math.nan,
                "intphys/absolute_err": math.nan}  # fmt: skip
    clean, bad = (np.asarray(x) for x in zip(*pairs, strict=True))
    diff = pred.artifact[bad] - pred.artifact[clean]
    right = np.where(diff > 0, 1.0, np.where(diff == 0, 0.5, 0.0))
    clips = np.unique(np.concatenate([clean, bad]))
    auroc, _ = _auroc_ap(pred.artifact[clips], (truth.plausible[clips] == 0).astype(np.int64))
    return {
        "intphys/pairs": float(len(pairs)),
        "intphys/relative_err": float(1.0 - right.mean()),
        "intphys/absolute_err": 1.0 - auroc if not math.isnan(auroc) else math.nan,
    }
