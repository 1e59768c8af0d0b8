"""Losses of the judge; every target comes with a mask, and unknown entries cost nothing."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class LossWeights:
    """Weights of the loss terms, and options of the per-label loss.

    `pos_weight` scales positives of every label (rare artifacts); `focal_gamma` > 0 switches
    the per-label BCE to the focal loss; `pairwise` weighs the twin-ranking term, with margin
    `margin` in logits.
    """

    labels: float = 1.0
    plausible: float = 1.0
    onset: float = 0.5
    pairwise: float = 0.0
    margin: float = 1.0
    pos_weight: float | None = None
    focal_gamma: float = 0.0


def masked_bce(
    logits: torch.Tensor,
    targets: torch.Tensor,
    mask: torch.Tensor,
    pos_weight: float | None = None,
    focal_gamma: float = 0.0,
) -> torch.Tensor:
    """Mean BCE (or focal loss) over the known entries; any shape, `mask` bool of that shape.

    Returns 0 (with a gradient path) when nothing is known, so a batch of public clips with
    only a plausibility label does not make the per-label loss NaN.
    """
    mask = mask.bool()
    if not mask.any():
        return logits.sum() * 0.0
    pw = (
        None
        if pos_weight is None
        else torch.as_tensor(pos_weight, dtype=logits.dtype, device=logits.device)
    )
    loss = F.binary_cross_entropy_with_logits(
        logits, targets.to(logits.dtype), reduction="none", pos_weight=pw
    )
    if focal_gamma > 0:
        p = torch.sigmoid(logits)
        p_true = torch.where(targets > 0.5, p, 1 - p)
        loss = loss * (1 - p_true).pow(focal_gamma)
    return loss[mask].mean()


def onset_loss(
    frame_logits: torch.Tensor, onset: torch.Tensor, onset_mask: torch.Tensor
) -> torch.Tensor:
    """Per-frame BCE `(B, T)` toward the one-hot onset (all zeros for a plausible window).

    Positives are weighted by T so that the one onset frame counts as much as the others together.
    """
    mask = onset_mask.bool()[:, None].expand_as(frame_logits)
    t = frame_logits.shape[1]
    return masked_bce(frame_logits, onset, mask, pos_weight=float(t - 1))


def pairwise_loss(
    plausible_logits: torch.Tensor,
    plausible: torch.Tensor,
    plausible_mask: torch.Tensor,
    groups: list[str],
    margin: float,
) -> torch.Tensor:
    """Hinge on matched twins in a batch: a clean clip must score more plausible than each
    artifact twin of its group by `margin` logits. `plausible_logits (B,)`; 0 without pairs."""
    known = plausible_mask.bool()
    clean = known & (plausible > 0.5)
    broken = known & (plausible < 0.5)
    same = torch.tensor([[a == b for b in groups] for a in groups], device=plausible_logits.device)
    pairs = same & clean[:, None] & broken[None, :]
    if not pairs.any():
        return plausible_logits.sum() * 0.0
    gap = plausible_logits[:, None] - plausible_logits[None, :]
    return F.relu(margin - gap)[pairs].mean()


def label_pairwise_loss(
    label_logits: torch.Tensor,
    labels: torch.Tensor,
    label_mask: torch.Tensor,
    plausible: torch.Tensor,
    plausible_mask: torch.Tensor,
    groups: list[str],
    margin: float,
) -> torch.Tensor:
    """Hinge on matched twins, per label: an artifact twin must score its own label higher
    than the clean clip of its group does, by `margin` logits. The clean clip is the same
    scene without the artifact, so the comparison isolates what the artifact changed.

    `label_logits (B, L)`, `labels (B, L)`, `label_mask (B, L)`, `plausible (B,)`,
    `plausible_mask (B,)`; 0 without pairs.
    """
    clean = plausible_mask.bool() & (plausible > 0.5)
    positive = label_mask.bool() & (labels > 0.5)  # (B, L)
    same = torch.tensor([[a == b for b in groups] for a in groups], device=label_logits.device)
    pairs = (same & clean[:, None])[:, :, None] & positive[None, :, :]  # (clean i, twin j, L)
    if not pairs.any():
        return label_logits.sum() * 0.0
    gap = label_logits[None, :, :] - label_logits[:, None, :]  # twin j minus clean i
    return F.relu(margin - gap)[pairs].mean()


def judge_loss(out: dict, batch: dict, w: LossWeights) -> dict[str, torch.Tensor]:
    """All terms and their weighted sum (`loss`), from the model's outputs and a batch.

    `out`: labels `(B, L)`, plausible `(B,)`, frames `(B, T)` logits. `batch`: the dataset's
    targets and masks (see `judge.data.dataset.ClipDataset`).
    """
    terms = {
        "labels": masked_bce(
            out["labels"], batch["labels"], batch["label_mask"], w.pos_weight, w.focal_gamma
        ),
        "plausible": masked_bce(out["plausible"], batch["plausible"], batch["plausible_mask"]),
        "onset": onset_loss(out["frames"], batch["onset"], batch["onset_mask"]),
    }
    if w.pairwise > 0 and "group" in batch:
        groups = batch["group"]
        plausible, known = batch["plausible"], batch["plausible_mask"]
        # The twin ranks below its clean clip overall, and above it on its own label.
        terms["pairwise"] = pairwise_loss(
            out["plausible"], plausible, known, groups, w.margin
        ) + label_pairwise_loss(
            out["labels"], batch["labels"], batch["label_mask"], plausible, known, groups, w.margin
        )
    weights = {
        "labels": w.labels,
        "plausible": w.plausible,
        "onset": w.onset,
        "pairwise": w.pairwise,
    }
    terms["loss"] = sum(weights[k] * v for k, v in terms.items())
    return terms
