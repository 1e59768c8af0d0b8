"""Backbone registry: a name to a module returning per-frame and clip features.

Every backbone maps `(B, 3, T, H, W)` to `(frames (B, C, T'), clip (B, C'))` and has
`out_channels` (C), `clip_channels` (C' = C, or 2C with `clip_pool="maxmean"`) and
`temporal_stride` (T / T', nominal: the exact T' depends on padding, see
`video_backbones`). Heads need nothing else.

`pretrained`:
- False / None: random initialisation.
- True: torchvision's Kinetics-400 weights (`weights="DEFAULT"`; downloads on first use).
- a path: a local state dict, loaded with `weights_only=True` into the model as torchvision
  builds it (with its head; the head's keys are optional) or into Tiny3D.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial

from torch import nn

from judge.models.tiny3d import Tiny3D
from judge.models.video_backbones import VIDEO_SPECS, TorchvisionVideoBackbone
from judge.models.weights import load_weights_file

Pretrained = bool | str | os.PathLike | None


def _is_path(pretrained: Pretrained) -> bool:
    return isinstance(pretrained, str | os.PathLike)


def build_tiny3d(pretrained: Pretrained = False, **kwargs) -> Tiny3D:
    """Tiny3D (`tiny3d.Tiny3D` kwargs: width, depth, diff_input, spatial_pool, clip_pool)."""
    if pretrained is True:
        raise ValueError("tiny3d has no published weights: pass pretrained=<path to a state dict>")
    model = Tiny3D(**kwargs)
    if _is_path(pretrained):
        load_weights_file(model, pretrained)
    return model


def build_torchvision_video(
    name: str,
    pretrained: Pretrained = False,
    spatial_pool: str = "mean",
    clip_pool: str = "max",
    temporal_skip: bool = False,
    channels_last: bool = False,
    **kwargs,
) -> TorchvisionVideoBackbone:
    """A `torchvision.models.video` model by `name`, wrapped as a backbone
    (`temporal_skip`, `channels_last`: see `TorchvisionVideoBackbone`).

    Remaining `kwargs` go to the torchvision builder (e.g. `stochastic_depth_prob` for
    mvit_v2_s / swin3d_t); with `pretrained=True` they must agree with the weights.
    """
    from torchvision.models import video  # here: importing judge.models stays cheap

    builder = getattr(video, name)
    model = builder(weights="DEFAULT" if pretrained is True else None, **kwargs)
    if _is_path(pretrained):
        # Before the head is removed, so a file saved from the torchvision model loads as is.
        load_weights_file(model, pretrained, optional_prefixes=VIDEO_SPECS[name].head)
    return TorchvisionVideoBackbone(
        name,
        model,
        spatial_pool=spatial_pool,
        clip_pool=clip_pool,
        temporal_skip=temporal_skip,
        channels_last=channels_last,
    )


BACKBONES: dict[str, Callable[..., nn.Module]] = {
    "tiny3d": build_tiny3d,
    **{name: partial(build_torchvision_video, name) for name in VIDEO_SPECS},
}


def build_backbone(name: str, pretrained: Pretrained = False, **kwargs) -> nn.Module:
    """Build the backbone registered as `name` (a key of `BACKBONES`); see module docstring."""
    if name not in BACKBONES:
        raise ValueError(f"unknown backbone {name!r}; choose one of {sorted(BACKBONES)}")
    if not (pretrained in (None, False, True) or _is_path(pretrained)):
        raise TypeError(f"pretrained must be a bool or a path, got {pretrained!r}")
    return BACKBONES[name](pretrained=pretrained, **kwargs)
