"""The out-of-domain measure: statistics, distances, threshold."""

import numpy as np
import pytest

from judge.training.domain import clip_distance, fit_domain, is_out_of_domain, window_distances


def test_in_domain_windows_sit_near_one_and_the_threshold_keeps_its_quantile():
    rng = np.random.default_rng(0)
    train = rng.normal(3.0, 2.0, size=(4000, 32))
    stats = fit_domain(train, quantile=0.99)
    assert stats["windows"] == 4000 and len(stats["mean"]) == 32
    fresh = rng.normal(3.0, 2.0, size=(4000, 32))
    d = window_distances(fresh, stats)
    assert abs(np.median(d) - 1.0) < 0.05
    beyond = (d > stats["threshold"]).mean()
    assert 0.003 < beyond < 0.03  # about 1% of in-domain windows lie past the 0.99 quantile


def test_shifted_features_are_out_of_domain_and_a_clip_takes_the_median():
    rng = np.random.default_rng(1)
    stats = fit_domain(rng.normal(0.0, 1.0, size=(500, 8)))
    far = window_distances(rng.normal(4.0, 1.0, size=(5, 8)), stats)
    assert is_out_of_domain(clip_distance(far), stats)
    near = window_distances(rng.normal(0.0, 1.0, size=(5, 8)), stats)
    assert not is_out_of_domain(clip_distance(near), stats)
    # One odd window does not move a clip's distance.
    mixed = np.concatenate([near, [1e3]])
    assert clip_distance(mixed) < stats["threshold"]


def test_constant_features_do_not_divide_by_zero():
    x = np.ones((10, 4))
    x[:, 0] = np.arange(10)
    stats = fit_domain(x)
    d = window_distances(x, stats)
    assert np.isfinite(d).all()


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="N >= 2"):
        fit_domain(np.zeros((1, 4)))
    stats = fit_domain(np.random.default_rng(0).normal(size=(10, 4)))
    with pytest.raises(ValueError, match="do not match"):
        window_distances(np.zeros((3, 5)), stats)
    with pytest.raises(ValueError, match="quantile"):
        fit_domain(np.zeros((10, 4)), quantile=1.0)
