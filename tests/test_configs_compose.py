"""Every preset composes and resolves with the command it is for, as `<command> <group>=<name>
--cfg job --resolve` would: each file of configs/experiment/, configs/debug/ and
configs/hparams_search/ with judge-train (train.yaml), each of configs/synth_experiment/ with
judge-synth (synth.yaml). The Hydra compose API runs them in-process (a judge-* process costs
seconds to start); one subprocess per command checks that the entry point composes the same way.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.hydra_config import HydraConfig
from hydra.errors import ConfigCompositionException
from hydra.types import RunMode
from hydra.utils import instantiate
from omegaconf import OmegaConf

from judge.paths import CONFIG_DIR, config_dir

BIN = Path(sys.executable).parent


def _presets(group: str) -> list[str]:
    names = sorted(p.stem for p in (CONFIG_DIR / group).glob("*.yaml"))
    assert names, f"no presets in configs/{group}/"
    return names


def _compose(config: str, overrides: list[str], tmp_path: Path):
    """`config` with `overrides`, fully resolved (a bad interpolation or resolver fails here)."""
    paths = [f"paths.log_dir={tmp_path / 'logs'}", f"paths.data_dir={tmp_path / 'data'}"]
    with initialize_config_dir(config_dir=config_dir(), version_base="1.3"):
        cfg = compose(config_name=config, overrides=[*overrides, *paths], return_hydra_config=True)
    HydraConfig.instance().set_config(cfg)  # so ${hydra:...} resolves
    for key in cfg:  # every value of the job's config, as --cfg job --resolve prints them
        if key != "hydra" and OmegaConf.is_config(value := cfg[key]):
            OmegaConf.to_container(value, resolve=True)
    return cfg


@pytest.mark.parametrize("name", _presets("experiment"))
def test_every_training_preset_composes_with_judge_train(name, tmp_path):
    cfg = _compose("train", [f"experiment={name}"], tmp_path)
    # Each preset's runs (and the last.ckpt that ckpt_path=last finds) live under its own name.
    assert cfg.task_name == name
    assert cfg.model.model.num_labels == len(cfg.data.labels)
    assert cfg.callbacks.model_checkpoint.monitor == cfg.monitor


@pytest.mark.parametrize("name", _presets("synth_experiment"))
def test_every_rendering_preset_composes_with_judge_synth(name, tmp_path):
    from judge.synth.config import SynthConfig

    cfg = _compose("synth", [f"synth_experiment={name}"], tmp_path)
    assert cfg.task_name == "synth"
    SynthConfig.from_dict(OmegaConf.to_container(cfg.synth))  # the generator accepts it


@pytest.mark.parametrize("name", _presets("debug"))
def test_every_debug_config_logs_under_its_own_task(name, tmp_path):
    cfg = _compose("train", [f"debug={name}", "experiment=cpu_tiny"], tmp_path)
    # After the experiment in the defaults list: a debug run of a preset is still a debug run,
    # whose folder (and last.ckpt) a training run's ckpt_path=last never looks in.
    assert cfg.task_name == "debug"
    assert Path(cfg.hydra.run.dir).parent == tmp_path / "logs" / "debug" / "runs"
    assert cfg.logger == {} and cfg.data.num_workers == 0


@pytest.mark.parametrize("name", _presets("hparams_search"))
def test_every_sweep_config_sweeps_and_names_what_it_optimises(name, tmp_path):
    cfg = _compose("train", [f"hparams_search={name}"], tmp_path)
    assert cfg.hydra.mode == RunMode.MULTIRUN  # no -m needed
    assert cfg.hydra.sweeper.params, "a sweep with nothing to sweep"
    # Names a metric that train() returns: the one checkpoints are chosen on.
    assert cfg.optimized_metric == cfg.monitor
    for key in cfg.hydra.sweeper.params:
        assert OmegaConf.select(cfg, key) is not None, f"{key} is no setting of train.yaml"


def test_presets_of_one_command_do_not_compose_with_the_other(tmp_path):
    with pytest.raises(ConfigCompositionException, match="experiment/synth_1k"):
        _compose("train", ["experiment=synth_1k"], tmp_path)
    with pytest.raises(ConfigCompositionException, match="experiment"):
        _compose("synth", ["experiment=cpu_tiny"], tmp_path)


def test_num_labels_follows_data_labels(tmp_path):
    import torch

    cfg = _compose("train", ["data.labels=[teleport,vanish,levitate]"], tmp_path)
    assert cfg.model.model.num_labels == 3
    model = instantiate(cfg.model.model)
    out = model(torch.zeros(1, 3, 8, 32, 32))
    assert out["labels"].shape == (1, 3)


def test_the_cpu_preset_trains_in_bf16_only_where_the_cpu_runs_it_natively(tmp_path, monkeypatch):
    import torch

    for native, precision in ((True, "bf16-mixed"), (False, "32-true")):
        monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda n=native: n)
        cfg = _compose("train", ["experiment=cpu_tiny"], tmp_path)
        assert cfg.trainer.precision == precision
    assert _compose("train", [], tmp_path).trainer.precision == "32-true"  # the default


def test_the_fast_motion_preset_is_cpu_tiny_with_another_hard_negative_mix(tmp_path):
    """Its measured trade (README "Quality") compares it with cpu_tiny: it must stay cpu_tiny
    (data, model, trainer, look) but for the staged-motion mix and its own folders."""
    from judge.synth.config import SynthConfig
    from judge.synth.sampling import hard_negative_probabilities

    base = OmegaConf.to_container(_compose("train", ["experiment=cpu_tiny"], tmp_path))
    fast = OmegaConf.to_container(_compose("train", ["experiment=cpu_tiny_fast_motion"], tmp_path))
    a, b = (SynthConfig.from_dict(cfg["synth_if_missing"]["synth"]) for cfg in (base, fast))
    assert (a.artifacts.hard_negative_fraction, b.artifacts.hard_negative_fraction) == (0.35, 0.45)

    def share(synth: SynthConfig, tag: str) -> float:  # of scenes drawn to be staged as `tag`
        p = hard_negative_probabilities(synth)[synth.artifacts.hard_negatives.index(tag)]
        return synth.artifacts.hard_negative_fraction * p

    for tag in ("fast_throw", "throw_bounce", "fast_occluder"):
        assert share(b, tag) > 1.9 * share(a, tag)
    assert share(b, "bounce") < share(a, "bounce")
    # A set rendered with one mix is never reused for the other (runner.check_settings).
    assert fast["synth_if_missing"]["out"] != base["synth_if_missing"]["out"]
    for cfg in (base, fast):  # the rest, unresolved, is cpu_tiny's
        del cfg["hydra"], cfg["task_name"], cfg["synth_if_missing"]["out"]
        del cfg["synth_if_missing"]["synth"]["artifacts"]
    assert fast == base


def test_the_tracks_preset_is_cpu_tiny_with_keypoint_tracks(tmp_path):
    """Its measured comparison (README "Quality") is with cpu_tiny: only the model differs."""
    base = _compose("train", ["experiment=cpu_tiny"], tmp_path)
    tracks = _compose("train", ["experiment=cpu_tiny_tracks"], tmp_path)
    net = instantiate(tracks.model.model).backbone
    assert (net.tracks.keypoints, net.tracks.out_channels, net.out_channels) == (16, 64, 192)
    base, tracks = (OmegaConf.to_container(cfg) for cfg in (base, tracks))
    for cfg in (base, tracks):
        del cfg["hydra"], cfg["task_name"]
    assert {k: tracks["model"]["model"].pop(k) for k in ("keypoints", "track_channels")} == {
        "keypoints": 16,
        "track_channels": 64,
    }
    assert tracks == base


def test_the_stage2_preset_is_cpu_tiny_with_the_stage_2_features(tmp_path):
    """Its measured comparison (README "Quality") is with cpu_tiny: only the model differs."""
    base = _compose("train", ["experiment=cpu_tiny"], tmp_path)
    stage2 = _compose("train", ["experiment=cpu_tiny_stage2"], tmp_path)
    net = instantiate(stage2.model.model).backbone
    assert net.stage2_features and net.out_channels == 128 + 64
    base, stage2 = (OmegaConf.to_container(cfg) for cfg in (base, stage2))
    for cfg in (base, stage2):
        del cfg["hydra"], cfg["task_name"]
    assert stage2["model"]["model"].pop("stage2_features") is True
    assert stage2 == base


def test_the_best_checkpoint_file_names_the_monitored_metric(tmp_path):
    cfg = _compose("train", ["monitor=val/loss", "monitor_mode=min"], tmp_path)
    ckpt = cfg.callbacks.model_checkpoint
    assert (ckpt.monitor, ckpt.mode) == ("val/loss", "min")
    assert ckpt.filename == "epoch_{epoch:03d}-val_loss_{val/loss:.4f}"
    assert list(cfg.callbacks.epoch_summary["keys"])[0] == "val/loss"


def _cli(command: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HYDRA_FULL_ERROR": "0"}
    return subprocess.run(
        [str(BIN / command), *args, "--cfg", "job", "--resolve"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_judge_train_composes_its_presets(tmp_path):
    ok = _cli("judge-train", "experiment=cpu_tiny", "debug=fdr", f"paths.log_dir={tmp_path}")
    assert ok.returncode == 0, ok.stderr[-2000:]
    printed = OmegaConf.create(ok.stdout)
    assert printed.task_name == "debug" and printed.model.model.num_labels == 7
    wrong = _cli("judge-train", "experiment=synth_1k")
    assert wrong.returncode != 0 and "Could not find 'experiment/synth_1k'" in wrong.stderr


def test_judge_synth_composes_its_presets(tmp_path):
    ok = _cli("judge-synth", "synth_experiment=synth_1k", f"paths.data_dir={tmp_path}")
    assert ok.returncode == 0, ok.stderr[-2000:]
    printed = OmegaConf.create(ok.stdout)
    assert printed.num_scenes == 1000 and printed.out == f"{tmp_path}/generated/synth_1k"
    wrong = _cli("judge-synth", "experiment=synth_1k")
    assert wrong.returncode != 0 and "experiment" in wrong.stderr
