"""Keypoint tracks: where things are in each frame and how they move, as per-frame features.

A backbone's per-frame features are pooled over space, so they say *what* a frame holds but not
*where*: a head reading them cannot compare an object's positions across frames, which is what
tells a fast throw (a smooth path under constant acceleration) from a teleport (a jump), or a
levitating object (no fall) from a thrown one. `KeypointTracks` adds that stream:

- K heatmaps from a feature map (a 1x1x1 convolution), each reduced per frame to an expected
  position by a softmax over space (the "spatial soft-argmax" of Levine et al. 2016, End-to-End
  Training of Deep Visuomotor Policies) and to a presence (the heatmap's peak logit);
- positions, their velocities and accelerations (first and second differences over time) and
  presences, 7 numbers per keypoint and frame;
- two temporal convolutions (kernel 3) mixing them into `out_channels` per-frame features.
"""

from __future__ import annotations

import torch
from torch import nn


def time_differences(x: torch.Tensor) -> torch.Tensor:
    """`(B, C, T, ...)` -> same shape, `d[:, :, t] = x[:, :, t] - x[:, :, t - 1]`.

    Zeros at t = 0, so the difference lands on the frame that first shows a change, the same
    convention as a manifest event's `frame` (the first frame showing the artifact).
    """
    d = x[:, :, 1:] - x[:, :, :-1]
    return torch.cat([torch.zeros_like(x[:, :, :1]), d], dim=2)


def _axis(n: int, like: torch.Tensor) -> torch.Tensor:
    """n cell centres in [-1, 1] (0 for n = 1): positions do not depend on the map's size."""
    if n == 1:
        return torch.zeros(1, dtype=like.dtype, device=like.device)
    return torch.linspace(-1.0, 1.0, n, dtype=like.dtype, device=like.device)


def soft_argmax(logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Heatmap logits `(B, K, T, H, W)` -> expected x, expected y and peak logit, each `(B, K, T)`.

    x runs from -1 (left) to 1 (right) and y from -1 (top) to 1 (bottom), under a softmax over
    the H x W cells of each keypoint and frame.
    """
    b, k, t, h, w = logits.shape
    flat = logits.float().reshape(b, k, t, h * w)
    weights = torch.softmax(flat, dim=-1).reshape(b, k, t, h, w)
    x = (weights * _axis(w, flat)).sum(dim=(3, 4))
    y = (weights * _axis(h, flat)[:, None]).sum(dim=(3, 4))
    return x, y, flat.amax(dim=-1)


class KeypointTracks(nn.Module):
    """Per-frame track features from a feature map.

    Args:
        in_channels: channels of the feature map it reads.
        keypoints: K, the number of heatmaps.
        out_channels: M, the width of the track features.

    `(B, in_channels, T, H, W)` -> `(B, M, T)`.
    """

    def __init__(self, in_channels: int, keypoints: int, out_channels: int) -> None:
        super().__init__()
        if keypoints < 1 or out_channels < 1:
            raise ValueError(
                f"keypoints and track channels must be >= 1, got {keypoints}, {out_channels}"
            )
        self.keypoints = keypoints
        self.out_channels = out_channels
        self.heatmaps = nn.Conv3d(in_channels, keypoints, kernel_size=1)
        self.mix = nn.Sequential(
            nn.Conv1d(7 * keypoints, out_channels, 3, padding=1, bias=False),
            nn.BatchNorm1d(out_channels),
            nn.ReLU(inplace=True),
            nn.Conv1d(out_channels, out_channels, 3, padding=1, bias=False),
            nn.BatchNorm1d(out_channels),
            nn.ReLU(inplace=True),
        )

    def tracks(self, fmap: torch.Tensor) -> torch.Tensor:
        """`(B, in_channels, T, H, W)` -> `(B, 7K, T)`: x, y (K each), their velocities (2K)
        and accelerations (2K), presences (K)."""
        x, y, presence = soft_argmax(self.heatmaps(fmap))
        position = torch.cat([x, y], dim=1)  # (B, 2K, T)
        velocity = time_differences(position)
        acceleration = time_differences(velocity)
        return torch.cat([position, velocity, acceleration, presence], dim=1)

    def forward(self, fmap: torch.Tensor) -> torch.Tensor:
        """`(B, in_channels, T, H, W)` -> `(B, M, T)`."""
        tracks = self.tracks(fmap)
        return self.mix(tracks.to(self.mix[0].weight.dtype))
