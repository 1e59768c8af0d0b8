"""Exact resume from `last`: stopping after an epoch and going on with `ckpt_path=last` gives
the weights of a run that was never stopped; a resume that would stretch OneCycleLR fails
with a clear message."""

from __future__ import annotations

import pytest
import torch
from omegaconf import open_dict
from training_fixtures import last_ckpt, same_tensors, shared_manifest, train_cfg, val_metrics

from judge.data.datamodule import ClipDataModule
from judge.training.resume import ScheduleLengthMismatch


def _train(root, run: str, *overrides: str, stop_after: int | None = None):
    """Train a tiny run; `stop_after` epochs stops it early, as a preempted job would be."""
    from judge.training.train import train

    cfg = train_cfg(root, shared_manifest(), run, *overrides)
    if stop_after:
        with open_dict(cfg):
            cfg.callbacks.stop = {
                "_target_": "training_fixtures.StopAfterEpochs",
                "epochs": stop_after,
            }
    metrics = train(cfg)
    ckpt = torch.load(last_ckpt(root, run), map_location="cpu", weights_only=True)
    return ckpt, val_metrics(metrics)


@pytest.mark.parametrize("saved_at", ["train_epoch_end", "validation_end"])
def test_resume_after_a_preempted_epoch_repeats_the_uninterrupted_run(tmp_path, saved_at):
    # The default OneCycleLR, and two persistent loader workers: Lightning starts their
    # iterator (and so the sampler) before it restores the epoch counter, so only the
    # DataModule's own checkpoint state keeps the resumed epoch's batches right. The
    # checkpoint callbacks save either when the training epoch ends or when validation does.
    on_epoch_end = str(saved_at == "train_epoch_end").lower()
    common = (
        "trainer.max_epochs=2",
        "data.num_workers=2",
        f"++callbacks.last_checkpoint.save_on_train_epoch_end={on_epoch_end}",
        f"++callbacks.model_checkpoint.save_on_train_epoch_end={on_epoch_end}",
    )
    straight, straight_metrics = _train(tmp_path / "straight", "run", *common)
    stopped, _ = _train(tmp_path / "resumed", "first", *common, stop_after=1)
    assert stopped["global_step"] == 2 and stopped["ClipDataModule"]["epoch"] == 1
    resumed, resumed_metrics = _train(tmp_path / "resumed", "second", *common, "ckpt_path=last")
    assert resumed["global_step"] == straight["global_step"] == 4
    assert same_tensors(resumed["state_dict"], straight["state_dict"])
    assert resumed_metrics == straight_metrics and "val/auroc" in resumed_metrics
    assert not same_tensors(stopped["state_dict"], straight["state_dict"])


def test_resume_to_more_epochs_without_a_schedule_is_exact(tmp_path):
    common = ("model.scheduler=null",)
    straight, _ = _train(tmp_path / "straight", "run", *common, "trainer.max_epochs=2")
    _train(tmp_path / "resumed", "first", *common, "trainer.max_epochs=1")
    resumed, _ = _train(
        tmp_path / "resumed", "second", *common, "trainer.max_epochs=2", "ckpt_path=last"
    )
    assert resumed["global_step"] == 4
    assert same_tensors(resumed["state_dict"], straight["state_dict"])


def test_resume_that_would_stretch_onecycle_fails_naming_the_fix(tmp_path):
    _train(tmp_path, "first", "trainer.max_epochs=1")
    with pytest.raises(ScheduleLengthMismatch) as err:
        _train(tmp_path, "second", "trainer.max_epochs=3", "ckpt_path=last")
    message = str(err.value)
    assert "OneCycleLR" in message and "total_steps=2" in message and "has 6" in message
    assert "trainer.max_epochs=1" in message  # the setting that resumes it


def test_datamodule_checkpoint_state_sets_the_resumed_epoch_and_seed():
    dm = ClipDataModule([str(shared_manifest())], window={"num_frames": 8}, size=32, seed=0)
    dm.setup("fit")
    assert dm.state_dict() == {"seed": 0, "epoch": 0}
    dm.load_state_dict({"seed": 5, "epoch": 3})
    sampler = dm.train_dataloader().sampler
    assert sampler.epoch == 3 and sampler.seed == 5 and dm.datasets["train"].seed == 5
    assert all(i.epoch == 3 for i in sampler)


def test_weight_averaging_is_checkpointed_served_and_resumed_exactly(tmp_path):
    # cpu_tiny's EMA of the weights: the checkpoint's state_dict (what validation measured,
    # what the scorer loads) is the average, the training weights ride along, and a run
    # resumed from `last` averages on as if it had never stopped.
    ema = (
        "trainer.max_epochs=2",
        "++callbacks.weight_averaging={_target_: lightning.pytorch.callbacks.EMAWeightAveraging,"
        " decay: 0.5}",
    )
    straight, straight_metrics = _train(tmp_path / "straight", "run", *ema)
    assert not same_tensors(straight["state_dict"], straight["current_model_state"])
    _train(tmp_path / "resumed", "first", *ema, stop_after=1)
    resumed, resumed_metrics = _train(tmp_path / "resumed", "second", *ema, "ckpt_path=last")
    assert same_tensors(resumed["state_dict"], straight["state_dict"])
    assert same_tensors(resumed["current_model_state"], straight["current_model_state"])
    assert resumed_metrics == straight_metrics and "val/auroc" in resumed_metrics
