"""The LightningModule that trains a judge model: losses, metrics, optimiser, self-describing
checkpoints."""

from __future__ import annotations

import math
from collections.abc import Callable

import lightning as L
import torch
from torch import nn

from judge.training.losses import LossWeights, judge_loss
from judge.training.metrics import JudgeMetrics

TABLE_ROWS = 16  # clips per validation table sent to W&B


class JudgeModule(L.LightningModule):
    """Trains `model`, whose forward maps `(B, 3, T, H, W)` to logits `labels (B, L)`,
    `plausible (B,)` and `frames (B, T)`.

    Args:
        model: the network (a `judge.models` JudgeModel, or any module with that output).
        optimizer: a partial taking `params` (Hydra `_partial_: true`).
        scheduler: a partial taking `optimizer`, or None; `scheduler_interval` "step"/"epoch".
        loss: `LossWeights` fields.
        label_names: artifact labels, in the order of the model's label logits.
        input_spec: how clips were read (frames, stride/fps, size, normalisation); stored in
            every checkpoint with the model config so scoring can rebuild the judge.
        decoder: the video backend's name and version, stored likewise.
    """

    def __init__(
        self,
        model: nn.Module,
        optimizer: Callable,
        scheduler: Callable | None = None,
        scheduler_interval: str = "step",
        loss: dict | None = None,
        label_names: tuple[str, ...] = (),
        input_spec: dict | None = None,
        decoder: dict | None = None,
    ):
        super().__init__()
        # Only plain data goes into checkpoints, so they load with torch.load(weights_only=True):
        # the model is saved as weights, the optimiser and scheduler factories not at all.
        self.save_hyperparameters(
            {
                "scheduler_interval": scheduler_interval,
                "loss": _plain(loss or {}),
                "label_names": list(label_names),
                "input_spec": _plain(input_spec or {}),
                "decoder": _plain(decoder or {}),
            },
            logger=False,
        )
        self.optimizer_factory, self.scheduler_factory = optimizer, scheduler
        self.model = model
        self.weights = LossWeights(**_plain(loss or {}))
        self.label_names = tuple(label_names)
        self.metrics = {s: JudgeMetrics(self.label_names) for s in ("val", "test")}
        self._table: list[dict] = []

    def forward(self, video: torch.Tensor) -> dict[str, torch.Tensor]:
        return self.model(video)

    def _step(self, batch: dict, stage: str) -> tuple[dict, dict]:
        out = self(batch["video"])
        terms = judge_loss(out, batch, self.weights)
        bs = batch["video"].shape[0]
        for name, value in terms.items():
            self.log(
                f"{stage}/{name}" if name != "loss" else f"{stage}/loss",
                value,
                batch_size=bs,
                on_step=stage == "train",
                on_epoch=True,
                prog_bar=name == "loss",
                sync_dist=stage != "train",
            )
        if "skipped" in batch:
            # Bad files passed over by the loaders, summed over the epoch (see ClipDataset).
            self.log(
                f"{stage}/skipped_files",
                batch["skipped"].float().sum(),
                reduce_fx="sum",
                on_step=False,
                on_epoch=True,
                batch_size=bs,
                sync_dist=True,
            )
        return out, terms

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        return self._step(batch, "train")[1]["loss"]

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        out, _ = self._step(batch, "val")
        self.metrics["val"].update(out, batch)
        if len(self._table) < TABLE_ROWS:
            self._collect_table(out, batch)

    def test_step(self, batch: dict, batch_idx: int) -> None:
        out, _ = self._step(batch, "test")
        self.metrics["test"].update(out, batch)

    def on_validation_epoch_end(self) -> None:
        self._log_metrics("val")
        self._log_table()

    def on_test_epoch_end(self) -> None:
        self._log_metrics("test")

    def _log_metrics(self, stage: str) -> None:
        results = self.metrics[stage].compute()
        self.metrics[stage].reset()
        # NaN (a label with one class in this split) is not logged: it would break checkpoint
        # monitoring and plots; `labels_scored` says how many labels the macro AUROC covers.
        clean = {f"{stage}/{k}": v for k, v in results.items() if not math.isnan(v)}
        if clean:
            self.log_dict(clean, sync_dist=True)
        if stage == "val" and "val/auroc" not in clean:
            self.log("val/auroc", 0.0, sync_dist=True)  # keeps "best on val/auroc" defined

    def _collect_table(self, out: dict, batch: dict) -> None:
        probs = torch.sigmoid(out["labels"]).detach().cpu()
        plaus = torch.sigmoid(out["plausible"]).detach().cpu()
        for i in range(min(len(plaus), TABLE_ROWS - len(self._table))):
            worst = int(probs[i].argmax()) if probs.shape[1] else -1
            self._table.append(
                {
                    "path": batch["path"][i],
                    "p_plausible": float(plaus[i]),
                    "plausible": float(batch["plausible"][i])
                    if batch["plausible_mask"][i]
                    else None,
                    "top_label": self.label_names[worst] if worst >= 0 else "",
                    "top_p": float(probs[i, worst]) if worst >= 0 else None,
                }
            )

    def _log_table(self) -> None:
        rows, self._table = self._table, []
        from lightning.pytorch.loggers import WandbLogger

        for logger in self.loggers:
            if isinstance(logger, WandbLogger) and rows:
                cols = list(rows[0])
                logger.log_table(
                    "val/predictions", columns=cols, data=[[r[c] for c in cols] for r in rows]
                )

    def configure_optimizers(self):
        opt = self.optimizer_factory(params=self.parameters())
        if self.scheduler_factory is None:
            return opt
        sched = self._scheduler(opt)
        return {
            "optimizer": opt,
            "lr_scheduler": {"scheduler": sched, "interval": self.hparams.scheduler_interval},
        }

    def _scheduler(self, opt):
        """Build the scheduler, giving it the run's length where it asks for one (OneCycleLR's
        `total_steps`, CosineAnnealingLR's `T_max`): only the trainer knows it."""
        steps = max(1, int(self.trainer.estimated_stepping_batches))
        for extra in ({"total_steps": steps}, {"T_max": steps}):
            try:
                return self.scheduler_factory(optimizer=opt, **extra)
            except TypeError:  # this scheduler takes no such argument
                continue
        return self.scheduler_factory(optimizer=opt)

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        """Make the checkpoint describe itself: enough to rebuild and use the judge without
        Hydra (see `judge.training.checkpoint.describe`)."""
        from judge.training.checkpoint import describe

        checkpoint["judge"] = describe(self)


def _plain(value):
    """DictConfig/ListConfig/tuples -> dicts, lists and scalars (safe for weights_only)."""
    if hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple) or type(value).__name__ == "ListConfig":
        return [_plain(v) for v in value]
    return value
