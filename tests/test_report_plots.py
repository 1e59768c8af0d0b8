"""Evaluation plots (judge.report.plots): curve/AP/ECE values by hand, and PNGs on odd inputs."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from PIL import Image

import judge.report.plots as plots
from judge.metrics import auroc, average_precision, ece, pr_curve, roc_curve
from judge.report.plots import (
    plot_onset_errors,
    plot_reliability,
    plot_roc_pr,
    plot_score_distributions,
)


def assert_png(path, min_w: int = 300, min_h: int = 200) -> None:
    assert path.is_file()
    with Image.open(path) as im:
        assert im.format == "PNG"
        assert im.size[0] >= min_w and im.size[1] >= min_h
        im.load()  # a truncated file fails here
    # Written atomically: no temporary files left beside it.
    assert [p.name for p in path.parent.iterdir() if ".tmp" in p.name] == []


@pytest.fixture
def texts(monkeypatch):
    """Every text (titles, notes, legend entries) of each figure saved, one list per figure."""
    seen: list[list[str]] = []
    save = plots.save_png

    def spy(fig, path, dpi=plots.DPI):
        found = [t.get_text() for t in fig.texts]
        for ax in fig.axes:
            found += [ax.get_title()] + [t.get_text() for t in ax.texts]
            if ax.get_legend() is not None:
                found += [t.get_text() for t in ax.get_legend().get_texts()]
        seen.append(found)
        return save(fig, path, dpi)

    monkeypatch.setattr(plots, "save_png", spy)
    return seen


def test_roc_and_pr_match_hand_computation():
    y, s = np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])
    # Descending scores: 0.8 (+), 0.4 (-), 0.35 (+), 0.1 (-).
    fpr, tpr = roc_curve(y, s)
    np.testing.assert_allclose(fpr, [0, 0, 0.5, 0.5, 1])
    np.testing.assert_allclose(tpr, [0, 0.5, 0.5, 1, 1])
    assert auroc(y, s) == pytest.approx(0.75)
    recall, precision = pr_curve(y, s)
    np.testing.assert_allclose(recall, [0, 0.5, 0.5, 1, 1])
    np.testing.assert_allclose(precision, [1, 1, 1 / 2, 2 / 3, 2 / 4])
    assert average_precision(y, s) == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)  # sklearn: 0.8333


def test_tied_scores_form_one_threshold():
    y, s = np.array([1, 0, 1, 0]), np.array([0.5, 0.5, 0.9, 0.1])
    fpr, tpr = roc_curve(y, s)
    np.testing.assert_allclose(fpr, [0, 0, 0.5, 1])  # the 0.5 tie moves diagonally at once
    np.testing.assert_allclose(tpr, [0, 0.5, 1, 1])
    assert auroc(y, s) == pytest.approx(3.5 / 4)  # a tied pos/neg pair counts one half
    recall, precision = pr_curve(y, s)
    np.testing.assert_allclose(recall, [0, 0.5, 1, 1])
    np.testing.assert_allclose(precision, [1, 1, 2 / 3, 1 / 2])
    assert average_precision(y, s) == pytest.approx(0.5 + 0.5 * 2 / 3)


def test_auroc_and_ap_agree_with_pairwise_definitions_on_random_ties():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 300)
    s = np.round(rng.random(300) + 0.3 * y, 1)  # rounding makes many ties
    pos, neg = s[y == 1], s[y == 0]
    diff = pos[:, None] - neg[None, :]
    pairwise = ((diff > 0) + 0.5 * (diff == 0)).mean()
    assert auroc(y, s) == pytest.approx(pairwise)
    # AP = mean over positives of the precision at that positive's score (ties included).
    at_or_above = s[None, :] >= pos[:, None]
    precision_at = (at_or_above & (y[None, :] == 1)).sum(1) / at_or_above.sum(1)
    assert average_precision(y, s) == pytest.approx(precision_at.mean())


def test_curves_refuse_undefined_inputs():
    with pytest.raises(ValueError, match="positives"):
        roc_curve(np.array([0, 0]), np.array([0.1, 0.2]))
    with pytest.raises(ValueError, match="negatives"):
        roc_curve(np.array([1, 1]), np.array([0.1, 0.2]))
    with pytest.raises(ValueError, match="positive"):
        pr_curve(np.array([0, 0]), np.array([0.1, 0.2]))
    with pytest.raises(ValueError, match="0/1"):
        roc_curve(np.array([1, 0, -1]), np.array([0.1, 0.2, 0.3]))
    with pytest.raises(ValueError, match="finite"):
        roc_curve(np.array([1, 0]), np.array([0.1, np.nan]))


def test_ece_with_ten_bins_as_the_reliability_diagram():
    # Calibrated: 1 of 4 positive at p=0.25, 3 of 4 at p=0.75.
    p = np.array([0.25] * 4 + [0.75] * 4)
    y = np.array([1, 0, 0, 0, 1, 1, 1, 0])
    assert ece(p, y, 10) == pytest.approx(0.0, abs=1e-12)
    assert ece(np.ones(5), np.zeros(5), 10) == pytest.approx(1.0)
    # Bin 0: conf 0.05, acc 0.5; bin 9: conf 0.95, acc 1; half the samples each.
    y, p = np.array([0, 1, 1, 1]), np.array([0.05, 0.05, 0.95, 0.95])
    assert ece(p, y, 10) == pytest.approx(0.5 * 0.45 + 0.5 * 0.05)
    assert ece([1.0], [1], 10) == pytest.approx(0.0)  # p=1 in the last bin
    assert np.isnan(ece([], [], 10))


def test_plot_roc_pr_with_unknowns_and_degenerate_labels(tmp_path, texts):
    rng = np.random.default_rng(0)
    n = 60
    y = rng.integers(0, 2, (n, 3))
    y[:, 1] = 0  # no positives
    y[:, 2] = np.where(np.arange(n) < 20, -1, 1)  # unknowns, then only positives
    judge = y + rng.normal(0, 0.5, y.shape)
    scores = {"judge": judge, "frame-difference baseline": rng.random(y.shape)}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        roc, pr = plot_roc_pr(
            y,
            scores,
            ["teleport", "vanish", "appear"],
            tmp_path / "a" / "roc.png",
            tmp_path / "pr.png",
        )
    assert_png(roc)
    assert_png(pr)
    roc_texts, pr_texts = texts
    expected = auroc(y[:, 0], judge[:, 0])
    assert f"judge (AUROC {expected:.2f})" in roc_texts
    assert f"judge (AP {average_precision(y[:, 0], judge[:, 0]):.2f})" in pr_texts
    for found in (roc_texts, pr_texts):
        assert "no positives\n(n=60)" in found
        assert "no negatives\n(n=40)" in found  # the 20 unknowns are left out


def test_plot_roc_pr_checks_shapes(tmp_path):
    y = np.zeros((4, 2), dtype=int)
    with pytest.raises(ValueError, match="expected"):
        plot_roc_pr(y, {"judge": np.zeros((4, 3))}, ["a", "b"], tmp_path / "r", tmp_path / "p")
    with pytest.raises(ValueError, match="labels"):
        plot_roc_pr(y, {}, ["a"], tmp_path / "r", tmp_path / "p")


def test_plot_reliability_title_carries_ece(tmp_path, texts):
    rng = np.random.default_rng(1)
    p = rng.beta(0.3, 0.3, 2000)  # piled up at 0 and 1: uneven bin counts
    y = (rng.random(2000) < p).astype(int)
    path = plot_reliability(y, p, tmp_path / "rel.png", bins=10, title="judge (calibrated)")
    assert_png(path)
    expected = ece(p, y, 10)
    assert f"judge (calibrated): ECE {expected:.3f} (10 bins, n=2000)" in texts[0]
    assert_png(plot_reliability([], [], tmp_path / "empty.png"))
    assert "judge: ECE n/a (10 bins, n=0)" in texts[1]


def test_plot_onset_errors_with_empty_systems(tmp_path, texts):
    errors = {"judge": np.array([0, 1, -1, 0, 3]), "frame-difference baseline": np.array([])}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_png(plot_onset_errors(errors, tmp_path / "onset.png"))
        assert_png(plot_onset_errors({}, tmp_path / "none.png"))
    assert "judge (MAE 1.0, n=5)" in texts[0]
    assert "frame-difference baseline (MAE -, n=0)" in texts[0]


def test_plot_score_distributions(tmp_path, texts):
    rng = np.random.default_rng(2)
    is_artifact = rng.random(50) < 0.3
    scores = {"judge": rng.random(50), "frame-difference baseline": rng.random(50)}
    assert_png(plot_score_distributions(scores, is_artifact, tmp_path / "dist.png"))
    k = int(is_artifact.sum())
    assert f"clean (n={50 - k})" in texts[0] and f"artifact (n={k})" in texts[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an empty group must not divide by zero
        path = plot_score_distributions({"judge": rng.random(5)}, np.zeros(5, bool), tmp_path / "c")
    assert_png(path, min_w=200)
    assert "artifact (n=0)" in texts[1]
