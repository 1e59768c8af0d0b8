"""`judge-synth`: render a synthetic dataset (Hydra; see configs/synth.yaml).

judge-synth out=data/generated/synth num_scenes=200 seed=0
judge-synth synth=tiny out=/tmp/s num_scenes=8 num_workers=0
judge-synth ... shard=3/8          # one of 8 job-array tasks, same out folder
judge-synth synth_experiment=synth_1k   # a rendering preset (configs/synth_experiment/)
"""

from __future__ import annotations

import json
import logging
import sys

import hydra
from omegaconf import DictConfig, OmegaConf

from judge.cli.errors import EXIT_ENVIRONMENT, EXIT_ERROR, EXIT_OK, EXIT_USAGE
from judge.paths import config_dir
from judge.synth.config import ConfigError, SynthConfig

log = logging.getLogger("judge.synth")


def run(cfg: DictConfig) -> int:
    from judge.synth import gl
    from judge.synth.runner import generate, stats

    try:
        synth = SynthConfig.from_dict(OmegaConf.to_container(cfg.synth, resolve=True))
    except ConfigError as e:
        log.error("bad configuration: %s", e)
        return EXIT_USAGE
    try:
        backend = gl.choose_backend()
    except RuntimeError as e:
        log.error("%s", e)
        return EXIT_ENVIRONMENT
    try:
        log.info("rendering with MUJOCO_GL=%s into %s", backend, cfg.out)
        summary = generate(
            synth,
            cfg.out,
            cfg.num_scenes,
            seed=cfg.seed,
            num_workers=cfg.num_workers,
            shard=cfg.shard,
            overwrite=cfg.overwrite,
        )
    except ConfigError as e:
        log.error("bad configuration: %s", e)
        return EXIT_USAGE
    from judge.io.manifest import read_manifest

    new_kinds = synth.artifacts.new_kinds()
    rows = read_manifest(summary.manifest, extra_labels=new_kinds)
    log.info(
        "rendered %d scenes (%d already done) in %.1fs; manifest %s has %d scenes, %d clips",
        summary.rendered,
        summary.skipped,
        summary.seconds,
        summary.manifest,
        summary.manifest_scenes,
        len(rows),
    )
    log.info("dataset: %s", json.dumps(stats(rows)))
    if summary.skipped_twins:
        log.info(
            "twins skipped (no clearly visible injection found after %d tries): %s",
            synth.artifacts.max_attempts,
            dict(summary.skipped_twins),
        )
    if cfg.contact_sheet and rows:
        from judge.synth.contact_sheet import make_contact_sheet

        sheet = make_contact_sheet(
            summary.manifest, summary.manifest.parent / "contact_sheet.png", extra_labels=new_kinds
        )
        if sheet:
            log.info("contact sheet: %s", sheet)
    if summary.errors:
        log.error("%d scenes failed; see %s/errors/", len(summary.errors), cfg.out)
        return EXIT_ERROR
    return EXIT_OK


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="synth")
def _hydra_main(cfg: DictConfig) -> None:
    code = run(cfg)
    if code:
        sys.exit(code)


def main() -> None:
    _hydra_main()


if __name__ == "__main__":
    main()
