"""`judge-train` (Hydra, `configs/train.yaml`): train a judge, test the best checkpoint, and
export it calibrated on the validation split (`calibrate`) to <output_dir>/judge.

judge-train experiment=cpu_tiny
judge-train model=r3d_18 trainer=gpu data.batch_size=32
judge-train ckpt_path=last                      # resume the newest run of this task
judge-train experiment=cpu_tiny real_footage=DIR # mix in a folder of real videos (real: block)
judge-train -m model.optimizer.lr=1e-3,3e-3     # a sweep
judge-train hparams_search=lr                   # a preset sweep; returns optimized_metric
judge-train debug=fdr                           # debug runs log under logs/debug/
"""

from __future__ import annotations

import logging

import hydra
from omegaconf import DictConfig

from judge.calibration.after_training import train_and_calibrate
from judge.paths import config_dir
from judge.training.train import optimized_value

log = logging.getLogger("judge.train")


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="train")
def _main(cfg: DictConfig) -> float | None:
    metrics = train_and_calibrate(cfg)  # the best checkpoint, then <output_dir>/judge
    log.info("final metrics: %s", {k: round(v, 4) for k, v in sorted(metrics.items())})
    value = optimized_value(cfg, metrics)  # what a sweeper (Optuna, ...) optimises
    if value is not None:
        log.info("optimized_metric %s: %.6f", cfg.optimized_metric, value)
    return value


def main() -> None:
    _main()


if __name__ == "__main__":
    main()
