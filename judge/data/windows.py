"""Which frames of a video a training window reads: `num_frames` at a stride or a target fps."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class ClipTooShort(ValueError):
    """The video has fewer frames than the window spans."""


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
        """Source frames between two window frames."""
        if self.fps is None:
            return float(self.stride)
        if not source_fps or source_fps <= 0:
            raise ValueError("window fps is set but the video's fps is unknown")
        return source_fps / self.fps

    def span(self, source_fps: float | None) -> int:
        """Source frames the window covers, first to last inclusive."""
        return int(round((self.num_frames - 1) * self.step(source_fps))) + 1


def window_indices(
    spec: WindowSpec, num_frames: int, source_fps: float | None, rng: np.random.Generator | None
) -> np.ndarray:
    """Source frame indices `(spec.num_frames,)` of one window, increasing.

    Raises ClipTooShort when the video is shorter than the window's span.
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
