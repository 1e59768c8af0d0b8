"""`judge-eval` (Hydra, `configs/eval.yaml`): evaluate a judge on a labelled manifest.

    judge-eval ckpt_path=logs/cpu_tiny/runs/.../checkpoints/last.ckpt data.manifest=MANIFEST

The judge (a checkpoint or an exported folder, with its stored thresholds) scores every clip
whole, as `judge-score` does; `judge.report.build.evaluate(cfg)` turns the scores into metrics
(`judge.evaluation`), plots, contact sheets and `report.html` in `report.dir` (the run's folder
by default). With `logger=wandb`, or when a W&B run is already active, they are logged to it
too. The judge's per-source table (figures per source family: synthetic, spliced, real, ...)
ends the log, so a bench script's output shows it (`report.log_sources: false` leaves it out).
"""

from __future__ import annotations

import logging

import hydra
from omegaconf import DictConfig

from judge.paths import config_dir

log = logging.getLogger("judge.eval")


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="eval")
def _main(cfg: DictConfig) -> None:
    from judge.report.build import evaluate
    from judge.training.train import finish_wandb

    try:
        metrics = evaluate(cfg)
    finally:
        finish_wandb()
    keys = ("auroc", "plausible/auroc", "ece", "onset_acc", "rerank/best_of_n_clean")
    log.info("judge: %s", {k: round(metrics[k], 4) for k in keys if k in metrics})


def main() -> None:
    _main()


if __name__ == "__main__":
    main()
