"""End to end with a real (untrained, tiny3d) judge: judge-rerank --judge on a folder of videos,
and judge-calibrate --judge on a manifest, both scoring the clips themselves."""

import json
import os

import pytest
from scoring_fixtures import make_checkpoint, make_clip

from judge.cli import calibrate as cli_calibrate
from judge.cli import rerank as cli_rerank
from judge.io.manifest import write_manifest


@pytest.fixture(scope="module")
def candidates(tmp_path_factory):
    """Two prompts x three seeds of short clips, plus one truncated candidate."""
    root = tmp_path_factory.mktemp("e2e")
    ckpt = make_checkpoint(root / "last.ckpt")
    for p, prompt in enumerate(("cat", "dog")):
        for seed in range(3):
            make_clip(root / "cands" / prompt / f"{prompt}_{seed}.mp4", 10, seed=3 * p + seed)
    good = (root / "cands" / "dog" / "dog_0.mp4").read_bytes()
    (root / "cands" / "dog" / "dog_9.mp4").write_bytes(good[: len(good) // 3])
    return root, ckpt


def test_rerank_with_a_judge_on_a_folder(candidates, capsys):
    root, ckpt = candidates
    out, scores, best = root / "ranked.jsonl", root / "scores.jsonl", root / "best"
    argv = ["--judge", str(ckpt), "--device", "cpu", "--workers", "0", "--out", str(out)]
    argv += ["--save-scores", str(scores), "--link-best", str(best), str(root / "cands")]
    assert cli_rerank.main(argv) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["group"] for r in rows] == ["cands/cat"] * 3 + ["cands/dog"] * 4
    for group in ("cands/cat", "cands/dog"):
        ok = [r for r in rows if r["group"] == group and r["status"] == "ok"]
        assert [r["rank"] for r in ok] == [1, 2, 3]
        assert ok[0]["score"] >= ok[1]["score"] >= ok[2]["score"]
        assert ok[0]["score"] == ok[0]["plausibility"] and ok[0]["worst_label"] is not None
    assert rows[-1]["status"] == "error" and rows[-1]["rank"] is None
    assert rows[-1]["path"].endswith("dog_9.mp4")
    winners = {r["group"]: r["path"] for r in rows if r["rank"] == 1}
    for name in os.listdir(best):
        group = "cands/" + name.split("__")[0].split("_")[1]
        assert os.readlink(best / name) == os.path.abspath(winners[group])
    assert len(os.listdir(best)) == 2
    # The saved records rerank to the same rows without the model.
    again = root / "again.jsonl"
    assert cli_rerank.main(["--scores", str(scores), "--out", str(again)]) == 0
    assert again.read_text() == out.read_text()


def test_pattern_typo_fails_before_scoring(candidates, capsys, monkeypatch):
    root, ckpt = candidates
    import judge.cli.common as common

    monkeypatch.setattr(common, "load_judge", lambda args: pytest.fail("scored anyway"))
    argv = ["--judge", str(ckpt), "--out", str(root / "r.jsonl"), "--group-by", "pattern"]
    assert cli_rerank.main([*argv, "--pattern", "{prompt}-{seed}.mp4", str(root / "cands")]) == 1
    assert "7 file name(s) do not match" in capsys.readouterr().err


def test_calibrate_with_a_judge_on_a_manifest(candidates, capsys):
    root, ckpt = candidates
    rows = [
        {"path": f"cands/{p}/{p}_{s}.mp4", "labels": {"teleport": int(s == 1), "vanish": 0}}
        for p in ("cat", "dog")
        for s in range(3)
    ]
    manifest = write_manifest(root / "val.jsonl", rows)
    out = root / "calibrated"
    argv = ["--judge", str(ckpt), "--manifest", str(manifest), "--device", "cpu"]
    argv += ["--workers", "0", "--target-recall", "0.5", "--out", str(out)]
    assert cli_calibrate.main(argv) == 0
    content = json.loads((out / "judge.json").read_text())
    assert content["calibration"]["n"] == 6
    assert set(content["temperatures"]) == {"teleport", "vanish", "plausible"}
    assert content["thresholds"]["vanish"] == 0.5  # no positives: the fallback
    assert "6 clips" in capsys.readouterr().out


def test_rerank_with_a_judge_skips_out_of_domain_candidates(candidates, capsys):
    """A judge whose domain statistics call every clip out of domain (threshold 0): --ood
    skip ranks none of them and links no winner; --ood flag ranks them all, marked."""
    root, _ = candidates
    stats = {"mean": [0.0] * 32, "std": [1.0] * 32, "threshold": 0.0, "quantile": 0.99}
    ckpt = make_checkpoint(root / "ood.ckpt", domain=stats | {"windows": 10})
    out, best = root / "ood.jsonl", root / "ood_best"
    argv = ["--judge", str(ckpt), "--device", "cpu", "--workers", "0", "--out", str(out)]
    argv += [str(root / "cands" / "cat")]
    assert cli_rerank.main([*argv, "--ood", "skip", "--link-best", str(best)]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["status"] for r in rows] == ["skipped"] * 3
    assert all(r["rank"] is None and r["error"].startswith("out of domain") for r in rows)
    assert not best.exists() or os.listdir(best) == []
    assert cli_rerank.main([*argv, "--ood", "flag"]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["rank"] for r in rows] == [1, 2, 3] and all(r["out_of_domain"] for r in rows)
