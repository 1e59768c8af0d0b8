"""JudgeModel: a backbone plus heads, rebuildable from a plain config dict (no Hydra)."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from judge.models.backbones import Pretrained, build_backbone
from judge.models.freeze import freeze_modules, modules_to_freeze
from judge.models.heads import JudgeHeads


class JudgeModel(nn.Module):
    """Backbone + heads.

    `forward(x)` maps clips `(B, 3, T, H, W)` (Kinetics-normalised) to logits:
    `labels (B, L)` per artifact label, `plausible (B,)` (positive = plausible, i.e. no
    artifact) and `frames (B, T)` per-frame onset logits at the input's T; and `features
    (B, D)`, the vector the clip heads read (for the out-of-domain measure).

    `config` is a plain dict of the constructor arguments of `build_model` (without
    `pretrained`: a checkpoint's weights replace whatever the backbone started from; without
    `freeze`: a training choice, not the architecture), so `build_model(**model.config)`
    rebuilds the architecture anywhere.

    `freeze` (see `judge.models.freeze`): the backbone stages it names get
    `requires_grad=False` and stay in eval mode through `train()`.
    """

    def __init__(
        self,
        backbone: nn.Module,
        num_labels: int,
        dropout: float = 0.0,
        config: dict[str, Any] | None = None,
        event_pool: bool = False,
        freeze: str | None = "none",
    ) -> None:
        super().__init__()
        self.backbone = backbone
        self.heads = JudgeHeads(
            clip_channels=getattr(backbone, "clip_channels", backbone.out_channels),
            frame_channels=backbone.out_channels,
            num_labels=num_labels,
            dropout=dropout,
            event_pool=event_pool,
        )
        self.num_labels = num_labels
        self.config = dict(config or {})
        self.freeze = freeze or "none"
        self._frozen = modules_to_freeze(backbone, freeze)
        freeze_modules(self._frozen)

    def train(self, mode: bool = True) -> JudgeModel:
        """As `nn.Module.train`, but frozen stages stay in eval mode (fixed BatchNorm)."""
        super().train(mode)
        for module in self._frozen:
            module.eval()
        return self

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """`(B, 3, T, H, W)` -> `{"labels": (B, L), "plausible": (B,), "frames": (B, T),
        "features": (B, D)}`."""
        frames, clip = self.backbone(x)
        return self.heads(frames, clip, num_frames=x.shape[2])


def build_model(
    backbone: str = "tiny3d",
    num_labels: int = 7,
    pretrained: Pretrained = False,
    dropout: float = 0.0,
    event_pool: bool = False,
    freeze: str | None = "none",
    **backbone_kwargs,
) -> JudgeModel:
    """Build a JudgeModel: `backbone` a key of `BACKBONES`, `backbone_kwargs` its options
    (e.g. `width`, `depth`, `diff_input` for tiny3d; `temporal_skip`, `channels_last` for the
    torchvision resnets; `spatial_pool`, `clip_pool` for any); `event_pool` is an option of the
    heads (see `JudgeHeads`); `freeze` one of `judge.models.freeze`'s modes, applied after
    `pretrained` weights are loaded."""
    net = build_backbone(backbone, pretrained=pretrained, **backbone_kwargs)
    config = {
        "backbone": backbone,
        "num_labels": int(num_labels),
        "dropout": float(dropout),
        "event_pool": bool(event_pool),
        **{k: _plain(v) for k, v in backbone_kwargs.items()},
    }
    return JudgeModel(
        net,
        num_labels=num_labels,
        dropout=dropout,
        config=config,
        event_pool=event_pool,
        freeze=freeze,
    )


def _plain(value: Any) -> Any:
    """Mappings -> dict, sequences -> list, recursively: a config stays JSON-able even when a
    caller passes Hydra/OmegaConf containers (this package does not import them)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [_plain(v) for v in value]
    return copy.deepcopy(value)


def model_config(model: JudgeModel) -> dict[str, Any]:
    """A copy of `model.config`: the kwargs of `build_model` that rebuild its architecture."""
    return copy.deepcopy(model.config)
