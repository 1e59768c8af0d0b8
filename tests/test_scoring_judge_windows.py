"""Sliding-window planning, frame fitting and normalisation (no video files needed)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from judge.data.transforms import MEAN, STD, ClipTransform
from judge.inference.windows import (
    UnknownFrameRate,
    build_windows,
    fit_frames,
    plan_windows,
    time_step,
)


def test_windows_cover_the_video_and_the_last_one_ends_at_the_end():
    plan = plan_windows(40, 16, step=1.0)
    assert plan.starts.tolist() == [0, 8, 16, 24]
    plan = plan_windows(30, 16, step=1.0, hop=4)
    assert plan.starts.tolist() == [0, 4, 8, 12, 14]  # 14 = 30 - 16: aligned to the end
    src = plan.grid[plan.steps(0, plan.num_windows)]
    assert src.shape == (5, 16) and src[-1, -1] == 29


def test_a_short_video_is_padded_with_its_last_frame():
    plan = plan_windows(5, 8)
    assert plan.padded and plan.num_windows == 1
    assert plan.grid[plan.steps(0, 1)].tolist() == [[0, 1, 2, 3, 4, 4, 4, 4]]


def test_resampling_to_the_model_fps():
    # 30 fps read at 15: every other frame; 29.97 / 14.985 must also be exactly 2.
    assert time_step(30, 15) == 2.0 and time_step(29.97, 14.985) == pytest.approx(2.0)
    plan = plan_windows(33, 4, step=time_step(30, 15), hop=2)
    assert plan.grid.tolist() == list(range(0, 33, 2))
    # 10 fps read at 15: frames repeat (upsampling), indices never pass the last frame.
    plan = plan_windows(10, 4, step=time_step(10, 15))
    assert plan.grid.max() == 9 and np.all(np.diff(plan.grid) >= 0)
    # No model fps: the checkpoint's stride, whatever the file's rate.
    assert time_step(30, None, stride=3) == 3.0 and time_step(0.0, None, stride=2) == 2.0


@pytest.mark.parametrize("file_fps", [0.0, None, float("nan"), -5.0])
def test_a_model_fps_with_an_unknown_file_fps_is_refused(file_fps):
    # The same rule as training (judge.data.windows.frame_step): no guessed time scale.
    with pytest.raises(UnknownFrameRate, match="frame rate is unknown"):
        time_step(file_fps, 15, stride=2)


def test_bad_windows_are_refused():
    with pytest.raises(ValueError, match="stride must be >= 1"):
        plan_windows(10, 4, hop=0)
    with pytest.raises(ValueError, match="at least 1 frame"):
        plan_windows(0, 4)


def test_crop_matches_the_training_evaluation_transform():
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (4, 30, 50, 3), dtype=np.uint8)
    pixels = torch.from_numpy(fit_frames(frames, 16, "crop")).permute(0, 3, 1, 2)  # (4, 3, S, S)
    ours = build_windows([(pixels, torch.tensor([[0, 1, 2, 3], [3, 3, 2, 2]]))], MEAN, STD)
    theirs = ClipTransform(size=16)(frames)
    assert ours.shape == (2, 3, 4, 16, 16)
    # Bit for bit: one preprocessing (judge.data.preprocess) for validation and scoring.
    assert torch.equal(ours[0], theirs) and torch.equal(ours[1, :, 0], theirs[:, 3])
    # A batch from parts of several videos is their windows, one after the other.
    other = torch.from_numpy(fit_frames(frames[::-1].copy(), 16, "crop")).permute(0, 3, 1, 2)
    parts = [(pixels, torch.tensor([[0, 1, 2, 3]])), (other, torch.tensor([[1, 1, 1, 1]]))]
    batch = build_windows(parts, MEAN, STD)
    assert batch.shape == (2, 3, 4, 16, 16) and batch.is_contiguous()
    torch.testing.assert_close(batch[0], theirs, atol=1e-5, rtol=0)
    torch.testing.assert_close(batch[1, :, 0], theirs[:, 2], atol=1e-5, rtol=0)


def test_pad_keeps_the_whole_frame():
    frames = np.zeros((1, 20, 40, 3), np.uint8)
    frames[:, :, :2] = 255  # a white stripe at the left edge: a crop would cut it away
    padded = fit_frames(frames, 40, "pad", fill=(7, 7, 7))
    assert padded.shape == (1, 40, 40, 3)
    assert padded[0, 20, 0].tolist() == [255, 255, 255]
    assert padded[0, 0, 20].tolist() == [7, 7, 7]  # the padding above the frame
    assert fit_frames(frames, 40, "crop")[0, 20, 0].tolist() == [0, 0, 0]


class _NoRate:
    """A reader whose file has no frame rate (what readers report as 0.0)."""

    fps = 0.0

    def __init__(self, reader):
        self._reader = reader

    def __getattr__(self, name):
        return getattr(self._reader, name)


@pytest.mark.parametrize(("model_fps", "ok"), [(15, False), (None, True)])
def test_scoring_a_video_of_unknown_fps(tmp_path, monkeypatch, model_fps, ok):
    from scoring_fixtures import make_clip

    from judge.inference import stream
    from judge.inference.inputs import Entry
    from judge.inference.loading import input_spec

    path = str(make_clip(tmp_path / "a.mp4", 12))
    real = stream.open_video
    monkeypatch.setattr(stream, "open_video", lambda *a, **k: _NoRate(real(*a, **k)))
    spec = input_spec({"num_frames": 4, "size": 16, "fps": model_fps})
    pieces = list(stream.WindowStream([path], stream.ReadOptions(spec)).pieces(0, Entry(path)))
    if ok:  # no model fps: the stride, the file's rate is not needed
        assert pieces[-1]["error"] is None and pieces[-1]["frames"][0].tolist() == [0, 1, 2, 3]
    else:  # an error record that says why, as training skips such a clip
        assert len(pieces) == 1 and "frame rate is unknown" in pieces[0]["error"]
        assert pieces[0]["error"].startswith(path)
