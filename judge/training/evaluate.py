"""`judge-eval` (Hydra, `configs/eval.yaml`): evaluate a judge on a labelled manifest.

    judge-eval ckpt_path=logs/cpu_tiny/runs/.../checkpoints/last.ckpt data.manifest=MANIFEST

The judge (a checkpoint or an exported folder, with its stored thresholds) scores every clip
whole, as `judge-score` does; `judge.report.build` turns the scores into metrics, plots,
contact sheets and `report.html` in `report.dir` (the run's folder by default). With
`logger=wandb`, or when a W&B run is already active, they are logged to it too. The judge's
per-source table (figures per source family: synthetic, spliced, real, ...) ends the log, so a
bench script's output shows it (`report.log_sources: false` leaves it out).
"""

from __future__ import annotations

import logging

import hydra
from omegaconf import DictConfig

from judge.paths import config_dir

log = logging.getLogger("judge.eval")


def evaluate(cfg: DictConfig) -> dict[str, float]:
    """Run the evaluation of `cfg`; returns the judge's metrics (`clip_metrics` names)."""
    import lightning as L
    from hydra.utils import instantiate

    from judge.report.build import evaluate_manifest
    from judge.report.scoring import JUDGE
    from judge.report.tables import source_markdown
    from judge.report.wandb_log import log_to_wandb
    from judge.scoring.judge import Judge

    L.seed_everything(cfg.seed, workers=True)
    judge = Judge.load(cfg.ckpt_path, device=cfg.get("device"))
    # A logger config starts its run here, so that `log_to_wandb` finds it active.
    loggers = [instantiate(c) for c in (cfg.get("logger") or {}).values()]
    runs = [lg.experiment for lg in loggers if type(lg).__name__ == "WandbLogger"]
    report = cfg.report
    result = evaluate_manifest(
        judge,
        cfg.data.manifest,
        report.dir,
        split=cfg.data.get("split"),
        baseline=report.baseline,
        html=report.html,
        worst=report.worst,
        groups=report.groups,
        batch_size=cfg.data.batch_size,
        num_workers=cfg.data.num_workers,
        log=log.info,
    )
    for run in runs or [None]:
        log_to_wandb(result, run)
    log.info("metrics: %s", result["files"]["metrics_md"])
    if report.get("log_sources", True):
        table = source_markdown({JUDGE: result["sources"][JUDGE]}, list(judge.labels))
        for line in table.rstrip("\n").splitlines():
            log.info("%s", line)
    return result["columns"][JUDGE]


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="eval")
def _main(cfg: DictConfig) -> None:
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
