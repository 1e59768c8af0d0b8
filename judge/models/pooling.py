"""Pooling shared by every backbone: a feature map to per-frame and clip features.

A backbone's last feature map `(B, C, T', H', W')` becomes per-frame features `(B, C, T')`
(pooled over space) and a clip feature `(B, C)` or `(B, 2C)` (pooled over time). Keeping this in
one place is what makes every backbone return the same pair.
"""

from __future__ import annotations

import torch

SPATIAL_POOLS = ("mean", "max")
CLIP_POOLS = ("max", "mean", "maxmean")


def check_pool_options(spatial_pool: str, clip_pool: str) -> None:
    """Raise ValueError for an unknown pooling name (at build time, not on the first batch)."""
    if spatial_pool not in SPATIAL_POOLS:
        raise ValueError(f"spatial_pool must be one of {SPATIAL_POOLS}, got {spatial_pool!r}")
    if clip_pool not in CLIP_POOLS:
        raise ValueError(f"clip_pool must be one of {CLIP_POOLS}, got {clip_pool!r}")


def clip_channels(channels: int, clip_pool: str) -> int:
    """Width of the clip feature: `maxmean` concatenates two poolings."""
    return 2 * channels if clip_pool == "maxmean" else channels


def pool_space(fmap: torch.Tensor, spatial_pool: str) -> torch.Tensor:
    """`(B, C, T, H, W)` -> `(B, C, T)` by mean or max over H and W."""
    if spatial_pool == "max":
        return fmap.amax(dim=(3, 4))
    return fmap.mean(dim=(3, 4))


def pool_time(frames: torch.Tensor, clip_pool: str) -> torch.Tensor:
    """`(B, C, T)` -> `(B, C)` (max or mean) or `(B, 2C)` (`maxmean`: max then mean).

    Max is the default everywhere: an artifact that lasts one frame of sixteen is a 1/16 blip
    in a temporal mean but survives a max untouched ("the clip is bad if any frame is").
    """
    if clip_pool == "max":
        return frames.amax(dim=2)
    if clip_pool == "mean":
        return frames.mean(dim=2)
    return torch.cat([frames.amax(dim=2), frames.mean(dim=2)], dim=1)


def pool_feature_map(
    fmap: torch.Tensor, spatial_pool: str, clip_pool: str
) -> tuple[torch.Tensor, torch.Tensor]:
    """`(B, C, T', H', W')` -> per-frame `(B, C, T')` and clip `(B, C)` / `(B, 2C)` features."""
    frames = pool_space(fmap, spatial_pool)
    return frames, pool_time(frames, clip_pool)
