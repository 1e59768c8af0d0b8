"""judge.metrics against torchmetrics on random data (ties included), and its edge cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torchmetrics.functional.classification import (
    binary_auroc,
    binary_average_precision,
    binary_calibration_error,
)

from judge.metrics import (
    auroc,
    average_precision,
    ece,
    operating_points,
    reliability_bins,
    sigmoid,
)


def _data(seed: int, n: int, decimals: int | None):
    """Labels and scores in [0, 1]; rounding to ``decimals`` makes many ties."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(np.int64)
    s = np.clip(rng.normal(0.35 + 0.3 * y, 0.2), 0.0, 1.0)
    if decimals is not None:
        s = np.round(s, decimals)
    return y, s


def _t(a):
    return torch.from_numpy(np.asarray(a))


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("decimals", [None, 2, 1])
def test_auroc_and_ap_match_torchmetrics(seed, decimals):
    y, s = _data(seed, 300, decimals)
    if decimals == 1:
        assert len(np.unique(s)) < 15  # heavy ties: the tie rule matters
    assert auroc(y, s) == pytest.approx(
        float(binary_auroc(_t(s), _t(y))), abs=1e-6
    )  # torchmetrics sums in float32
    ap = float(binary_average_precision(_t(s), _t(y)))
    assert average_precision(y, s) == pytest.approx(ap, abs=1e-6)  # torchmetrics sums in float32


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("bins", [10, 15])
def test_ece_matches_torchmetrics(seed, bins):
    y, p = _data(seed, 500, None)
    expected = float(binary_calibration_error(_t(p), _t(y), n_bins=bins, norm="l1"))
    assert ece(p, y, bins) == pytest.approx(expected, abs=1e-6)  # torchmetrics sums in float32


def test_one_class_or_nothing_is_nan():
    s = np.array([0.1, 0.4, 0.9])
    for y in (np.zeros(3, np.int64), np.ones(3, np.int64)):
        assert math.isnan(auroc(y, s)) and math.isnan(average_precision(y, s))
    empty = np.zeros(0)
    assert math.isnan(auroc(empty, empty)) and math.isnan(average_precision(empty, empty))
    assert math.isnan(ece(empty, empty))
    assert not math.isnan(ece(s, np.zeros(3)))  # ECE exists with one class


def test_perfect_and_reversed_ranking():
    y, s = np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.8, 0.9])
    assert auroc(y, s) == 1.0 and average_precision(y, s) == 1.0
    assert auroc(y, -s) == 0.0
    assert auroc(y, np.full(4, 0.5)) == 0.5  # one tie for everything: chance


def test_operating_points_group_ties_highest_first():
    scores, tp, fp = operating_points(np.array([1, 0, 1, 0]), np.array([0.2, 0.9, 0.9, 0.2]))
    assert scores.tolist() == [0.9, 0.2]
    assert tp.tolist() == [1.0, 2.0] and fp.tolist() == [1.0, 2.0]


def test_reliability_bins_are_the_bins_of_ece():
    y, p = _data(7, 200, None)
    n, acc, conf = reliability_bins(y, p, 10)
    assert n.sum() == 200
    full = n > 0
    by_bins = np.sum(n[full] / n.sum() * np.abs(acc[full] - conf[full]))
    assert ece(p, y, 10) == pytest.approx(by_bins)
    assert reliability_bins([1], [1.0], 4)[0].tolist() == [0, 0, 0, 1]  # p == 1: top bin
    with pytest.raises(ValueError, match="finite"):
        ece(np.array([0.5, np.nan]), np.array([0, 1]))


def test_sigmoid_scalars_are_floats_arrays_stay_arrays():
    assert isinstance(sigmoid(0.3), float) and sigmoid(0.0) == 0.5
    assert sigmoid(800.0) == 1.0 and sigmoid(-800.0) == 0.0  # no overflow either way
    # Scalars go through math.exp, bit for bit what score records always held.
    x = 1.2345
    assert sigmoid(x) == 1.0 / (1.0 + math.exp(-x))
    assert sigmoid(-x) == math.exp(-x) / (1.0 + math.exp(-x))
    z = np.array([-800.0, -2.0, 0.0, 3.0, 800.0])
    out = sigmoid(z)
    assert isinstance(out, np.ndarray) and out.shape == z.shape
    with np.errstate(over="ignore"):  # the naive formula overflows at -800; sigmoid must not
        naive = 1.0 / (1.0 + np.exp(-z))
    np.testing.assert_allclose(out, naive, rtol=1e-15)
    np.testing.assert_allclose(out, [sigmoid(float(v)) for v in z], rtol=1e-15)
