"""Losses respect masks; metrics score known entries only."""

from __future__ import annotations

import math

import pytest
import torch

from judge.training.losses import (
    LossWeights,
    judge_loss,
    label_pairwise_loss,
    masked_bce,
    onset_loss,
    pairwise_loss,
)
from judge.training.metrics import JudgeMetrics


def test_masked_entries_cost_nothing():
    logits = torch.tensor([[2.0, -1.0], [0.5, 3.0]])
    targets = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    mask = torch.tensor([[True, False], [True, True]])
    base = masked_bce(logits, targets, mask)
    changed = logits.clone()
    changed[0, 1] = 40.0  # an unknown label, confidently "wrong"
    assert torch.isclose(masked_bce(changed, targets, mask), base)
    nothing = masked_bce(logits.requires_grad_(), targets, torch.zeros_like(mask))
    assert nothing.item() == 0.0
    nothing.backward()  # a batch with no known label still back-propagates (zero gradient)
    assert torch.all(logits.grad == 0)


def test_focal_loss_discounts_easy_examples():
    logits = torch.tensor([4.0, -4.0, 0.1])
    targets = torch.tensor([1.0, 0.0, 1.0])
    mask = torch.ones(3, dtype=torch.bool)
    plain = torch.nn.functional.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    focal = masked_bce(logits, targets, mask, focal_gamma=2.0)
    assert focal < plain.mean()
    # The hard example (0.1) keeps most of its loss, the easy ones almost none.
    assert masked_bce(logits[2:], targets[2:], mask[2:], focal_gamma=2.0) > 0.2 * plain[2]


def test_onset_loss_prefers_the_right_frame():
    onset = torch.zeros(1, 8)
    onset[0, 5] = 1
    right, wrong = torch.full((1, 8), -3.0), torch.full((1, 8), -3.0)
    right[0, 5], wrong[0, 2] = 3.0, 3.0
    known = torch.tensor([True])
    assert onset_loss(right, onset, known) < onset_loss(wrong, onset, known) / 4
    assert onset_loss(wrong, onset, torch.tensor([False])) == 0


def test_pairwise_loss_ranks_twins_within_their_group():
    plausible = torch.tensor([1.0, 0.0, 0.0, 1.0])
    known = torch.ones(4, dtype=torch.bool)
    groups = ["a", "a", "b", "c"]  # only clip 0 (clean) and clip 1 (artifact) are twins
    ordered = torch.tensor([2.0, -1.0, 9.0, -9.0])
    assert pairwise_loss(ordered, plausible, known, groups, margin=1.0) == 0
    swapped = torch.tensor([-1.0, 2.0, 9.0, -9.0], requires_grad=True)
    loss = pairwise_loss(swapped, plausible, known, groups, margin=1.0)
    assert loss.item() == pytest.approx(4.0)
    loss.backward()
    assert swapped.grad[0] < 0 < swapped.grad[1] and swapped.grad[2] == swapped.grad[3] == 0
    assert pairwise_loss(ordered, plausible, known, ["a", "b", "c", "d"], 1.0) == 0


def test_judge_loss_sums_weighted_terms():
    b, l_, t = 2, 3, 4
    out = {"labels": torch.zeros(b, l_), "plausible": torch.zeros(b), "frames": torch.zeros(b, t)}
    batch = {
        "labels": torch.ones(b, l_),
        "label_mask": torch.ones(b, l_, dtype=torch.bool),
        "plausible": torch.zeros(b),
        "plausible_mask": torch.ones(b, dtype=torch.bool),
        "onset": torch.zeros(b, t),
        "onset_mask": torch.ones(b, dtype=torch.bool),
        "group": ["g", "g"],
    }
    terms = judge_loss(out, batch, LossWeights(labels=2.0, plausible=1.0, onset=0.0, pairwise=1.0))
    assert terms["loss"] == pytest.approx(2 * math.log(2) + math.log(2))


def _batch(probs, targets, mask):
    logit = torch.logit(torch.tensor(probs))
    t = torch.tensor(targets)
    return (
        {"labels": logit[:, None], "plausible": -logit, "frames": torch.zeros(len(probs), 4)},
        {
            "labels": t[:, None],
            "label_mask": torch.tensor(mask)[:, None],
            "plausible": 1 - t,
            "plausible_mask": torch.tensor(mask),
            "onset": torch.zeros(len(probs), 4),
            "onset_mask": torch.zeros(len(probs), dtype=torch.bool),
        },
    )


def test_metrics_score_known_entries_only():
    m = JudgeMetrics(("teleport",))
    # Perfect on known entries; the two masked ones are ranked wrongly on purpose.
    m.update(
        *_batch(
            [0.9, 0.8, 0.2, 0.1, 0.95, 0.05],
            [1.0, 1.0, 0.0, 0.0, 0.0, 1.0],
            [True, True, True, True, False, False],
        )
    )
    res = m.compute()
    assert res["teleport/auroc"] == 1.0 and res["teleport/ap"] == 1.0 and res["auroc"] == 1.0
    assert res["teleport/f1"] == 1.0 and res["plausible/auroc"] == 1.0


def test_single_class_labels_are_left_out_of_the_macro_mean():
    m = JudgeMetrics(("teleport", "vanish"))
    out, batch = _batch([0.9, 0.2, 0.7, 0.4], [1.0, 0.0, 1.0, 0.0], [True] * 4)
    out["labels"] = torch.cat([out["labels"], out["labels"]], 1)
    batch["labels"] = torch.cat([batch["labels"], torch.zeros(4, 1)], 1)  # vanish: all 0
    batch["label_mask"] = torch.ones(4, 2, dtype=torch.bool)
    m.update(out, batch)
    res = m.compute()
    assert math.isnan(res["vanish/auroc"]) and res["labels_scored"] == 1.0
    assert res["auroc"] == res["teleport/auroc"] == 1.0


def test_calibration_error_and_onset_accuracy():
    torch.manual_seed(0)
    t = (torch.rand(2000) < 0.5).float()
    calibrated = torch.where(t > 0, 0.7, 0.3)  # 70% right at confidence 0.7: calibrated
    overconfident = torch.where(torch.rand(2000) < 0.7, t, 1 - t) * 0.98 + 0.01
    results = []
    for probs in (calibrated, overconfident):
        m = JudgeMetrics(("teleport",))
        flip = torch.rand(2000) < 0.3
        target = torch.where(flip, 1 - t, t) if probs is calibrated else t
        m.update(*_batch(probs.tolist(), target.tolist(), [True] * 2000))
        results.append(m.compute()["ece"])
    assert results[0] < 0.05 < results[1]
    m = JudgeMetrics(("teleport",))
    out, batch = _batch([0.9, 0.9], [1.0, 1.0], [True, True])
    batch["onset"] = torch.tensor([[0, 0, 1.0, 0], [0, 0, 0, 1.0]])
    batch["onset_mask"] = torch.tensor([True, True])
    out["frames"] = torch.tensor([[0, 5.0, 0, 0], [5.0, 0, 0, 0]])  # off by 1, then by 3
    m.update(out, batch)
    assert m.compute()["onset_acc"] == 0.5


def test_label_pairwise_loss_ranks_a_twin_above_its_clean_clip_on_its_own_label():
    # clip 0 clean, clip 1 its teleport twin (label 0), clip 2 another scene's vanish (label 1)
    labels = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    mask = torch.ones(3, 2, dtype=torch.bool)
    plausible = torch.tensor([1.0, 0.0, 0.0])
    known = torch.ones(3, dtype=torch.bool)
    groups = ["a", "a", "b"]
    good = torch.tensor([[-2.0, 0.0], [2.0, 0.0], [0.0, -5.0]])
    assert label_pairwise_loss(good, labels, mask, plausible, known, groups, 1.0) == 0
    bad = torch.tensor([[1.0, 0.0], [0.5, 0.0], [0.0, -5.0]], requires_grad=True)
    loss = label_pairwise_loss(bad, labels, mask, plausible, known, groups, 1.0)
    assert loss.item() == pytest.approx(1.5)  # one pair: margin 1 - (0.5 - 1.0)
    loss.backward()
    assert bad.grad[1, 0] < 0 < bad.grad[0, 0] and bad.grad[:, 1].abs().sum() == 0
    unknown = mask.clone()
    unknown[1, 0] = False
    assert label_pairwise_loss(bad, labels, unknown, plausible, known, groups, 1.0) == 0
