"""Training configs compose and instantiate; judge-train runs a fast_dev_run; judge-eval reads
the checkpoint it wrote."""

from __future__ import annotations

import json

import pytest
import torch
from hydra import compose, initialize_config_dir
from hydra.core.hydra_config import HydraConfig
from hydra.utils import instantiate
from omegaconf import open_dict
from training_fixtures import FAST

from judge.paths import config_dir


def _compose(name: str, overrides: list[str]):
    with initialize_config_dir(config_dir=config_dir(), version_base="1.3"):
        cfg = compose(config_name=name, overrides=overrides, return_hydra_config=True)
    HydraConfig.instance().set_config(cfg)  # so ${hydra:...} interpolations resolve
    return cfg


@pytest.mark.parametrize(
    "overrides",
    [
        [],
        ["experiment=cpu_tiny"],
        ["experiment=gpu_default"],
        ["model=r3d_18"],
        ["trainer=ddp"],
        ["trainer=ddp_sim"],
        ["trainer=gpu"],
        ["logger=csv"],
        ["logger=tensorboard"],
        ["logger=none"],
        ["debug=default"],
        ["debug=fdr"],
        ["debug=overfit"],
        ["hparams_search=lr"],
        ["callbacks=early_stopping"],
        ["data=mixture"],
    ],
)
def test_every_train_config_composes_and_its_parts_instantiate(overrides, tmp_path):
    cfg = _compose("train", [*overrides, f"paths.log_dir={tmp_path}", f"paths.data_dir={tmp_path}"])
    module = instantiate(cfg.model, label_names=tuple(cfg.data.labels))
    x = torch.zeros(1, 3, 8, 32, 32)
    if cfg.model.model.backbone == "tiny3d":
        out = module(x)
        assert out["labels"].shape == (1, len(cfg.data.labels)) and out["frames"].shape == (1, 8)
    for node in (cfg.get("callbacks") or {}).values():
        if node and "_target_" in node:
            instantiate(node)
    if cfg.trainer.accelerator == "cpu":
        instantiate(cfg.trainer, logger=False)


def test_fast_dev_run_renders_missing_data_and_evaluates_its_checkpoint(tmp_path):
    from judge.calibration.after_training import train_and_calibrate  # what judge-train runs
    from judge.report.build import evaluate

    data = tmp_path / "data"
    metrics = train_and_calibrate(_tiny_train_cfg(tmp_path, "logger=none", "trainer.max_epochs=1"))
    assert (data / "generated" / "cpu_tiny_varied_6" / "manifest.jsonl").exists()  # rendered first
    assert "train/loss_epoch" in metrics
    last = next(tmp_path.glob("logs/cpu_tiny/runs/*/checkpoints/last.ckpt"))
    meta = torch.load(last, map_location="cpu", weights_only=True)["judge"]
    assert meta["model"]["backbone"] == "tiny3d" and meta["input"]["num_frames"] == 8

    # Training ends with the served judge: the best checkpoint calibrated on the validation
    # split, as `judge-calibrate --split val --target-recall 0.95` fits it by hand.
    from judge.cli.calibrate import main as calibrate_main

    served = json.loads((last.parent.parent / "judge" / "judge.json").read_text())
    assert served["calibration"]["split"] == "val" and served["calibration"]["n"] > 0
    assert served["calibration"]["target"] == {"recall": 0.95}
    manifest = data / "generated" / "cpu_tiny_varied_6" / "manifest.jsonl"
    best = served["provenance"]["source"]
    report = tmp_path / "by_hand.json"
    argv = ["--judge", best, "--manifest", str(manifest), "--split", "val"]
    argv += ["--target-recall", "0.95", "--report", str(report), "--workers", "0"]
    assert calibrate_main(argv) == 0
    by_hand = json.loads(report.read_text())
    assert served["thresholds"] == pytest.approx(by_hand["thresholds"])
    assert served["temperatures"] == pytest.approx(by_hand["temperatures"])

    ecfg = _compose(
        "eval",
        [
            f"ckpt_path={last}",
            f"paths.data_dir={data}",
            f"data.manifest={data / 'generated' / 'cpu_tiny_varied_6' / 'manifest.jsonl'}",
            "data.num_workers=0",
            f"report.dir={tmp_path / 'eval'}",
            "report.html=false",
        ],
    )
    results = evaluate(ecfg)
    rows = (data / "generated" / "cpu_tiny_varied_6" / "manifest.jsonl").read_text().splitlines()
    assert results["clips"] == len(rows) and results["errors"] == 0
    assert 0.0 <= results["ece"] <= 1.0
    saved = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert saved["columns"]["judge"]["clips"] == len(rows)
    assert "frame-difference baseline" in saved["columns"]


def _tiny_train_cfg(tmp_path, *extra):
    cfg = _compose(
        "train",
        [
            "experiment=cpu_tiny",
            f"paths.log_dir={tmp_path / 'logs'}",
            f"paths.data_dir={tmp_path / 'data'}",
            "synth_if_missing.num_scenes=6",
            "synth_if_missing.num_workers=0",
            "+synth_if_missing.synth.render.sizes=[[64,64]]",
            "+synth_if_missing.synth.render.num_frames=[16]",
            *FAST,
            *extra,
        ],
    )
    with open_dict(cfg):
        run = (
            tmp_path
            / "logs"
            / "cpu_tiny"
            / "runs"
            / f"run{len(list((tmp_path).glob('logs/cpu_tiny/runs/*')))}"
        )
        cfg.paths.output_dir = str(run)
        cfg.callbacks.model_checkpoint.dirpath = str(run / "checkpoints")
    return cfg


def test_ckpt_path_last_resumes_the_newest_run(tmp_path):
    from judge.training.train import train

    # No scheduler: OneCycleLR is sized for the first run's length, so a resume that extends
    # max_epochs is refused (tests/test_training_resume.py); with the same settings it is fine.
    train(_tiny_train_cfg(tmp_path, "logger=none", "trainer.max_epochs=1", "model.scheduler=null"))
    first = torch.load(
        next(tmp_path.glob("logs/cpu_tiny/runs/*/checkpoints/last.ckpt")),
        map_location="cpu",
        weights_only=True,
    )
    assert first["global_step"] == 2
    train(
        _tiny_train_cfg(
            tmp_path,
            "logger=none",
            "trainer.max_epochs=2",
            "ckpt_path=last",
            "model.scheduler=null",
        )
    )
    lasts = sorted(tmp_path.glob("logs/cpu_tiny/runs/*/checkpoints/last.ckpt"))
    resumed = torch.load(lasts[-1], map_location="cpu", weights_only=True)
    # It went on from step 2 for one more epoch, rather than starting over.
    assert resumed["global_step"] == 4 and resumed["epoch"] == first["epoch"] + 1


def test_wandb_logs_offline_by_default(tmp_path, monkeypatch):
    from judge.training.train import train

    monkeypatch.setenv(
        "WANDB_MODE", "offline"
    )  # the tests disable W&B; a user's default is offline
    monkeypatch.setenv("WANDB_SILENT", "true")
    cfg = _tiny_train_cfg(tmp_path, "trainer.max_epochs=1")
    assert cfg.logger.wandb.offline is True
    train(cfg)
    runs = list(tmp_path.glob("logs/cpu_tiny/runs/*/wandb/offline-run-*"))
    assert runs, "no offline W&B run folder"
    meta = torch.load(
        next(tmp_path.glob("logs/cpu_tiny/runs/*/checkpoints/last.ckpt")),
        map_location="cpu",
        weights_only=True,
    )["judge"]
    assert meta["wandb_id"] and meta["wandb_id"] in runs[0].name
