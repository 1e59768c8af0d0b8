"""`train(cfg)`: train a judge from a composed Hydra config (`configs/train.yaml`), then test the
best checkpoint. The command line is `judge-train` (`judge.cli.train`)."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import NamedTuple

from omegaconf import DictConfig, OmegaConf

log = logging.getLogger("judge.train")
os.environ.setdefault("WANDB_MODE", "offline")  # no account needed; `wandb sync` uploads later


def input_spec(dm) -> dict:
    """How the model's clips are read, for checkpoints (plain data): the DataModule's
    `InputSpec` (`judge.data.input_spec`), `fit` included, as the scorer will read it."""
    return dm.input_spec.to_dict()


def find_last(cfg: DictConfig) -> str | None:
    """The newest `last.ckpt` among this task's runs (`ckpt_path=last`)."""
    runs = Path(cfg.paths.log_dir) / cfg.task_name
    found = sorted(runs.glob("**/checkpoints/last.ckpt"), key=lambda p: p.stat().st_mtime)
    return str(found[-1]) if found else None


def _instantiate_all(node) -> list:
    """Instantiate each `_target_` entry of a config group (callbacks, loggers)."""
    from hydra.utils import instantiate

    return [instantiate(c) for c in (node or {}).values() if c is not None and "_target_" in c]


class TrainOutcome(NamedTuple):
    """What a run leaves: its final logged metrics, and the checkpoint it stands for (the best
    by the monitored metric; None on the other ranks of a multi-process run)."""

    metrics: dict[str, float]
    checkpoint: str | None


def train(cfg: DictConfig) -> dict[str, float]:
    """Fit (and test) from a composed config; returns the final logged metrics."""
    return fit_and_test(cfg).metrics


def fit_and_test(cfg: DictConfig) -> TrainOutcome:
    """`train`, also naming the checkpoint to serve (`_checkpoint_to_serve`)."""
    import lightning as L
    import torch
    from hydra.utils import instantiate

    L.seed_everything(cfg.seed, workers=True)
    ensure_data(cfg)
    ensure_real_footage(cfg)
    dm = instantiate(cfg.data)
    module = instantiate(
        cfg.model,
        label_names=tuple(cfg.data.labels),
        input_spec=input_spec(dm),
        decoder=dm.decoder,
        seed=cfg.seed,
    )
    ckpt_path = cfg.get("ckpt_path")
    if ckpt_path == "last":
        ckpt_path = find_last(cfg)
        log.info("resuming from %s", ckpt_path or "nothing (no last.ckpt yet): a fresh run")
    wandb_id = None
    if ckpt_path:
        # Continue the same W&B run: its id is kept in every checkpoint.
        meta = torch.load(ckpt_path, map_location="cpu", weights_only=True).get("judge", {})
        wandb_id = meta.get("wandb_id")
    loggers = []
    for c in (cfg.get("logger") or {}).values():
        if c is None or "_target_" not in c:
            continue
        is_wandb = c["_target_"].endswith("WandbLogger")
        extra = {"id": wandb_id, "resume": "allow"} if (is_wandb and wandb_id) else {}
        loggers.append(instantiate(c, **extra))
    callbacks = _instantiate_all(cfg.get("callbacks"))
    if not loggers:  # logger=none: a learning-rate monitor would have nowhere to write
        callbacks = [c for c in callbacks if type(c).__name__ != "LearningRateMonitor"]
    trainer = instantiate(cfg.trainer, callbacks=callbacks, logger=loggers or False)
    try:
        if cfg.get("train", True):
            trainer.fit(module, dm, ckpt_path=ckpt_path, weights_only=True)
        metrics = {k: float(v) for k, v in trainer.callback_metrics.items()}
        if cfg.get("test", True) and dm.has_split("test"):
            best = getattr(trainer.checkpoint_callback, "best_model_path", "") or None
            trainer.test(module, dm, ckpt_path=best, weights_only=True)
            metrics.update({k: float(v) for k, v in trainer.callback_metrics.items()})
        served = _checkpoint_to_serve(trainer, ckpt_path) if trainer.is_global_zero else None
    finally:
        finish_wandb()
    return TrainOutcome(metrics, served)


def _checkpoint_to_serve(trainer, ckpt_path: str | None) -> str | None:
    """The checkpoint this run stands for: the best by the monitored metric, else the last
    saved (no epoch defined the metric), else the one it was given (`train=false`)."""
    callback = getattr(trainer, "checkpoint_callback", None)
    for path in (
        getattr(callback, "best_model_path", ""),
        getattr(callback, "last_model_path", ""),
        ckpt_path,
    ):
        if path and Path(path).is_file():
            return str(path)
    return None


def optimized_value(cfg: DictConfig, metrics: dict[str, float]) -> float | None:
    """The value of `cfg.optimized_metric` among a run's final `metrics` (the last validation
    epoch's, and the test's with test=true), for sweepers that optimise what the task function
    returns (hparams_search/). None when it is not set.

    Raises:
        KeyError: it is set but missing, e.g. an AUROC the last validation epoch could not
            define (no label with both classes): a sweep must not rank a run on a made-up value.
    """
    name = cfg.get("optimized_metric")
    if not name:
        return None
    if name not in metrics:
        raise KeyError(
            f"optimized_metric {name!r} was not logged by this run; it logged {sorted(metrics)}. "
            "Check optimized_metric (hparams_search/) and monitor (train.yaml), and that the "
            "validation set holds both classes of some label."
        )
    return metrics[name]


def finish_wandb() -> None:
    """End this process's W&B run. The jobs of a sweep (`-m`) run one after another in one
    process, and a WandbLogger reuses a run still open: without this, every job after the
    first would log into the first job's run."""
    wandb = sys.modules.get("wandb")  # never imported: no run to end
    if wandb is not None and wandb.run is not None:
        wandb.finish()


def ensure_data(cfg: DictConfig) -> None:
    """Render the synthetic set first when the experiment says how (`synth_if_missing`)."""
    spec = cfg.get("synth_if_missing")
    if not spec:
        return
    from judge.synth.config import SynthConfig
    from judge.synth.runner import generate_if_missing

    synth = SynthConfig.from_dict(OmegaConf.to_container(spec.synth, resolve=True) or {})
    # A set there with other settings (an older recipe) is refused, not trained on unnoticed.
    summary = generate_if_missing(
        synth, spec.out, spec.num_scenes, seed=spec.seed, num_workers=spec.num_workers
    )
    if summary is not None:
        log.info("rendered %d scenes into %s first", spec.num_scenes, spec.out)


def ensure_real_footage(cfg: DictConfig) -> None:
    """With `real_footage=DIR`: import, split and splice DIR when not done yet, and mix it into
    `cfg.data.manifests` (`judge.training.real_data`). Without it: nothing."""
    if not cfg.get("real_footage"):
        return
    from judge.training.real_data import apply_real_footage

    manifests = apply_real_footage(cfg)
    log.info("data.manifests with real footage: %s", manifests)
