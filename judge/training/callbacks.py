"""Callbacks of the judge's trainer."""

from __future__ import annotations

import logging
import time

import lightning as L
from lightning.pytorch.callbacks import ModelCheckpoint

log = logging.getLogger("judge.train")


class BestCheckpoint(ModelCheckpoint):
    """`ModelCheckpoint` on a metric that some epochs leave undefined.

    `JudgeModule` logs nothing under a metric it cannot compute (a macro AUROC with no label
    holding both classes), rather than a made-up value. Lightning's `ModelCheckpoint` raises
    once validation has run and its monitor is missing; this one lets such an epoch go by with a
    log line: it is no candidate for the best checkpoint, and the best so far stays the best.
    Everything else (`last.ckpt`, top-k, file names) is `ModelCheckpoint`'s.
    """

    # `_save_topk_checkpoint` is where ModelCheckpoint checks for the monitor; tests in
    # tests/test_training_monitor.py fail if a Lightning release moves that check.
    def _save_topk_checkpoint(self, trainer, monitor_candidates) -> None:
        if self.monitor is not None and self.monitor not in monitor_candidates:
            if trainer.is_global_zero:
                log.info(
                    "epoch %d: %s undefined, no candidate for the best checkpoint",
                    trainer.current_epoch,
                    self.monitor,
                )
            return
        super()._save_topk_checkpoint(trainer, monitor_candidates)


class TrainTimer(L.Callback):
    """Logs wall time and training throughput at each validation, for learning curves.

    `time/train_s` is seconds since fit started (training and validation both count, as with
    the trainer's `max_time`); `time/clips_per_s` is training clips per second of training
    steps alone (validation excluded), so a learning curve is AUROC against `time/train_s`.
    Time spent before a resume is not known to this run: both restart on resume.
    """

    def __init__(self) -> None:
        self._start = None
        self._step_start = None
        self._train_s = 0.0
        self._clips = 0

    def on_fit_start(self, trainer, pl_module) -> None:
        self._start = time.perf_counter()
        self._train_s, self._clips = 0.0, 0

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        self._step_start = time.perf_counter()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if self._step_start is not None:
            self._train_s += time.perf_counter() - self._step_start
            self._clips += int(batch["video"].shape[0])

    def on_validation_epoch_end(self, trainer, pl_module) -> None:
        if self._start is None or trainer.sanity_checking:
            return
        pl_module.log("time/train_s", time.perf_counter() - self._start, sync_dist=True)
        if self._train_s > 0:
            pl_module.log("time/clips_per_s", self._clips / self._train_s, sync_dist=True)


class EpochSummary(L.Callback):
    """One log line per validated epoch, e.g. ``epoch 3/12: val/auroc 0.871 ... (2.4 min)``.

    Progress bars do not survive a pipe or a log file; this line does, so a long run piped into
    `make demo` or a job log still shows where it is. Logged on rank zero only.
    """

    def __init__(self, keys: tuple[str, ...] = ("val/auroc", "val/loss")):
        self.keys = tuple(keys)
        self._start = None

    def on_fit_start(self, trainer, pl_module) -> None:
        self._start = time.perf_counter()

    # Not on_validation_epoch_end: callbacks run that hook before the module's own, where the
    # epoch's metrics are computed, so it would print the previous epoch's figures.
    def on_validation_end(self, trainer, pl_module) -> None:
        if trainer.sanity_checking or not trainer.is_global_zero or self._start is None:
            return
        metrics = trainer.callback_metrics
        shown = [f"{k} {float(metrics[k]):.4f}" for k in self.keys if k in metrics]
        minutes = (time.perf_counter() - self._start) / 60
        log.info(
            "epoch %d/%s: %s (%.1f min)",
            trainer.current_epoch + 1,
            trainer.max_epochs if trainer.max_epochs and trainer.max_epochs > 0 else "?",
            ", ".join(shown) or "no metrics yet",
            minutes,
        )
