"""The calibration `judge-train` ends with (judge/calibration/after_training.py): which manifests
it reads, and that a run without validation clips keeps its results and exports nothing."""

from __future__ import annotations

import json
import logging

import pytest
from omegaconf import OmegaConf
from scoring_fixtures import make_checkpoint, make_clip

from judge.calibration.after_training import calibrate_best, manifests_with_split


def test_manifests_with_split_keeps_those_that_may_hold_it():
    entries = [
        {"path": "synth/manifest.jsonl", "weight": 1.0},
        {"path": "real/spliced.jsonl", "weight": 0.25, "splits": ["train"]},
        {"path": "real/manifest.jsonl", "weight": 0.0, "splits": ["val", "test"]},
    ]
    assert [str(p) for p in manifests_with_split(entries, "val")] == [
        "synth/manifest.jsonl",
        "real/manifest.jsonl",
    ]
    assert [str(p) for p in manifests_with_split(entries, "train")] == [
        "synth/manifest.jsonl",
        "real/spliced.jsonl",
    ]


def _cfg(tmp_path, manifest, calibrate=True):
    block = {
        "split": "val",
        "target_recall": 0.95,
        "out": str(tmp_path / "judge"),
        "batch_size": 4,
        "num_workers": 0,
        "device": "cpu",
    }
    manifests = [{"path": str(manifest)}]
    return OmegaConf.create({"data": {"manifests": manifests}, "calibrate": calibrate and block})


def _manifest(tmp_path, split):
    rows = []
    for i, plausible in enumerate((1, 0, 1, 0)):
        clip = make_clip(tmp_path / f"c{i}.mp4", 12, seed=i)
        labels = {"plausible": plausible, "teleport": 1 - plausible}
        rows.append({"path": clip.name, "labels": labels, "split": split})
    manifest = tmp_path / "manifest.jsonl"
    manifest.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return manifest


def test_no_validation_rows_skip_with_a_reason_and_export_nothing(tmp_path, caplog):
    ckpt = make_checkpoint(tmp_path / "best.ckpt")
    manifest = _manifest(tmp_path, split="train")
    with caplog.at_level(logging.WARNING, logger="judge.train"):
        assert calibrate_best(_cfg(tmp_path, manifest), ckpt) is None
    assert "calibration skipped" in caplog.text and "no rows with split 'val'" in caplog.text
    assert not (tmp_path / "judge").exists()
    assert calibrate_best(_cfg(tmp_path, manifest, calibrate=False), ckpt) is None


def test_validation_rows_give_an_exported_judge_with_their_thresholds(tmp_path):
    ckpt = make_checkpoint(tmp_path / "best.ckpt")
    manifest = _manifest(tmp_path, split="val")
    out = calibrate_best(_cfg(tmp_path, manifest), ckpt)
    served = json.loads((out / "judge.json").read_text())
    assert served["calibration"]["n"] == 4 and served["calibration"]["split"] == "val"
    # The plausible threshold keeps at least 95% of the 2 clean clips: both.
    assert served["calibration"]["labels"]["plausible"]["recall"] == 1.0
    assert 0.0 < served["thresholds"]["plausible"] < 1.0
    assert (out / "model.safetensors").is_file()


def test_a_recall_and_a_precision_together_are_refused_before_anything_runs(tmp_path):
    from judge.calibration.after_training import check_calibrate

    with pytest.raises(ValueError, match="not both"):
        check_calibrate({"target_recall": 0.95, "target_precision": 0.9})
    check_calibrate({"target_recall": None, "target_precision": 0.9})  # one of them: fine
    check_calibrate(None)
    cfg = _cfg(tmp_path, "unused.jsonl")
    cfg.calibrate.target_precision = 0.9
    with pytest.raises(ValueError, match="not both"):
        calibrate_best(cfg, tmp_path / "never_loaded.ckpt")
