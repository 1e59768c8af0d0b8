"""The demo's candidate pool and its best-of-N summary (judge.demo), without training."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from judge.demo import best_of_n, build_pool
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
