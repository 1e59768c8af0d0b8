"""One interface for reading video frames by exact index, whatever the decoder.

A wrong or repeated frame looks exactly like a teleport to the judge, so readers return the
frames at the requested indices, in the requested order, or raise. Backends: decord (default
where installed) and PyAV (fallback). Every error names the file and the reason.

    with open_video("clip.mp4") as video:          # backend="auto" | "decord" | "pyav"
        frames = video.get([0, 2, 4])              # uint8 (3, H, W, 3) RGB
        video.num_frames, video.fps, video.backend, video.backend_version
"""

from __future__ import annotations

import importlib
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

BACKENDS = ("decord", "pyav")


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


def available_backends() -> list[str]:
    """Installed backends, in order of preference."""
    out = []
    for name in BACKENDS:
        try:
            importlib.import_module("decord" if name == "decord" else "av")
        except ImportError:
            continue
        out.append(name)
    return out


def backend_version(name: str) -> str:
    module = importlib.import_module("decord" if name == "decord" else "av")
    return str(getattr(module, "__version__", "unknown"))


def resolve_backend(backend: str = "auto") -> str:
    """`auto` -> the first installed backend; a named one must be installed."""
    installed = available_backends()
    if backend == "auto":
        if not installed:
            raise RuntimeError("no video backend installed: pip install decord or av")
        return installed[0]
    if backend not in BACKENDS:
        raise ValueError(f"unknown video backend {backend!r}; use auto or one of {list(BACKENDS)}")
    if backend not in installed:
        raise RuntimeError(f"video backend {backend!r} is not installed")
    return backend


def open_video(
    path: str | os.PathLike[str], backend: str = "auto", short_side: int | None = None
) -> VideoReader:
    """Open a video with a backend (`auto` picks decord where installed, else PyAV).

    `short_side`: a hint that frames may come shrunk to this shorter side (decord scales large
    videos in its decoder; PyAV returns full size); callers resize whatever size comes.
    """
    name = resolve_backend(backend)
    path = Path(path)
    if not path.is_file():
        raise VideoReadError(path, "file not found" if not path.exists() else "not a file")
    if path.stat().st_size == 0:
        raise VideoReadError(path, "empty file (0 bytes)")
    if name == "decord":
        from judge.io.decord_reader import DecordReader

        return DecordReader(path, short_side=short_side)
    from judge.io.pyav_reader import PyAVReader

    return PyAVReader(path)


def read_frames(
    path: str | os.PathLike[str],
    indices: Sequence[int] | Callable[[int, float], Sequence[int]] | None = None,
    backend: str = "auto",
    timeout: float | None = 60.0,
) -> tuple[np.ndarray, dict]:
    """Open, read `indices` (all frames if None) and close, within `timeout` seconds.

    `indices` may be a function of (num_frames, fps) that picks them once the file is open.
    Returns frames uint8 `(T, H, W, 3)` and `{"num_frames", "fps", "backend", "version",
    "indices"}`.
    A decode still running at the timeout raises DecodeTimeout; its thread is abandoned
    (a decoder stuck in C code cannot be interrupted), so the caller can go on.
    """
    result: dict = {}

    def work() -> None:
        try:
            with open_video(path, backend) as video:
                if indices is None:
                    idx = list(range(video.num_frames))
                elif callable(indices):
                    idx = list(indices(video.num_frames, video.fps))
                else:
                    idx = list(indices)
                result["frames"] = video.get(idx)
                result["info"] = {
                    "num_frames": video.num_frames,
                    "fps": video.fps,
                    "backend": video.backend,
                    "version": video.backend_version,
                    "indices": idx,
                }
        except BaseException as e:  # handed to the caller's thread below
            result["error"] = e

    if timeout is None:
        work()
    else:
        thread = threading.Thread(target=work, daemon=True, name=f"decode:{Path(path).name}")
        thread.start()
        thread.join(timeout)
        if thread.is_alive():
            raise DecodeTimeout(path, f"decoding did not finish within {timeout:g} s")
    if "error" in result:
        err = result["error"]
        if isinstance(err, VideoReadError):
            raise err
        raise VideoReadError(path, f"{type(err).__name__}: {err}") from err
    return result["frames"], result["info"]
