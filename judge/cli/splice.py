"""`judge-splice`: artifacts injected into real footage (Hydra; see configs/splice.yaml).

judge-splice out=data/generated/spliced videos=/data/videos num_clips=200 seed=0
judge-splice ... splice.twins=3 splice.split=train num_workers=0
"""

from __future__ import annotations

import json
import logging
import sys

import hydra
from omegaconf import DictConfig, OmegaConf

from judge.cli.errors import EXIT_ERROR, EXIT_OK, EXIT_USAGE
from judge.paths import config_dir
from judge.splice.config import SpliceError

log = logging.getLogger("judge.splice")


def run(cfg: DictConfig) -> int:
    from judge.splice.runner import splice

    try:
        summary = splice(
            str(cfg.videos),
            str(cfg.out),
            num_clips=cfg.num_clips,
            seed=cfg.seed,
            config=OmegaConf.to_container(cfg.splice, resolve=True),
            num_workers=cfg.num_workers,
            log=log.info,
        )
    except SpliceError as e:
        log.error("%s", e)
        return EXIT_USAGE
    log.info(
        "spliced %d windows (%d already done) from %d videos in %.1fs: manifest %s has %d clips "
        "(%d twins); %d moving-camera windows (clean only); %d videos skipped",
        summary.processed,
        summary.resumed,
        summary.videos,
        summary.seconds,
        summary.manifest,
        summary.clips,
        summary.twins,
        summary.moving,
        len(summary.videos_skipped),
    )
    if summary.twins_skipped:
        log.info("kinds not made visible, by window: %s", json.dumps(dict(summary.twins_skipped)))
    if summary.errors:
        log.error("%d windows failed; rerun to retry them", len(summary.errors))
        return EXIT_ERROR
    return EXIT_OK


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="splice")
def _hydra_main(cfg: DictConfig) -> None:
    code = run(cfg)
    if code:
        sys.exit(code)


def main() -> None:
    _hydra_main()


if __name__ == "__main__":
    main()
