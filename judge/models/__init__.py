"""Plain nn.Modules of the judge: backbones and heads (no Lightning, no Hydra).

`build_model(backbone="tiny3d", num_labels=7)` gives a `JudgeModel` mapping clips
`(B, 3, T, H, W)` to logits `labels (B, L)`, `plausible (B,)` and `frames (B, T)`;
`build_model(**model.config)` rebuilds it from a checkpoint's plain config.
"""

from judge.models.backbones import BACKBONES, build_backbone
from judge.models.judge_model import JudgeModel, build_model, model_config
from judge.models.tiny3d import Tiny3D
from judge.models.weights import WeightsFileError

__all__ = [
    "BACKBONES",
    "JudgeModel",
    "Tiny3D",
    "WeightsFileError",
    "build_backbone",
    "build_model",
    "model_config",
]
