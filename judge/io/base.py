"""The reader interface and its errors, apart from the readers that implement it.

`decord_reader.py` and `pyav_reader.py` implement `VideoReader`; `video.py` picks one of them
(`open_video`). The readers import from here, never from `video.py`, so no module imports one
that imports it back.
"""

from __future__ import annotations

import importlib
import os
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path

import numpy as np


class VideoReadError(ValueError):
    """A video cannot be read; `str()` names the file and the reason."""

    def __init__(self, path: str | os.PathLike[str], reason: str):
        self.path, self.reason = str(path), reason
        super().__init__(f"{path}: {reason}")


class DecodeTimeout(VideoReadError):
    """Decoding took longer than allowed (a hung or pathological file)."""


class VideoReader(ABC):
    """Frames of one video's first video stream, by 0-based index in decode (display) order."""

    # The decoder that makes the frames (a DecordReader that hands a file to PyAV says "pyav"),
    # so recorded names and versions are the ones that produced the pixels.
    backend: str = ""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)

    @property
    @abstractmethod
    def num_frames(self) -> int:
        """Number of frames in the stream (counted, not estimated from the duration)."""

    @property
    @abstractmethod
    def fps(self) -> float:
        """Average frame rate (frames per second)."""

    @property
    def backend_version(self) -> str:
        return backend_version(self.backend)

    @abstractmethod
    def get(self, indices: Sequence[int]) -> np.ndarray:
        """Frames at `indices` (any order, repeats allowed) as uint8 `(len(indices), H, W, 3)`.

        Raises VideoReadError for an index outside `[0, num_frames)` or a failed decode.
        """

    def close(self) -> None:  # noqa: B027 - backends without resources need nothing here
        pass

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _check_indices(self, indices: Sequence[int]) -> list[int]:
        idx = [int(i) for i in indices]
        bad = [i for i in idx if not 0 <= i < self.num_frames]
        if bad:
            raise VideoReadError(
                self.path, f"frame index {bad[0]} outside [0, {self.num_frames}) ({len(bad)} bad)"
            )
        return idx


def backend_version(name: str) -> str:
    module = importlib.import_module("decord" if name == "decord" else "av")
    return str(getattr(module, "__version__", "unknown"))
