"""Decode videos into model windows in DataLoader workers, streaming, with bounded memory.

`WindowStream` is an IterableDataset: each worker walks the same lazy input stream
(`inputs.iter_entries`) and takes every n-th video, so no list of all videos is ever built.
A video becomes one or more *pieces* of at most `piece_windows` windows; a long video is read
a few frames at a time (`max_decode_frames` at full resolution, then shrunk to the model's
size), so neither its length nor its resolution sets the memory used. The DataLoader's bounded
prefetch (`prefetch_factor` pieces per worker) keeps decoding a little ahead of the model.

A piece is a dict:
    index int (position in the input stream), path str, error str | None,
    pixels uint8 `(U, 3, S, S)` the distinct frames the piece's windows use, resized,
    take int64 `(n, T)` each window frame's position in `pixels` (`windows.build_windows`
    makes the float windows from these, where the model runs), frames int64 `(n, T)` source indices,
    first int (window number of the piece's first window), total int (windows in the video),
    num_frames int, fps float, decoder {"name", "version"}.
An error piece has `error` set and no windows; it may follow pieces of the same video when a
read fails midway.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import torch
from torch.utils.data import IterableDataset, get_worker_info

from judge.io.video import DecodeTimeout, VideoReader, VideoReadError, open_video
from judge.scoring.inputs import Entry, iter_entries
from judge.scoring.windows import fit_frames, plan_windows, time_step

T = TypeVar("T")


@dataclass(frozen=True)
class ReadOptions:
    """How videos become windows: the checkpoint's input `spec` (see `loading.input_spec`),
    `hop` between windows (None = T // 2), `fit` "crop"/"pad", the reader `backend`, a per-call
    decode `timeout` in seconds (None = none), `min_frames` below which a video is an error."""

    spec: dict
    hop: int | None = None
    fit: str = "crop"
    backend: str = "auto"
    timeout: float | None = 60.0
    min_frames: int = 2
    piece_windows: int = 16
    max_decode_frames: int = 32


def call_with_timeout(fn: Callable[[], T], timeout: float | None, path: str) -> T:
    """`fn()`, abandoned (DecodeTimeout naming `path`) if it runs past `timeout` seconds.

    A decoder stuck in native code cannot be interrupted: its daemon thread is left behind and
    the caller moves on to the next video.
    """
    if timeout is None:
        return fn()
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["value"] = fn()
        except BaseException as e:  # re-raised in the caller's thread
            box["error"] = e

    thread = threading.Thread(target=work, daemon=True, name="judge-decode")
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise DecodeTimeout(path, f"decoding did not finish within {timeout:g} s")
    if "error" in box:
        raise box["error"]
    return box["value"]


def error_piece(index: int, path: str, error: str) -> dict:
    return {"index": index, "path": path, "error": error}


class WindowStream(IterableDataset):
    """Pieces of windows (module docstring) for every video in `inputs`, skipping the paths in
    `skip` (resume), sharded across DataLoader workers by position."""

    def __init__(
        self,
        inputs: Iterable,
        options: ReadOptions,
        skip: Container[str] | None = None,
    ):
        self.inputs, self.options, self.skip = inputs, options, skip

    def __iter__(self) -> Iterator[dict]:
        info = get_worker_info()
        worker, workers = (info.id, info.num_workers) if info else (0, 1)
        position = -1
        for entry in iter_entries(self.inputs):
            if self.skip is not None and entry.path in self.skip:
                continue
            position += 1
            if position % workers == worker:
                yield from self.pieces(position, entry)

    def pieces(self, index: int, entry: Entry) -> Iterator[dict]:
        """One video's pieces; any failure becomes an error piece, never an exception."""
        if entry.error:
            yield error_piece(index, entry.path, entry.error)
            return
        opts, path = self.options, entry.path
        reader: VideoReader | None = None
        try:
            # Crop fit only: there the centre square's side is the frame's shorter side.
            short = opts.spec["size"] if opts.fit == "crop" else None
            reader = call_with_timeout(lambda: _open(path, opts.backend, short), opts.timeout, path)
            yield from self._read(index, path, reader)
        except DecodeTimeout as e:
            reader = None  # still in use by the abandoned thread: closing it could crash
            yield error_piece(index, path, str(e))
        except VideoReadError as e:
            yield error_piece(index, path, str(e))
        except Exception as e:  # a decoder bug on one file must not end a 100k-video run
            yield error_piece(index, path, f"{path}: {type(e).__name__}: {e}")
        finally:
            if reader is not None:
                reader.close()

    def _read(self, index: int, path: str, reader: VideoReader) -> Iterator[dict]:
        opts, spec = self.options, self.options.spec
        n, fps = reader.num_frames, float(reader.fps or 0.0)
        if n < opts.min_frames:
            raise VideoReadError(
                path, f"too short: {n} frame(s); scoring needs at least {opts.min_frames}"
            )
        step = time_step(fps, spec.get("fps"), spec.get("stride", 1))
        plan = plan_windows(n, spec["num_frames"], step, opts.hop)
        size = spec["size"]
        fill = tuple(int(round(255 * m)) for m in spec["mean"])  # pads normalise to 0
        decoder = {"name": reader.backend, "version": reader.backend_version}
        cache: dict[int, np.ndarray] = {}  # source frame -> uint8 (S, S, 3), current piece only
        for first in range(0, plan.num_windows, opts.piece_windows):
            last = min(first + opts.piece_windows, plan.num_windows)
            src = plan.grid[plan.steps(first, last)]  # (n, T) source frame indices
            wanted = np.unique(src)
            missing = [int(i) for i in wanted if int(i) not in cache]
            for lo in range(0, len(missing), opts.max_decode_frames):
                chunk = missing[lo : lo + opts.max_decode_frames]
                frames = call_with_timeout(lambda c=chunk: reader.get(c), opts.timeout, path)
                for i, frame in zip(chunk, fit_frames(frames, size, opts.fit, fill), strict=True):
                    cache[i] = frame
            # (U, 3, S, S): channel-first here, where 2 workers share the work, so the model's
            # process only copies whole frames into its batch.
            pixels = np.stack([cache[int(i)] for i in wanted]).transpose(0, 3, 1, 2)
            pixels = np.ascontiguousarray(pixels)
            yield {
                "index": index,
                "path": path,
                "error": None,
                "pixels": torch.from_numpy(pixels),
                "take": torch.from_numpy(np.searchsorted(wanted, src)),  # (n, T) into pixels
                "frames": torch.from_numpy(src),
                "first": first,
                "total": plan.num_windows,
                "num_frames": n,
                "fps": fps,
                "decoder": decoder,
            }
            # Overlapping windows share frames: keep only those the next piece can still use.
            if last < plan.num_windows:
                keep_from = int(plan.grid[plan.starts[last]])
                cache = {i: f for i, f in cache.items() if i >= keep_from}


def _open(path: str, backend: str, short_side: int | None) -> VideoReader:
    reader = open_video(path, backend, short_side=short_side)
    _ = reader.num_frames, reader.fps  # both may scan the file: inside the timeout too
    return reader


def worker_init(_worker_id: int) -> None:
    """Workers decode with numpy/PIL/decord; one torch thread each leaves the cores to them and
    to the model in the main process."""
    torch.set_num_threads(1)
