"""`judge-eval` (Hydra, `configs/eval.yaml`): test a checkpoint on a labelled manifest.

    judge-eval ckpt_path=logs/cpu_tiny/runs/.../checkpoints/last.ckpt data.manifest=MANIFEST

The model is rebuilt from the checkpoint's own description (`checkpoint["judge"]`), so the
checkpoint decides the backbone, labels and input; the config only says what to read.
"""

from __future__ import annotations

import json
import logging

import hydra
from omegaconf import DictConfig, open_dict

from judge.io.atomic import atomic_write_text
from judge.paths import config_dir

log = logging.getLogger("judge.eval")


def evaluate(cfg: DictConfig) -> dict[str, float]:
    import lightning as L
    import torch
    from hydra.utils import instantiate

    from judge.models import build_model
    from judge.training.module import JudgeModule

    L.seed_everything(cfg.seed, workers=True)
    ckpt = torch.load(cfg.ckpt_path, map_location="cpu", weights_only=True)
    meta = ckpt.get("judge")
    if not meta or not meta.get("model"):
        raise ValueError(f"{cfg.ckpt_path}: not a judge checkpoint (no 'judge' description)")
    with open_dict(cfg):
        if cfg.data.get("manifest"):
            cfg.data.manifests = [{"path": cfg.data.manifest}]
            cfg.data.test_all_splits = True
        cfg.data.pop("manifest", None)
        cfg.data.labels = meta["labels"]
        spec = meta.get("input") or {}
        cfg.data.window = {k: spec[k] for k in ("num_frames", "stride", "fps") if k in spec}
        if "size" in spec:
            cfg.data.size = spec["size"]
    dm = instantiate(cfg.data)
    module = JudgeModule(
        build_model(**meta["model"]),
        optimizer=torch.optim.AdamW,
        label_names=tuple(meta["labels"]),
        input_spec=meta.get("input"),
        decoder=dm.decoder,
    )
    module.load_state_dict(ckpt["state_dict"])
    trainer = instantiate(cfg.trainer, logger=False, callbacks=[])
    results = trainer.test(module, dm)
    return {k: float(v) for k, v in (results[0] if results else {}).items()}


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="eval")
def _main(cfg: DictConfig) -> None:
    metrics = evaluate(cfg)
    log.info("test metrics: %s", {k: round(v, 4) for k, v in sorted(metrics.items())})
    if cfg.get("metrics_file"):
        report = {"ckpt_path": str(cfg.ckpt_path), "metrics": metrics}
        atomic_write_text(cfg.metrics_file, json.dumps(report, indent=2, sort_keys=True) + "\n")
        log.info("metrics written to %s", cfg.metrics_file)


def main() -> None:
    _main()


if __name__ == "__main__":
    main()
