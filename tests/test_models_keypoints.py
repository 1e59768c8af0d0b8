"""Keypoint tracks (judge/models/keypoints.py) and Tiny3D's `keypoints` option."""

from __future__ import annotations

import pytest
import torch

from judge.models import build_model
from judge.models.keypoints import KeypointTracks, soft_argmax, time_differences
from judge.models.tiny3d import Tiny3D


def test_soft_argmax_finds_a_peak_in_normalised_coordinates():
    logits = torch.zeros(1, 2, 1, 4, 5)
    logits[0, 0, 0, 1, 3] = 50.0  # keypoint 0: row 1 of 4, column 3 of 5
    logits[0, 1, 0, 3, 0] = 50.0  # keypoint 1: bottom-left corner
    x, y, peak = soft_argmax(logits)
    assert x.shape == y.shape == peak.shape == (1, 2, 1)
    assert x[0, :, 0].tolist() == pytest.approx([0.5, -1.0], abs=1e-4)
    assert y[0, :, 0].tolist() == pytest.approx([-1 / 3, 1.0], abs=1e-4)
    assert peak[0, :, 0].tolist() == [50.0, 50.0]


def test_soft_argmax_of_a_flat_map_is_the_centre_and_a_one_cell_map_is_zero():
    x, y, _ = soft_argmax(torch.zeros(1, 1, 2, 6, 4))
    assert x.abs().max().item() < 1e-6 and y.abs().max().item() < 1e-6
    x, y, peak = soft_argmax(torch.full((1, 1, 1, 1, 1), 3.0))
    assert (x.item(), y.item(), peak.item()) == (0.0, 0.0, 3.0)


def test_acceleration_is_zero_on_a_steady_path_and_spikes_at_a_jump():
    steady = torch.arange(8.0).reshape(1, 1, 8)  # one cell a frame
    acceleration = time_differences(time_differences(steady))
    assert acceleration[0, 0, 2:].abs().max().item() == 0.0
    jump = steady.clone()
    jump[..., 5:] += 4.0  # a teleport at frame 5
    acceleration = time_differences(time_differences(jump))
    assert acceleration[0, 0].tolist() == [0.0, 1.0, 0.0, 0.0, 0.0, 4.0, -4.0, 0.0]


def _moving_blob(frames: int = 6, size: int = 8) -> torch.Tensor:
    """`(1, 1, T, size, size)`: one bright cell moving right one cell a frame on row 2."""
    fmap = torch.zeros(1, 1, frames, size, size)
    for t in range(frames):
        fmap[0, 0, t, 2, 1 + t] = 1.0
    return fmap


def test_tracks_follow_a_moving_blob():
    net = KeypointTracks(in_channels=1, keypoints=1, out_channels=4)
    with torch.no_grad():
        net.heatmaps.weight.fill_(40.0)  # the heatmap is the blob, sharpened
        net.heatmaps.bias.zero_()
    tracks = net.tracks(_moving_blob())  # (1, 7, T): x, y, vx, vy, ax, ay, presence
    assert tracks.shape == (1, 7, 6)
    x, y, vx, vy, ax, ay, presence = tracks[0]
    step = 2 / 7  # one cell of 8 in [-1, 1]
    assert x.tolist() == pytest.approx([-1 + step * (1 + t) for t in range(6)], abs=1e-4)
    assert y.tolist() == pytest.approx([-1 + step * 2] * 6, abs=1e-4)
    assert vx[1:].tolist() == pytest.approx([step] * 5, abs=1e-4)
    assert vy.abs().max().item() < 1e-4
    assert ax[2:].abs().max().item() < 1e-4 and ay.abs().max().item() < 1e-4
    assert presence.tolist() == [40.0] * 6
    assert net(_moving_blob()).shape == (1, 4, 6)


def test_keypoint_tracks_reject_empty_sizes():
    with pytest.raises(ValueError, match="keypoints"):
        KeypointTracks(8, 0, 16)


def test_tiny3d_without_keypoints_is_unchanged_and_with_them_adds_track_channels():
    plain = Tiny3D()
    assert plain.tracks is None and plain.out_channels == 128
    assert not any(k.startswith("tracks.") for k in plain.state_dict())
    torch.manual_seed(0)
    net = Tiny3D(keypoints=4, track_channels=8)
    assert net.out_channels == net.clip_channels == 136
    x = torch.randn(2, 3, 16, 64, 64)
    frames, clip = net(x)
    assert frames.shape == (2, 136, 16) and clip.shape == (2, 136)
    # The last stage's map is the same map without the tracks: the extra channels are the tracks.
    torch.testing.assert_close(frames[:, :128], net.feature_map(x).amax(dim=(3, 4)))
    deep = Tiny3D(depth=2, keypoints=2, track_channels=4, clip_pool="maxmean")
    frames, clip = deep(torch.randn(1, 3, 5, 20, 24))
    assert frames.shape == (1, 132, 5) and clip.shape == (1, 264)


def test_judge_model_with_keypoints_trains_every_parameter_and_rebuilds_from_its_config():
    torch.manual_seed(0)
    model = build_model("tiny3d", num_labels=3, keypoints=4, track_channels=8, event_pool=True)
    out = model(torch.randn(2, 3, 8, 32, 32))
    sum(v.sum() for v in out.values()).backward()
    assert [n for n, p in model.named_parameters() if p.grad is None] == []
    assert model.config["keypoints"] == 4
    again = build_model(**model.config)
    again.load_state_dict(model.state_dict())  # strict: same architecture
