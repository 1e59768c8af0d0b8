"""Judge.load + Judge.score end to end: records, bad files, long and short videos, onsets."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest
import torch
from scoring_fixtures import LABELS, NUM_FRAMES, make_bad_files, make_checkpoint, make_clip
from torch import nn

from judge.inference.judge import Judge
from judge.io.writer import write_video

RECORD_TYPES = {
    "path": str,
    "status": str,
    "error": (str, type(None)),
    "plausibility": (float, type(None)),
    "scores": dict,
    "onsets": dict,
    "windows": int,
    "model": str,
    "decoder": dict,
    "logits": dict,
    "num_frames": (int, type(None)),
    "fps": (float, type(None)),
    "onset_frames": dict,
    # Added with length-aware aggregation, scene cuts and the out-of-domain measure.
    "flagged": (bool, type(None)),
    "shots": (list, type(None)),
    "cuts": (list, type(None)),
    "ood_distance": (float, type(None)),
    "out_of_domain": (bool, type(None)),
}


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    """A folder of good, short, long and bad files, and a tiny judge checkpoint."""
    root = tmp_path_factory.mktemp("scoring")
    clips = root / "clips"
    good = make_clip(clips / "good.mp4", 12)
    make_clip(clips / "sub" / "wide.mp4", 10, h=32, w=96, seed=1)  # non-square, nested
    make_clip(clips / "short.mp4", 5, seed=2)  # fewer frames than one window: padded
    make_clip(clips / "single.mp4", 1, seed=3)  # one frame: too short to judge
    make_clip(clips / "long.mp4", 40, seed=4)
    bad = make_bad_files(clips, good)
    (clips / "readme.txt").write_text("not scored: no video extension")
    ckpt = make_checkpoint(root / "judge.ckpt")
    return {"root": root, "clips": clips, "good": good, "bad": bad, "ckpt": ckpt}


def by_name(records):
    return {r["path"].rsplit("/", 1)[-1]: r for r in records}


def test_folder_with_bad_files_goes_on_and_reports_each(videos):
    judge = Judge.load(videos["ckpt"], device="cpu")
    records = list(judge.score(videos["clips"], batch_size=4, num_workers=2))
    got = by_name(records)
    assert set(got) == {
        "good.mp4", "wide.mp4", "short.mp4", "single.mp4", "long.mp4",
        "truncated.mp4", "empty.mp4", "notes.mp4",
    }  # fmt: skip
    for name in ("good.mp4", "wide.mp4", "short.mp4", "long.mp4"):
        assert got[name]["status"] == "ok" and got[name]["error"] is None
    reasons = {
        "truncated.mp4": "truncated/corrupt",
        "notes.mp4": "not a video file",
        "empty.mp4": "empty file (0 bytes)",
        "single.mp4": "too short: 1 frame(s)",
    }
    for name, reason in reasons.items():
        r = got[name]
        assert r["status"] == "error" and reason in r["error"], r
        assert name in r["error"]  # the reason names the file
        assert r["plausibility"] is None and r["scores"] == {} and r["windows"] == 0
    assert NUM_FRAMES == 8  # the window counts below assume it
    # 40 frames, windows of 8 every 4: starts 0, 4, ..., 32 -> 9 windows, the last at the end.
    assert got["long.mp4"]["windows"] == 9
    assert got["good.mp4"]["windows"] == 2  # starts 0 and 4 (aligned to the end)
    assert got["short.mp4"]["windows"] == 1  # padded by repeating the last frame


def test_record_schema_and_score_arithmetic(videos):
    judge = Judge.load(videos["ckpt"], device="cpu")
    (rec,) = judge.score(videos["good"], num_workers=0)
    assert list(rec) == list(RECORD_TYPES)
    for key, types in RECORD_TYPES.items():
        assert isinstance(rec[key], types), key
    assert set(rec["scores"]) == set(LABELS) == set(rec["onsets"])
    assert set(rec["logits"]) == {*LABELS, "plausible"}
    for name in LABELS:
        assert rec["scores"][name] == pytest.approx(1 / (1 + math.exp(-rec["logits"][name])))
    assert rec["plausibility"] == pytest.approx(1 / (1 + math.exp(-rec["logits"]["plausible"])))
    assert rec["decoder"]["name"] in ("decord", "pyav") and rec["decoder"]["version"]
    assert rec["model"] == judge.name and rec["model"].startswith("tiny3d:")
    assert rec["num_frames"] == 12 and rec["fps"] == pytest.approx(15.0)
    json.dumps(rec, allow_nan=False)  # plain JSON


def test_workers_and_batch_sizes_agree(videos):
    judge = Judge.load(videos["ckpt"], device="cpu")
    threads = torch.get_num_threads()
    a = by_name(judge.score(videos["clips"], batch_size=3, num_workers=0))
    b = by_name(judge.score(videos["clips"], batch_size=16, num_workers=2, threads=1))
    assert torch.get_num_threads() == threads  # the model's threads are restored
    assert a.keys() == b.keys()
    for name in a:
        assert a[name]["status"] == b[name]["status"]
        for label, v in a[name]["logits"].items():
            assert b[name]["logits"][label] == pytest.approx(v, abs=1e-5)


def test_manifest_glob_and_duplicates(videos, tmp_path):
    clips = videos["clips"]
    manifest = tmp_path / "set.jsonl"
    rows = [{"path": str(clips / "good.mp4")}, {"path": "missing.mp4"}, {"nopath": 1}]
    manifest.write_text("\n".join(json.dumps(r) for r in rows) + "\n{not json\n")
    judge = Judge.load(videos["ckpt"], device="cpu")
    inputs = [manifest, str(clips / "*.mp4"), clips / "good.mp4", str(tmp_path / "none*.mp4")]
    records = list(judge.score(inputs, num_workers=0))
    paths = [r["path"] for r in records]
    assert sum(p.endswith("good.mp4") for p in paths) == 1  # named three times, scored once
    errors = {r["path"]: r["error"] for r in records if r["status"] == "error"}
    assert "file not found" in errors[str(tmp_path / "missing.mp4")]
    assert "no 'path'" in errors[f"{manifest}:3"]
    assert "invalid JSON" in errors[f"{manifest}:4"]
    assert "no file matches" in errors[str(tmp_path / "none*.mp4")]
    assert any(p.endswith("long.mp4") for p in paths)


def test_thresholds_and_temperatures_from_the_checkpoint(videos, tmp_path):
    ckpt = make_checkpoint(
        tmp_path / "cal.ckpt",
        temperatures={"teleport": 2.0, "plausible": 0.5},
        thresholds={"teleport": 0.0, **{k: 1.01 for k in LABELS[1:]}},
    )
    judge = Judge.load(ckpt, device="cpu")
    assert judge.temperatures["teleport"] == 2.0 and judge.threshold("vanish") == 1.01
    assert judge.threshold("unknown") == 0.5 and judge.temperature("vanish") == 1.0
    (rec,) = judge.score(videos["clips"] / "long.mp4", num_workers=0)
    assert rec["scores"]["teleport"] == pytest.approx(
        1 / (1 + math.exp(-rec["logits"]["teleport"] / 2.0))
    )
    assert rec["plausibility"] == pytest.approx(
        1 / (1 + math.exp(-rec["logits"]["plausible"] / 0.5))
    )
    onset = rec["onsets"]["teleport"]  # threshold 0: always reported, in seconds
    assert isinstance(onset, float) and 0.0 <= onset <= 39 / 15
    assert all(rec["onsets"][k] is None for k in LABELS[1:])  # thresholds above 1: never


class BrightnessModel(nn.Module):
    """A stand-in judge: every logit is the brightness of the window's frames, so the window
    and frame holding a flash are the argmaxes."""

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        per_frame = x.mean(dim=(1, 3, 4))  # (B, T)
        clip = per_frame.amax(dim=1)  # (B,)
        return {"labels": clip[:, None].repeat(1, 2), "plausible": -clip, "frames": per_frame}


@pytest.mark.parametrize(("model_fps", "flash"), [(None, 21), (7.5, 20)])
def test_onset_is_the_flash_time_in_the_best_window(tmp_path, model_fps, flash):
    frames = np.full((36, 32, 32, 3), 40, np.uint8)
    frames[flash] = 255
    path = write_video(tmp_path / "flash.mp4", frames, fps=15, crf=10)
    desc = {
        "labels": ["a", "b"],
        "model": {"backbone": "stub"},
        "input": {
            "num_frames": 6,
            "stride": 1,
            "fps": model_fps,
            "size": 16,
            "mean": [0.4] * 3,
            "std": [0.2] * 3,
        },
        "thresholds": {"a": 0.5, "b": 1.0},
    }
    judge = Judge(BrightnessModel(), desc, "cpu")
    (rec,) = judge.score(path, num_workers=0, batch_size=2, stride=2)
    assert rec["onsets"]["a"] == pytest.approx(flash / 15)
    assert rec["onsets"]["b"] is None
    # At 7.5 fps every other frame is read: 18 grid frames, windows of 6 every 2 -> 7.
    assert rec["windows"] == (7 if model_fps else 16)


def test_pad_and_crop_both_score_a_wide_video(videos):
    judge = Judge.load(videos["ckpt"], device="cpu")
    wide = videos["clips"] / "sub" / "wide.mp4"
    (crop,) = judge.score(wide, num_workers=0, fit="crop")
    (pad,) = judge.score(wide, num_workers=0, fit="pad")
    assert crop["status"] == pad["status"] == "ok"
    assert crop["logits"] != pad["logits"]  # they see different pixels
    with pytest.raises(ValueError, match="fit must be one of"):
        judge.score(wide, fit="stretch")


def test_a_hung_decoder_times_out_and_the_run_goes_on(videos, monkeypatch):
    import judge.inference.stream as stream

    real_open = stream.open_video

    def slow_open(path, backend="auto", **kw):
        if str(path).endswith("good.mp4"):
            import time

            time.sleep(3)
        return real_open(path, backend)

    monkeypatch.setattr(stream, "open_video", slow_open)
    judge = Judge.load(videos["ckpt"], device="cpu")
    inputs = [videos["good"], videos["clips"] / "short.mp4"]
    got = by_name(judge.score(inputs, num_workers=0, timeout=0.5))
    assert got["good.mp4"]["status"] == "error"
    assert "did not finish within 0.5 s" in got["good.mp4"]["error"]
    assert got["short.mp4"]["status"] == "ok"


def test_from_judge_import_judge_is_lazy():
    code = (
        "import sys, judge; assert 'torch' not in sys.modules; "
        "from judge import Judge; print(Judge.__module__, 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["judge.inference.judge", "True"]


def test_a_read_failing_midway_drops_the_video_not_the_run(videos, monkeypatch):
    import judge.inference.stream as stream
    from judge.io.video import VideoReadError

    real_open = stream.open_video

    def flaky_open(path, backend="auto", **kw):
        reader = real_open(path, backend)
        if str(path).endswith("long.mp4"):
            real_get, calls = reader.get, []

            def get(indices):
                calls.append(1)
                if len(calls) > 1:  # the second piece of the long video fails
                    raise VideoReadError(path, "truncated or corrupt: decoding failed")
                return real_get(indices)

            reader.get = get
        return reader

    monkeypatch.setattr(stream, "open_video", flaky_open)
    judge = Judge.load(videos["ckpt"], device="cpu")
    clips = videos["clips"]
    inputs = [clips / "long.mp4", clips / "good.mp4"]
    records = list(judge.score(inputs, num_workers=0, batch_size=2))  # pieces of 2 windows
    got = by_name(records)
    assert len(records) == 2
    assert got["long.mp4"]["status"] == "error" and "decoding failed" in got["long.mp4"]["error"]
    assert got["good.mp4"]["status"] == "ok" and got["good.mp4"]["windows"] == 2


def test_frame_scores_cover_every_source_frame(videos):
    judge = Judge.load(videos["ckpt"], device="cpu")
    plain = by_name(judge.score(videos["clips"], num_workers=0))
    got = by_name(judge.score(videos["clips"], batch_size=3, num_workers=2, frame_scores=True))
    for name, frames in (("good.mp4", 12), ("short.mp4", 5), ("long.mp4", 40)):
        rec = got[name]
        assert "frame_scores" not in plain[name]
        curve = np.asarray(rec["frame_scores"])
        assert curve.shape == (frames,) and ((curve >= 0) & (curve <= 1)).all()
        assert set(rec["onset_frames"]) == set(LABELS)
        assert all(0 <= f < frames for f in rec["onset_frames"].values())
        for label, seconds in rec["onsets"].items():  # thresholded onsets are the same frames
            if seconds is not None:
                assert seconds * rec["fps"] == pytest.approx(rec["onset_frames"][label])
        assert rec["scores"] == pytest.approx(plain[name]["scores"])


def test_frame_curve_is_the_max_over_windows_and_fills_gaps():
    from judge.inference.aggregate import VideoScore

    score = VideoScore("v.mp4", total=2, num_frames=7, fps=10.0, decoder={}, frame_scores=True)
    logit = lambda p: math.log(p / (1 - p))  # noqa: E731
    frames = np.array([[logit(0.1), logit(0.9), logit(0.2)], [logit(0.3), logit(0.4), logit(0.5)]])
    src = np.array([[0, 1, 2], [2, 3, 5]])  # frame 2 in both windows; frames 4 and 6 in none
    labels = np.array([[0.0, 2.0], [1.0, -1.0]])
    score.update(labels, np.zeros(2), frames, src)
    rec = score.record(["a", "b"], {}, {}, "m")
    assert rec["frame_scores"] == pytest.approx([0.1, 0.9, 0.3, 0.4, 0.4, 0.5, 0.5], abs=1e-5)
    # label a peaks in window 1 (onset head's argmax: source frame 5), b in window 0 (frame 1)
    assert rec["onset_frames"] == {"a": 5, "b": 1}
    assert rec["onsets"] == {"a": pytest.approx(0.5), "b": pytest.approx(0.1)}
