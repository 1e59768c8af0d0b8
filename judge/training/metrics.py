"""Validation metrics over masked targets: per-label AUROC/AP/F1, macro AUROC, ECE, onset.

torchmetrics' multilabel metrics cannot skip unknown entries, so predictions are gathered
for the epoch and each label is scored on its known entries with torchmetrics' functional
binary metrics. A label with one class only (all 0 or all 1) has no AUROC and is left out
of the macro mean, as a count (`labels_scored`) shows.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torchmetrics.functional.classification import (
    binary_auroc,
    binary_average_precision,
    binary_calibration_error,
    binary_f1_score,
)


class JudgeMetrics:
    """Accumulates one epoch; `compute()` returns `{name: float}` for `stage/name` logging."""

    def __init__(self, label_names: tuple[str, ...], threshold: float = 0.5, n_bins: int = 15):
        self.label_names, self.threshold, self.n_bins = tuple(label_names), threshold, n_bins
        self.reset()

    def reset(self) -> None:
        self._parts: dict[str, list[torch.Tensor]] = {
            k: []
            for k in (
                "labels",
                "label_t",
                "label_m",
                "plaus",
                "plaus_t",
                "plaus_m",
                "frames",
                "onset",
                "onset_m",
            )
        }

    def update(self, out: dict, batch: dict) -> None:
        """`out`: logits labels `(B, L)`, plausible `(B,)`, frames `(B, T)`; `batch`: targets."""
        get = lambda t: t.detach().float().cpu()  # noqa: E731
        p = self._parts
        p["labels"].append(torch.sigmoid(get(out["labels"])))
        p["label_t"].append(get(batch["labels"]))
        p["label_m"].append(batch["label_mask"].detach().cpu().bool())
        p["plaus"].append(torch.sigmoid(get(out["plausible"])))
        p["plaus_t"].append(get(batch["plausible"]))
        p["plaus_m"].append(batch["plausible_mask"].detach().cpu().bool())
        p["frames"].append(get(out["frames"]))
        p["onset"].append(get(batch["onset"]))
        p["onset_m"].append(batch["onset_mask"].detach().cpu().bool())

    def compute(self, gather: Callable[[torch.Tensor], torch.Tensor] | None = None) -> dict:
        """`{name: float}` over the epoch's rows; under DDP, `gather` maps this rank's rows
        `(N, ...)` to every rank's (see `judge.training.distributed.gather_rows`), so all ranks
        return the same dict. Every rank must then hold rows, as Lightning's distributed
        sampler (which pads the ranks to equal length) ensures."""
        if not self._parts["labels"]:
            return {}
        cat = {k: torch.cat(v) for k, v in self._parts.items()}
        if gather is not None:
            cat = {k: gather(v) for k, v in cat.items()}
        res: dict[str, float] = {}
        aurocs = []
        for k, name in enumerate(self.label_names):
            m = cat["label_m"][:, k]
            scores = _binary(cat["labels"][m, k], cat["label_t"][m, k], self.threshold)
            for metric, value in scores.items():
                res[f"{name}/{metric}"] = value
            if not math.isnan(scores["auroc"]):
                aurocs.append(scores["auroc"])
        res["auroc"] = sum(aurocs) / len(aurocs) if aurocs else math.nan
        res["labels_scored"] = float(len(aurocs))
        m = cat["plaus_m"]
        plaus = _binary(cat["plaus"][m], cat["plaus_t"][m], self.threshold)
        for metric, value in plaus.items():
            res[f"plausible/{metric}"] = value
        res["ece"] = (
            float(
                binary_calibration_error(
                    cat["plaus"][m], cat["plaus_t"][m].long(), n_bins=self.n_bins
                )
            )
            if m.any()
            else math.nan
        )
        res["onset_acc"] = _onset_accuracy(cat["frames"], cat["onset"], cat["onset_m"])
        return res


def _binary(prob: torch.Tensor, target: torch.Tensor, threshold: float) -> dict[str, float]:
    """AUROC, AP and F1 of one binary task; NaN where a class is missing."""
    t = target.long()
    if len(t) == 0 or t.min() == t.max():
        return {"auroc": math.nan, "ap": math.nan, "f1": math.nan}
    return {
        "auroc": float(binary_auroc(prob, t)),
        "ap": float(binary_average_precision(prob, t)),
        "f1": float(binary_f1_score(prob, t, threshold=threshold)),
    }


def _onset_accuracy(frame_logits: torch.Tensor, onset: torch.Tensor, mask: torch.Tensor) -> float:
    """Share of windows with a known onset whose highest frame logit is within one frame of it."""
    has = mask & (onset.sum(1) > 0)
    if not has.any():
        return math.nan
    pred = frame_logits[has].argmax(1)
    true = onset[has].argmax(1)
    return float(((pred - true).abs() <= 1).float().mean())
