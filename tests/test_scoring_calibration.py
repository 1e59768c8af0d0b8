"""Temperature scaling, thresholds, ECE and the calibration data join (numpy only, fast)."""

import math

import numpy as np
import pytest

from judge.calibration.calibration import (
    calibrate,
    choose_threshold,
    fit_label,
    fit_temperature,
    nll,
    pooled,
)
from judge.calibration.calibration_data import collect, plausible_target
from judge.io.pathkey import path_key
from judge.metrics import ece, sigmoid


def overconfident(n=4000, scale=4.0, seed=0):
    """Labels drawn from sigmoid(true logit); the judge reports scale x the true logit."""
    rng = np.random.default_rng(seed)
    true = rng.normal(0.0, 2.0, n)
    y = (rng.random(n) < sigmoid(true)).astype(np.int64)
    return scale * true, y


def test_temperature_undoes_overconfidence_and_lowers_ece_and_nll():
    z, y = overconfident()
    t = fit_temperature(z, y)
    assert t == pytest.approx(4.0, rel=0.1)
    assert ece(sigmoid(z / t), y) < 0.5 * ece(sigmoid(z), y)
    assert nll(z, y, t) < nll(z, y)
    # Deterministic: no random start, a fixed number of steps.
    assert fit_temperature(z, y) == t
    # Underconfident scores are sharpened (T < 1).
    assert fit_temperature(z / 8, y) == pytest.approx(0.5, rel=0.1)


def test_ece_by_hand():
    assert ece(np.full(4, 0.8), np.array([1, 1, 0, 0])) == pytest.approx(0.3)
    # Two bins, each perfectly calibrated; p == 1.0 lands in the top bin.
    assert ece(np.array([0.0, 1.0]), np.array([0, 1])) == pytest.approx(0.0)
    assert math.isnan(ece(np.array([]), np.array([])))


def _precision_recall(p, y, t):
    pred = p >= t
    return (pred & (y == 1)).sum() / max(pred.sum(), 1), (pred & (y == 1)).sum() / (y == 1).sum()


@pytest.mark.parametrize("target", [0.7, 0.9, 0.95])
def test_threshold_meets_target_precision_on_fit_data_and_is_the_smallest(target):
    z, y = overconfident(seed=1)
    p = sigmoid(z / fit_temperature(z, y))
    th = choose_threshold(p, y, precision=target)
    prec, rec = _precision_recall(p, y, th.value)
    assert th.met and prec >= target and prec == pytest.approx(th.precision)
    assert rec == pytest.approx(th.recall)
    # The next lower score would break the target: the threshold is as low as it can be.
    lower = p[p < th.value].max()
    assert _precision_recall(p, y, lower)[0] < target


def test_threshold_for_target_recall_is_the_largest():
    z, y = overconfident(seed=2)
    p = sigmoid(z / 4)
    th = choose_threshold(p, y, recall=0.8)
    assert th.met and _precision_recall(p, y, th.value)[1] >= 0.8
    higher = p[p >= th.value].min()  # raising the threshold past it loses that clip
    assert _precision_recall(p, y, np.nextafter(higher, 1))[1] < 0.8
    # Halfway between scores: no fit clip sits on the threshold itself.
    assert not np.any(p == th.value)


def test_unattainable_targets_fall_back_to_one_half():
    p = np.array([0.9, 0.8, 0.7])
    th = choose_threshold(p, np.array([0, 1, 0]), precision=0.9)
    assert (th.value, th.met) == (0.5, False) and "unattainable (best 0.500)" in th.note
    th = choose_threshold(p, np.zeros(3), recall=0.5)
    assert (th.value, th.met, th.note) == (0.5, False, "no positive clips")
    with pytest.raises(ValueError, match="exactly one"):
        choose_threshold(p, np.ones(3))


def test_one_class_label_keeps_its_temperature():
    fit = fit_label("vanish", np.array([1.0, 2.0]), np.array([1, 1]), t_before=1.7)
    assert fit.t_after == 1.7 and "one class only" in fit.note and fit.positives == 2


def test_calibrate_and_pooled_over_labels():
    z, y = overconfident(n=2000)
    z2, y2 = overconfident(n=2000, scale=0.5, seed=3)
    samples = {"teleport": (z, y), "plausible": (z2, y2)}
    fits = calibrate(samples, {"plausible": 1.0}, precision=0.8)
    temps = {f.label: f.t_after for f in fits}
    assert temps["teleport"] == pytest.approx(4, rel=0.15)
    assert temps["plausible"] == pytest.approx(0.5, rel=0.15)
    nll_before, ece_before = pooled(samples, {})
    nll_after, ece_after = pooled(samples, temps)
    assert ece_after < ece_before and nll_after < nll_before
    assert all(f.threshold.met for f in fits)


def test_plausible_target_rules():
    arts = ["teleport", "vanish"]
    assert plausible_target({"plausible": 1}, arts) == 1
    assert plausible_target({"teleport": 1}, arts) == 0
    assert plausible_target({"teleport": 0, "vanish": 0}, arts) == 1
    assert plausible_target({"teleport": 0}, arts) is None  # vanish unknown


def test_collect_joins_records_to_rows_and_masks_unknown_labels(tmp_path):
    def rec(name, status="ok", **logits):
        return {"path": str(tmp_path / name), "status": status, "error": "x", "logits": logits}

    rows = {
        path_key(str(tmp_path / "a.mp4")): {"labels": {"teleport": 1, "vanish": 0}},
        path_key(str(tmp_path / "b.mp4")): {"labels": {"plausible": 1}},
    }
    records = [
        rec("a.mp4", teleport=2.0, vanish=-1.0, plausible=-3.0),
        rec("b.mp4", teleport=-2.0, vanish=-2.0, plausible=3.0),
        rec("c.mp4", teleport=0.0, plausible=0.0),
        rec("d.mp4", status="error"),
    ]
    data = collect(records, rows, ["teleport", "vanish"])
    assert data.clips == 2 and data.unmatched == [str(tmp_path / "c.mp4")]
    assert len(data.errors) == 1 and data.pairs == 4
    assert data.samples["teleport"][0].tolist() == [2.0]  # b's teleport label is unknown
    assert data.samples["plausible"][1].tolist() == [0, 1]


def test_logits_without_signal_hit_the_bound_and_say_so():
    rng = np.random.default_rng(4)
    fit = fit_label("morph", rng.normal(0, 3, 500), rng.integers(0, 2, 500))
    assert fit.t_after > 50 and "no signal" in fit.note
    assert fit.ece_after <= fit.ece_before
