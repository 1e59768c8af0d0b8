"""Logging an evaluation to W&B (judge/report/wandb_log.py): a fake run records what is logged;
one real offline run checks that wandb accepts it and writes the run folder."""

from __future__ import annotations

import math
import sys
import types
from pathlib import Path

import pytest
from PIL import Image
from scoring_fixtures import make_clip

from judge.evaluation.scoring import BASELINE
from judge.report.sheets_select import Sheet
from judge.report.tables import summary_table
from judge.report.wandb_log import active_run, log_to_wandb, wandb_payload

wandb = pytest.importorskip("wandb")


class FakeSummary(dict):
    pass  # a dict's update is all log_to_wandb uses


class FakeRun:
    def __init__(self) -> None:
        self.logged: list[dict] = []
        self.summary = FakeSummary()

    def log(self, payload: dict) -> None:
        self.logged.append(payload)


def png(path: Path, color=(200, 30, 30)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (64, 48), color).save(path)
    return path


@pytest.fixture
def result(tmp_path) -> dict:
    """An ``evaluate_manifest`` result, reduced to what logging reads."""
    clip = make_clip(tmp_path / "clips" / "fp.mp4", 8, h=32, w=32)
    avi = tmp_path / "clips" / "fn.avi"  # a container wandb.Video does not take
    avi.write_bytes(b"RIFF")
    gif = tmp_path / "clips" / "fp1.gif"
    frames = [Image.new("RGB", (32, 32), (40 * i, 0, 0)) for i in range(4)]
    frames[0].save(gif, save_all=True, append_images=frames[1:], duration=66)
    sheets = [
        Sheet("false_positive_0", "false positive", png(tmp_path / "s/fp.png"), "fp", str(clip)),
        Sheet("false_negative_0", "false negative", png(tmp_path / "s/fn.png"), "fn", str(avi)),
        Sheet("false_positive_1", "false positive", png(tmp_path / "s/fp1.png"), "fp1", str(gif)),
        Sheet("group_0", "group", png(tmp_path / "s/g.png"), "group g"),
    ]
    files = {
        "scores": tmp_path / "scores.jsonl",
        "metrics_json": tmp_path / "metrics.json",
        "metrics_md": tmp_path / "metrics.md",
        "roc": png(tmp_path / "plots/roc.png"),
        "reliability": png(tmp_path / "plots/reliability.png"),
        **{s.name: s.path for s in sheets},
    }
    columns = {
        "judge": {"clips": 8.0, "auroc": 0.75, "ece": float("nan"), "teleport/auroc": 0.5},
        BASELINE: {"clips": 8.0, "auroc": 0.25, "ece": float("inf"), "onset_n": 3},
    }
    return {"columns": columns, "files": files, "html": None, "sheets": sheets}


def test_payload_metrics_table_images_and_videos(result):
    payload = wandb_payload(result)
    assert payload["eval/auroc"] == 0.75 and payload["eval_baseline/auroc"] == 0.25
    assert payload["eval/clips"] == payload["eval_baseline/clips"] == 8.0
    assert payload["eval/teleport/auroc"] == 0.5 and payload["eval_baseline/onset_n"] == 3.0
    assert "eval/ece" not in payload and "eval_baseline/ece" not in payload  # NaN, inf
    numbers = [v for v in payload.values() if isinstance(v, (int, float))]
    assert numbers and all(math.isfinite(v) for v in numbers)

    table = payload["eval/summary"]
    assert isinstance(table, wandb.Table)
    header, rows = summary_table(result["columns"])
    assert table.columns == header and table.data == rows

    images = {k.removeprefix("eval/images/") for k in payload if k.startswith("eval/images/")}
    sheets = {"false_positive_0", "false_positive_1", "false_negative_0", "group_0"}
    assert images == {"roc", "reliability", *sheets}
    assert all(isinstance(payload[f"eval/images/{k}"], wandb.Image) for k in images)
    # Videos: the mp4 and gif of one-clip sheets; not the group sheet, nor an .avi W&B can't
    # show.
    videos = {k: v for k, v in payload.items() if k.startswith("eval/videos/")}
    assert list(videos) == ["eval/videos/false_positive_0", "eval/videos/false_positive_1"]
    assert all(isinstance(v, wandb.Video) for v in videos.values())


def test_log_to_an_explicit_run_also_fills_the_summary(result):
    run = FakeRun()
    assert log_to_wandb(result, run) is True
    assert len(run.logged) == 1 and run.logged[0].keys() == wandb_payload(result).keys()
    assert run.summary == {k: v for k, v in run.logged[0].items() if isinstance(v, float)}
    assert run.summary["eval/auroc"] == 0.75 and "eval/summary" not in run.summary


def test_without_an_active_run_nothing_is_logged(result, monkeypatch):
    monkeypatch.setattr(wandb, "run", None)  # whatever an earlier test left behind
    assert active_run() is None
    assert log_to_wandb(result) is False
    monkeypatch.delitem(sys.modules, "wandb")
    assert active_run() is None  # and wandb is not imported just to find out
    assert "wandb" not in sys.modules
    run = FakeRun()
    monkeypatch.setitem(sys.modules, "wandb", types.SimpleNamespace(run=run))
    assert active_run() is run


def test_active_run_is_used_by_default(result, monkeypatch):
    run = FakeRun()
    monkeypatch.setattr(wandb, "run", run)
    assert log_to_wandb(result) is True
    assert run.logged[0]["eval/auroc"] == 0.75


def test_a_real_offline_run_writes_its_folder(result, tmp_path, monkeypatch):
    for var in ("WANDB_DIR", "WANDB_CACHE_DIR", "WANDB_CONFIG_DIR", "WANDB_DATA_DIR"):
        monkeypatch.setenv(var, str(tmp_path / "wb" / var.lower()))
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    run = wandb.init(mode="offline", dir=tmp_path / "wb", project="judge-tests")
    try:
        assert active_run() is run
        assert log_to_wandb(result) is True
        assert run.summary["eval/auroc"] == 0.75 and run.summary["eval_baseline/clips"] == 8
    finally:
        run.finish()
    assert wandb.run is None
    (folder,) = (tmp_path / "wb" / "wandb").glob("offline-run-*")
    assert len(list(folder.glob("run-*.wandb"))) == 1  # written by wandb-core, maybe later
    # Media files are copied into the run folder at log time, under their keys.
    media = folder / "files" / "media"
    assert len(list((media / "images" / "eval" / "images").glob("*.png"))) == 6
    assert len(list((media / "videos" / "eval" / "videos").glob("*.mp4"))) == 1
    assert len(list((media / "videos" / "eval" / "videos").glob("*.gif"))) == 1
    assert len(list((media / "table" / "eval").glob("summary_*.table.json"))) == 1
