"""Contact sheets (judge.report.sheets): frame windows, onset outlines, unreadable videos."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from video_fixtures import decode_indices, make_bad_files, make_video

import judge.report.sheets as sheets
from judge.io.video import VideoReadError
from judge.report.sheets import clip_sheet, frame_window, group_sheet

T = 20


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_video(tmp_path_factory.mktemp("clips"), "h264_mp4", num_frames=T)


@pytest.fixture
def shown(monkeypatch):
    """The frame indices drawn into the pixels of every frame set a sheet reads, in order."""
    seen: list[list[int]] = []
    read = sheets.read_frames

    def spy(*args, **kwargs):
        frames, info = read(*args, **kwargs)
        seen.append(decode_indices(frames))
        return frames, info

    monkeypatch.setattr(sheets, "read_frames", spy)
    return seen


def pixels(path) -> np.ndarray:
    with Image.open(path) as im:
        assert im.format == "PNG"
        return np.asarray(im.convert("RGB")).astype(int)


def count_red(rgb: np.ndarray) -> int:
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    return int(((r > 180) & (g < 80) & (b < 80)).sum())


def count_green(rgb: np.ndarray) -> int:
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    return int(((g > 80) & (r < 70) & (b < 70) & (g - r > 50)).sum())


@pytest.mark.parametrize(
    ("center", "num_frames", "total", "expected"),
    [
        (10, 6, 40, list(range(8, 14))),  # center - 2 .. center + 3
        (0, 6, 40, list(range(0, 6))),
        (1, 6, 40, list(range(0, 6))),
        (39, 6, 40, list(range(34, 40))),
        (37, 6, 40, list(range(34, 40))),
        (2, 6, 4, [0, 1, 2, 3]),  # shorter than the window: every frame once
        (5, 6, 6, list(range(6))),
        (5, 1, 40, [5]),  # the centre itself is always shown
        (5, 2, 40, [5, 6]),
        (5, 4, 40, [4, 5, 6, 7]),
    ],
)
def test_frame_window(center, num_frames, total, expected):
    assert frame_window(center, num_frames, total) == expected


def test_frame_window_rejects_empty_window():
    with pytest.raises(ValueError):
        frame_window(3, 0, 10)


def test_clip_sheet_shows_window_and_outlines_onsets(tmp_path, clip, shown):
    curve = np.linspace(0, 1, T)
    path = clip_sheet(
        clip,
        tmp_path / "sheets" / "clip.png",
        center=T - 1,
        curve=curve,
        true_onset=T - 3,
        pred_onset=T - 2,
        title=f"{clip.name}\nteleport 0.93",
        thumb=96,
    )
    assert shown == [list(range(T - 6, T))]  # window shifted inside the clip at its end
    rgb = pixels(path)
    assert rgb.shape[0] >= 96 + 150  # frame row + curve panel
    assert rgb.shape[1] >= 6 * 96 * 2 * 0.9  # fixture frames are twice as wide as tall
    assert count_red(rgb) > 200 and count_green(rgb) > 200
    assert [p.name for p in path.parent.iterdir()] == ["clip.png"]  # atomic: no debris


def test_clip_sheet_without_onsets_or_curve_has_no_outline(tmp_path, clip, shown):
    path = clip_sheet(clip, tmp_path / "plain.png", center=0, thumb=64)
    assert shown == [list(range(6))]
    rgb = pixels(path)
    assert count_red(rgb) == 0 and count_green(rgb) == 0
    assert 64 <= rgb.shape[0] < 64 + 100  # no curve panel


def test_clip_sheet_outlines_only_shown_frames(tmp_path, clip):
    # Onsets outside the window and no curve: nothing to outline or mark.
    path = clip_sheet(clip, tmp_path / "far.png", center=2, true_onset=15, pred_onset=16)
    rgb = pixels(path)
    assert count_red(rgb) == 0 and count_green(rgb) == 0
    path = clip_sheet(clip, tmp_path / "near.png", center=2, true_onset=3, pred_onset=3)
    assert count_red(pixels(path)) > 200 and count_green(pixels(path)) > 100  # both outlines


def test_clip_sheet_on_unreadable_video_raises(tmp_path, clip):
    bad = make_bad_files(tmp_path / "bad", clip)
    for name in ("missing", "text"):
        with pytest.raises(VideoReadError):
            clip_sheet(bad[name], tmp_path / f"{name}.png", center=0)
        assert not (tmp_path / f"{name}.png").exists()


def test_group_sheet_rows_captions_and_unreadable(tmp_path, clip, shown, monkeypatch):
    texts: list[str] = []
    save = sheets.save_png

    def spy(fig, path, dpi):
        texts.extend(t.get_text() for t in fig.texts)
        for ax in fig.axes:
            texts.extend(t.get_text() for t in ax.texts)
        return save(fig, path, dpi)

    monkeypatch.setattr(sheets, "save_png", spy)
    candidates = [
        {"path": clip, "caption": "#1  plausibility 0.97\nclean", "flagged": False},
        {
            "path": tmp_path / "gone.mp4",
            "caption": "#2  plausibility 0.40\nteleport",
            "flagged": True,
        },
        {"path": clip, "caption": "#3  plausibility 0.10\nvanish", "flagged": True},
    ]
    path = group_sheet(candidates, tmp_path / "group.png", title="prompt 7", num_frames=4)
    assert shown == [[0, 6, 13, 19], [0, 6, 13, 19]]  # evenly spaced, the missing one skipped
    assert "unreadable: file not found" in texts
    assert "#2  plausibility 0.40\nteleport" in texts and "prompt 7" in texts
    rgb = pixels(path)
    assert rgb.shape[0] >= 3 * 96
    red_flagged = count_red(rgb)
    assert red_flagged > 300 and count_green(rgb) > 50

    clean = [dict(c, flagged=False) for c in candidates]
    rgb = pixels(group_sheet(clean, tmp_path / "clean.png"))
    assert count_red(rgb) == 0 and count_green(rgb) > 200


def test_group_sheet_short_clip_and_no_candidates(tmp_path, shown):
    short = make_video(tmp_path, "h264_mp4", num_frames=2)
    path = group_sheet([{"path": short, "caption": "short", "flagged": False}], tmp_path / "s.png")
    assert shown == [[0, 1]]  # fewer frames than asked: each once
    assert pixels(path).shape[0] > 50
    assert pixels(group_sheet([], tmp_path / "none.png")).shape[0] > 50
