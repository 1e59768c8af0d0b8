"""Tiny3D: a ~0.9 M parameter 3D CNN for CPU training, tests, and one-frame artifacts.

The artifacts this judge looks for are often a single frame long (a teleport is a jump between
two consecutive frames), so the design keeps time intact from input to output:

- the input is the frames plus their temporal differences (6 channels): a jump is a large
  difference at exactly one time step, which the first layer sees directly instead of having to
  learn to subtract frames;
- every convolution has kernel 3 in time with padding 1 and stride 1 in time: downsampling is
  spatial only (stride `(1, 2, 2)`), so the output has one feature vector per input frame;
- per-frame features are max-pooled over space (an artifact is local: a small object's jump
  should not be diluted by the size of the frame) and the clip feature is max-pooled over time
  (a one-frame event must not be averaged away; see `pooling.pool_time`);
- optionally (`keypoints > 0`), per-frame track features join the pooled ones: where K learned
  heatmaps of the stage-2 map peak in each frame, and how those positions move
  (`keypoints.KeypointTracks`), which the max over space throws away;
- optionally (`stage2_features=True`), the stage-2 map (8x8 for a 64 px window) is max-pooled
  over space too and joins the per-frame features: a small object is a pixel or two of the
  4x4 last map, where its evidence may be merged with its surroundings'.
"""

from __future__ import annotations

import torch
from torch import nn

from judge.models.keypoints import KeypointTracks, time_differences
from judge.models.pooling import check_pool_options, clip_channels, pool_space, pool_time

# Channels of the stem and the three stages at width 1.0.
BASE_CHANNELS = (16, 32, 64, 128)


def conv_bn_act(cin: int, cout: int, kernel, stride, padding, act: bool = True) -> nn.Sequential:
    """Conv3d (no bias: BatchNorm has one) + BatchNorm3d (+ ReLU)."""
    layers = [
        nn.Conv3d(cin, cout, kernel, stride=stride, padding=padding, bias=False),
        nn.BatchNorm3d(cout),
    ]
    if act:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class ResBlock3d(nn.Module):
    """Two 3x3x3 convolutions with a residual; the first halves H and W (never T).

    `(B, cin, T, H, W)` -> `(B, cout, T, ceil(H/2), ceil(W/2))`; with `downsample=False`
    (the extra blocks of a deeper Tiny3D, `cin == cout`) -> `(B, cout, T, H, W)` with an
    identity shortcut.
    """

    def __init__(self, cin: int, cout: int, downsample: bool = True) -> None:
        super().__init__()
        stride = (1, 2, 2) if downsample else 1
        self.conv1 = conv_bn_act(cin, cout, 3, stride, 1)
        self.conv2 = conv_bn_act(cout, cout, 3, 1, 1, act=False)
        if downsample or cin != cout:
            self.shortcut = conv_bn_act(cin, cout, 1, stride, 0, act=False)
        else:
            self.shortcut = nn.Identity()
        self.act = nn.ReLU(inplace=True)
        # No "zero-init residual" here: every block's shortcut is a strided 1x1x1 projection,
        # so zeroing the residual branch would start the net as a stack of 1x1 convolutions
        # that see neither neighbouring frames nor pixels; measured on the synthetic teleport
        # test it cut held-out AUROC from ~1.0 to ~0.8 at the same number of steps.

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.conv2(self.conv1(x)) + self.shortcut(x))


class Tiny3D(nn.Module):
    """Small 3D CNN that keeps the temporal resolution of its input.

    Args:
        width: channel multiplier on `BASE_CHANNELS` (1.0 gives 890,240 parameters with
            `diff_input=True`).
        depth: residual blocks per stage (1: the CPU judge). Blocks after a stage's first keep
            its size (stride 1, identity shortcut); they are appended to the flat `stages`, so
            depth 1 keeps the state-dict keys of every earlier checkpoint.
        diff_input: feed frames and frame differences (6 channels) instead of frames alone.
        in_channels: colour channels of a frame (3).
        spatial_pool: "max" (default) or "mean" over H', W' for the per-frame features.
        clip_pool: "max" (default), "mean" or "maxmean" over time for the clip feature.
        keypoints: K heatmaps read from the stage-2 map for the track features (0: none, the
            default, and the state dict of every earlier checkpoint).
        track_channels: width M of the track features (with `keypoints > 0`).
        stage2_features: also max-pool the stage-2 map over space into C2 more per-frame
            features (64 at width 1.0; False: the default, and every earlier checkpoint).

    Input `(B, 3, T, H, W)`, any T >= 1 and H, W >= 1 (H, W are divided by 16, rounding up).
    Returns per-frame features `(B, C, T)` and a clip feature `(B, C)` (`(B, 2C)` for
    "maxmean"), C = `out_channels` (128 at width 1.0, plus M with keypoints, plus C2 with
    `stage2_features`); `temporal_stride` is 1.
    """

    temporal_stride = 1

    def __init__(
        self,
        width: float = 1.0,
        depth: int = 1,
        diff_input: bool = True,
        in_channels: int = 3,
        spatial_pool: str = "max",
        clip_pool: str = "max",
        keypoints: int = 0,
        track_channels: int = 64,
        stage2_features: bool = False,
    ) -> None:
        super().__init__()
        if width <= 0:
            raise ValueError(f"width must be positive, got {width}")
        if depth < 1:
            raise ValueError(f"depth must be >= 1, got {depth}")
        check_pool_options(spatial_pool, clip_pool)
        self.diff_input = diff_input
        self.in_channels = in_channels
        self.spatial_pool = spatial_pool
        self.clip_pool = clip_pool
        c0, c1, c2, c3 = (max(4, round(c * width)) for c in BASE_CHANNELS)
        cin = 2 * in_channels if diff_input else in_channels
        # 5x5 in space for a wider first view; 3 in time: the stem already compares each frame
        # (and its difference) with its neighbours.
        self.stem = conv_bn_act(cin, c0, (3, 5, 5), (1, 2, 2), (1, 2, 2))
        blocks, self.block_stage = [], []  # block_stage[i]: the stage (1-3) of stages[i]
        for stage, (cin_s, cout_s) in enumerate(((c0, c1), (c1, c2), (c2, c3)), start=1):
            for k in range(depth):
                blocks.append(ResBlock3d(cin_s if k == 0 else cout_s, cout_s, downsample=k == 0))
                self.block_stage.append(stage)
        self.stages = nn.Sequential(*blocks)
        self.depth = depth
        # Stage 2's map (8x8 for a 64 px window) is fine enough to place a small object.
        self.tracks = KeypointTracks(c2, keypoints, track_channels) if keypoints > 0 else None
        self._stage_2_end = max(i for i, stage in enumerate(self.block_stage) if stage == 2)
        self.stage2_features = stage2_features
        self.out_channels = (
            c3 + (track_channels if self.tracks is not None else 0) + (c2 if stage2_features else 0)
        )
        self.clip_channels = clip_channels(self.out_channels, clip_pool)
        # Channels-last weights and activations: oneDNN's 3D convolution backward is about 1.5x
        # faster in this layout on a CPU (a batch of 16 at 16x64x64 on 2 cores: 0.36 s a
        # training step in NCDHW, 0.24 s in NDHWC); inference runs at the same speed either way.
        self.to(memory_format=torch.channels_last_3d)

    def stage_modules(self) -> list[list[nn.Module]]:
        """The modules of stage 0 (the stem) to 3, in order: what `freeze="stages_up_to_N"`
        freezes (`judge.models.freeze`)."""
        stages: list[list[nn.Module]] = [[self.stem], [], [], []]
        for block, stage in zip(self.stages, self.block_stage, strict=True):
            stages[stage].append(block)
        return stages

    def _stem_input(self, x: torch.Tensor) -> torch.Tensor:
        """Frames `(B, 3, T, H, W)` -> the stem's input (with differences: `(B, 6, T, H, W)`)."""
        if x.ndim != 5 or x.shape[1] != self.in_channels:
            raise ValueError(
                f"Tiny3D expects (B, {self.in_channels}, T, H, W), got {tuple(x.shape)}"
            )
        if self.diff_input:
            x = torch.cat([x, time_differences(x)], dim=1)
        if not torch.onnx.is_in_onnx_export():  # ONNX has no memory formats (and needs none)
            x = x.contiguous(memory_format=torch.channels_last_3d)
        return x

    def _maps(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """The last map `(B, C3, T, ceil(H/16), ceil(W/16))` and the extra per-frame features
        read from the stage-2 map, in order: the tracks `(B, M, T)` (with keypoints) and its
        pool over space `(B, C2, T)` (with `stage2_features`)."""
        x = self.stem(self._stem_input(x))
        extras = []
        for i, block in enumerate(self.stages):
            x = block(x)
            if i == self._stage_2_end:
                if self.tracks is not None:
                    extras.append(self.tracks(x))
                if self.stage2_features:
                    extras.append(pool_space(x, self.spatial_pool))
        return x, extras

    def feature_map(self, x: torch.Tensor) -> torch.Tensor:
        """`(B, 3, T, H, W)` -> `(B, C3, T, ceil(H/16), ceil(W/16))`, the last stage's map
        (C3 = 128 at width 1.0; the extra per-frame features are not part of it)."""
        return self._maps(x)[0]

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """`(B, 3, T, H, W)` -> (per-frame `(B, C, T)`, clip `(B, C)`)."""
        fmap, extras = self._maps(x)
        frames = pool_space(fmap, self.spatial_pool)
        if extras:
            frames = torch.cat([frames, *(e.to(frames.dtype) for e in extras)], dim=1)
        return frames, pool_time(frames, self.clip_pool)
