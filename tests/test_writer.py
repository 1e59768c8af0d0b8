import hashlib
from fractions import Fraction

import numpy as np
import pytest

from judge.io.writer import decode_video, rgb_to_yuv420p, write_video

T, H, W = 12, 48, 64


def square_clip() -> np.ndarray:
    """(T, H, W, 3) uint8: grey background, a white 12x12 square moving 3 px right a frame."""
    frames = np.full((T, H, W, 3), 60, dtype=np.uint8)
    for t in range(T):
        frames[t, 18:30, 4 + 3 * t : 16 + 3 * t] = 255
    return frames


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_frames_same_bytes(tmp_path):
    frames = square_clip()
    rng = np.random.default_rng(0)
    noisy = np.clip(frames + rng.integers(-20, 21, frames.shape), 0, 255).astype(np.uint8)
    digests = {sha(write_video(tmp_path / f"{i}.mp4", noisy, fps=15)) for i in range(3)}
    assert len(digests) == 1
    # ... and the bytes depend on the content (not a constant output).
    assert sha(write_video(tmp_path / "other.mp4", frames, fps=15)) not in digests


def test_decodes_to_same_count_size_and_content(tmp_path):
    frames = square_clip()
    path = write_video(tmp_path / "clip.mp4", frames, fps=15, crf=18)
    decoded = decode_video(path)
    assert decoded.shape == frames.shape and decoded.dtype == np.uint8
    assert np.abs(decoded.astype(int) - frames).mean() < 3
    for t in range(T):
        # The square's interior is white and where it was drawn: no frame dropped or repeated.
        luma = decoded[t].mean(axis=-1)
        assert luma[20:28, 6 + 3 * t : 14 + 3 * t].min() > 200
        cols = np.flatnonzero(luma[24] > 150)
        assert abs(cols.min() - (4 + 3 * t)) <= 1 and abs(cols.max() - (15 + 3 * t)) <= 1


def test_fractional_fps_and_timestamps(tmp_path):
    import av

    path = write_video(tmp_path / "ntsc.mp4", square_clip(), fps=29.97)
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        assert s.average_rate == Fraction(2997, 100)
        times = [f.time for f in c.decode(s)]
    assert len(times) == T
    assert times == pytest.approx([i * 100 / 2997 for i in range(T)], abs=1e-3)


def test_rgb_to_yuv_reference_values():
    rgb = np.zeros((2, 4, 3), np.uint8)
    rgb[:, :2] = 255  # white block
    rgb[:, 2:] = (255, 0, 0)  # red block
    y, u, v = rgb_to_yuv420p(rgb)
    assert y.shape == (2, 4) and u.shape == v.shape == (1, 2)
    assert y[0, 0] == 235 and (u[0, 0], v[0, 0]) == (128, 128)
    # BT.601 limited range pure red: Y 81, Cb 90, Cr 240.
    assert (y[0, 3], u[0, 1], v[0, 1]) == (81, 90, 240)


def test_odd_size_raises_naming_path(tmp_path):
    path = tmp_path / "odd.mp4"
    with pytest.raises(ValueError, match=r"odd\.mp4.*63x48"):
        write_video(path, np.zeros((2, 48, 63, 3), np.uint8), fps=15)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "frames",
    [np.zeros((2, 48, 64, 3), np.float32), np.zeros((48, 64, 3), np.uint8), np.zeros((0, 4, 4, 3))],
)
def test_bad_frames_raise(tmp_path, frames):
    with pytest.raises(ValueError, match="bad.mp4"):
        write_video(tmp_path / "bad.mp4", frames, fps=15)


def test_decode_errors_name_the_file(tmp_path):
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video at all" * 10)
    with pytest.raises(ValueError, match="junk.mp4"):
        decode_video(junk)
    with pytest.raises(ValueError, match="missing.mp4"):
        decode_video(tmp_path / "missing.mp4")
