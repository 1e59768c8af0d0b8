"""scripts/gpu_check.sh: the dry run really runs every step at toy sizes and writes the JSON
the GPU machine will write; the targets and table read it."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STEP_KEYS = {
    "render": {"mujoco_gl", "clips", "clips_per_s", "workers"},
    "train": {
        "model_clips_per_s",
        "with_loading_clips_per_s",
        "loading_over_model",
        "peak_memory_gib",
        "gpu_utilisation_pct",
        "precision",
    },  # fmt: skip
    "score": {"window", "device", "rows"},
    "ddp": {"processes", "strategy", "seconds"},
}
ROW_KEYS = {"videos", "precision", "decode_videos_per_s", "score_videos_per_s",
            "score_windows_per_s", "model_windows_per_s", "score_over_decode"}  # fmt: skip


def _load_gpu_check():
    spec = importlib.util.spec_from_file_location("gpu_check", ROOT / "scripts" / "gpu_check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_dry_run_runs_every_step_and_writes_the_json(tmp_path):
    out = tmp_path / "gpu_check.json"
    env = {**os.environ, "PYTHON": sys.executable}
    proc = subprocess.run(
        [str(ROOT / "scripts" / "gpu_check.sh"), "--dry-run", "--out", str(out),
         "--work", str(tmp_path / "work")],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["dry_run"] is True and result["preset"] == "gpu_default"
    assert result["total_s"] < 120  # the bound for the dry run
    for step, keys in STEP_KEYS.items():
        entry = result["steps"][step]
        assert entry["status"] == "ok", (step, entry)
        assert keys <= set(entry), (step, keys - set(entry))
    assert result["steps"]["render"]["clips"] > 0
    assert result["steps"]["train"]["model_clips_per_s"] > 0
    assert result["steps"]["train"]["peak_memory_gib"] is None  # no GPU: null, not made up
    rows = result["steps"]["score"]["rows"]
    assert {r["precision"] for r in rows} == {"fp32", "bf16"}
    assert {r["videos"].split(":")[0] for r in rows} == {"generated", "small"}
    assert all(set(r) >= ROW_KEYS and r["score_windows_per_s"] > 0 for r in rows)
    # A dry run measures nothing the targets are about: none is called met or missed.
    assert [t["met"] for t in result["targets"]] == [None, None, None]
    assert "DRY RUN" in proc.stdout and "score/decode" in proc.stdout


def test_scoring_step_alone_at_toy_size(tmp_path):
    gc = _load_gpu_check()
    out = tmp_path / "gpu_check.json"
    code = gc.main(["--dry-run", "--steps", "score", "--out", str(out),
                    "--work", str(tmp_path / "work")])  # fmt: skip
    assert code == 0
    score = json.loads(out.read_text())["steps"]["score"]
    assert score["status"] == "ok" and score["window"] == "8x32x32"
    assert len(score["rows"]) == 4


def test_targets_and_failed_steps_in_the_table():
    gc = _load_gpu_check()
    rows = [
        {"videos": "generated: 32 x 832x480", "precision": p, "decode_videos_per_s": 50.0,
         "score_videos_per_s": s, "score_windows_per_s": 5 * s, "model_windows_per_s": 1.0,
         "score_over_decode": s / 50}
        for p, s in (("fp32", 30.0), ("bf16", 45.0))
    ] + [
        {"videos": "small: 128 x 96x96", "precision": "bf16", "decode_videos_per_s": 900.0,
         "score_videos_per_s": 500.0, "score_windows_per_s": 2500.0, "model_windows_per_s": 1.0,
         "score_over_decode": 0.55}
    ]  # fmt: skip
    results = {
        "dry_run": False,
        "machine": {"device": "NVIDIA H200", "gpus": 1},
        "steps": {
            "score": {"status": "ok", "window": "16x112x112", "device": "cuda", "rows": rows},
            "train": {"status": "ok", "loading_over_model": 0.7},
            "ddp": {"status": "failed", "error": "RuntimeError: boom"},
        },
    }
    results["targets"] = gc.targets(results)
    by_title = {t["target"]: t for t in results["targets"]}
    assert by_title["scoring windows/s, small clips"]["met"] is True
    generated = by_title["scoring / decode-only, generator-sized"]
    assert generated["value"] == pytest.approx(0.9) and generated["met"] is True  # best: bf16
    assert by_title["training with loading / model alone"]["met"] is False
    text = gc.table(results)
    assert "FAILED ddp: RuntimeError: boom" in text and "MISSED" in text
