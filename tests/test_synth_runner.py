"""Generating a dataset: manifest and sidecars, same bytes every time, resume, shards, workers.

One uninterrupted 4-scene run (`reference`) is the yardstick: every other way of producing the
same dataset (again, resumed after a simulated or a real interruption, in shards, with worker
processes, through the CLI) must give the same manifest bytes and the same clip files.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from synth_fixtures import KINDS, dataset_digest, tiny

from judge.io.manifest import read_manifest, resolve_path, write_manifest
from judge.io.writer import decode_video
from judge.synth.config import ConfigError
from judge.synth.contact_sheet import make_contact_sheet
from judge.synth.runner import CONFIG_FILE, check_settings, generate

N = 4  # scenes in the reference dataset


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("reference")
    summary = generate(tiny(), out, num_scenes=N, seed=0, num_workers=0)
    assert (summary.rendered, summary.skipped, summary.errors) == (N, 0, {})
    assert summary.manifest == out / "manifest.jsonl" and summary.manifest_scenes == N
    return out


def cli(*overrides: str, cwd: Path, **kwargs) -> subprocess.Popen:
    """`judge-synth` as users run it; Hydra's run logs go under `cwd`."""
    cmd = [sys.executable, "-m", "judge.cli.synth", *overrides]
    return subprocess.Popen(
        cmd,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ},
        **kwargs,
    )


def test_manifest_validates_and_every_row_points_at_its_files(reference):
    manifest = reference / "manifest.jsonl"
    rows = read_manifest(manifest)
    assert len(rows) == len(manifest.read_text().splitlines())
    groups: dict[str, list[dict]] = {}
    for r in rows:
        groups.setdefault(r["group"], []).append(r)
    assert sorted(groups) == [f"scene-{i:06d}" for i in range(N)]
    for name, members in groups.items():
        assert len({r["split"] for r in members}) == 1, name  # splits never cut a group
        variants = [r["variant"] for r in members]
        assert variants.count("clean") == 1 and len(set(variants)) == len(variants), name
    for r in rows:
        T, H, W = r["num_frames"], r["height"], r["width"]
        assert (T, H, W) == (16, 64, 64)
        video = resolve_path(manifest, r["path"])
        frames = decode_video(video)
        assert frames.shape == (T, H, W, 3), r["path"]
        side = np.load(resolve_path(manifest, r["annotations"]))
        meta = json.loads(str(side["meta"]))
        K = len(meta["objects"])
        assert side["masks"].shape == (T, H, W) and side["masks"].dtype == np.uint8
        assert side["visible_px"].shape == (T, K)
        assert side["bbox"].shape == (T, K, 4)
        assert side["pos"].shape == (T, K, 3) and side["exists"].shape == (T, K)
        for k in range(K):  # visible pixels are the mask's pixels
            assert np.array_equal(side["visible_px"][:, k], (side["masks"] == k + 1).sum((1, 2)))
        artifacts = [k for k, v in r["labels"].items() if v == 1 and k != "plausible"]
        assert set(r["labels"]) == {*KINDS, "plausible"}
        if r["variant"] == "clean":
            assert r["labels"]["plausible"] == 1 and artifacts == [] and r["events"] == []
        else:
            assert r["labels"]["plausible"] == 0 and artifacts == [r["variant"]], r["path"]
            (ev,) = r["events"]
            assert ev["type"] == r["variant"] and 1 <= ev["frame"] < T
            assert meta["events"] == r["events"] and meta["variant"] == r["variant"]
            x0, y0, x1, y1 = ev["bbox"]
            assert x0 < x1 and y0 < y1 and x1 > 0 and y1 > 0 and x0 < W and y0 < H


def test_same_settings_give_the_same_bytes(reference, tmp_path):
    generate(tiny(), tmp_path, num_scenes=N, seed=0, num_workers=0)
    assert dataset_digest(tmp_path) == dataset_digest(reference)
    assert (tmp_path / CONFIG_FILE).read_bytes() == (reference / CONFIG_FILE).read_bytes()


def test_resume_after_an_interruption_finishes_the_same_dataset(reference, tmp_path):
    out = tmp_path / "b"
    generate(tiny(), out, num_scenes=N, seed=0)
    # As if stopped while scene 2 was being written: scenes 2 and 3 unfinished, scene 3's clip
    # half written, no manifest yet.
    for i in (2, 3):
        (out / "rows" / f"{i:06d}.json").unlink()
    for p in (out / "clips").glob("000003_*"):
        p.unlink()
    (out / "clips" / "000003_clean.mp4").write_bytes(b"\x00\x00\x00\x18ftypisom" + b"\x00" * 40)
    (out / "manifest.jsonl").unlink()
    kept = {p.name: p.stat().st_mtime_ns for p in (out / "clips").glob("00000[01]_*")}
    summary = generate(tiny(), out, num_scenes=N, seed=0)
    assert (summary.skipped, summary.rendered, summary.errors) == (2, 2, {})
    # Finished work is kept as it was, not rendered again.
    assert {p.name: p.stat().st_mtime_ns for p in (out / "clips").glob("00000[01]_*")} == kept
    assert dataset_digest(out) == dataset_digest(reference)
    assert (out / "manifest.jsonl").read_bytes() == (reference / "manifest.jsonl").read_bytes()


def test_cli_killed_mid_run_resumes_to_the_same_dataset(reference, tmp_path):
    out = tmp_path / "killed"
    args = ("synth=tiny", f"out={out}", f"num_scenes={N}", "num_workers=0", "contact_sheet=false")
    proc = cli(*args, cwd=tmp_path)
    marker = out / "rows" / "000001.json"
    deadline = time.monotonic() + 120
    try:
        while not marker.exists():
            assert proc.poll() is None, f"judge-synth ended before scene 1: {proc.stdout.read()}"
            assert time.monotonic() < deadline, "scene 1 never finished"
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    assert not (out / "manifest.jsonl").exists()  # it was killed before the end
    assert not (out / "rows" / f"{N - 1:06d}.json").exists()

    again = cli(*args, cwd=tmp_path)
    log, _ = again.communicate(timeout=240)
    assert again.returncode == 0, log[-3000:]
    assert "resuming" in log
    assert dataset_digest(out) == dataset_digest(reference)
    assert (out / CONFIG_FILE).read_bytes() == (reference / CONFIG_FILE).read_bytes()


def test_shards_fill_one_folder_like_an_unsharded_run(reference, tmp_path):
    first = generate(tiny(), tmp_path, num_scenes=N, seed=0, shard="0/2")
    assert first.rendered == N // 2
    rows = read_manifest(tmp_path / "manifest.jsonl")
    assert {r["group"] for r in rows} == {f"scene-{i:06d}" for i in range(0, N, 2)}
    second = generate(tiny(), tmp_path, num_scenes=N, seed=0, shard="1/2")
    assert (second.rendered, second.skipped) == (N // 2, 0)
    assert second.manifest_scenes == N
    assert dataset_digest(tmp_path) == dataset_digest(reference)


def test_a_dataset_grows_by_rendering_only_the_new_scenes(reference, tmp_path):
    generate(tiny(), tmp_path, num_scenes=N // 2, seed=0)
    assert len({r["group"] for r in read_manifest(tmp_path / "manifest.jsonl")}) == N // 2
    summary = generate(tiny(), tmp_path, num_scenes=N, seed=0)
    assert (summary.skipped, summary.rendered) == (N // 2, N - N // 2)
    assert dataset_digest(tmp_path) == dataset_digest(reference)


def test_worker_processes_give_the_same_bytes(reference, tmp_path):
    summary = generate(tiny(), tmp_path, num_scenes=N, seed=0, num_workers=2)
    assert (summary.rendered, summary.errors) == (N, {})
    assert dataset_digest(tmp_path) == dataset_digest(reference)


def test_other_settings_in_the_same_folder_are_refused_by_name(reference):
    before = dataset_digest(reference)
    with pytest.raises(ConfigError, match=r"render\.num_frames"):
        generate(tiny(render={"num_frames": [12]}), reference, num_scenes=N, seed=0)
    with pytest.raises(ConfigError, match=r"artifacts\.teleport_min_frac"):
        generate(tiny(artifacts={"teleport_min_frac": 0.2}), reference, num_scenes=N, seed=0)
    with pytest.raises(ConfigError, match="seed"):
        generate(tiny(), reference, num_scenes=N, seed=1)
    assert dataset_digest(reference) == before  # nothing touched


def test_a_finished_set_is_reused_only_with_its_own_settings(reference, tmp_path):
    """What judge-train's `synth_if_missing` and the benchmarks check before reusing a set."""
    assert check_settings(reference, tiny(), 0) is True
    assert check_settings(tmp_path / "nothing_yet", tiny(), 0) is False
    with pytest.raises(ConfigError, match=rf"{reference}.*render\.shutter_prob"):
        check_settings(reference, tiny(render={"shutter_prob": 0.5}), 0)
    # A folder stamped before a setting existed matches while that setting is at its default.
    old = tmp_path / "older"
    old.mkdir()
    stamp = json.loads((reference / CONFIG_FILE).read_text())
    del stamp["synth"]["render"]["shutter_prob"]
    (old / CONFIG_FILE).write_text(json.dumps(stamp))
    assert check_settings(old, tiny(), 0) is True
    with pytest.raises(ConfigError, match="shutter_prob"):
        check_settings(old, tiny(render={"shutter_prob": 0.5}), 0)


def test_train_refuses_a_set_rendered_with_other_settings(reference, tmp_path):
    from omegaconf import OmegaConf

    from judge.training.train import ensure_data

    out = tmp_path / "set"
    shutil.copytree(reference, out)
    spec = {"out": str(out), "num_scenes": N, "seed": 0, "num_workers": 0}
    ensure_data(OmegaConf.create({"synth_if_missing": {**spec, "synth": _plain(tiny())}}))
    other = _plain(tiny(render={"num_frames": [12]}))
    with pytest.raises(ConfigError, match=r"render\.num_frames"):
        ensure_data(OmegaConf.create({"synth_if_missing": {**spec, "synth": other}}))


def test_overwrite_starts_the_folder_afresh(reference, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(reference, out)
    generate(tiny(render={"num_frames": [12]}), out, num_scenes=1, seed=0, overwrite=True)
    rows = read_manifest(out / "manifest.jsonl")
    assert {r["group"] for r in rows} == {"scene-000000"}
    assert {r["num_frames"] for r in rows} == {12}
    assert not list((out / "clips").glob("000003_*"))
    assert not (out / "rows" / "000003.json").exists()


def test_a_failing_scene_is_recorded_and_rendered_on_the_next_run(reference, tmp_path, monkeypatch):
    import judge.synth.group as group_module

    real = group_module.render_group

    def flaky(cfg, seed, index):
        if index == 1:
            raise RuntimeError("simulated crash in scene 1")
        return real(cfg, seed, index)

    monkeypatch.setattr(group_module, "render_group", flaky)
    summary = generate(tiny(), tmp_path, num_scenes=3, seed=0)
    assert summary.rendered == 2 and list(summary.errors) == [1]
    assert "simulated crash in scene 1" in (tmp_path / "errors" / "000001.txt").read_text()
    rows = read_manifest(tmp_path / "manifest.jsonl")
    assert {r["group"] for r in rows} == {"scene-000000", "scene-000002"}

    monkeypatch.setattr(group_module, "render_group", real)
    summary = generate(tiny(), tmp_path, num_scenes=3, seed=0)
    assert (summary.rendered, summary.skipped, summary.errors) == (1, 2, {})
    ref_rows = [
        r for r in read_manifest(reference / "manifest.jsonl") if r["group"] != f"scene-{N - 1:06d}"
    ]
    assert read_manifest(tmp_path / "manifest.jsonl") == ref_rows


def _sheet_for(reference: Path, out: Path, kinds: list[str]) -> Path | None:
    """A manifest with one twin of each of `kinds` and its clean clip, and its contact sheet."""
    rows = read_manifest(reference / "manifest.jsonl")
    by_group = {}
    for r in rows:
        by_group.setdefault(r["group"], {})[r["variant"]] = r
    picked = []
    for kind in kinds:
        g = next(v for v in by_group.values() if kind in v)
        picked += [g[kind], g["clean"]]
    for r in picked:  # absolute paths: the subset manifest lives elsewhere
        r["path"] = str(resolve_path(reference / "manifest.jsonl", r["path"]))
        r["annotations"] = str(resolve_path(reference / "manifest.jsonl", r["annotations"]))
    manifest = write_manifest(out / f"sheet_{len(kinds)}.jsonl", picked)
    return make_contact_sheet(manifest, out / f"sheet_{len(kinds)}.png")


def test_contact_sheet_has_two_strips_per_kind(reference, tmp_path):
    variants = {r["variant"] for r in read_manifest(reference / "manifest.jsonl")}
    present = sorted(variants - {"clean"})
    assert len(present) >= 2, present
    sizes = []
    for n in range(1, min(3, len(present)) + 1):
        png = _sheet_for(reference, tmp_path, present[:n])
        assert png is not None and png.exists()
        with Image.open(png) as im:
            assert im.format == "PNG"
            sizes.append(im.size)
    (w1, h1), *more = sizes
    assert h1 >= 2 * 64  # two strips of frames at least as tall as a frame
    for n, (w, h) in enumerate(more, start=2):
        assert w == w1 and h == n * h1, sizes  # each kind adds the same pair of strips
    full = make_contact_sheet(reference / "manifest.jsonl", tmp_path / "all.png")
    with Image.open(full) as im:
        assert im.size == (w1, len(present) * h1)


def test_contact_sheet_without_artifacts_is_not_written(reference, tmp_path):
    clean = [r for r in read_manifest(reference / "manifest.jsonl") if r["variant"] == "clean"]
    for r in clean:
        r["path"] = str(resolve_path(reference / "manifest.jsonl", r["path"]))
        r["annotations"] = str(resolve_path(reference / "manifest.jsonl", r["annotations"]))
    manifest = write_manifest(tmp_path / "clean.jsonl", clean)
    assert make_contact_sheet(manifest, tmp_path / "clean.png") is None
    assert not (tmp_path / "clean.png").exists()


def _plain(cfg) -> dict:
    """Settings as the dict Hydra gives `judge-train` (lists, not tuples)."""
    return json.loads(json.dumps(cfg.to_dict()))
