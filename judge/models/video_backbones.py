"""torchvision video classifiers as backbones: head removed, last feature map pooled.

Each model is kept under its torchvision attribute names (`backbone.model.layer4...`) so that
torchvision state dicts, layer-wise learning rates and freezing by name still line up; only the
pooling and classification modules are deleted, so no parameter goes unused in training.

| name        | features from       | C    | T'        | H', W'     | accepted T x H x W       |
|-------------|---------------------|------|-----------|------------|--------------------------|
| r3d_18      | layer4              | 512  | ceil(T/8) | ceil(H/16) | any                      |
| r2plus1d_18 | layer4              | 512  | ceil(T/8) | ceil(H/16) | any                      |
| mc3_18      | layer4              | 512  | T (!)     | ceil(H/16) | any                      |
| s3d         | features            | 1024 | ~T/8      | ~H/32      | T >= 5 and H, W >= 17    |
| mvit_v2_s   | norm, minus cls     | 768  | ceil(T/2) | ~H/32      | any (see _mvit_features) |
| swin3d_t    | norm                | 768  | ceil(T/2) | ceil(H/32) | any (padded internally)  |

mc3_18 convolves in time only in its stem and layer1 (layers 2-4 are 2D, stride (1, 2, 2)), so
it keeps the full temporal resolution: the one torchvision backbone whose onset logits are not
interpolated. The Kinetics weights were trained at 16 x 112 x 112 (resnets), 16 x 224 x 224
(mvit_v2_s, s3d, swin3d_t), with the Kinetics mean/std normalisation the dataset uses.

`temporal_skip=True` (resnets only) gives r3d_18 and r2plus1d_18 per-frame features at the
input's T: layer1's output, which still has all T frames, pooled over space and projected
(a 1x1 convolution, zero at initialisation, so a pretrained model starts where it was) is
added to layer4's per-frame features interpolated from T/8 to T. The onset head then reads
frame-exact evidence; the clip feature stays layer4's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from judge.models.heads import to_input_frames
from judge.models.pooling import check_pool_options, clip_channels, pool_feature_map, pool_space


@dataclass(frozen=True)
class VideoSpec:
    """What the wrapper needs to know about one torchvision video model."""

    out_channels: int
    temporal_stride: int
    # Modules deleted after loading weights: global pooling and the classifier.
    head: tuple[str, ...]
    # Smallest input (T, H, W) the network runs on; smaller raises a clear ValueError.
    min_size: tuple[int, int, int] = (1, 1, 1)


RESNETS = ("r3d_18", "r2plus1d_18", "mc3_18")
LAYER1_CHANNELS = 64  # width of layer1 in the three resnets


def _resnet_features(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """`(B, 3, T, H, W)` -> layer4 output `(B, 512, T', H/16, W/16)`."""
    x = model.stem(x)
    return model.layer4(model.layer3(model.layer2(model.layer1(x))))


def _s3d_features(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """`(B, 3, T, H, W)` -> `features` output `(B, 1024, T/8, H/32, W/32)` (before avgpool)."""
    return model.features(x)


def _swin_features(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """`(B, 3, T, H, W)` -> final norm output `(B, 768, T/2, H/32, W/32)`.

    The patch embedding pads T, H, W up to multiples of its patch (2, 4, 4), and the attention
    pads to its window (8, 7, 7) or shrinks the window to a smaller input, so any size runs.
    """
    x = model.patch_embed(x)  # (B, T/2, H/4, W/4, C), channels last
    x = model.pos_drop(x)
    x = model.norm(model.features(x))
    return x.permute(0, 4, 1, 2, 3)


def _mvit_features(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """`(B, 3, T, H, W)` -> final norm output without the class token `(B, 768, T', H', W')`.

    torchvision's own forward takes the token grid size from the positional encoding, i.e. it
    only runs at the size the model was built for (16 x 224 x 224 for mvit_v2_s, and for its
    Kinetics weights). mvit_v2_s has relative position embeddings only (its "positional
    encoding" merely prepends the class token) and interpolates them to the grid it is given,
    so taking the grid size from the patch embedding instead runs any T, H, W; at 16 x 224 x 224
    it computes exactly what torchvision computes. Grid: T' = ceil(T/2), then H/4 (patches)
    halved three times by the attention pooling (ceil at each step). Pretrained weights are
    only known to be good near 16 x 224 x 224.
    """
    x = model.conv_proj(x)  # (B, C, T', H/4, W/4)
    thw = tuple(x.shape[2:])
    pos = model.pos_encoding
    if pos.spatial_pos is not None and thw != (pos.temporal_size, *pos.spatial_size):
        # Absolute position embeddings (MViT v1) do fix the size.
        raise ValueError(
            f"this MViT has absolute position embeddings for a {pos.temporal_size}x"
            f"{pos.spatial_size[0]}x{pos.spatial_size[1]} token grid; input gives {thw}"
        )
    x = pos(x.flatten(2).transpose(1, 2))  # (B, 1 + T'H'W', C)
    for block in model.blocks:
        x, thw = block(x, thw)
    x = model.norm(x)[:, 1:]  # drop the class token: per-frame features come from the grid
    b, _, c = x.shape
    return x.reshape(b, *thw, c).permute(0, 4, 1, 2, 3)


_FEATURES: dict[str, Callable[[nn.Module, torch.Tensor], torch.Tensor]] = {
    "r3d_18": _resnet_features,
    "r2plus1d_18": _resnet_features,
    "mc3_18": _resnet_features,
    "s3d": _s3d_features,
    "mvit_v2_s": _mvit_features,
    "swin3d_t": _swin_features,
}

VIDEO_SPECS: dict[str, VideoSpec] = {
    "r3d_18": VideoSpec(512, 8, ("avgpool", "fc")),
    "r2plus1d_18": VideoSpec(512, 8, ("avgpool", "fc")),
    "mc3_18": VideoSpec(512, 1, ("avgpool", "fc")),
    "s3d": VideoSpec(1024, 8, ("avgpool", "classifier"), min_size=(5, 17, 17)),
    "mvit_v2_s": VideoSpec(768, 2, ("head",)),
    "swin3d_t": VideoSpec(768, 2, ("avgpool", "head")),
}


class TorchvisionVideoBackbone(nn.Module):
    """A torchvision video classifier without its head, returning per-frame and clip features.

    Args:
        name: a key of `VIDEO_SPECS`.
        model: the torchvision model, weights already loaded; its head modules are deleted.
        spatial_pool: "mean" (default: what the pretrained head was trained on) or "max".
        clip_pool: "max" (default; see `pooling.pool_time`), "mean" or "maxmean".
        temporal_skip: resnets only: per-frame features at the input's T (module docstring);
            `temporal_stride` becomes 1.
        channels_last: weights and input in the channels-last 3D layout (faster convolutions
            with cuDNN in bf16 and with oneDNN on CPUs).

    Input `(B, 3, T, H, W)`. Returns per-frame features `(B, C, T')` and a clip feature `(B, C)`
    (`(B, 2C)` for "maxmean"); C = `out_channels`, T / T' ~ `temporal_stride`.
    """

    def __init__(
        self,
        name: str,
        model: nn.Module,
        spatial_pool: str = "mean",
        clip_pool: str = "max",
        temporal_skip: bool = False,
        channels_last: bool = False,
    ) -> None:
        super().__init__()
        if name not in VIDEO_SPECS:
            raise ValueError(f"unknown torchvision video model {name!r}; know {list(VIDEO_SPECS)}")
        check_pool_options(spatial_pool, clip_pool)
        spec = VIDEO_SPECS[name]
        for attr in spec.head:
            delattr(model, attr)
        self.name = name
        self.model = model
        self.spec = spec
        self.spatial_pool = spatial_pool
        self.clip_pool = clip_pool
        self.out_channels = spec.out_channels
        self.clip_channels = clip_channels(spec.out_channels, clip_pool)
        self.temporal_stride = spec.temporal_stride
        self.skip = None
        if temporal_skip:
            if name not in RESNETS:
                raise ValueError(f"temporal_skip is for {RESNETS}, not {name!r}")
            self.skip = nn.Conv1d(LAYER1_CHANNELS, spec.out_channels, kernel_size=1)
            nn.init.zeros_(self.skip.weight)
            nn.init.zeros_(self.skip.bias)
            self.temporal_stride = 1
        self.channels_last = channels_last
        if channels_last:
            self.model.to(memory_format=torch.channels_last_3d)

    def stage_modules(self) -> list[list[nn.Module]]:
        """Stages for `judge.models.freeze`: stem, layer1-4 for the resnets; the whole
        torchvision model as stage 0 for the others. The temporal skip is in none."""
        if self.name in RESNETS:
            m = self.model
            return [[m.stem], [m.layer1], [m.layer2], [m.layer3], [m.layer4]]
        return [[self.model]]

    def feature_map(self, x: torch.Tensor) -> torch.Tensor:
        """`(B, 3, T, H, W)` -> last feature map `(B, C, T', H', W')`."""
        return _FEATURES[self.name](self.model, self._prepare(x))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """`(B, 3, T, H, W)` -> (per-frame `(B, C, T')`, clip `(B, C)`); T' = T with
        `temporal_skip`."""
        if self.skip is None:
            return pool_feature_map(self.feature_map(x), self.spatial_pool, self.clip_pool)
        m = self.model
        early = m.layer1(m.stem(self._prepare(x)))  # (B, 64, T, H/2, W/2)
        fmap = m.layer4(m.layer3(m.layer2(early)))  # (B, 512, T/8, H/16, W/16)
        frames, clip = pool_feature_map(fmap, self.spatial_pool, self.clip_pool)
        fine = self.skip(pool_space(early, self.spatial_pool))  # (B, 512, T)
        frames = to_input_frames(frames, x.shape[2]) + fine
        return frames, clip

    def _prepare(self, x: torch.Tensor) -> torch.Tensor:
        """Check the input's shape (a clear ValueError) and put it in the model's layout."""
        if x.ndim != 5 or x.shape[1] != 3:
            raise ValueError(f"{self.name} expects (B, 3, T, H, W), got {tuple(x.shape)}")
        if any(s < m for s, m in zip(x.shape[2:], self.spec.min_size, strict=True)):
            raise ValueError(
                f"{self.name} needs T x H x W of at least {self.spec.min_size}, "
                f"got {tuple(x.shape[2:])}"
            )
        return x.contiguous(memory_format=torch.channels_last_3d) if self.channels_last else x
