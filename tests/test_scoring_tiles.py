"""The "tiles" fit: a non-square frame is read as squares over its whole width (or height),
each exactly as validation reads its centre square, and a window's tiles are joined by the
max of their artifact evidence; on a square frame it is the crop."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from scoring_fixtures import SIZE, make_checkpoint, moving_square

from judge.data.preprocess import fit_frames, prepare_window, tile_boxes
from judge.data.transforms import MEAN, STD
from judge.inference.aggregate import reduce_tiles
from judge.inference.judge import Judge
from judge.inference.stream import ReadOptions, WindowStream
from judge.inference.windows import build_windows
from judge.io.writer import write_video


@pytest.mark.parametrize(
    ("h", "w", "boxes"),
    [
        (64, 64, [(0, 0, 64)]),
        (64, 68, [(0, 2, 64)]),  # within 1.1: the centre square, as "crop"
        (64, 112, [(0, 0, 64), (0, 48, 64)]),  # 16:9: two, at both ends
        (48, 64, [(0, 0, 48), (0, 16, 48)]),  # 4:3
        (50, 120, [(0, 0, 50), (0, 35, 50), (0, 70, 50)]),  # 2.4:1: three
        (112, 64, [(0, 0, 64), (48, 0, 64)]),  # portrait: down the frame
    ],
)
def test_tiles_cover_the_frame(h, w, boxes):
    assert tile_boxes(h, w) == boxes
    covered = np.zeros((h, w), bool)
    for y0, x0, side in boxes:
        covered[y0 : y0 + side, x0 : x0 + side] = True
    assert covered.all() or len(boxes) == 1


def test_each_tile_is_read_as_validation_reads_a_square():
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (4, 30, 54, 3), dtype=np.uint8)
    tiles = fit_frames(frames, 16, "tiles")
    assert tiles.shape == (4, 2, 16, 16, 3)
    for k, (y0, x0, side) in enumerate(tile_boxes(30, 54)):
        square = frames[:, y0 : y0 + side, x0 : x0 + side]
        assert np.array_equal(tiles[:, k], fit_frames(square, 16, "crop"))
    square = rng.integers(0, 256, (2, 20, 20, 3), dtype=np.uint8)
    assert np.array_equal(fit_frames(square, 16, "tiles")[:, 0], fit_frames(square, 16, "crop"))
    with pytest.raises(ValueError, match="tiles"):
        prepare_window(frames, 16, MEAN, STD, "tiles")


def test_the_stream_gives_every_tile_of_every_window(tmp_path):
    frames = moving_square(16, h=48, w=96)
    path = write_video(tmp_path / "wide.mp4", frames, fps=15, crf=0)
    spec = {"num_frames": 8, "stride": 1, "fps": None, "size": SIZE,
            "mean": list(MEAN), "std": list(STD)}  # fmt: skip
    read = {}
    for fit in ("tiles", "crop"):
        options = ReadOptions(spec, fit=fit, timeout=None, decoder_resize=False)
        pieces = list(WindowStream([str(path)], options).pieces(0, _entry(path)))
        assert all(p["error"] is None for p in pieces)
        read[fit] = (pieces, build_windows([(p["pixels"], p["take"]) for p in pieces], MEAN, STD))
    pieces, tiled = read["tiles"]
    n = sum(len(p["take"]) for p in pieces)
    assert pieces[0]["take"].shape[1:] == (2, 8) and tiled.shape == (2 * n, 3, 8, SIZE, SIZE)
    from judge.io.video import read_frames

    decoded, _ = read_frames(path, None)
    window = pieces[0]["frames"][0].numpy()
    for k, (y0, x0, side) in enumerate(tile_boxes(48, 96)):
        crop = decoded[window, y0 : y0 + side, x0 : x0 + side]
        assert torch.equal(tiled[k], prepare_window(crop, SIZE, MEAN, STD, "crop"))
    assert len(read["crop"][1]) == n


def test_a_windows_tiles_join_by_their_strongest_evidence():
    labels = np.array([[0.0, 2.0], [1.0, -1.0], [5.0, 5.0], [4.0, 6.0]])  # 2 windows x 2 tiles
    plausible = np.array([3.0, -2.0, 1.0, 0.5])
    frames = np.array([[0.0, 1.0, 0.0], [2.0, 0.0, 0.0], [0.0] * 3, [0.0, 0.0, 3.0]])
    out = reduce_tiles(labels, plausible, frames, np.array([1.0, 3.0, 2.0, 2.0]), 2)
    assert out[0].tolist() == [[1.0, 2.0], [5.0, 6.0]] and out[1].tolist() == [-2.0, 0.5]
    assert out[2].tolist() == [[2.0, 1.0, 0.0], [0.0, 0.0, 3.0]] and out[3].tolist() == [2, 2]
    assert reduce_tiles(labels, plausible, frames, None, 1)[0] is labels
    with pytest.raises(ValueError, match="whole windows of 3 tiles"):
        reduce_tiles(labels, plausible, frames, None, 3)


def test_a_tiled_score_is_the_worst_of_its_tiles_scored_alone(tmp_path):
    # One window a video: the wide video's record under "tiles" holds, per label, the max of
    # the logits its two squares get as videos of their own, and the min plausible logit.
    frames = moving_square(8, h=32, w=56, seed=3)
    wide = write_video(tmp_path / "wide.mp4", frames, fps=15, crf=0)
    parts = []
    for k, (y0, x0, side) in enumerate(tile_boxes(32, 56)):
        square = np.ascontiguousarray(frames[:, y0 : y0 + side, x0 : x0 + side])
        parts.append(write_video(tmp_path / f"tile{k}.mp4", square, fps=15, crf=0))
    judge = Judge.load(make_checkpoint(tmp_path / "j.ckpt"), device="cpu")
    kw = {"num_workers": 0, "backend": "pyav"}
    (tiled,) = judge.score(str(wide), fit="tiles", **kw)
    alone = [next(judge.score(str(p), fit="crop", **kw)) for p in parts]
    for label, logit in tiled["logits"].items():
        worst = (min if label == "plausible" else max)(a["logits"][label] for a in alone)
        assert logit == pytest.approx(worst, abs=1e-5), label
    (cropped,) = judge.score(str(wide), fit="crop", **kw)
    assert cropped["logits"] != tiled["logits"]
    assert json.loads(json.dumps(tiled))["windows"] == 1


def _entry(path):
    from judge.inference.inputs import Entry

    return Entry(str(path))
