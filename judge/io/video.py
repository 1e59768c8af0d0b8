"""One interface for reading video frames by exact index, whatever the decoder.

A wrong or repeated frame looks exactly like a teleport to the judge, so readers return the
frames at the requested indices, in the requested order, or raise. Backends: decord (default
where installed) and PyAV (fallback). Every error names the file and the reason.

    with open_video("clip.mp4") as video:          # backend="auto" | "decord" | "pyav"
        frames = video.get([0, 2, 4])              # uint8 (3, H, W, 3) RGB
        video.num_frames, video.fps, video.backend, video.backend_version

The interface and its errors are in `base.py`, the time limit in `timeout.py` (shared with the
scorer's stream); their names stay importable from here.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

# The interface lives in base.py (the readers import it from there); these names stay
# importable from here for callers.
from judge.io.base import DecodeTimeout, VideoReader, VideoReadError, backend_version
from judge.io.timeout import call_with_timeout

__all__ = [
    "BACKENDS",
    "DecodeTimeout",
    "VideoReadError",
    "VideoReader",
    "available_backends",
    "backend_version",
    "open_video",
    "read_frames",
    "resolve_backend",
]

BACKENDS = ("decord", "pyav")


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

    def work() -> tuple[np.ndarray, dict]:
        with open_video(path, backend) as video:
            if indices is None:
                idx = list(range(video.num_frames))
            elif callable(indices):
                idx = list(indices(video.num_frames, video.fps))
            else:
                idx = list(indices)
            frames = video.get(idx)
            # After get(): the backend names the decoder that made these frames.
            info = {
                "num_frames": video.num_frames,
                "fps": video.fps,
                "backend": video.backend,
                "version": video.backend_version,
                "indices": idx,
            }
            return frames, info

    try:
        return call_with_timeout(work, timeout, path)
    except VideoReadError:
        raise
    except Exception as e:  # a decoder's own error, or the `indices` function's
        raise VideoReadError(path, f"{type(e).__name__}: {e}") from e
