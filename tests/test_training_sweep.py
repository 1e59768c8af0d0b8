"""Sweeps (`judge-train -m`, or a config of configs/hparams_search/): one run folder per value
under logs/<task>/multiruns/<time>/<num>, each with its own checkpoints and logs, and each job
returning its `optimized_metric`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import torch
from training_fixtures import FAST, last_ckpt, same_tensors, shared_manifest, train_cfg


def test_hparams_search_sweeps_one_run_folder_per_value(tmp_path):
    exe = Path(sys.executable).with_name("judge-train")  # the console script, as users run it
    cmd = [
        str(exe),
        "hparams_search=lr",  # a multirun without -m; its values narrowed to two here:
        "model.optimizer.lr=0.001,0.003",
        f"paths.log_dir={tmp_path / 'logs'}",
        f"paths.data_dir={tmp_path / 'data'}",
        f"data.manifests=[{{path:'{shared_manifest()}',weight:1.0}}]",
        "logger=csv",
        "trainer.max_epochs=1",
        *FAST,
    ]
    env = {**os.environ, "WANDB_MODE": "disabled"}
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-4000:]

    (sweep,) = (tmp_path / "logs" / "train" / "multiruns").iterdir()  # one sweep, by start time
    assert (sweep / "multirun.yaml").exists()
    runs = sorted(p.name for p in sweep.iterdir() if p.is_dir())
    assert runs == ["0", "1"]  # hydra.job.num
    states = []
    for num, lr in (("0", 0.001), ("1", 0.003)):
        run = sweep / num
        assert f"model.optimizer.lr={lr}" in (run / ".hydra" / "overrides.yaml").read_text()
        assert list(run.glob("csv/*/metrics.csv")), f"no metrics logged in {run}"
        ckpt = torch.load(run / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)
        assert ckpt["optimizer_states"][0]["param_groups"][0]["max_lr"] == lr  # OneCycleLR peak
        assert ckpt["judge"]["model"]["backbone"] == "tiny3d"
        states.append(ckpt["state_dict"])
        # The job returned its optimized_metric (hparams_search/lr.yaml) to the sweeper.
        (job_log,) = run.glob("*.log")
        assert "optimized_metric val/auroc: " in job_log.read_text()
    assert not same_tensors(*states)  # each run trained with its own value


def test_each_job_of_a_sweep_gets_its_own_wandb_run(tmp_path, monkeypatch):
    # The basic sweeper runs the jobs one after another in one process, as here.
    from judge.training.train import train

    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    ids = []
    for job in ("0", "1"):
        train(train_cfg(tmp_path, shared_manifest(), job, "logger=wandb"))
        ckpt = torch.load(last_ckpt(tmp_path, job), map_location="cpu", weights_only=True)
        (run_dir,) = (tmp_path / "logs" / "train" / "runs" / job / "wandb").glob("offline-run-*")
        assert ckpt["judge"]["wandb_id"] in run_dir.name
        ids.append(ckpt["judge"]["wandb_id"])
    assert ids[0] != ids[1]
