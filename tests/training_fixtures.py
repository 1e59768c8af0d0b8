"""Shared helpers for the tests/test_training_*.py modules: a tiny labelled manifest and one
small, fast training config composed from the real configs.

Import what you need: `from training_fixtures import render_manifest, train_cfg, ...` (pytest
puts tests/ on sys.path).
"""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from pathlib import Path

import torch
from hydra import compose, initialize_config_dir
from hydra.core.hydra_config import HydraConfig
from lightning.pytorch.callbacks import Callback
from omegaconf import DictConfig, open_dict

from judge.paths import config_dir

# 64x64, 16 frames, small shadow maps: a 4-scene set (about 12 clips) renders in a few seconds.
TINY_SYNTH = {
    "render": {"sizes": [[64, 64]], "num_frames": [16], "shadow_size": 512},
    "artifacts": {"min_visible_px": 12},
}

# Windows of 8 frames at 32x32, 2 training and 1 validation batch of 4 per epoch.
FAST = [
    "data.window.num_frames=8",
    "data.size=32",
    "data.batch_size=4",
    "data.num_workers=0",
    "++trainer.limit_train_batches=2",
    "++trainer.limit_val_batches=1",
    "++trainer.num_sanity_val_steps=0",
    "++trainer.enable_progress_bar=false",
    "++trainer.enable_model_summary=false",
    "test=false",
]


_SHARED: dict[str, Path] = {}


def shared_manifest() -> Path:
    """One `render_manifest` per test session, shared by the test modules that only read it
    (rendering is the slow part), in a temporary folder removed at exit."""
    if "path" not in _SHARED:
        out = Path(tempfile.mkdtemp(prefix="judge-train-tests-"))
        atexit.register(shutil.rmtree, out, ignore_errors=True)
        _SHARED["path"] = render_manifest(out / "synth")
    return _SHARED["path"]


def render_manifest(out: Path, num_scenes: int = 4) -> Path:
    """Render `num_scenes` tiny scenes; the first half trains, the rest validates (so every
    epoch has validation metrics). Returns the manifest's path."""
    from judge.synth.config import SynthConfig
    from judge.synth.runner import generate

    generate(SynthConfig.from_dict(TINY_SYNTH), out, num_scenes, seed=0)
    path = out / "manifest.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    train_groups = {f"scene-{i:06d}" for i in range(num_scenes // 2)}
    for r in rows:
        r["split"] = "train" if r["group"] in train_groups else "val"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def compose_train(overrides: list[str]) -> DictConfig:
    """`configs/train.yaml` with `overrides`, as `judge-train` would compose it."""
    with initialize_config_dir(config_dir=config_dir(), version_base="1.3"):
        cfg = compose(config_name="train", overrides=overrides, return_hydra_config=True)
    HydraConfig.instance().set_config(cfg)  # so ${hydra:...} interpolations resolve
    return cfg


def train_cfg(root: Path, manifest: Path, run: str, *extra: str) -> DictConfig:
    """A tiny training run on `manifest` writing to `root/logs/train/runs/<run>`.

    No logger unless `extra` names one; `extra` overrides come last and win.
    """
    cfg = compose_train(
        [
            f"paths.log_dir={root / 'logs'}",
            f"paths.data_dir={root / 'data'}",
            f"data.manifests=[{{path:'{manifest}',weight:1.0}}]",
            "logger=none",
            "trainer.max_epochs=1",
            *FAST,
            *extra,
        ]
    )
    out = root / "logs" / cfg.task_name / "runs" / run
    with open_dict(cfg):
        cfg.paths.output_dir = str(out)  # compose() has no Hydra run folder of its own
    return cfg


def weights(ckpt: Path) -> dict[str, torch.Tensor]:
    """The model's tensors (weights and BatchNorm buffers) of a Lightning checkpoint."""
    return torch.load(ckpt, map_location="cpu", weights_only=True)["state_dict"]


def same_tensors(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    """Bit-identical: same keys, and `torch.equal` for every tensor."""
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


class StopAfterEpochs(Callback):
    """Stops a run after `epochs` training epochs, as a preempted job would be; the config's
    max_epochs (and so OneCycleLR's schedule) stays what it was."""

    def __init__(self, epochs: int):
        self.epochs = epochs

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        if trainer.current_epoch + 1 >= self.epochs:
            trainer.should_stop = True


def last_ckpt(root: Path, run: str, task: str = "train") -> Path:
    """`last.ckpt` of the run `train_cfg(root, ..., run)` wrote."""
    return root / "logs" / task / "runs" / run / "checkpoints" / "last.ckpt"


def val_metrics(metrics: dict[str, float]) -> dict[str, float]:
    """The validation metrics of `train()`'s result (no wall times, no per-step values)."""
    return {k: v for k, v in metrics.items() if k.startswith("val/")}
