"""The window planner: which source frames a window reads, for training and scoring alike.

Both read a video on one time grid, set by `frame_step`:

    step    source frames per model frame: file fps / model fps when the model has an fps,
            else the input's `stride`. A model with an fps and a file whose fps is unknown
            (the reader says 0) raise `UnknownFrameRate`: see `frame_step` for why.
    grid    the source frame of each model-time step k: round(k * step) (`time_grid`)

Training reads one window per clip (`window_indices`): `num_frames` frames `step` apart from a
random start (training) or the centred one (validation, test). Scoring slides windows along the
grid (`plan_windows`, and `judge.inference.windows.ShotPlanner` shot by shot): a window every `hop`
grid steps, the last aligned to the end of the grid so the final frames are always seen, and a
grid shorter than one window padded by repeating its last frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


class ClipTooShort(ValueError):
    """The video has fewer frames than the window spans."""


class UnknownFrameRate(ValueError):
    """The model reads at a frame rate and the video's is unknown, so its time scale is too."""


def frame_step(source_fps: float | None, model_fps: float | None, stride: int = 1) -> float:
    """Source frames per model frame: `source_fps / model_fps`, or `stride` when the model has
    no fps (the file's rate does not matter then).

    A model with an fps and a video without one (None, 0, negative or NaN) raises
    UnknownFrameRate, in training and scoring alike. Any guess would be wrong by an unknown
    factor: the model learnt how fast things move at its own rate, so a video read at the
    wrong rate shows motion too fast or too slow, which is itself what a teleport or a
    levitation looks like. Training skips such a clip (as it always did); scoring gives it an
    error record naming the reason, rather than a confident score on a wrong time scale. (The
    scorer used to fall back to `stride`, which a model with an fps never used in training.)
    """
    if not model_fps:
        return float(stride)
    if source_fps is None or not source_fps > 0:  # `not x > 0` is also true for NaN
        raise UnknownFrameRate(
            f"the video's frame rate is unknown, and the judge reads windows at {model_fps:g} "
            "fps: its frames cannot be timed"
        )
    return float(source_fps) / float(model_fps)


@dataclass(frozen=True)
class WindowSpec:
    """`num_frames` frames, `stride` apart, or resampled to `fps` when it is set.

    With `fps`, clips of different frame rates cover the same time per window, so the same
    motion looks the same to the model. `mode` is "random" (training) or "center".
    """

    num_frames: int = 16
    stride: int = 1
    fps: float | None = None
    mode: str = "random"

    def __post_init__(self) -> None:
        if self.num_frames < 1 or self.stride < 1:
            raise ValueError(f"window needs num_frames >= 1 and stride >= 1, got {self}")
        if self.fps is not None and self.fps <= 0:
            raise ValueError(f"window fps must be > 0, got {self.fps}")
        if self.mode not in ("random", "center"):
            raise ValueError(f"window mode must be 'random' or 'center', got {self.mode!r}")

    def step(self, source_fps: float | None) -> float:
        """Source frames between two window frames (`frame_step`)."""
        return frame_step(source_fps, self.fps, self.stride)

    def span(self, source_fps: float | None) -> int:
        """Source frames the window covers, first to last inclusive."""
        return int(round((self.num_frames - 1) * self.step(source_fps))) + 1


def window_indices(
    spec: WindowSpec, num_frames: int, source_fps: float | None, rng: np.random.Generator | None
) -> np.ndarray:
    """Source frame indices `(spec.num_frames,)` of one training window, increasing.

    Raises ClipTooShort when the video is shorter than the window's span, UnknownFrameRate as
    `frame_step` does.
    """
    step = spec.step(source_fps)
    span = spec.span(source_fps)
    if span > num_frames:
        raise ClipTooShort(
            f"too short: {num_frames} frames, the window needs {span} "
            f"({spec.num_frames} frames, {step:g} apart)"
        )
    room = num_frames - span
    centred = spec.mode == "center" or rng is None
    start = room // 2 if centred else int(rng.integers(0, room + 1))
    idx = np.round(start + step * np.arange(spec.num_frames)).astype(np.int64)
    return np.minimum(idx, num_frames - 1)


@dataclass(frozen=True)
class WindowPlan:
    """Where a video's sliding windows lie.

    `grid` int64 `(K,)`: the source frame index of each model-time step; `starts` int64 `(W,)`:
    the first grid step of each window; `num_frames`: T, frames per window.
    """

    grid: np.ndarray
    starts: np.ndarray
    num_frames: int

    @property
    def num_windows(self) -> int:
        return len(self.starts)

    @property
    def padded(self) -> bool:
        """True when the video is shorter than one window (its last frame is repeated)."""
        return len(self.grid) < self.num_frames

    def steps(self, first: int, last: int) -> np.ndarray:
        """Grid steps int64 `(last - first, T)` of windows `first..last-1`, clipped to the grid
        (so a short video's window repeats its last step)."""
        k = self.starts[first:last, None] + np.arange(self.num_frames)[None, :]
        return np.minimum(k, len(self.grid) - 1)

    def frames(self) -> np.ndarray:
        """Source frame indices int64 `(W, T)` of every window."""
        return self.grid[self.steps(0, self.num_windows)]


def plan_windows(
    num_source_frames: int,
    num_frames: int,
    step: float = 1.0,
    hop: int | None = None,
) -> WindowPlan:
    """Sliding windows of `num_frames` model frames over a video of `num_source_frames` frames.

    `step` is source frames per model frame (`frame_step`); `hop` the grid steps between
    window starts (default `max(1, num_frames // 2)`).
    """
    hop = window_hop(num_frames, hop)
    grid = time_grid(num_source_frames, step)
    k = len(grid)
    last = max(0, k - num_frames)
    starts = list(range(0, last + 1, hop))
    if starts[-1] != last:
        starts.append(last)
    return WindowPlan(grid=grid, starts=np.asarray(starts, np.int64), num_frames=num_frames)


def time_grid(num_source_frames: int, step: float = 1.0) -> np.ndarray:
    """int64 `(K,)`: the source frame of each model-time step (module docstring)."""
    if num_source_frames < 1:
        raise ValueError(f"a video needs at least 1 frame, got {num_source_frames}")
    if step <= 0:
        raise ValueError(f"bad window: step={step}")
    # A small epsilon: 29.97 / 14.985 must give exactly 2.0 steps, not 1.9999.
    k = math.floor((num_source_frames - 1) / step + 1e-6) + 1
    return np.minimum(np.round(np.arange(k) * step), num_source_frames - 1).astype(np.int64)


def window_hop(num_frames: int, hop: int | None) -> int:
    """Grid steps between window starts: `hop`, or half a window when None."""
    if num_frames < 1:
        raise ValueError(f"bad window: num_frames={num_frames}")
    hop = max(1, num_frames // 2) if hop is None else int(hop)
    if hop < 1:
        raise ValueError(f"window stride must be >= 1, got {hop}")
    return hop
