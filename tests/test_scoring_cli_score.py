"""judge-score: JSONL and CSV outputs, resume without duplicates, refusing to clobber."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from scoring_fixtures import LABELS, make_bad_files, make_checkpoint, make_clip

from judge.cli.score import main
from judge.inference.record import csv_columns

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli_score")
    clips = [make_clip(root / "all" / f"clip{i}.mp4", 9 + i, seed=i) for i in range(5)]
    ckpt = make_checkpoint(root / "judge.ckpt")
    return {"root": root, "clips": clips, "ckpt": ckpt}


def run(setup, out, *inputs, extra=()):
    args = ["--judge", str(setup["ckpt"]), "--out", str(out), "--workers", "0", "--no-progress"]
    return main([*args, *extra, *map(str, inputs)])


def read_jsonl(path):
    return [json.loads(line) for line in Path(path).read_text().splitlines()]


def test_jsonl_has_one_record_per_video(setup, tmp_path):
    bad = make_bad_files(tmp_path / "bad", setup["clips"][0])
    out = tmp_path / "scores.jsonl"
    assert run(setup, out, *setup["clips"][:2], bad["empty"]) == 0
    # Records come in completion order: an error is known before the model has run.
    records = {Path(r["path"]).name: r for r in read_jsonl(out)}
    assert {k: r["status"] for k, r in records.items()} == {
        "clip0.mp4": "ok",
        "clip1.mp4": "ok",
        "empty.mp4": "error",
    }
    assert set(records["clip0.mp4"]["scores"]) == set(LABELS)
    assert "plausible" in records["clip0.mp4"]["logits"]


def test_csv_columns_and_values(setup, tmp_path):
    out = tmp_path / "scores.csv"  # format inferred from the extension
    bad = make_bad_files(tmp_path / "bad", setup["clips"][0])
    assert run(setup, out, setup["clips"][0], bad["text"]) == 0
    with open(out, newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
    assert reader.fieldnames == csv_columns(LABELS)
    assert reader.fieldnames[:9] == [
        "path", "status", "error", "plausibility", "windows", "model", "decoder", "num_frames",
        "fps",
    ]  # fmt: skip
    ok, err = sorted(rows, key=lambda r: r["status"] != "ok")
    assert ok["status"] == "ok" and 0 <= float(ok["plausibility"]) <= 1
    assert all(0 <= float(ok[f"score_{k}"]) <= 1 for k in LABELS)
    assert err["status"] == "error" and "not a video file" in err["error"]
    assert err["plausibility"] == "" and err["score_teleport"] == ""


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_resume_scores_only_the_new_videos(setup, tmp_path, suffix):
    out = tmp_path / f"scores{suffix}"
    clips = setup["clips"]
    assert run(setup, out, *clips[:3]) == 0
    # Without --resume or --overwrite an existing output is an error, and is left alone.
    before = out.read_bytes()
    assert run(setup, out, *clips) == 1
    assert out.read_bytes() == before
    assert run(setup, out, *clips, extra=["--resume"]) == 0
    if suffix == ".csv":
        with open(out, newline="") as f:
            paths = [r["path"] for r in csv.DictReader(f)]
        assert out.read_text().count("path,status") == 1  # one header
    else:
        paths = [r["path"] for r in read_jsonl(out)]
    assert sorted(paths) == sorted(map(str, clips))  # 3 + 2 rows, no duplicates
    assert out.read_bytes().startswith(before)  # the first 3 rows are untouched


def test_resume_cuts_a_torn_last_line(setup, tmp_path):
    out = tmp_path / "scores.jsonl"
    clips = setup["clips"]
    assert run(setup, out, *clips[:2]) == 0
    lines = out.read_text().splitlines(keepends=True)
    out.write_text(lines[0] + lines[1][:25])  # killed in the middle of the second record
    assert run(setup, out, *clips[:3], extra=["--resume"]) == 0
    paths = [r["path"] for r in read_jsonl(out)]
    assert paths == [str(clips[0]), str(clips[1]), str(clips[2])]


def test_overwrite_and_bad_judge(setup, tmp_path, capsys):
    out = tmp_path / "scores.jsonl"
    out.write_text("old\n")
    assert run(setup, out, setup["clips"][0], extra=["--overwrite"]) == 0
    assert len(read_jsonl(out)) == 1
    code = main(["--judge", str(tmp_path / "nope.ckpt"), "--out", str(tmp_path / "x.jsonl"), "a"])
    assert code == 1 and "nope.ckpt: no such file" in capsys.readouterr().err


def test_scripts_score_py_runs_the_same_main(setup, tmp_path):
    out = tmp_path / "s.jsonl"
    cmd = [sys.executable, str(REPO / "scripts" / "score.py"), "--judge", str(setup["ckpt"])]
    cmd += ["--out", str(out), "--workers", "1", str(setup["clips"][0].parent)]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert len(read_jsonl(out)) == 5
    assert "5 videos" in done.stderr and "5 ok, 0 errors" in done.stderr


def test_cuts_flag_and_the_new_csv_columns(setup, tmp_path):
    import numpy as np
    from scoring_fixtures import moving_square

    from judge.io.writer import write_video

    other = np.full((12, 48, 64, 3), (30, 60, 200), np.uint8)  # another scene: a blue wall
    other[:, 10:30, 20:40] = (220, 40, 40)
    cut = write_video(tmp_path / "cut.mp4", np.concatenate([moving_square(14), other]), fps=15)
    out = tmp_path / "scores.csv"
    assert run(setup, out, cut, extra=["--cuts", "artifact"]) == 0
    with open(out, newline="") as f:
        (row,) = csv.DictReader(f)
    assert row["cuts"] == "14" and row["flagged"] == "true" and float(row["plausibility"]) == 0
    assert row["ood_distance"] == "" and row["out_of_domain"] == ""  # no domain statistics
    out = tmp_path / "scores.jsonl"
    assert run(setup, out, cut) == 0  # split (default): each shot scored apart
    (rec,) = read_jsonl(out)
    assert rec["cuts"] == [14] and rec["shots"] == [[0, 13], [14, 25]]
    assert rec["flagged"] is (rec["plausibility"] < 0.5) and rec["plausibility"] > 0
    with pytest.raises(SystemExit):
        run(setup, out, cut, extra=["--cuts", "ignore"])
