"""The generator end to end at tiny sizes: determinism, twins, injectors, hard negatives, resume."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from judge.io.manifest import read_manifest, resolve_path
from judge.synth.checks import GRAVITY, Thresholds, find_all
from judge.synth.config import ConfigError, SynthConfig
from judge.synth.group import render_group
from judge.synth.runner import generate

TINY = {
    "render": {"sizes": [[64, 64]], "num_frames": [16], "shadow_size": 512},
    "artifacts": {"min_visible_px": 12},
}


def tiny(**artifacts) -> SynthConfig:
    return SynthConfig.from_dict({**TINY, "artifacts": {**TINY["artifacts"], **artifacts}})


@pytest.fixture(scope="module")
def groups():
    """One group per artifact kind (one twin each), rendered once for the module."""
    out = {}
    for kind in ("teleport", "clipping", "vanish", "appear", "morph", "duplicate", "levitate"):
        cfg = tiny(labels=[kind], twins_per_scene=1, hard_negative_fraction=0.0)
        for index in range(6):
            g = render_group(cfg, 0, index)
            if len(g.clips) == 2:
                out[kind] = (cfg, g)
                break
    return out


def test_every_kind_is_rendered(groups):
    assert sorted(groups) == sorted(
        ["teleport", "clipping", "vanish", "appear", "morph", "duplicate", "levitate"]
    )


def test_same_seed_same_frames_other_seed_other_frames(groups):
    cfg, g = groups["teleport"]
    again = render_group(cfg, 0, g.spec.index)
    for a, b in zip(g.clips, again.clips, strict=True):
        assert np.array_equal(a.record.frames, b.record.frames)
        assert a.events == b.events
    other = render_group(cfg, 1, g.spec.index)
    assert not np.array_equal(g.clips[0].record.frames, other.clips[0].record.frames)


def test_twins_identical_before_onset_and_differ_at_it(groups):
    for kind, (_, g) in groups.items():
        clean, twin = g.clips[0].record.frames, g.clips[1].record.frames
        onset = g.clips[1].events[0]["frame"]
        assert 1 <= onset < len(clean), kind
        assert np.array_equal(clean[:onset], twin[:onset]), kind
        assert not np.array_equal(clean[onset], twin[onset]), kind


def _px(clip, obj, t):
    return int((clip.record.masks[t] == obj + 1).sum())


def test_injectors_do_what_their_label_claims(groups):
    """Checked from masks and annotations directly, not through the injectors' own detectors."""
    for kind, (cfg, g) in groups.items():
        clip = g.clips[1]
        ev, a = clip.events[0], clip.record.ann
        t, k = ev["frame"], ev["object"]
        n = cfg.artifacts.min_visible_px
        clean = g.clips[0].record.ann
        if kind == "teleport":
            jump = np.linalg.norm(a["center_px"][t, k] - a["center_px"][t - 1, k])
            assert jump >= cfg.artifacts.teleport_min_frac * 64
            assert np.allclose(a["vel"][t, k], clean["vel"][t, k], atol=1e-6)
        elif kind == "vanish":
            assert _px(clip, k, t - 1) >= n and _px(clip, k, t) == 0
            assert a["in_frame"][t, k] >= 0.9 and a["cover"][t, k] <= 0.5
        elif kind == "appear":
            assert _px(clip, k, t - 1) == 0 and _px(clip, k, t) >= n
        elif kind == "clipping":
            assert clean["penetration"].max() < 0.01
            assert a["penetration"][t:, k].max() > clean["penetration"].max() + 0.01
        elif kind == "morph":
            params = clip.params
            if params["mode"] == "colour":
                assert np.abs(a["mean_rgb"][t, k] - a["mean_rgb"][t - 1, k]).max() >= 30
            else:
                r = params["replacement"]
                assert _px(clip, k, t) == 0 and _px(clip, r, t) >= n
                changed = a["shape"][t, r] != a["shape"][t - 1, k] or not np.allclose(
                    a["size"][t, r], a["size"][t - 1, k]
                )
                assert changed
        elif kind == "duplicate":
            c = clip.params["copy"]
            assert _px(clip, c, t - 1) == 0 and _px(clip, c, t) >= n and _px(clip, k, t) >= n
            for field in ("shape", "size", "rgba"):
                assert np.array_equal(a[field][t, c], a[field][t, k]), field
        elif kind == "levitate":
            dt = 1.0 / g.spec.fps
            free = [f for f in range(t, len(a["pos"]) - 1) if not a["contact"][f : f + 2, k].any()]
            assert free, "levitating object never leaves its support"
            f = free[0]
            z = a["pos"][f - 1 : f + 2, k, 2]
            assert z[2] - 2 * z[1] + z[0] > -0.5 * GRAVITY * dt**2


def test_clean_clips_and_hard_negatives_pass_every_check():
    seen = set()
    for tag in (
        "exit_frame",
        "occluder_pass",
        "occluder_stay",
        "fast_throw",
        "depth_overlap",
        "bounce",
    ):
        cfg = tiny(hard_negative_fraction=1.0, hard_negatives=[tag], twins_per_scene=0)
        for index in range(4):
            g = render_group(cfg, 0, index)
            hits = find_all(g.clips[0].record.ann, Thresholds.for_spec(g.spec, cfg.artifacts))
            assert not any(hits.values()), (tag, index, hits)
            if tag in g.tags:
                seen.add(tag)
                break
    assert len(seen) == 6, f"hard negatives never achieved: {6 - len(seen)} missing ({seen})"


def _hashes(out: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((out / "clips").iterdir())
    }


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("ref")
    generate(tiny(), out, 4, seed=0)
    return out


def test_manifest_validates_and_points_at_files(reference):
    rows = read_manifest(reference / "manifest.jsonl")
    assert {r["group"] for r in rows} == {f"scene-{i:06d}" for i in range(4)}
    for r in rows:
        assert resolve_path(reference / "manifest.jsonl", r["path"]).stat().st_size > 0
        side = np.load(resolve_path(reference / "manifest.jsonl", r["annotations"]))
        assert side["masks"].shape == (16, 64, 64)
        assert side["visible_px"].shape[0] == 16 and side["bbox"].shape[2] == 4
        artifact = [k for k, v in r["labels"].items() if v and k != "plausible"]
        assert (r["labels"]["plausible"] == 1) == (r["variant"] == "clean")
        assert artifact == ([] if r["variant"] == "clean" else [r["variant"]])
    splits = {}
    for r in rows:
        assert splits.setdefault(r["group"], r["split"]) == r["split"]


def test_same_settings_same_bytes_and_resume_keeps_finished_work(reference, tmp_path):
    out = tmp_path / "b"
    generate(tiny(), out, 4, seed=0)
    # An interrupted run: scenes 2 and 3 unfinished, a half-written clip, no manifest.
    for i in (2, 3):
        (out / "rows" / f"{i:06d}.json").unlink()
    (out / "clips" / "000003_clean.mp4").write_bytes(b"\x00garbage")
    (out / "manifest.jsonl").unlink()
    kept = (out / "clips" / "000000_clean.mp4").stat().st_mtime_ns
    summary = generate(tiny(), out, 4, seed=0)
    assert (summary.skipped, summary.rendered) == (2, 2)
    assert (out / "clips" / "000000_clean.mp4").stat().st_mtime_ns == kept
    assert (out / "manifest.jsonl").read_bytes() == (reference / "manifest.jsonl").read_bytes()
    assert _hashes(out) == _hashes(reference)


def test_shards_and_workers_give_the_same_dataset(reference, tmp_path):
    generate(tiny(), tmp_path, 4, seed=0, shard="1/2", num_workers=2)
    assert len(read_manifest(tmp_path / "manifest.jsonl")) < len(
        read_manifest(reference / "manifest.jsonl")
    )
    generate(tiny(), tmp_path, 4, seed=0, shard="0/2")
    assert (tmp_path / "manifest.jsonl").read_bytes() == (reference / "manifest.jsonl").read_bytes()
    assert _hashes(tmp_path) == _hashes(reference)


def test_other_settings_in_the_same_folder_are_refused(reference):
    with pytest.raises(ConfigError, match="num_frames"):
        generate(
            SynthConfig.from_dict({**TINY, "render": {"sizes": [[64, 64]], "num_frames": [12]}}),
            reference,
            4,
            seed=0,
        )


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"scene": {"num_objects": [-1, 3]}}, "num_objects"),
        ({"artifacts": {"labels": ["teleport", "wobble"]}}, "wobble"),
        ({"render": {"sizes": [[0, 64]]}}, "sizes"),
        (
            {"scene": {"texture_dir": "/nonexistent/textures", "floor_textures": ["image"]}},
            "/nonexistent/textures",
        ),
        ({"scene": {"floor_textures": ["image"]}}, "texture_dir"),
        ({"render": {"colour": 1}}, "colour"),
        ({"artifacts": {"twins_per_scene": -2}}, "twins_per_scene"),
    ],
)
def test_bad_configuration_fails_at_once_naming_the_value(settings, named):
    with pytest.raises(ConfigError, match=named.replace("/", "/")):
        SynthConfig.from_dict(settings)


@pytest.mark.parametrize(
    ("kwargs", "named"), [({"num_scenes": -1}, "num_scenes"), ({"shard": "3/2"}, "3/2")]
)
def test_bad_run_arguments_fail_naming_the_value(tmp_path, kwargs, named):
    args = {"num_scenes": 2, **kwargs}
    with pytest.raises(ConfigError, match=named):
        generate(tiny(), tmp_path, args.pop("num_scenes"), **args)


def test_cli_renders_and_reports_bad_values(tmp_path):
    cmd = [
        sys.executable,
        "-m",
        "judge.synth.cli",
        "synth=tiny",
        f"out={tmp_path / 'cli'}",
        "num_scenes=2",
        "num_workers=0",
        f"hydra.run.dir={tmp_path / 'logs'}",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = read_manifest(tmp_path / "cli" / "manifest.jsonl")
    assert {r["group"] for r in rows} == {"scene-000000", "scene-000001"}
    stamp = json.loads((tmp_path / "cli" / "synth_config.json").read_text())
    assert stamp["synth"]["render"]["sizes"] == [[64, 64]]
    bad = subprocess.run(
        [
            *cmd[:3],
            f"out={tmp_path / 'bad'}",
            "synth.scene.num_objects=[-1,3]",
            f"hydra.run.dir={tmp_path / 'logs2'}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode != 0
    assert "num_objects" in bad.stdout + bad.stderr
