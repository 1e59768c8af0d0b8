"""Heads of the judge: per-label clip logits, an overall plausibility logit, onset logits."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class JudgeHeads(nn.Module):
    """Linear heads on a backbone's features.

    Args:
        clip_channels: width C' of the clip feature `(B, C')`.
        frame_channels: width C of the per-frame features `(B, C, T')`.
        num_labels: L, the number of artifact labels.
        dropout: dropout on the features before every head (0 disables it).
        event_pool: also feed the clip heads an "event feature": the per-frame features
            averaged with the softmax over time of the onset logits. The onset head learns
            *when* something happens long before the label heads learn *what*; reading the
            features at that moment, rather than a max over the whole clip, tells the kinds
            apart (width of the clip heads' input becomes C' + C).

    `forward(frames (B, C, T'), clip (B, C'), num_frames=T)` returns logits
    `labels (B, L)`, `plausible (B,)` (positive = plausible) and `frames (B, T)`, and
    `features (B, C' [+ C])`: the vector the clip heads read, before dropout (the judge's
    out-of-domain measure compares it with training statistics, `judge.training.domain`).
    """

    def __init__(
        self,
        clip_channels: int,
        frame_channels: int,
        num_labels: int,
        dropout: float = 0.0,
        event_pool: bool = False,
    ) -> None:
        super().__init__()
        if num_labels < 1:
            raise ValueError(f"num_labels must be >= 1, got {num_labels}")
        self.dropout = nn.Dropout(dropout)
        self.event_pool = event_pool
        width = clip_channels + (frame_channels if event_pool else 0)
        self.labels = nn.Linear(width, num_labels)
        self.plausible = nn.Linear(width, 1)
        # A 1x1 convolution over time = the same linear map at every frame.
        self.frames = nn.Conv1d(frame_channels, 1, kernel_size=1)

    def forward(
        self, frames: torch.Tensor, clip: torch.Tensor, num_frames: int
    ) -> dict[str, torch.Tensor]:
        """frames `(B, C, T')`, clip `(B, C')` -> dict of logits and features (class docstring)."""
        features = clip
        clip = self.dropout(clip)
        frames = self.dropout(frames)
        onset = self.frames(frames)  # (B, 1, T')
        if self.event_pool:
            weights = torch.softmax(onset, dim=-1)  # (B, 1, T'): where the event most likely is
            event = (frames * weights).sum(dim=-1)  # (B, C)
            clip = torch.cat([clip, event], dim=1)  # (B, C' + C)
            features = torch.cat([features, event], dim=1)
        return {
            "labels": self.labels(clip),
            "plausible": self.plausible(clip).squeeze(1),
            "frames": to_input_frames(onset, num_frames).squeeze(1),
            "features": features,
        }


def to_input_frames(logits: torch.Tensor, num_frames: int) -> torch.Tensor:
    """`(B, K, T')` -> `(B, K, T)`: back to the input's frames when a backbone strides in time.

    Linear interpolation with `align_corners=False` treats each of the T' steps as the centre
    of the T/T' input frames it covers; onsets cannot be placed more finely than the stride.
    """
    if logits.shape[-1] == num_frames:
        return logits
    return F.interpolate(logits, size=num_frames, mode="linear", align_corners=False)
