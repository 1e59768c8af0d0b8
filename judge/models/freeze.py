"""Freezing a backbone, whole or stage by stage, for fine-tuning pretrained weights.

`freeze` (`build_model(freeze=...)`, `model.model.freeze` in the configs):
- "none": everything trains (the default).
- "backbone": every stage of the backbone is frozen; the heads (and modules a backbone adds
  on top of pretrained weights, such as the temporal skip of `TorchvisionVideoBackbone`)
  train. A linear probe of the pretrained features.
- "stages_up_to_N": stages 0..N are frozen, later ones train (partial fine-tuning). Stage 0 is
  the stem; Tiny3D has stages 1-3, the torchvision resnets (r3d_18, r2plus1d_18, mc3_18)
  layer1-4 as stages 1-4; the other torchvision backbones are one stage (0).

A frozen module has `requires_grad=False` on its parameters and stays in eval mode even while
the model trains (`JudgeModel.train`), so its BatchNorm statistics do not move either: a frozen
stage computes exactly what it computed when it was loaded.
"""

from __future__ import annotations

import re

from torch import nn

_STAGES = re.compile(r"stages_up_to_(\d+)")


def stage_modules(backbone: nn.Module) -> list[list[nn.Module]]:
    """The backbone's stages, stem first: `backbone.stage_modules()` where it has one, else
    the whole backbone as a single stage."""
    if hasattr(backbone, "stage_modules"):
        return backbone.stage_modules()
    return [[backbone]]


def modules_to_freeze(backbone: nn.Module, freeze: str | None) -> list[nn.Module]:
    """The modules `freeze` (module docstring) names; ValueError for an unknown mode or a
    stage the backbone does not have."""
    if freeze in (None, "none"):
        return []
    stages = stage_modules(backbone)
    if freeze == "backbone":
        last = len(stages) - 1
    elif isinstance(freeze, str) and (match := _STAGES.fullmatch(freeze)):
        last = int(match.group(1))
        if last >= len(stages):
            raise ValueError(
                f"freeze={freeze!r}: this backbone has stages 0..{len(stages) - 1} "
                f"(0 is the stem); use 'backbone' to freeze all of it"
            )
    else:
        raise ValueError(f"freeze must be 'none', 'backbone' or 'stages_up_to_N', got {freeze!r}")
    return [m for stage in stages[: last + 1] for m in stage]


def freeze_modules(modules: list[nn.Module]) -> None:
    """`requires_grad=False` on every parameter of `modules`, and eval mode."""
    for module in modules:
        module.eval()
        for p in module.parameters():
            p.requires_grad_(False)
