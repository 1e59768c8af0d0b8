"""`judge-train`'s last step: calibrate the best checkpoint on the validation split, export it.

A checkpoint's thresholds are 0.5 until something chooses them, and at 0.5 the CPU judge
flagged 22% of clean rendered clips (README "Quality"). So `judge-train` ends, as a user would
by hand with `judge-calibrate --split val --target-recall R --out DIR`, by scoring the
validation clips of its own training mixture whole (as `judge-score` reads them, windows and
aggregation included), fitting a temperature and a threshold per head on them, and exporting
the judge with both (`cfg.calibrate`, configs/train.yaml; `train_and_calibrate` is what
`judge-train` runs):

    <output_dir>/judge/judge.json, model.safetensors   the judge to score with

Validation clips only: the test split stays unseen by every choice made for the judge.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from pathlib import Path

from omegaconf import DictConfig

log = logging.getLogger("judge.train")


def manifests_with_split(entries: Iterable[Mapping], split: str) -> list[Path]:
    """The manifests of a mixture (`data.manifests` entries `{path, weight, splits?}`) that
    may hold rows of `split`: those without a `splits` list, or naming it."""
    return [Path(e["path"]) for e in entries if e.get("splits") is None or split in e["splits"]]


def train_and_calibrate(cfg: DictConfig) -> dict[str, float]:
    """`judge.training.train.train`, then `calibrate_best` of the run's best checkpoint (on
    the first process only); returns the training's final metrics."""
    from judge.training.train import fit_and_test

    check_calibrate(cfg.get("calibrate"))  # before training, not after it
    outcome = fit_and_test(cfg)
    if outcome.checkpoint:
        calibrate_best(cfg, outcome.checkpoint)
    return outcome.metrics


def check_calibrate(spec: Mapping | None) -> None:
    """Raises ValueError when the `calibrate` block asks for both a recall and a precision."""
    if spec and spec.get("target_recall") is not None and spec.get("target_precision") is not None:
        raise ValueError(
            "calibrate: set one of target_recall and target_precision, not both "
            "(calibrate.target_recall=null calibrate.target_precision=P for a precision)"
        )


def calibrate_best(cfg: DictConfig, checkpoint: str | Path) -> Path | None:
    """Calibrate `checkpoint` on `cfg.calibrate.split` of `cfg.data.manifests` and export it to
    `cfg.calibrate.out`; the folder, or None when skipped (no `calibrate` block, or no clip of
    that split: the reason is logged, and training's results stand either way)."""
    from judge.calibration.fit_judge import (
        CalibrationInputError,
        fit_records,
        format_table,
        labelled_rows,
        save_calibration,
    )
    from judge.inference.judge import Judge

    spec = cfg.get("calibrate")
    if not spec:
        return None
    check_calibrate(spec)
    manifests = manifests_with_split(cfg.data.manifests, spec.split)
    judge = Judge.load(checkpoint, device=spec.get("device"))
    try:
        rows, videos = labelled_rows(manifests, spec.split, judge.labels)
        log.info("calibrating %s on %d %s clips", checkpoint, len(videos), spec.split)
        records = list(
            judge.score(videos, batch_size=spec.batch_size, num_workers=spec.num_workers)
        )
        fit = fit_records(
            records,
            rows,
            judge.labels,
            judge.temperatures,
            recall=spec.get("target_recall"),
            precision=spec.get("target_precision"),
            manifests=manifests,
            split=spec.split,
        )
    except CalibrationInputError as e:
        log.warning("calibration skipped: %s", e)
        return None
    for line in format_table(fit):
        log.info("calibration: %s", line)
    out = save_calibration(checkpoint, spec.out, fit.result, overwrite=True)
    log.info("calibrated judge written to %s", out)
    return out
