"""The score record: exact keys, `flagged`, length-aware aggregation, the out-of-domain fields,
and their CSV form."""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pytest
import torch
from scoring_fixtures import make_checkpoint, make_clip, moving_square
from torch import nn

from judge.inference.aggregate import N_REF, VideoScore, error_record, length_correction
from judge.inference.judge import Judge
from judge.inference.output import ScoreWriter
from judge.inference.record import (
    CSV_BASE,
    OPTIONAL_KEYS,
    RECORD_KEYS,
    csv_columns,
    read_csv_records,
)
from judge.inference.stream import ReadOptions, WindowStream
from judge.inference.windows import build_windows
from judge.io.writer import write_video
from judge.metrics import sigmoid
from judge.training.domain import clip_distance, fit_domain, window_distances


def sig(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def video_score(plausible, labels, **kw) -> VideoScore:
    """A VideoScore fed windows with these plausible logits `(n,)` and label logits `(n, L)`."""
    plausible = np.asarray(plausible, float)
    labels = np.asarray(labels, float)
    n = len(plausible)
    score = VideoScore("v.mp4", n, num_frames=4 * n + 4, fps=10.0, decoder={}, **kw)
    src = np.arange(n)[:, None] * 4 + np.arange(8)[None, :]
    score.update(labels, plausible, np.zeros((n, 8)), src)
    return score


# ---------------------------------------------------------------- keys


class StubModel(nn.Module):
    """A stand-in judge: logits from the window's brightness, `features` its per-channel means
    and per-channel spread (so a video of other colours lies far from the training windows)."""

    def __init__(self, features: bool = True):
        super().__init__()
        self.features = features

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        per_frame = x.mean(dim=(1, 3, 4))  # (B, T)
        clip = per_frame.amax(dim=1)
        out = {
            "labels": torch.stack([clip, -clip], dim=1),
            "plausible": -clip,
            "frames": per_frame,
        }
        if self.features:
            out["features"] = torch.cat([x.mean(dim=(2, 3, 4)), x.std(dim=(2, 3, 4))], dim=1)
        return out


def stub_judge(features: bool = True, **desc) -> Judge:
    description = {
        "labels": ["a", "b"],
        "model": {"backbone": "stub"},
        "input": {
            "num_frames": 6,
            "stride": 1,
            "fps": None,
            "size": 16,
            "mean": [0.4] * 3,
            "std": [0.2] * 3,
        },
        **desc,
    }
    return Judge(StubModel(features), description, "cpu")


def window_outputs(judge: Judge, path) -> dict[str, np.ndarray]:
    """The model's raw outputs on every window of `path`, as scoring plans them."""
    opts = ReadOptions(spec=judge.spec, piece_windows=64)
    parts = [(p["pixels"], p["take"]) for p in WindowStream([str(path)], opts)]
    video = build_windows(parts, judge.spec["mean"], judge.spec["std"])
    return {k: v.numpy() for k, v in judge.predict(video).items()}


def test_ok_and_error_records_have_exactly_the_record_keys(tmp_path):
    path = make_clip(tmp_path / "a.mp4", 12)
    judge = stub_judge()
    (rec,) = judge.score(path, num_workers=0)
    assert tuple(rec) == RECORD_KEYS
    (with_curve,) = judge.score(path, num_workers=0, frame_scores=True)
    assert tuple(with_curve) == RECORD_KEYS + OPTIONAL_KEYS
    (bad,) = judge.score(tmp_path / "missing.mp4", num_workers=0)
    assert tuple(bad) == RECORD_KEYS == tuple(error_record("x", "why", "m"))
    assert bad["flagged"] is None and bad["cuts"] is None and bad["shots"] is None
    assert bad["ood_distance"] is None and bad["out_of_domain"] is None
    # The CSV's one-cell columns are the record's keys, in the record's order.
    assert [k for k in RECORD_KEYS if k in CSV_BASE] == list(CSV_BASE)
    assert {"flagged", "cuts", "ood_distance", "out_of_domain"} <= set(CSV_BASE)
    assert csv_columns(["a"])[: len(CSV_BASE)] == list(CSV_BASE)


# ---------------------------------------------------------------- flagged


def test_flagged_flips_at_the_plausible_threshold():
    score = video_score([0.4, 1.0], [[0.0, 0.0], [0.0, 0.0]])
    p = sig(0.4)
    rec = score.record(["a", "b"], {}, {}, "m")
    assert rec["plausibility"] == pytest.approx(p) and rec["flagged"] is False  # 0.599 >= 0.5
    assert score.record(["a", "b"], {}, {"plausible": p + 1e-9}, "m")["flagged"] is True
    assert score.record(["a", "b"], {}, {"plausible": p - 1e-9}, "m")["flagged"] is False
    # The temperature moves the plausibility, and the decision with it.
    cold = score.record(["a", "b"], {"plausible": 0.1}, {"plausible": 0.95}, "m")
    assert cold["plausibility"] == pytest.approx(sig(4.0)) and cold["flagged"] is False


def test_flagged_uses_the_judges_stored_threshold(tmp_path):
    clip = make_clip(tmp_path / "c.mp4", 12)
    (plain,) = Judge.load(make_checkpoint(tmp_path / "j.ckpt"), device="cpu").score(
        clip, num_workers=0
    )
    p = plain["plausibility"]
    assert plain["flagged"] is (p < 0.5)
    for threshold, flagged in ((p + 1e-6, True), (p - 1e-6, False)):
        ckpt = make_checkpoint(tmp_path / "t.ckpt", thresholds={"plausible": threshold})
        (rec,) = Judge.load(ckpt, device="cpu").score(clip, num_workers=0)
        assert rec["plausibility"] == pytest.approx(p) and rec["flagged"] is flagged


# ---------------------------------------------------------------- length-aware aggregation


def test_up_to_n_ref_windows_score_as_the_plain_max_and_min():
    assert N_REF == 2 and length_correction(1) == 0.0 and length_correction(2) == 0.0
    assert length_correction(3) == pytest.approx(math.log(1.5))
    rec = video_score([1.5, -0.7], [[2.0, -1.0], [0.5, 3.0]]).record(["a", "b"], {}, {}, "m")
    assert rec["logits"] == {"a": 2.0, "b": 3.0, "plausible": -0.7}  # exactly, no correction
    assert rec["plausibility"] == sigmoid(-0.7) and rec["scores"]["b"] == sigmoid(3.0)


def test_one_bad_window_no_longer_condemns_a_long_clip():
    n = 40
    plausible = np.full(n, 4.0)
    plausible[17] = -2.0
    labels = np.full((n, 2), -4.0)
    labels[17, 0] = 2.0
    rec = video_score(plausible, labels).record(["a", "b"], {}, {}, "m")
    c = math.log(n / 2)
    assert rec["logits"]["plausible"] == pytest.approx(-2.0 + c)
    assert rec["logits"]["a"] == pytest.approx(2.0 - c)
    assert rec["scores"]["a"] == pytest.approx(sig(2.0 - c)) and rec["scores"]["a"] < 0.5
    assert rec["plausibility"] > 0.5 > sig(-2.0)  # was 0.12 as the plain min
    assert rec["flagged"] is False
    # The same bad window in a 2-window clip still condemns it.
    short = video_score([4.0, -2.0], [[-4.0, -4.0], [2.0, -4.0]]).record(["a", "b"], {}, {}, "m")
    assert short["plausibility"] == pytest.approx(sig(-2.0)) and short["flagged"] is True
    # Onsets are thresholded on the corrected score: no onset for `a` in the long clip.
    assert rec["onsets"]["a"] is None and short["onsets"]["a"] is not None


def test_scoring_corrects_by_the_number_of_windows(tmp_path):
    frames = np.full((60, 32, 32, 3), 60, np.uint8)
    frames[31] = 250  # one bright (bad) frame in a long, dim clip
    path = write_video(tmp_path / "long.mp4", frames, fps=15, crf=10)
    judge = stub_judge()
    (rec,) = judge.score(path, num_workers=0, batch_size=4)
    raw = window_outputs(judge, path)
    n = len(raw["plausible"])
    assert rec["windows"] == n == 19  # windows of 6 every 3 over 60 frames
    c = math.log(n / 2)
    assert rec["logits"]["plausible"] == pytest.approx(float(raw["plausible"].min()) + c, abs=1e-5)
    assert rec["logits"]["a"] == pytest.approx(float(raw["labels"][:, 0].max()) - c, abs=1e-5)
    assert rec["plausibility"] == pytest.approx(sig(rec["logits"]["plausible"]))


# ---------------------------------------------------------------- out of domain


def test_domain_statistics_give_the_ood_fields_and_a_far_input_is_out_of_domain(tmp_path):
    near = [make_clip(tmp_path / f"near{i}.mp4", 20, seed=i) for i in range(3)]
    judge = stub_judge()
    feats = np.concatenate([window_outputs(judge, p)["features"] for p in near])
    rng = np.random.default_rng(0)
    # Training windows: these videos' features, with some spread, as the domain.
    train = np.repeat(feats, 20, axis=0) + rng.normal(0, 0.05, (20 * len(feats), feats.shape[1]))
    stats = fit_domain(train)
    judge = stub_judge(domain=stats)
    inverted = moving_square(20, seed=1)[:, :, :, ::-1] // 3 + 170  # pale, other colours
    far = write_video(tmp_path / "far.mp4", np.ascontiguousarray(inverted), fps=15, crf=20)
    recs = {r["path"]: r for r in judge.score([near[0], far], num_workers=0)}
    rec_near, rec_far = recs[str(near[0])], recs[str(far)]
    want = clip_distance(window_distances(window_outputs(judge, far)["features"], stats))
    assert rec_far["ood_distance"] == pytest.approx(want, rel=1e-5)
    assert rec_far["out_of_domain"] is True and rec_far["ood_distance"] > stats["threshold"]
    assert rec_near["out_of_domain"] is False
    assert isinstance(rec_near["ood_distance"], float)
    assert rec_near["ood_distance"] <= stats["threshold"] < rec_far["ood_distance"]
    # Without statistics, or without features from the model: null, not a guess.
    (none,) = stub_judge().score(far, num_workers=0)
    (blind,) = stub_judge(features=False, domain=stats).score(far, num_workers=0)
    for rec in (none, blind):
        assert rec["ood_distance"] is None and rec["out_of_domain"] is None


def test_a_real_judge_passes_its_features_to_the_measure(tmp_path):
    clip = make_clip(tmp_path / "c.mp4", 20)
    plain = Judge.load(make_checkpoint(tmp_path / "j.ckpt"), device="cpu")
    feats = window_outputs(plain, clip)["features"]
    assert feats.shape == (4, 32)  # tiny3d: 32 features a window
    stats = fit_domain(np.concatenate([feats, feats + 0.01]))
    judge = Judge.load(make_checkpoint(tmp_path / "d.ckpt", domain=stats), device="cpu")
    assert judge.domain is not None and judge.domain["threshold"] == stats["threshold"]
    (rec,) = judge.score(clip, num_workers=0)
    want = clip_distance(window_distances(feats, stats))
    assert rec["ood_distance"] == pytest.approx(want, rel=1e-4)


# ---------------------------------------------------------------- CSV


def test_csv_cells_of_the_new_fields_and_reading_them_back():
    ok = video_score([0.4, 1.0], [[0.0, 0.0], [0.0, 0.0]]).record(["a", "b"], {}, {}, "m")
    ok |= {"cuts": [20, 31], "ood_distance": 2.5, "out_of_domain": True, "path": "ok.mp4"}
    flagged = dict(ok, path="bad.mp4", flagged=True, out_of_domain=False, cuts=[])
    err = error_record("err.mp4", "broken", "m")
    buf = io.StringIO()
    writer = ScoreWriter(buf, "csv", ["a", "b"], header=True)
    for rec in (ok, flagged, err):
        writer.write(rec)
    rows = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert [r["flagged"] for r in rows] == ["false", "true", ""]
    assert [r["cuts"] for r in rows] == ["20 31", "", ""]
    assert [r["out_of_domain"] for r in rows] == ["true", "false", ""]
    assert rows[0]["ood_distance"] == "2.5" and rows[2]["ood_distance"] == ""
    back = {r["path"]: r for r in read_csv_records(buf.getvalue())}
    assert back["ok.mp4"]["out_of_domain"] is True and back["ok.mp4"]["ood_distance"] == 2.5
    assert back["bad.mp4"]["flagged"] is True and back["bad.mp4"]["out_of_domain"] is False
    assert back["err.mp4"]["out_of_domain"] is None and back["err.mp4"]["flagged"] is None
