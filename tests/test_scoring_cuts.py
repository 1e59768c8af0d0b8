"""Hard scene cuts: the detector (`judge/inference/cuts.py`), the shot planner, and scoring.

The detector is tested on synthetic clips written as H.264 (crf 28) and read back at the tiny
judge's size, as scoring sees them:
- two different scenes joined give exactly one cut, at the join;
- one shot with fast motion, a camera pan, or a brief (1 or 2 frame) brightness flash gives none.
Scoring a cut video with `cuts="split"` gives windows that never straddle the cut (checked on the
windows' source frames) and lists both shots; `cuts="artifact"` lays windows over the whole
video as before and flags the video.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from scoring_fixtures import NUM_FRAMES, SIZE, make_checkpoint, moving_square

from judge.inference.cuts import CutDetector, find_cuts, shots_of, signature
from judge.inference.judge import Judge
from judge.inference.stream import ReadOptions, WindowStream
from judge.inference.windows import ShotPlanner, fit_frames, plan_windows
from judge.io.video import open_video
from judge.io.writer import write_video

H, W = 48, 64


def other_scene(n: int, seed: int = 5) -> np.ndarray:
    """uint8 `(n, H, W, 3)`: a colour gradient with a red ball rolling across (not the
    `moving_square` scene: another palette and layout)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:H, 0:W]
    base = np.stack([20 + 2 * xx, 60 + yy, 200 - xx], -1)
    out = np.empty((n, H, W, 3), np.uint8)
    for t in range(n):
        f = base + rng.integers(-8, 8, base.shape)
        f[(yy - 24) ** 2 + (xx - (5 * t) % W) ** 2 < 36] = (230, 30, 30)
        out[t] = f.clip(0, 255)
    return out


def camera_pan(n: int, speed: int = 6, seed: int = 3) -> np.ndarray:
    """A camera panning `speed` px a frame over a large smooth random texture."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (H // 4, (W + speed * n) // 4 + 1, 3), dtype=np.uint8)
    big = np.asarray(Image.fromarray(small).resize((small.shape[1] * 4, H), Image.BILINEAR))
    return np.stack([big[:, speed * t : speed * t + W] for t in range(n)])


def fast_motion(n: int) -> np.ndarray:
    """A large white square (20 x 20 of 48 x 64) jumping 11 and 7 px a frame, bouncing."""
    out = np.full((n, H, W, 3), 70, np.uint8)
    for t in range(n):
        x, y = (11 * t) % (W - 20), (7 * t) % (H - 20)
        out[t, y : y + 20, x : x + 20] = 240
    return out


def flashed(n: int, frames: tuple[int, ...]) -> np.ndarray:
    """`moving_square` with the given frames brightened by 120 levels (a camera flash)."""
    out = moving_square(n).astype(np.int16)
    for t in frames:
        out[t] += 120
    return out.clip(0, 255).astype(np.uint8)


def joined(first: int, second: int) -> np.ndarray:
    return np.concatenate([moving_square(first), other_scene(second)])


def as_scored(path, size: int = SIZE, fit: str = "crop") -> np.ndarray:
    """The file's frames as the cut detector sees them: decoded, centre-cropped and resized;
    with tiles, the frame's tiles side by side (`stream._whole`)."""
    from judge.inference.stream import _whole

    reader = open_video(path, "auto")
    try:
        frames = reader.get(list(range(reader.num_frames)))
    finally:
        reader.close()
    fitted = fit_frames(frames, size, fit)
    return np.stack([_whole(f) for f in fitted])


def written(tmp_path, name: str, frames: np.ndarray):
    return write_video(tmp_path / name, frames, fps=15, crf=28, preset="fast")


# ---------------------------------------------------------------- the detector


@pytest.mark.parametrize(("first", "second"), [(20, 20), (9, 31), (30, 6)])
@pytest.mark.parametrize("size", [SIZE, 112])
@pytest.mark.parametrize("fit", ["crop", "tiles"])
def test_two_scenes_joined_give_one_cut_at_the_join(tmp_path, first, second, size, fit):
    path = written(tmp_path, "two.mp4", joined(first, second))
    assert find_cuts(as_scored(path, size, fit)) == [first]


@pytest.mark.parametrize(
    "name",
    ["fast_motion", "camera_pan", "flash_1_frame", "flash_2_frames", "flash_at_start_of_shot"],
)
@pytest.mark.parametrize("fit", ["crop", "tiles"])
def test_one_shot_with_motion_a_pan_or_a_flash_has_no_cut(tmp_path, name, fit):
    frames = {
        "fast_motion": lambda: fast_motion(40),
        "camera_pan": lambda: camera_pan(40),
        "flash_1_frame": lambda: flashed(40, (17,)),
        "flash_2_frames": lambda: flashed(40, (17, 18)),
        "flash_at_start_of_shot": lambda: flashed(40, (3,)),
    }[name]()
    path = written(tmp_path, f"{name}.mp4", frames)
    assert find_cuts(as_scored(path, fit=fit)) == []


def test_the_rules_each_matter(tmp_path):
    """Without the flash rule a flash would be two cuts; fast motion clears the floor, and
    without the flash rule only the ratio to its neighbourhood keeps it from being cuts."""
    from judge.inference import cuts

    flash = as_scored(written(tmp_path, "flash.mp4", flashed(40, (17,))))
    motion = as_scored(written(tmp_path, "fast.mp4", fast_motion(40)))
    sigs = [signature(f) for f in motion]
    steps = [cuts.distance(a, b) for a, b in zip(sigs, sigs[1:], strict=False)]
    assert max(steps) >= cuts.FLOOR  # the floor alone would call cuts here
    saved = cuts.FLASH, cuts.RATIO
    try:
        cuts.FLASH = 1  # compare only the two frames at the step
        assert find_cuts(flash) == [17, 18]
        assert find_cuts(motion) == []
        cuts.RATIO = 0.0
        assert len(find_cuts(motion)) >= 3
    finally:
        cuts.FLASH, cuts.RATIO = saved


def test_detector_streams_with_bounded_memory_and_a_short_lookahead():
    frames = np.concatenate([moving_square(30), other_scene(30)])
    det = CutDetector()
    found = []
    for t, frame in enumerate(frames):
        found += det.push(signature(frame))
        assert det.decided == max(0, t + 1 - 4)  # LOOKAHEAD = 4 frames behind
        assert len(det._sigs) <= 8 and len(det._steps) <= 9
        if t == 34:
            assert found == [30]  # decided 4 frames after the join, before the end
    assert found + det.finish() == [30]
    assert det.decided == 60


def test_shots_follow_from_the_cuts():
    assert shots_of([], 40) == [[0, 39]]
    assert shots_of([20, 31], 40) == [[0, 19], [20, 30], [31, 39]]


# ---------------------------------------------------------------- the planner


@pytest.mark.parametrize("t", [1, 4, 8])
@pytest.mark.parametrize("hop", [None, 1, 3, 8, 11])
def test_planner_without_cuts_plans_exactly_plan_windows(t, hop):
    rng = np.random.default_rng(t)
    for k in range(1, 45):
        plan = plan_windows(k, t, hop=hop)
        want = plan.steps(0, plan.num_windows)
        planner, got, known = ShotPlanner(t, hop), [], 0
        while known < k:  # frames become known in irregular chunks
            known = min(k, known + int(rng.integers(1, 6)))
            got += planner.advance(known)
        got += planner.close_shot(k)
        np.testing.assert_array_equal(np.stack(got), want)


def test_planner_splits_at_cuts_and_pads_short_shots():
    planner = ShotPlanner(8, 4)
    windows = planner.advance(18) + planner.close_shot(20)  # shot [0, 20)
    windows += planner.close_shot(25)  # a 5-step shot: one padded window
    windows += planner.advance(40) + planner.close_shot(41)  # shot [25, 41)
    starts = [int(w[0]) for w in windows]
    # The last shot's hop-aligned window 33 already ends on its last step: not planned twice.
    assert starts == [0, 4, 8, 12, 20, 25, 29, 33]
    assert windows[4].tolist() == [20, 21, 22, 23, 24, 24, 24, 24]
    assert windows[-1].tolist() == list(range(33, 41))
    for w in windows:  # no window holds steps of two shots
        assert len({int(np.searchsorted([20, 25], s, side="right")) for s in w}) == 1


# ---------------------------------------------------------------- scoring


@pytest.fixture(scope="module")
def judge_ckpt(tmp_path_factory):
    return make_checkpoint(tmp_path_factory.mktemp("cuts") / "judge.ckpt")


def pieces(path, judge, cuts="split", **kw):
    opts = ReadOptions(spec=judge.spec, cuts=cuts, **kw)
    return list(WindowStream([str(path)], opts))


def test_split_scoring_never_straddles_a_cut_and_lists_both_shots(tmp_path, judge_ckpt):
    assert NUM_FRAMES == 8  # windows of 8 every 4 below
    path = written(tmp_path, "two.mp4", joined(20, 17))
    judge = Judge.load(judge_ckpt, device="cpu")
    got = pieces(path, judge, piece_windows=3, max_decode_frames=5)
    assert [p["error"] for p in got] == [None] * len(got)
    assert [p["last"] for p in got] == [False] * (len(got) - 1) + [True]
    assert got[-1]["cuts"] == [20] and all(p["cuts"] is None for p in got[:-1])
    src = np.concatenate([p["frames"].numpy() for p in got])
    assert [p["first"] for p in got] == list(np.cumsum([0] + [len(p["take"]) for p in got])[:-1])
    for window in src:  # all before the cut or all after it
        assert window.max() < 20 or window.min() >= 20, window
    # Each shot is planned as a video of its own: [0, 20) then [20, 37).
    assert [int(w[0]) for w in src] == [0, 4, 8, 12, 20, 24, 28, 29]
    assert src[3].tolist() == list(range(12, 20)) and src[-1].tolist() == list(range(29, 37))

    (rec,) = judge.score(path, num_workers=0, batch_size=3)
    assert rec["status"] == "ok" and rec["cuts"] == [20]
    assert rec["shots"] == [[0, 19], [20, 36]] and rec["windows"] == 8
    assert rec["plausibility"] == pytest.approx(1 / (1 + np.exp(-rec["logits"]["plausible"])))


def test_a_shot_shorter_than_a_window_is_padded(tmp_path, judge_ckpt):
    path = written(tmp_path, "tail.mp4", joined(20, 5))
    judge = Judge.load(judge_ckpt, device="cpu")
    src = np.concatenate([p["frames"].numpy() for p in pieces(path, judge)])
    assert src[-1].tolist() == [20, 21, 22, 23, 24, 24, 24, 24]
    (rec,) = judge.score(path, num_workers=0)
    assert rec["shots"] == [[0, 19], [20, 24]] and rec["windows"] == 5


def test_artifact_mode_plans_over_the_whole_video_and_flags_a_cut(tmp_path, judge_ckpt):
    path = written(tmp_path, "two.mp4", joined(20, 17))
    plain = written(tmp_path, "one.mp4", moving_square(37))
    judge = Judge.load(judge_ckpt, device="cpu")
    src = np.concatenate([p["frames"].numpy() for p in pieces(path, judge, cuts="artifact")])
    plan = plan_windows(37, NUM_FRAMES)
    np.testing.assert_array_equal(src, plan.grid[plan.steps(0, plan.num_windows)])

    recs = {r["path"].rsplit("/", 1)[-1]: r for r in judge.score([path, plain], num_workers=0)}
    art = {
        r["path"].rsplit("/", 1)[-1]: r
        for r in judge.score([path, plain], num_workers=0, cuts="artifact")
    }
    cut = art["two.mp4"]
    assert cut["cuts"] == [20] and cut["shots"] == [[0, 19], [20, 36]]
    assert cut["plausibility"] == 0.0 and cut["flagged"] is True and cut["windows"] == 9
    assert recs["two.mp4"]["windows"] == 8  # split: the shots' windows
    # Without a cut the two modes are the same scoring.
    assert art["one.mp4"]["cuts"] == [] and art["one.mp4"]["shots"] == [[0, 36]]
    assert art["one.mp4"]["logits"] == pytest.approx(recs["one.mp4"]["logits"], abs=1e-6)
    assert art["one.mp4"]["plausibility"] == pytest.approx(recs["one.mp4"]["plausibility"])
    with pytest.raises(ValueError, match="cuts must be one of"):
        judge.score(path, cuts="ignore")


def test_each_frame_is_decoded_once_in_small_chunks(tmp_path, judge_ckpt, monkeypatch):
    """Cut detection adds no decoding: every grid frame is read once, in order, in chunks of
    at most `max_decode_frames`, for a video with a cut as for one without."""
    import judge.inference.stream as stream

    calls: list[list[int]] = []
    real_open = stream.open_video

    def counting_open(path, backend="auto", **kw):
        reader = real_open(path, backend, **kw)
        real_get = reader.get

        def get(indices):
            calls.append(list(indices))
            return real_get(indices)

        reader.get = get
        return reader

    monkeypatch.setattr(stream, "open_video", counting_open)
    judge = Judge.load(judge_ckpt, device="cpu")
    path = written(tmp_path, "two.mp4", joined(30, 31))
    for cuts in ("split", "artifact"):
        calls.clear()
        got = pieces(path, judge, cuts=cuts, piece_windows=2, max_decode_frames=6)
        assert got[-1]["cuts"] == [30]
        assert sum(calls, []) == list(range(61)) and max(map(len, calls)) <= 6
        # A piece holds only the frames its windows use (at most 2 windows x 8 frames).
        assert max(p["pixels"].shape[0] for p in got) <= 16


def test_on_a_resampled_grid_a_cut_is_placed_on_the_next_grid_frame(tmp_path):
    """At a model fps of half the file's, the grid reads every other frame: a join after frame
    20 is reported at the first grid frame of the new shot, 22."""
    ckpt = make_checkpoint(tmp_path / "half.ckpt", fps=7.5)
    judge = Judge.load(ckpt, device="cpu")
    path = written(tmp_path, "odd.mp4", joined(21, 27))  # 15 fps, new scene from frame 21
    got = pieces(path, judge)
    src = np.concatenate([p["frames"].numpy() for p in got])
    assert got[-1]["cuts"] == [22] and (src % 2 == 0).all()
    assert all(w.max() < 22 or w.min() >= 22 for w in src)
    (rec,) = judge.score(path, num_workers=0)
    assert rec["cuts"] == [22] and rec["shots"] == [[0, 21], [22, 47]]
