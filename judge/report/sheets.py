"""Contact sheets for the evaluation report: frames of one clip around an onset, or of a group.

Like ``judge.report.plots``, figures are built without pyplot and each function writes one PNG
atomically and returns its ``Path``. Frames come from ``judge.io.video.read_frames``, so the
sheets show exactly the pixels the judge was given.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator
from PIL import Image

from judge.io.video import VideoReadError, read_frames
from judge.report.plots import save_png

DPI = 100
TRUE_COLOR, PRED_COLOR = "#1a9c1a", "#e00000"
FLAGGED_COLOR, CLEAN_COLOR = "#e00000", "#006400"
BEFORE = 2  # frames shown before the centre, so the run-up to an onset is visible


def frame_window(center: int, num_frames: int, total: int) -> list[int]:
    """``num_frames`` consecutive frame indices around ``center`` inside ``[0, total)``.

    Normally ``center - 2 .. center + num_frames - 3``; at either end of the clip the window is
    shifted (never cut or repeated) so it stays full; a clip shorter than ``num_frames`` gives
    all its frames. For ``num_frames < 5`` fewer frames come before the centre, so the centre is
    always shown.
    """
    if num_frames < 1:
        raise ValueError(f"num_frames must be >= 1, got {num_frames}")
    if total <= num_frames:
        return list(range(max(total, 0)))
    start = int(center) - min(BEFORE, (num_frames - 1) // 2)
    start = min(max(start, 0), total - num_frames)
    return list(range(start, start + num_frames))


def _title_height(title: str) -> float:
    """Inches a suptitle of this many lines takes (0 without one)."""
    return 0.22 * (title.count("\n") + 1) if title else 0.0


def _thumb(frame: np.ndarray, height: int) -> np.ndarray:
    """uint8 (H, W, 3) -> uint8 (height, W * height / H, 3)."""
    h, w = frame.shape[:2]
    size = (max(1, round(w * height / h)), height)
    return np.asarray(Image.fromarray(frame).resize(size, Image.Resampling.BILINEAR))


def _frame_axes(ax, image: np.ndarray, caption: str, outline: list[str]) -> None:
    """Show ``image`` with ``caption``; ``outline`` colours, outermost first, frame the image."""
    ax.imshow(image, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(bool(outline))
        if outline:
            spine.set(color=outline[0], linewidth=4)
    # A frame that is both true and predicted onset gets the second colour as an inner frame.
    for depth, color in enumerate(outline[1:], start=1):
        inset = 0.04 * depth
        ax.add_patch(
            Rectangle(
                (inset, inset),
                1 - 2 * inset,
                1 - 2 * inset,
                transform=ax.transAxes,
                fill=False,
                edgecolor=color,
                linewidth=3,
            )
        )
    ax.set_title(caption, fontsize=9, color=outline[0] if outline else "black")


def clip_sheet(
    video_path: str | os.PathLike[str],
    path: str | os.PathLike[str],
    *,
    center: int,
    curve: np.ndarray | None = None,
    true_onset: int | None = None,
    pred_onset: int | None = None,
    title: str = "",
    num_frames: int = 6,
    thumb: int = 128,
    backend: str = "auto",
) -> Path:
    """A row of ``num_frames`` frames around ``center`` and, below, the per-frame score curve.

    ``curve``: float (T,) artifact score per frame in [0, 1], or None for no plot. Frames equal
    to ``pred_onset`` are outlined red, to ``true_onset`` green. Frames are shrunk or enlarged
    to ``thumb`` px tall. Raises VideoReadError when the video cannot be read.
    """
    if curve is not None:
        curve = np.asarray(curve, dtype=np.float64)
        if curve.ndim != 1:
            raise ValueError(f"curve must be 1-D (T,), got shape {curve.shape}")
    frames, info = read_frames(
        video_path, lambda n, fps: frame_window(center, num_frames, n), backend=backend
    )
    shown = list(info["indices"])
    if not shown:
        raise VideoReadError(video_path, "no frames")
    thumbs = [_thumb(f, thumb) for f in frames]
    col_w = max(t.shape[1] for t in thumbs) / DPI + 0.1
    row_h = thumb / DPI + 0.35
    curve_h = 2.0 if curve is not None else 0.0
    title_h = _title_height(title)
    width = max(col_w * len(shown), 5.0)
    fig = Figure(figsize=(width, row_h + curve_h + title_h + 0.2), layout="constrained")
    heights = [row_h, curve_h] if curve is not None else [row_h]
    grid = fig.add_gridspec(len(heights), len(shown), height_ratios=heights)
    for col, (k, image) in enumerate(zip(shown, thumbs, strict=True)):
        outline = [
            c
            for c, onset in ((PRED_COLOR, pred_onset), (TRUE_COLOR, true_onset))
            if onset is not None and k == onset
        ]
        _frame_axes(fig.add_subplot(grid[0, col]), image, f"frame {k}", outline)
    if curve is not None:
        ax = fig.add_subplot(grid[1, :])
        ax.axvspan(shown[0] - 0.5, shown[-1] + 0.5, color="0.85", label="shown frames")
        ax.plot(np.arange(curve.size), curve, color="C0", linewidth=1.5, label="artifact score")
        if true_onset is not None:
            ax.axvline(true_onset, color=TRUE_COLOR, linewidth=1.5, label="true onset")
        if pred_onset is not None:
            ax.axvline(
                pred_onset, color=PRED_COLOR, linestyle="--", linewidth=1.5, label="predicted"
            )
        ax.set(xlim=(-0.5, max(curve.size, info["num_frames"]) - 0.5), ylim=(0, 1.02))
        ax.set(xlabel="frame", ylabel="artifact score")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(loc="upper left", fontsize="x-small", ncol=4)
    if title:
        fig.suptitle(title, fontsize=10)
    return save_png(fig, path, dpi=DPI)


def _even_indices(num_frames: int):
    """Indices picker for read_frames: ``num_frames`` evenly spaced, distinct frames."""

    def pick(total: int, fps: float) -> list[int]:
        if total <= 0:
            return []
        return sorted({int(round(i)) for i in np.linspace(0, total - 1, num_frames)})

    return pick


def group_sheet(
    candidates: list[dict],
    path: str | os.PathLike[str],
    *,
    title: str = "",
    num_frames: int = 4,
    thumb: int = 96,
    backend: str = "auto",
) -> Path:
    """One row per candidate, in the given (rank) order: caption, then evenly spaced frames.

    Each candidate is ``{"path": video, "caption": str, "flagged": bool}``; flagged captions are
    red, the others dark green. An unreadable video gets "unreadable: <reason>" instead of
    frames, so one bad file does not lose the whole sheet.
    """
    rows = []
    for cand in candidates:
        try:
            frames, _ = read_frames(cand["path"], _even_indices(num_frames), backend=backend)
            rows.append(([_thumb(f, thumb) for f in frames], None))
        except VideoReadError as e:
            rows.append(([], e.reason))
    widths = [t.shape[1] for thumbs, _ in rows for t in thumbs] or [thumb * 2]
    col_w = max(widths) / DPI + 0.08
    caption_w = 2.2
    title_h = _title_height(title)
    row_h = thumb / DPI + 0.12
    fig = Figure(
        figsize=(caption_w + col_w * num_frames, row_h * max(len(rows), 1) + title_h + 0.2),
        layout="constrained",
    )
    if not rows:
        fig.text(0.5, 0.5, "no candidates", ha="center", va="center", color="0.4")
    else:
        grid = fig.add_gridspec(
            len(rows), num_frames + 1, width_ratios=[caption_w] + [col_w] * num_frames
        )
    for r, (cand, (thumbs, reason)) in enumerate(zip(candidates, rows, strict=True)):
        flagged = bool(cand.get("flagged", False))
        text_ax = fig.add_subplot(grid[r, 0])
        text_ax.axis("off")
        text_ax.text(
            0.0,
            0.5,
            str(cand.get("caption", "")),
            ha="left",
            va="center",
            fontsize=9,
            fontweight="bold" if flagged else "normal",
            color=FLAGGED_COLOR if flagged else CLEAN_COLOR,
            transform=text_ax.transAxes,
        )
        if reason is not None:
            ax = fig.add_subplot(grid[r, 1:])
            ax.axis("off")
            ax.text(
                0.02,
                0.5,
                f"unreadable: {reason}",
                ha="left",
                va="center",
                fontsize=9,
                color="0.3",
                transform=ax.transAxes,
                wrap=True,
            )
            continue
        for col, image in enumerate(thumbs):
            ax = fig.add_subplot(grid[r, col + 1])
            ax.imshow(image, interpolation="nearest")
            ax.axis("off")
    if title:
        fig.suptitle(title, fontsize=10)
    return save_png(fig, path, dpi=DPI)
