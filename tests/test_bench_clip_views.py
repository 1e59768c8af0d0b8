"""scripts/bench_clip_views.py: every run gets the same clip-views, the GPU preset is really
scaled down to the CPU, and a toy end-to-end run gives curves with clip-views on the x axis."""

import importlib.util
import json
from pathlib import Path

import pytest
from omegaconf import OmegaConf
from training_fixtures import shared_manifest

from judge.workflow import train_config

ROOT = Path(__file__).resolve().parents[1]


def _load():
    spec = importlib.util.spec_from_file_location(
        "bench_clip_views", ROOT / "scripts" / "bench_clip_views.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_run_sees_the_same_clip_views_and_the_gpu_preset_is_scaled_down(tmp_path):
    bcv = _load()
    configs = {}
    for name in bcv.RUNS:
        experiment, overrides = bcv.run_overrides(name, tmp_path / "set", 36_000, 12, [])
        cfg = train_config(experiment, overrides)
        OmegaConf.to_container(cfg.data, resolve=True)  # resolves
        configs[name] = cfg
        assert cfg.data.epoch_size == 3_000 and cfg.trainer.max_epochs == 12
        assert cfg.trainer.max_time is None
        assert cfg.data.manifests[0].path == str(tmp_path / "set" / "manifest.jsonl")
    gpu = configs["gpu_default"]
    tiny = configs["tiny3d"]
    assert (gpu.data.size, gpu.trainer.accelerator) == (64, "cpu")
    assert gpu.trainer.precision == tiny.trainer.precision  # bf16 where native, as cpu_tiny
    assert gpu.data.frame_cache == tiny.data.frame_cache is not None
    assert (gpu.model.model.width, gpu.model.model.depth) == (1.5, 2)  # the GPU judge's model
    assert gpu.data.batch_size == configs["tiny3d"].data.batch_size
    assert configs["r3d_18"].model.model.backbone == "r3d_18"


def test_curve_puts_clip_views_on_the_x_axis(tmp_path):
    bcv = _load()
    path = tmp_path / "metrics.csv"
    path.write_text(
        "epoch,step,train/loss,val/auroc,time/train_s\n"
        "0,9,0.7,,\n0,10,,0.61,12.5\n1,20,,0.74,25.0\n"
    )
    points = bcv.curve(path, epoch_size=160)
    assert [p["clip_views"] for p in points] == [160, 320]
    assert [p["val_auroc"] for p in points] == [0.61, 0.74]


@pytest.mark.slow
def test_toy_run_writes_curves_and_a_plot(tmp_path):
    bcv = _load()
    manifest = shared_manifest()
    out, png = tmp_path / "cv.json", tmp_path / "cv.png"
    toy = ["data.window.num_frames=8", "data.size=32", "data.batch_size=4",
           "data.num_workers=0", "++trainer.limit_val_batches=1",
           "++trainer.num_sanity_val_steps=0", "++trainer.enable_progress_bar=false",
           f"paths.log_dir={tmp_path / 'logs'}"]  # fmt: skip
    args = ["--runs", "tiny3d", "gpu_default", "--clip-views", "16", "--epochs", "2",
            "--data", str(manifest.parent), "--root", str(tmp_path / "runs"),
            "--out", str(out), "--plot", str(png)]  # fmt: skip
    for o in toy:
        args += ["--override", o]
    assert bcv.main(args) == 0
    result = json.loads(out.read_text())
    assert result["clip_views"] == 16 and set(result["runs"]) == {"tiny3d", "gpu_default"}
    for run in result["runs"].values():
        assert run["clip_views"] == 16
        assert [p["clip_views"] for p in run["curve"]] == [8, 16]
    assert "tiny3d at 32 px" in result["runs"]["gpu_default"]["model"]
    assert png.stat().st_size > 1000
