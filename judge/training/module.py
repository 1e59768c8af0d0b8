"""The LightningModule that trains a judge model: losses, metrics, optimiser, self-describing
checkpoints (with the domain statistics of the validation windows, `judge.training.domain`)."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from functools import partial

import lightning as L
import numpy as np
import torch
from torch import nn

from judge.data.samplers import DROPOUT_STREAM, derive_seed
from judge.data.tiles import join_tiles
from judge.training.distributed import gather_rows
from judge.training.losses import LossWeights, judge_loss
from judge.training.metrics import JudgeMetrics
from judge.training.resume import check_schedule_length

log = logging.getLogger(__name__)

TABLE_ROWS = 16  # clips per validation table sent to W&B


class JudgeModule(L.LightningModule):
    """Trains `model`, whose forward maps `(B, 3, T, H, W)` to logits `labels (B, L)`,
    `plausible (B,)` and `frames (B, T)`, and (optionally) `features (B, D)`, the vector its
    clip heads read.

    Validation and test batches read as tiles (`data.score_fit: tiles`: video `(sum K, 3, T,
    H, W)` with `tiles (B,)`) are run tile by tile and joined per clip (`judge.data.tiles`)
    before losses and metrics, as the scorer joins them.

    Domain statistics: every validation epoch (not the sanity check) collects the `features`
    of every validation window (every tile of it; eval mode; gathered from every rank under
    DDP) and fits `judge.training.domain.fit_domain` to them at its end. The result,
    `self.domain`, goes into every checkpoint's description (`checkpoint["judge"]["domain"]`)
    and comes back with a resumed run. It stays as it was when an epoch has fewer than 2
    windows or a model has no `features` output.

    Args:
        model: the network (a `judge.models` JudgeModel, or any module with that output).
        optimizer: a partial taking `params` (Hydra `_partial_: true`).
        scheduler: a partial taking `optimizer`, or None; `scheduler_interval` "step"/"epoch".
        loss: `LossWeights` fields.
        label_names: artifact labels, in the order of the model's label logits.
        input_spec: how clips were read (frames, stride/fps, size, normalisation); stored in
            every checkpoint with the model config so scoring can rebuild the judge.
        decoder: the video backend's name and version, stored likewise.
        seed: when set, dropout's random masks are a function of (seed, epoch, batch, rank),
            so a resumed run repeats an uninterrupted one (see `judge.training.resume`).
        compile: compile the model's forward with `torch.compile` (in place: the state dict
            and checkpoints keep their keys). Pays off on a GPU; the first steps are slower.

    Parameters with `requires_grad=False` (a frozen backbone, `judge.models.freeze`) are
    left out of the optimiser.
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
        seed: int | None = None,
        compile: bool = False,
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
                "seed": seed,
            },
            logger=False,
        )
        self.optimizer_factory, self.scheduler_factory = optimizer, scheduler
        self.model = model
        if compile:
            self.model.compile()  # nn.Module.compile: lazy, on the first forward
        self.weights = LossWeights(**_plain(loss or {}))
        self.label_names = tuple(label_names)
        self.metrics = {s: JudgeMetrics(self.label_names) for s in ("val", "test")}
        self._table: list[dict] = []
        self.seed = seed
        self._saved_schedulers: list[dict] = []  # scheduler states of the checkpoint resumed
        self.domain: dict | None = None  # domain statistics of the last validation epoch
        self._features: list[torch.Tensor] = []  # this validation epoch's window features

    def forward(self, video: torch.Tensor) -> dict[str, torch.Tensor]:
        return self.model(video)

    def _step(self, batch: dict, stage: str) -> tuple[dict, dict]:
        video = batch["video"]
        if stage == "train":
            out = self(video)
        else:
            # Validation and test in float32 even under `precision: bf16-mixed`: the monitored
            # metric and the domain statistics must come from the arithmetic the scorer uses.
            with torch.autocast(video.device.type, enabled=False):
                out = self(video)
        # Losses and metrics in float32 (mixed precision leaves the heads' outputs in bfloat16).
        out = {k: v.float() if v.is_floating_point() else v for k, v in out.items()}
        if "tiles" in batch:
            # Validation read as the scorer reads (fit "tiles"): one clip's tiles joined into
            # one row; `features` stay per tile, as the scorer measures each tile's distance.
            out = {**out, **join_tiles(out, batch["tiles"])}
        terms = judge_loss(out, batch, self.weights)
        bs = len(batch["plausible"])  # clips, not tiles
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

    def on_train_batch_start(self, batch: dict, batch_idx: int) -> None:
        if self.seed is None:
            return
        # Dropout draws from torch's global RNG, which Lightning does not checkpoint and which
        # data loading draws from too (a DataLoader iterator takes a base seed from it).
        # Reseeding it per batch makes every mask the same in a resumed run as in an
        # uninterrupted one; the rank keeps DDP replicas' masks apart.
        torch.manual_seed(
            derive_seed(self.seed, DROPOUT_STREAM, self.current_epoch, batch_idx, self.global_rank)
        )

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        return self._step(batch, "train")[1]["loss"]

    def on_validation_epoch_start(self) -> None:
        self._features = []

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        out, _ = self._step(batch, "val")
        self.metrics["val"].update(out, batch)
        if "features" in out and not self.trainer.sanity_checking:
            self._features.append(out["features"].detach().float().cpu())
        if len(self._table) < TABLE_ROWS:
            self._collect_table(out, batch)

    def test_step(self, batch: dict, batch_idx: int) -> None:
        out, _ = self._step(batch, "test")
        self.metrics["test"].update(out, batch)

    def on_validation_epoch_end(self) -> None:
        self._log_metrics("val")
        self._log_table()
        if not self.trainer.sanity_checking:
            self._fit_domain()

    def _fit_domain(self) -> None:
        """Domain statistics of this epoch's validation windows (class docstring)."""
        from judge.training.domain import fit_domain

        chunks, self._features = self._features, []
        # Under DDP, Lightning's sampler gives every rank the same number of validation
        # batches, so either every rank has features to gather here or none has.
        if not chunks:
            return  # the model has no `features` output, or there was no validation window
        features = torch.cat(chunks)
        if self.trainer.world_size > 1:
            features = gather_rows(features, all_gather=self.all_gather, device=self.device)
        if len(features) < 2:
            log.info(
                "domain statistics: skipped (%d validation window(s), 2 needed)", len(features)
            )
            return
        x = features.numpy()
        if not np.isfinite(x).all():
            log.warning("domain statistics: skipped (non-finite validation features)")
            return
        self.domain = fit_domain(x)
        log.info(
            "domain statistics: %d validation windows, %d features, threshold %.3f",
            self.domain["windows"],
            len(self.domain["mean"]),
            self.domain["threshold"],
        )

    def on_test_epoch_end(self) -> None:
        self._log_metrics("test")

    def _log_metrics(self, stage: str) -> None:
        gather = None
        if self.trainer.world_size > 1:
            gather = partial(gather_rows, all_gather=self.all_gather, device=self.device)
        results = self.metrics[stage].compute(gather)
        self.metrics[stage].reset()
        # NaN (a label with one class in this split) is not logged: it would break checkpoint
        # monitoring and plots; `labels_scored` says how many labels the macro AUROC covers.
        # Computed from every rank's rows, the values are the same on all ranks, and so is
        # their mean: sync_dist changes nothing but tells Lightning they are global.
        clean = {f"{stage}/{k}": v for k, v in results.items() if not math.isnan(v)}
        if clean:
            self.log_dict(clean, sync_dist=True)
        # An undefined metric stays missing, never a stand-in value: a made-up 0.0 AUROC made
        # an epoch without one a candidate for the best checkpoint and a value for sweeps.
        # Lightning keeps an earlier epoch's value in callback_metrics, where the checkpoint
        # callback would take it for this epoch's: drop it (callbacks.BestCheckpoint then lets
        # this epoch go by). The same on every rank, as the results are.
        for key in results:
            if math.isnan(results[key]):
                self.trainer.callback_metrics.pop(f"{stage}/{key}", None)

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
        opt = self.optimizer_factory(params=[p for p in self.parameters() if p.requires_grad])
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
        for key in ("total_steps", "T_max"):
            try:
                sched = self.scheduler_factory(optimizer=opt, **{key: steps})
            except TypeError:  # this scheduler takes no such argument
                continue
            # A resumed run gets the checkpoint's schedule back: it must be as long as this run.
            name = type(sched).__name__
            check_schedule_length(self._saved_schedulers, key, steps, self.trainer.max_epochs, name)
            return sched
        return self.scheduler_factory(optimizer=opt)

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        """Before a resumed run configures its optimiser: keep the checkpoint's scheduler
        states (to check their length), its domain statistics (until the next validation
        epoch refits them) and its seed (the run goes on with the seed it had)."""
        self._saved_schedulers = list(checkpoint.get("lr_schedulers") or [])
        domain = (checkpoint.get("judge") or {}).get("domain")
        if domain is not None:
            self.domain = dict(domain)
        saved_seed = (checkpoint.get("hyper_parameters") or {}).get("seed")
        if self.seed is not None and saved_seed is not None and saved_seed != self.seed:
            log.warning(
                "seed %s differs from the checkpoint's %s: resuming with the checkpoint's",
                self.seed,
                saved_seed,
            )
            self.seed = int(saved_seed)
            self.hparams["seed"] = self.seed

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
