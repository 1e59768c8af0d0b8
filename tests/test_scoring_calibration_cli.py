"""`judge-calibrate` with --scores (no model run): report, in-place update, export from a ckpt."""

import json

import numpy as np
import pytest
from scoring_fixtures import make_checkpoint

from judge.cli.calibrate import main
from judge.inference.export import export_judge
from judge.io.manifest import write_manifest
from judge.metrics import sigmoid


@pytest.fixture
def fit_data(tmp_path):
    """A manifest of 600 clips and records whose logits are 4x too confident.

    The last clip is an artifact the judge finds the most plausible of all, so no plausible
    threshold reaches precision 1.
    """
    rng = np.random.default_rng(0)
    true = np.r_[rng.normal(0.0, 2.0, 599), -10.0]
    y = np.r_[(rng.random(599) < sigmoid(true[:599])).astype(int), 1]
    rows, records = [], []
    for i, (t, yi) in enumerate(zip(true, y, strict=True)):
        path = f"clips/{i:04d}.mp4"
        labels = {"teleport": int(yi), "plausible": int(1 - yi)}
        rows.append({"path": path, "labels": labels, "split": "val" if i % 2 else "train"})
        records.append(
            {
                "path": str(tmp_path / path),
                "status": "ok",
                "error": None,
                "plausibility": float(sigmoid(-4 * t)),
                "scores": {"teleport": float(sigmoid(4 * t))},
                "logits": {"teleport": float(4 * t), "plausible": float(-4 * t)},
            }
        )
    records.append({"path": str(tmp_path / "clips/bad.mp4"), "status": "error", "error": "x"})
    manifest = write_manifest(tmp_path / "val.jsonl", rows)
    scores = tmp_path / "scores.jsonl"
    scores.write_text("".join(json.dumps(r) + "\n" for r in records))
    return tmp_path, str(manifest), str(scores)


def test_report_from_scores_without_a_model(fit_data, capsys):
    tmp, manifest, scores = fit_data
    report = tmp / "cal.json"
    argv = ["--scores", scores, "--manifest", manifest, "--target-precision", "0.9"]
    assert main([*argv, "--report", str(report)]) == 0
    out = json.loads(report.read_text())
    assert out["temperatures"]["teleport"] == pytest.approx(4, rel=0.15)
    assert out["temperatures"]["plausible"] == pytest.approx(4, rel=0.15)
    cal = out["calibration"]
    assert cal["n"] == 600 and cal["pairs"] == 1200 and cal["target"] == {"precision": 0.9}
    assert cal["ece_after"] < cal["ece_before"] and cal["nll_after"] < cal["nll_before"]
    for label in ("teleport", "plausible"):
        assert cal["labels"][label]["precision"] >= 0.9 and cal["labels"][label]["target_met"]
        assert 0.5 < out["thresholds"][label] < 1
    printed = capsys.readouterr().out
    assert "ECE before" in printed and "ECE after" in printed
    assert "skipped: 1 failed to score, 0 not among the manifest rows used" in printed
    assert [line.split()[0] for line in printed.splitlines()[2:5]] == [
        "teleport",
        "plausible",
        "all",
    ]


def test_split_and_unattainable_target(fit_data, capsys):
    tmp, manifest, scores = fit_data
    report = tmp / "cal.json"
    argv = ["--scores", scores, "--manifest", manifest, "--split", "val"]
    assert main([*argv, "--target-precision", "1.0", "--report", str(report)]) == 0
    cal = json.loads(report.read_text())["calibration"]
    assert cal["n"] == 300 and cal["split"] == "val"
    entry = cal["labels"]["plausible"]
    assert not entry["target_met"] and "unattainable" in entry["threshold_note"]
    assert json.loads(report.read_text())["thresholds"]["plausible"] == 0.5
    assert "precision 1 unattainable" in capsys.readouterr().out


def test_in_place_updates_an_exported_folder(fit_data):
    tmp, manifest, scores = fit_data
    folder = tmp / "judge"
    export_judge(make_checkpoint(tmp / "last.ckpt"), folder, thresholds={"vanish": 0.7})
    before = json.loads((folder / "judge.json").read_text())
    argv = ["--scores", scores, "--manifest", manifest, "--judge", str(folder), "--in-place"]
    assert main([*argv, "--target-recall", "0.8"]) == 0
    after = json.loads((folder / "judge.json").read_text())
    assert after["temperatures"]["teleport"] == pytest.approx(4, rel=0.15)
    assert after["thresholds"]["vanish"] == 0.7  # labels without data keep their threshold
    assert after["calibration"]["target"] == {"recall": 0.8}
    assert {
        k: v for k, v in after.items() if k not in ("temperatures", "thresholds", "calibration")
    } == {k: v for k, v in before.items() if k not in ("temperatures", "thresholds")}
    from judge.inference.judge import Judge

    j = Judge.load(folder, device="cpu")
    assert j.temperatures["plausible"] == after["temperatures"]["plausible"]
    assert j.thresholds["teleport"] == after["thresholds"]["teleport"]


def test_out_exports_a_calibrated_copy_of_a_checkpoint(fit_data):
    tmp, manifest, scores = fit_data
    ckpt = make_checkpoint(tmp / "last.ckpt")
    out = tmp / "calibrated"
    argv = ["--scores", scores, "--manifest", manifest, "--judge", str(ckpt), "--out", str(out)]
    assert main(argv) == 0
    content = json.loads((out / "judge.json").read_text())
    assert content["temperatures"]["teleport"] == pytest.approx(4, rel=0.15)
    assert content["calibration"]["target"] is None and (out / "model.safetensors").is_file()
    assert main(argv) == 1  # exists: needs --overwrite
    assert main([*argv, "--overwrite"]) == 0
    assert "fit" not in content["input"] or content["input"]["fit"] == "crop"


@pytest.mark.parametrize("where", ["--out", "--in-place"])
def test_the_fit_scored_with_is_stored_with_the_thresholds(fit_data, where):
    # Thresholds hold for the way the clips were read: --fit tiles makes it the judge's own.
    tmp, manifest, scores = fit_data
    folder = tmp / "judge"
    export_judge(make_checkpoint(tmp / "last.ckpt"), folder)
    out = tmp / "tiled" if where == "--out" else folder
    dest = ["--out", str(out)] if where == "--out" else ["--in-place"]
    argv = ["--scores", scores, "--manifest", manifest, "--judge", str(folder), *dest]
    assert main([*argv, "--fit", "tiles"]) == 0
    content = json.loads((out / "judge.json").read_text())
    assert content["input"]["fit"] == "tiles" and content["input"]["size"] == 32
    from judge.inference.judge import Judge

    assert Judge.load(out, device="cpu").input.fit == "tiles"


@pytest.mark.parametrize(
    "extra, message",
    [
        ([], "give --judge"),
        (["--scores", "s.jsonl", "--out", "d"], "give --judge"),
        (["--scores", "s.jsonl", "--judge", "x.ckpt", "--in-place"], "exported judge folder"),
        (["--scores", "s.jsonl", "--target-precision", "1.5"], "must be in (0, 1]"),
    ],
)
def test_usage_errors(tmp_path, capsys, extra, message):
    with pytest.raises(SystemExit) as e:
        main(["--manifest", str(tmp_path / "m.jsonl"), *extra])
    assert e.value.code == 2 and message in capsys.readouterr().err


def test_nothing_to_fit_is_an_error(fit_data, capsys):
    tmp, manifest, _ = fit_data
    other = tmp / "other.jsonl"
    other.write_text(json.dumps({"path": "/elsewhere.mp4", "status": "ok", "logits": {}}) + "\n")
    assert main(["--scores", str(other), "--manifest", manifest]) == 1
    assert "nothing to fit" in capsys.readouterr().err
