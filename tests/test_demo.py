"""The demo's candidate pool and its best-of-N summary (judge.cli.demo), without training."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from judge.cli.demo import best_of_n, build_pool, print_summary
from judge.io.manifest import write_manifest


def _manifest(tmp_path):
    clips = tmp_path / "set" / "clips"
    clips.mkdir(parents=True)
    rows = []
    for scene, variants in (("s0", ["clean", "teleport", "vanish"]), ("s1", ["clean", "appear"]),
                            ("s2", ["clean"])):  # fmt: skip
        for v in variants:
            path = clips / f"{scene}_{v}.mp4"
            path.write_bytes(f"{scene}-{v}".encode())  # content identifies the source
            labels = {"plausible": int(v == "clean")}
            if v != "clean":
                labels[v] = 1
            rows.append({"path": f"clips/{path.name}", "group": scene, "labels": labels,
                         "variant": v})  # fmt: skip
    manifest = tmp_path / "set" / "manifest.jsonl"
    write_manifest(manifest, rows)
    return manifest


def test_pool_has_one_folder_per_group_of_two_or_more_with_neutral_names(tmp_path):
    manifest = _manifest(tmp_path)
    pool = tmp_path / "pool"
    (pool / "stale").mkdir(parents=True)  # a previous pool is replaced, not merged
    truth = build_pool(manifest, pool, seed=0)
    folders = sorted(p.name for p in pool.iterdir() if p.is_dir())
    assert folders == ["prompt_0000", "prompt_0001"]  # s2 has a single clip: no choice
    assert sorted(p.name for p in (pool / "prompt_0000").iterdir()) == [
        "candidate_0.mp4", "candidate_1.mp4", "candidate_2.mp4"
    ]  # fmt: skip
    assert len(truth) == 5
    for t in truth:  # each candidate is its source clip, with the source's label
        assert Path(t["path"]).read_bytes() == Path(t["source"]).read_bytes()
        assert t["plausible"] == int(t["variant"] == "clean")
    saved = [json.loads(line) for line in (pool / "truth.jsonl").read_text().splitlines()]
    assert saved == truth
    assert build_pool(manifest, tmp_path / "again", seed=0)[0]["variant"] == truth[0]["variant"]


def test_best_of_n_reads_judge_rerank_rows(tmp_path):
    truth = build_pool(_manifest(tmp_path), tmp_path / "pool", seed=0)
    clean = {t["path"]: t["plausible"] == 1 for t in truth}
    ranked = []
    for prompt in ("prompt_0000", "prompt_0001"):
        paths = sorted(t["path"] for t in truth if t["prompt"] == prompt)
        # prompt_0000: the clean clip ranks first; prompt_0001: the artifact clip does.
        first = prompt == "prompt_0000"
        paths.sort(key=lambda p: clean[p] != first)
        for rank, path in enumerate(paths, 1):
            ranked.append({"group": str(tmp_path / "pool" / prompt), "path": path,
                           "rank": rank, "score": 1.0 - rank / 10})  # fmt: skip
    ranked.append({"group": "x", "path": "err.mp4", "rank": None, "score": None})  # error row
    res = best_of_n(truth, ranked)
    assert res["groups"] == 2 and res["pool_candidates"] == 5
    assert res["best_of_n_clean"] == pytest.approx(0.5)
    assert res["random_clean"] == pytest.approx((1 / 3 + 1 / 2) / 2)
    assert res["oracle_clean"] == 1.0 and not math.isnan(res["candidates"])


def test_summary_prints_both_systems_and_a_dash_for_a_null_figure(capsys):
    judge = {"auroc": 0.8348, "plausible/auroc": 0.9186, "onset_acc": 0.7644}
    base = {"auroc": 0.5214, "plausible/auroc": 0.55, "onset_acc": None}  # NaN in metrics.json
    summary = {
        "test_metrics": {"judge": judge, "frame-difference baseline": base},
        "best_of_n": {"groups": 96.0, "pool_candidates": 287, "candidates": 2.99,
                      "best_of_n_clean": 0.9114, "random_clean": 0.335, "oracle_clean": 1.0},
        "report": "outputs/demo/eval/report.html",
        "times_s": {"render_train_s": 341.2, "train_s": 505.0, "eval_s": None},
    }  # fmt: skip
    print_summary(summary)
    lines = capsys.readouterr().out.splitlines()
    assert lines[1:5] == [
        "test set                     judge   frame-difference baseline",
        "macro AUROC                  0.835   0.521",
        "any-artifact AUROC           0.919   0.550",
        "onset within 1 frame         0.764   -",
    ]
    assert "  the judge's pick is clean   0.911" in lines
    assert lines[-1] == "steps (s): render_train 341, train 505"


def test_summary_prints_the_real_footage_figures_beside_the_synthetic_ones(capsys):
    summary = {
        "test_metrics": {"judge": {"auroc": 0.9}, "frame-difference baseline": {}},
        "test_sources": {
            "synthetic": {"auroc": 0.921, "fpr": 0.04, "clips": 579.0},
            "spliced": {"plausible/auroc": 0.93, "pair_acc": float("nan"), "clips": 300.0},
            "real": {"fpr": 0.2, "clips": 5.0},
        },
        "best_of_n": {"groups": 2.0, "pool_candidates": 6, "candidates": 3.0,
                      "best_of_n_clean": 1.0, "random_clean": 0.33, "oracle_clean": 1.0},
        "report": "r.html",
        "times_s": {},
    }  # fmt: skip
    print_summary(summary)
    out = capsys.readouterr().out.splitlines()
    assert "  synthetic: macro AUROC         0.921   (579 clips)" in out
    assert "  spliced real: pair accuracy    -   (300 clips)" in out
    assert "  real footage: flagged (FPR)    0.200   (5 clips)" in out
