"""The decoded-frame cache gives the decoder's own frames, and the same training samples."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from video_fixtures import decode_index, make_video

from judge.data.dataset import ClipDataset, Item
from judge.data.frame_cache import FrameCache
from judge.data.transforms import Augment, ClipTransform
from judge.data.windows import WindowSpec
from judge.io.video import VideoReadError, available_backends, read_frames
from judge.labels import ARTIFACT_LABELS

BACKENDS = available_backends()


def _entries(root: Path) -> list[Path]:
    return sorted(root.rglob("*.npy"))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("fmt", ["h264_mp4", "vp9_webm"])
def test_a_cached_window_equals_the_decoders_window(tmp_path, backend, fmt):
    video = make_video(tmp_path / "videos", fmt)
    cache = FrameCache(tmp_path / "cache")
    for idx in ([0, 1, 2, 3], [17, 9, 30, 30, 39], list(range(12, 28))):
        direct, info = read_frames(video, idx, backend=backend)
        cached, cinfo = cache.read(video, idx, backend)
        assert cached.dtype == np.uint8 and cached.shape == direct.shape
        np.testing.assert_array_equal(cached, direct)
        assert [decode_index(f) for f in cached] == idx
        assert (cinfo["num_frames"], cinfo["fps"], cinfo["indices"]) == (
            info["num_frames"],
            info["fps"],
            idx,
        )
        assert cinfo["backend"] == backend
    assert len(_entries(tmp_path / "cache")) == 1  # decoded once, read three times


def test_indices_may_be_chosen_from_the_clips_length_and_fps(tmp_path):
    video = make_video(tmp_path, "h264_mp4")
    cache = FrameCache(tmp_path / "cache")
    seen = []

    def choose(n, fps):
        seen.append((n, fps))
        return [n - 2, n - 1]

    for _ in range(2):  # a miss, then a hit: both see the clip's own length and rate
        frames, info = cache.read(video, choose, BACKENDS[0])
        assert [decode_index(f) for f in frames] == [38, 39]
    assert seen == [(40, pytest.approx(30.0))] * 2


def test_an_index_past_the_end_names_the_file(tmp_path):
    video = make_video(tmp_path, "h264_mp4")
    cache = FrameCache(tmp_path / "cache")
    with pytest.raises(VideoReadError, match=r"h264_mp4_40\.mp4.*index 40 out of range"):
        cache.read(video, [0, 40], BACKENDS[0])


def test_a_missing_file_names_it_and_caches_nothing(tmp_path):
    cache = FrameCache(tmp_path / "cache")
    with pytest.raises(VideoReadError, match="gone.mp4"):
        cache.read(tmp_path / "gone.mp4", [0], BACKENDS[0])
    assert _entries(tmp_path / "cache") == []


def test_a_damaged_entry_is_decoded_again(tmp_path):
    video = make_video(tmp_path, "h264_mp4")
    cache = FrameCache(tmp_path / "cache")
    cache.read(video, [0], BACKENDS[0])
    (entry,) = _entries(tmp_path / "cache")
    entry.write_bytes(entry.read_bytes()[:1000])  # cut short, as by a full disk
    frames, _ = cache.read(video, [5, 39], BACKENDS[0])
    assert [decode_index(f) for f in frames] == [5, 39]
    assert np.load(entry).shape == (40, 64, 128, 3)  # written again, whole


def test_a_rewritten_clip_is_decoded_again(tmp_path):
    video = make_video(tmp_path, "h264_mp4")
    cache = FrameCache(tmp_path / "cache")
    cache.read(video, [0], BACKENDS[0])
    short = make_video(tmp_path / "other", "h264_mp4", num_frames=20)
    os.replace(short, video)  # same path, other content
    frames, info = cache.read(video, [19], BACKENDS[0])
    assert info["num_frames"] == 20 and decode_index(frames[0]) == 19
    assert len(_entries(tmp_path / "cache")) == 2


def test_only_rows_with_a_known_small_size_are_cached(tmp_path):
    cache = FrameCache(tmp_path, max_mb=1)
    assert cache.fits({"num_frames": 32, "width": 96, "height": 96})  # 0.84 MiB
    assert not cache.fits({"num_frames": 64, "width": 96, "height": 96})  # 1.7 MiB
    assert not cache.fits({"path": "real.mp4"})  # a real video's row: size unknown
    assert not cache.fits({"num_frames": None, "width": 96, "height": 96})


def test_training_samples_are_the_same_with_and_without_the_cache(tmp_path):
    video = make_video(tmp_path, "h264_mp4")
    row = {
        "path": video.name,
        "num_frames": 40,
        "width": 128,
        "height": 64,
        "labels": {"plausible": 1, **{k: 0 for k in ARTIFACT_LABELS}},
    }
    items = [Item(video, row)]
    augment = Augment(hflip=0.5, brightness=0.2, noise_prob=1.0, camera_prob=1.0)
    window = WindowSpec(num_frames=8, stride=2)

    def dataset(cache, train):
        return ClipDataset(
            items,
            ARTIFACT_LABELS,
            window,
            ClipTransform(32, augment if train else None),
            train=train,
            backend=BACKENDS[0],
            seed=3,
            frame_cache=cache,
        )

    cache = FrameCache(tmp_path / "cache")
    for train in (True, False):
        plain, cached = dataset(None, train), dataset(cache, train)
        for epoch in range(3):
            plain.epoch = cached.epoch = epoch
            a, b = plain[0], cached[0]
            assert torch.equal(a["video"], b["video"])
            assert torch.equal(a["frames"], b["frames"])
    assert len(_entries(tmp_path / "cache")) == 1


def _three_entries(tmp_path) -> tuple[FrameCache, list[Path], int]:
    """A cache holding three clips, used in the order a, b, c (c most recently)."""
    cache = FrameCache(tmp_path / "cache")
    videos = [make_video(tmp_path / name, "h264_mp4") for name in "abc"]
    for i, video in enumerate(videos):
        cache.read(video, [0], BACKENDS[0])
        meta = cache._paths(video, BACKENDS[0])[1]
        os.utime(meta, (1_000_000 + i, 1_000_000 + i))  # distinct last-use times
    entry = sum(p.stat().st_size for p in (tmp_path / "cache").rglob("*") if p.is_file()) // 3
    return cache, videos, entry


def test_prune_removes_the_entries_used_longest_ago_down_to_the_budget(tmp_path):
    cache, videos, entry = _three_entries(tmp_path)
    # Reading `a` again marks it used now: `b` is now the oldest.
    cache.read(videos[0], [1], BACKENDS[0])
    removed, freed = cache.prune(int(2.5 * entry))
    assert (removed, freed) == (1, entry)
    kept = {v.parent.name for v in videos if cache._paths(v, BACKENDS[0])[1].exists()}
    assert kept == {"a", "c"}
    assert len(_entries(tmp_path / "cache")) == 2
    assert cache.prune(10**12) == (0, 0)  # under budget: nothing goes
    assert cache.prune(0) == (2, 2 * entry)
    assert _entries(tmp_path / "cache") == []
    # A pruned clip is decoded again on its next read.
    frames, _ = cache.read(videos[1], [3], BACKENDS[0])
    assert decode_index(frames[0]) == 3


def test_prune_removes_old_incomplete_files_and_leaves_fresh_ones(tmp_path):
    cache, videos, entry = _three_entries(tmp_path)
    folder = next(p for p in (tmp_path / "cache").iterdir() if p.is_dir())
    old_tmp, new_tmp = folder / ".x.npy.abc", folder / ".y.npy.def"
    orphan = folder / ("f" * 40 + ".npy")  # frames whose .json never came
    for f in (old_tmp, new_tmp, orphan):
        f.write_bytes(b"partial")
    os.utime(old_tmp, (0, 0))
    os.utime(orphan, (0, 0))
    removed, freed = cache.prune(10**12)
    assert (removed, freed) == (2, 2 * len(b"partial"))
    assert new_tmp.exists() and not old_tmp.exists() and not orphan.exists()
    assert len(_entries(tmp_path / "cache")) == 3  # complete entries untouched


def test_the_datamodule_prunes_its_cache_when_preparing_data(tmp_path):
    from judge.data.datamodule import ClipDataModule

    cache, videos, entry = _three_entries(tmp_path)
    manifest = tmp_path / "manifest.jsonl"
    manifest.write_text('{"path": "a/clip.mp4", "labels": {"plausible": 1}}\n')
    dm = ClipDataModule([str(manifest)], frame_cache=str(cache.root), frame_cache_gb=0.0)
    dm.prepare_data()
    assert _entries(tmp_path / "cache") == []
    kept = ClipDataModule([str(manifest)], frame_cache=str(cache.root), frame_cache_gb=None)
    cache.read(videos[0], [0], BACKENDS[0])
    kept.prepare_data()  # no budget: everything stays
    assert len(_entries(tmp_path / "cache")) == 1
