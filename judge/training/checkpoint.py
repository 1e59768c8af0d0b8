"""What a checkpoint says about itself, so scoring can load it without Hydra or Lightning."""

from __future__ import annotations

import judge


def describe(module) -> dict:
    """Plain data (JSON-able) for `checkpoint["judge"]`: labels, model config, input, decoder,
    and `domain`, the statistics of the validation windows' features (`judge.training.domain`;
    None before the first validation epoch, or for a model without `features`)."""
    model_config = getattr(module.model, "config", None)
    return {
        "format": 1,
        "judge_version": judge.__version__,
        "labels": list(module.label_names),
        "model": dict(model_config) if model_config is not None else None,
        "input": dict(module.hparams.get("input_spec") or {}),
        "decoder": dict(module.hparams.get("decoder") or {}),
        "wandb_id": _wandb_id(module),
        "domain": _domain(module),
    }


def _domain(module) -> dict | None:
    domain = getattr(module, "domain", None)
    return None if domain is None else dict(domain)


def _wandb_id(module) -> str | None:
    """The W&B run id, so that resuming from this checkpoint continues the same run."""
    for logger in getattr(module, "loggers", []) or []:
        if type(logger).__name__ == "WandbLogger":
            return str(logger.version)
    return None
