"""The monitored metric is never made up: an epoch whose macro AUROC is undefined logs no
`val/auroc` (not 0.0, not the previous epoch's), the checkpoint callbacks of configs/callbacks/
let it go by without an error, and what judge-train returns to a sweeper says so.

Runs JudgeModule on in-memory batches (no video), so each epoch's validation labels are chosen:
both classes of a label (AUROC defined) or one class only (undefined).
"""

from __future__ import annotations

import lightning as L
import pytest
import torch
from omegaconf import open_dict
from torch import nn
from torch.utils.data import DataLoader
from training_fixtures import compose_train

from judge.training.module import JudgeModule
from judge.training.train import _instantiate_all, optimized_value

LABELS = ("teleport", "vanish")
T = 4


class StandIn(nn.Module):
    """`(B, 3, T, H, W)` -> the judge's three logit heads."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv3d(3, 4, 3, padding=1)
        self.labels, self.plausible, self.frames = nn.Linear(4, 2), nn.Linear(4, 1), nn.Linear(4, 1)
        self.config = {"backbone": "stand-in", "num_labels": 2}

    def forward(self, x):
        f = torch.relu(self.conv(x)).mean(dim=(3, 4))  # (B, 4, T)
        clip = f.mean(dim=2)
        return {
            "labels": self.labels(clip),
            "plausible": self.plausible(clip)[:, 0],
            "frames": self.frames(f.transpose(1, 2))[..., 0],
        }


def _batch(labels: list[list[int]], seed: int) -> dict:
    g = torch.Generator().manual_seed(seed)
    y = torch.tensor(labels, dtype=torch.float32)
    n = len(labels)
    return {
        "video": torch.randn(n, 3, T, 8, 8, generator=g),
        "labels": y,
        "label_mask": torch.ones(n, len(LABELS), dtype=torch.bool),
        "plausible": (y.sum(1) == 0).float(),
        "plausible_mask": torch.ones(n, dtype=torch.bool),
        "onset": torch.zeros(n, T),
        "onset_mask": torch.zeros(n, dtype=torch.bool),
        "group": [f"g{i}" for i in range(n)],
        "path": [f"clip{i}.mp4" for i in range(n)],
    }


DEFINED = [[1, 0], [0, 1], [0, 0], [0, 0]]  # both classes of each label: an AUROC
UNDEFINED = [[0, 0]] * 4  # one class of every label: no AUROC


class ChosenValidation(JudgeModule):
    """Validation labels per epoch from `plan` (DEFINED or UNDEFINED); loaders reloaded each
    epoch (`reload_dataloaders_every_n_epochs=1`)."""

    def __init__(self, plan: list[list[list[int]]]):
        super().__init__(
            StandIn(),
            optimizer=lambda params: torch.optim.SGD(params, lr=0.01),
            label_names=LABELS,
        )
        self.plan = plan

    def train_dataloader(self):
        return DataLoader([_batch(DEFINED, seed=1)], batch_size=None)

    def val_dataloader(self):
        return DataLoader([_batch(self.plan[self.current_epoch], seed=2)], batch_size=None)


def _fit(tmp_path, plan, *overrides, extra=()):
    """Fit with the callbacks of configs/callbacks/ (`overrides` pick them) as judge-train
    builds them, plus `extra`; returns the trainer and the config."""
    cfg = compose_train([f"paths.log_dir={tmp_path}", *overrides])
    with open_dict(cfg):
        cfg.paths.output_dir = str(tmp_path / "run")
    callbacks = [
        c for c in _instantiate_all(cfg.callbacks) if type(c).__name__ != "LearningRateMonitor"
    ]
    trainer = L.Trainer(
        max_epochs=len(plan),
        accelerator="cpu",
        logger=False,
        callbacks=[*callbacks, *extra],
        reload_dataloaders_every_n_epochs=1,
        num_sanity_val_steps=0,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(ChosenValidation(plan))
    return trainer, cfg


def _final(trainer) -> dict[str, float]:
    """What train() returns: the final callback metrics."""
    return {k: float(v) for k, v in trainer.callback_metrics.items()}


def test_an_undefined_auroc_is_not_logged_and_the_epoch_is_no_checkpoint_candidate(tmp_path):
    trainer, cfg = _fit(tmp_path, [DEFINED, UNDEFINED], "callbacks=early_stopping")
    # Not 0.0 and not epoch 0's value: the last epoch had none.
    assert "val/auroc" not in trainer.callback_metrics
    assert float(trainer.callback_metrics["val/labels_scored"]) == 0.0
    assert "val/loss" in trainer.callback_metrics  # the rest of the epoch was logged
    ckpts = sorted(p.name for p in (tmp_path / "run" / "checkpoints").iterdir())
    # Epoch 0's best file names its metric; epoch 1 gave no candidate; last.ckpt is epoch 1's.
    (best,) = [n for n in ckpts if n != "last.ckpt"]
    assert best.startswith("epoch_000-val_auroc_") and best.endswith(".ckpt")
    in_name = float(best.removeprefix("epoch_000-val_auroc_").removesuffix(".ckpt"))
    assert float(trainer.checkpoint_callback.best_model_score) == pytest.approx(in_name, abs=1e-4)
    assert trainer.checkpoint_callback.best_model_path.endswith(best)
    last = torch.load(tmp_path / "run" / "checkpoints" / "last.ckpt", weights_only=True)
    assert last["epoch"] == 1
    # Not a sweep: nothing asked for. A sweep is told the run has no value to rank it by.
    assert optimized_value(cfg, _final(trainer)) is None
    with open_dict(cfg):
        cfg.optimized_metric = "${monitor}"
    with pytest.raises(KeyError, match="'val/auroc' was not logged"):
        optimized_value(cfg, _final(trainer))


def test_a_run_that_never_defines_its_monitor_saves_no_best_checkpoint(tmp_path):
    trainer, _ = _fit(tmp_path, [UNDEFINED, UNDEFINED])
    assert "val/auroc" not in trainer.callback_metrics
    assert [p.name for p in (tmp_path / "run" / "checkpoints").iterdir()] == ["last.ckpt"]
    assert trainer.checkpoint_callback.best_model_path == ""  # test=true tests the last weights


class Recorder(L.Callback):
    """`val/auroc` as the callbacks see it after each validation (None: absent)."""

    def __init__(self):
        self.seen: list[float | None] = []

    def on_validation_end(self, trainer, pl_module):
        value = trainer.callback_metrics.get("val/auroc")
        self.seen.append(None if value is None else float(value))


def test_the_best_checkpoint_follows_the_metric_across_an_undefined_epoch(tmp_path):
    recorder = Recorder()
    trainer, cfg = _fit(tmp_path, [DEFINED, UNDEFINED, DEFINED], extra=[recorder])
    first, missing, third = recorder.seen
    assert missing is None  # not epoch 0's value carried over, as Lightning would keep it
    assert first is not None and third is not None
    assert float(trainer.checkpoint_callback.best_model_score) == pytest.approx(max(first, third))
    names = {p.name for p in (tmp_path / "run" / "checkpoints").iterdir()}
    assert not any(n.startswith("epoch_001") for n in names)
    with open_dict(cfg):
        cfg.optimized_metric = "${monitor}"
    assert optimized_value(cfg, _final(trainer)) == pytest.approx(third)  # the final value
