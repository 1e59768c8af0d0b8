"""Real footage in training: every label known, split by video, spliced train videos, the mix.

Tests make their own small videos (a static background and a moving square); the splice tool
is replaced by a stand-in where a test is about this module's part only.
"""

from __future__ import annotations

import json
import sys
import types
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch
from training_fixtures import compose_train

from judge.data.preprocess import tile_boxes
from judge.data.targets import window_targets
from judge.io.manifest import read_manifest, resolve_path, write_manifest
from judge.io.writer import write_video
from judge.labels import ARTIFACT_LABELS, PLAUSIBLE
from judge.sources import from_real_footage
from judge.training import real_data
from judge.training.real_data import (
    apply_real_footage,
    import_and_split,
    prepare_real_footage,
    real_mixture,
    split_counts,
    split_units,
)

ALL_ZERO = {PLAUSIBLE: 1, **{name: 0 for name in ARTIFACT_LABELS}}


def square_video(path: Path, frames: int = 24, h: int = 48, w: int = 64, seed: int = 0) -> Path:
    """A static noisy background with a bright square sliding across it."""
    rng = np.random.default_rng(seed)
    background = rng.integers(40, 90, (h, w, 3), dtype=np.uint8)
    rgb = np.repeat(background[None], frames, axis=0)
    for t in range(frames):
        x = (2 * t + 5 * seed) % (w - 12)
        rgb[t, h // 3 : h // 3 + 12, x : x + 12] = (250, 220, 30)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_video(path, rgb, fps=12, crf=28, preset="ultrafast")


def real_folder(root: Path, n: int = 6, long_one: bool = True) -> Path:
    """`n` short videos (one in a sub-folder), plus one long one."""
    for i in range(n):
        sub = root / "sub" if i == 0 else root
        square_video(sub / f"v{i}.mp4", frames=20, seed=i)
    if long_one:
        square_video(root / "long.mp4", frames=90, seed=99)
    return root


# ----------------------------------------------------------------------------- labels / targets


def test_real_rows_know_every_label_and_their_windows_mask_none(tmp_path):
    root = real_folder(tmp_path / "cam", n=2, long_one=False)
    rows = from_real_footage(root, tmp_path / "m.jsonl")
    assert [r["labels"] for r in rows] == [ALL_ZERO, ALL_ZERO]
    assert {r["source"] for r in rows} == {"real/cam"} and all(r["tags"] == ["real"] for r in rows)
    names = tuple(ARTIFACT_LABELS)
    for idx in (np.arange(0, 8), np.arange(6, 14), np.arange(0, 20)):
        t = window_targets(rows[0], idx, 20, names)
        assert t["label_mask"].all() and not t["labels"].any()
        assert t["plausible"] == 1 and t["plausible_mask"] and t["onset_mask"]
    # The old rows ({"plausible": 1} only) masked every label head: the change matters.
    old = window_targets({"labels": {PLAUSIBLE: 1}}, np.arange(0, 8), 20, names)
    assert not old["label_mask"].any()


# ----------------------------------------------------------------------------- split by video


def test_split_counts_give_every_positive_split_a_video():
    assert split_counts(23) == {"train": 14, "val": 5, "test": 4}
    assert split_counts(10) == {"train": 6, "val": 2, "test": 2}
    assert split_counts(3) == {"train": 1, "val": 1, "test": 1}
    assert split_counts(4) == {"train": 2, "val": 1, "test": 1}
    assert split_counts(2) == {"train": 1, "val": 1, "test": 0}  # train first, then val
    assert split_counts(1) == {"train": 1, "val": 0, "test": 0}
    assert split_counts(5, {"train": 0.8, "val": 0.2}) == {"train": 4, "val": 1, "test": 0}
    assert split_counts(3, {"train": 0.98, "val": 0.01, "test": 0.01}) == {
        "train": 1, "val": 1, "test": 1,
    }  # fmt: skip
    for n in range(0, 40):
        assert sum(split_counts(n).values()) == n
    with pytest.raises(ValueError, match="unknown split"):
        split_counts(5, {"train": 1, "valid": 1})


def test_split_units_is_seeded_and_order_free():
    videos = [f"clip{i:02d}.mp4" for i in range(23)]
    a = split_units(videos, seed=0)
    assert a == split_units(list(reversed(videos)), seed=0)  # the order given does not matter
    assert Counter(a.values()) == {"train": 14, "val": 5, "test": 4}
    b = split_units(videos, seed=1)
    assert a != b and Counter(b.values()) == Counter(a.values())


def test_import_and_split_is_by_video_whatever_its_length(tmp_path):
    root = real_folder(tmp_path / "cam", n=4)
    manifest = tmp_path / "data" / "real" / "cam" / "manifest.jsonl"
    rows = import_and_split(root, manifest, ratios={"train": 0.6, "val": 0.2, "test": 0.2})
    assert read_manifest(manifest) == rows
    assert len(rows) == 5  # the long video is one video, not many windows
    assert Counter(r["split"] for r in rows) == {"train": 3, "val": 1, "test": 1}
    assert all(r["labels"] == ALL_ZERO and r["source"] == "real/cam" for r in rows)
    assert all(resolve_path(manifest, r["path"]).is_file() for r in rows)
    recipe = json.loads((manifest.parent / "real.json").read_text())
    assert recipe["videos"] == ["long.mp4", "sub/v0.mp4", "v1.mp4", "v2.mp4", "v3.mp4"]
    # Same folder, same seed: same split; the split does not depend on where data lives.
    again = import_and_split(root, tmp_path / "elsewhere" / "m.jsonl")
    split_of = {Path(r["path"]).name: r["split"] for r in rows}
    assert {Path(r["path"]).name: r["split"] for r in again} == split_of
    # By folder: the sub-folder's clips are one unit (here one clip), the loose ones another.
    grouped = import_and_split(root, tmp_path / "g" / "m.jsonl", group_by_folder=True)
    loose = {r["split"] for r in grouped if "/sub/" not in r["path"]}
    assert len(loose) == 1


# ----------------------------------------------------------------------------- preparation


class FakeSplice:
    """Stands in for `judge.splice.splice_videos`: one small clean clip and one teleport twin
    per requested clip, cut from the videos it was given; records its calls."""

    def __init__(self):
        self.calls = []

    def __call__(self, videos, out, *, num_clips, seed=0, config=None, num_workers=0, log=print):
        self.calls.append({"videos": [Path(v) for v in videos], "num_clips": num_clips, **config})
        out = Path(out)
        rows = []
        for i in range(num_clips):
            square_video(out / f"c{i}.mp4", frames=16, h=32, w=32, seed=i)
            square_video(out / f"c{i}_t.mp4", frames=16, h=32, w=32, seed=i + 50)
            clean = {
                "labels": dict(ALL_ZERO),
                "split": config["split"],
                "group": f"c{i}",
                "source": "real-spliced/cam",
            }
            twin = {
                **clean,
                "labels": {**ALL_ZERO, PLAUSIBLE: 0, "teleport": 1},
                "events": [{"type": "teleport", "frame": 8}],
            }
            rows += [{**clean, "path": f"c{i}.mp4"}, {**twin, "path": f"c{i}_t.mp4"}]
        return write_manifest(out / "manifest.jsonl", rows)


@pytest.fixture
def fake_splice(monkeypatch):
    fake = FakeSplice()
    module = types.ModuleType("judge.splice")
    module.splice_videos = fake
    monkeypatch.setitem(sys.modules, "judge.splice", module)
    return fake


def test_prepare_splices_only_train_videos_and_resumes(tmp_path, fake_splice, monkeypatch):
    root = real_folder(tmp_path / "cam", n=6)
    out = tmp_path / "data" / "real"
    plain, spliced = prepare_real_footage(root, out, splice_clips=3, seed=0)
    assert plain == out / "cam" / "manifest.jsonl"
    assert spliced == out / "cam_spliced" / "manifest.jsonl"
    rows = read_manifest(plain)
    train = sorted(resolve_path(plain, r["path"]) for r in rows if r["split"] == "train")
    (call,) = fake_splice.calls
    assert sorted(call["videos"]) == train and len(train) == 4  # 7 videos: 4 / 2 / 1
    assert call["num_clips"] == 3 and call["split"] == "train"
    # Done once: a second preparation reuses both manifests.
    assert prepare_real_footage(root, out, splice_clips=3) == (plain, spliced)
    assert len(fake_splice.calls) == 1
    # Nothing to splice with weight 0: validation-only real footage.
    assert prepare_real_footage(root, tmp_path / "w0", weight=0.0)[1] is None
    assert len(fake_splice.calls) == 1
    # Interrupted after the import: only the splicing runs again, on the same videos.
    spliced.unlink()

    def no_import(*a, **k):
        raise AssertionError("imported again")

    monkeypatch.setattr(real_data, "import_and_split", no_import)
    prepare_real_footage(root, out, splice_clips=3)
    assert len(fake_splice.calls) == 2 and sorted(fake_splice.calls[1]["videos"]) == train


def test_prepare_warns_when_the_folder_changed(tmp_path, fake_splice, caplog):
    root = real_folder(tmp_path / "cam", n=3, long_one=False)
    out = tmp_path / "real"
    prepare_real_footage(root, out, splice_clips=1)
    square_video(root / "new.mp4", frames=20, seed=7)
    with caplog.at_level("WARNING", logger="judge.train"):
        prepare_real_footage(root, out, splice_clips=1)
    assert any("other videos" in r.getMessage() for r in caplog.records)


# ----------------------------------------------------------------------------- the mix


def test_real_mixture_weights():
    mixed = real_mixture(
        [{"path": "s.jsonl", "weight": 0.7}, {"path": "p.jsonl", "weight": 0.3}],
        "real/cam/manifest.jsonl",
        "real/cam_spliced/manifest.jsonl",
        weight=0.25,
    )
    assert mixed == [
        {"path": "s.jsonl", "weight": pytest.approx(0.525)},
        {"path": "p.jsonl", "weight": pytest.approx(0.225)},
        {"path": "real/cam_spliced/manifest.jsonl", "weight": 0.25, "splits": ["train"]},
        {"path": "real/cam/manifest.jsonl", "weight": 0.0, "splits": ["val", "test"]},
    ]
    no_splice = real_mixture(["s.jsonl"], "real/cam/manifest.jsonl", None, weight=0.25)
    assert no_splice[0] == {"path": "s.jsonl"} and no_splice[1]["splits"] == ["val", "test"]
    with pytest.raises(ValueError, match="real.weight"):
        real_mixture(["s.jsonl"], "p", "q", weight=1.5)


def test_cpu_tiny_with_and_without_real_footage(tmp_path):
    common = ["experiment=cpu_tiny", f"paths.data_dir={tmp_path / 'data'}"]
    plain_cfg = compose_train(common)
    before = [dict(m) for m in plain_cfg.data.manifests]
    assert plain_cfg.real_footage is None
    assert apply_real_footage(plain_cfg) is None
    assert [dict(m) for m in plain_cfg.data.manifests] == before  # exactly as today
    assert before == [
        {"path": f"{tmp_path}/data/generated/cpu_tiny_varied_2400/manifest.jsonl", "weight": 1.0}
    ]

    cfg = compose_train([*common, f"real_footage={tmp_path / 'my-camera'}"])
    assert cfg.real.splice_clips == 600 and cfg.real.weight == 0.25
    assert dict(cfg.real.splits) == {"train": 0.6, "val": 0.2, "test": 0.2}
    manifests = apply_real_footage(cfg, prepare=False)
    real = tmp_path / "data" / "real"
    assert [dict(m) for m in cfg.data.manifests] == manifests
    assert manifests == [
        {"path": before[0]["path"], "weight": 0.75},
        {"path": str(real / "my-camera_spliced" / "manifest.jsonl"), "weight": 0.25,
         "splits": ["train"]},
        {"path": str(real / "my-camera" / "manifest.jsonl"), "weight": 0.0,
         "splits": ["val", "test"]},
    ]  # fmt: skip


def test_the_epoch_keeps_the_presets_length_when_real_footage_joins(tmp_path, fake_splice):
    synth = tmp_path / "synth" / "manifest.jsonl"
    rows = [{"path": f"{i}.mp4", "labels": dict(ALL_ZERO), "group": f"g{i // 2}",
             "split": "train" if i < 6 else "val"} for i in range(8)]  # fmt: skip
    write_manifest(synth, rows)
    common = [
        "experiment=cpu_tiny",
        f"paths.data_dir={tmp_path / 'data'}",
        f"data.manifests=[{{path: {synth}, weight: 1.0}}]",
        "real.splice_clips=5",
        "real.match_clean_share=true",
    ]
    cfg = compose_train([*common, f"real_footage={real_folder(tmp_path / 'cam', n=3)}"])
    assert cfg.data.epoch_size is None
    apply_real_footage(cfg)
    assert cfg.data.epoch_size == 6  # the synthetic training rows; the 10 spliced clips replace
    assert len(read_manifest(fake_splice_out(cfg))) == 10  # draws instead of adding to them
    # Drawn with the synthetic training rows' share of clean clips (all 6 are clean here).
    assert cfg.data.manifests[1]["clean_share"] == 1.0
    fixed = compose_train([*common, "data.epoch_size=100", f"real_footage={tmp_path / 'cam'}"])
    apply_real_footage(fixed)
    assert fixed.data.epoch_size == 100  # a size the user set is kept


def fake_splice_out(cfg) -> Path:
    return Path(cfg.data.manifests[1]["path"])


# ----------------------------------------------------------------------------- end to end


def test_judge_train_with_real_footage_splices_and_validates_on_held_out_videos(tmp_path):
    """The real splice tool on small videos, then a tiny run whose validation mixes synthetic
    windows with the held-out real videos."""
    from training_fixtures import last_ckpt, shared_manifest, train_cfg

    from judge.training.train import train

    root = tmp_path / "my-camera"
    for i in range(5):
        square_video(root / f"v{i}.mp4", frames=48, seed=i)
    overrides = (
        f"real_footage={root}",
        "real.splice_clips=3",
        "real.num_workers=0",
        "++trainer.limit_val_batches=1.0",  # every validation window, synthetic and real
    )
    cfg = train_cfg(tmp_path, shared_manifest(), "run", *overrides)
    metrics = train(cfg)
    assert "val/auroc" in metrics and "val/loss" in metrics

    plain = tmp_path / "data" / "real" / "my-camera" / "manifest.jsonl"
    spliced = tmp_path / "data" / "real" / "my-camera_spliced" / "manifest.jsonl"
    rows, clips = read_manifest(plain), read_manifest(spliced)
    split_of = {Path(r["path"]).name: r["split"] for r in rows}
    assert Counter(split_of.values()) == {"train": 3, "val": 1, "test": 1}
    assert {c["split"] for c in clips} == {"train"}
    assert {split_of[c["origin"]["video"]] for c in clips} == {"train"}  # train videos only
    assert any(c["labels"][PLAUSIBLE] == 0 for c in clips)  # artifact twins
    assert all(c["labels"] == ALL_ZERO for c in clips if c["labels"][PLAUSIBLE] == 1)

    # Validation saw every synthetic val window plus the held-out real video (one window),
    # each read as the judge will be served: the 64x48 real frames as their 2 tiles.
    synth_val = sum(r["split"] == "val" for r in read_manifest(shared_manifest()))
    tiles = len(tile_boxes(48, 64))
    assert tiles == 2
    meta = torch.load(last_ckpt(tmp_path, "run"), map_location="cpu", weights_only=True)
    assert meta["judge"]["domain"]["windows"] == synth_val + tiles

    # Prepared once: another run reuses both manifests as they are.
    stamps = (plain.stat().st_mtime_ns, spliced.stat().st_mtime_ns)
    apply_real_footage(train_cfg(tmp_path, shared_manifest(), "again", *overrides))
    assert (plain.stat().st_mtime_ns, spliced.stat().st_mtime_ns) == stamps
