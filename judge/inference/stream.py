"""Decode videos into model windows in DataLoader workers, streaming, with bounded memory.

`WindowStream` is an IterableDataset: each worker walks the same lazy input stream
(`inputs.iter_entries`) and takes every n-th video, so no list of all videos is ever built.
A video is read once, in order, on the model's time grid, `max_decode_frames` frames at a time
(at full resolution, then shrunk to the model's size), so neither its length nor its resolution
sets the memory used. While it streams, the cut detector (`cuts.CutDetector`) reads each
decoded frame's signature and the planner (`windows.ShotPlanner`) lays windows over each shot
(`cuts="split"`) or over the whole video (`cuts="artifact"`), a few frames behind the decoder;
planned windows leave as *pieces* of at most `piece_windows` windows, and only the frames later
windows can still use are kept. Cut detection decodes nothing more than the windows need. The
DataLoader's bounded prefetch (`prefetch_factor` pieces per worker) keeps decoding a little
ahead of the model.

A piece is a dict:
    index int (position in the input stream), path str, error str | None,
    pixels uint8 `(U, 3, S, S)` the distinct frames the piece's windows use, resized (fit
    "tiles": `(U * K, 3, S, S)`, the K tiles of each frame in turn),
    take int64 `(n, T)` each window frame's position in `pixels` (`windows.build_windows`
    makes the float windows from these, where the model runs; tiles: `(n, K, T)`, and the
    model's outputs for a window's K tiles are joined by `aggregate.reduce_tiles`),
    frames int64 `(n, T)` source indices,
    first int (window number of the piece's first window), last bool (the video's last piece:
    the number of windows is known only then), cuts list[int] | None (the last piece only: the
    source frame starting each new shot), num_frames int, fps float, decoder {"name", "version"}.
Every piece holds at least one window. An error piece has `error` set and no windows; it may
follow pieces of the same video when a read fails midway.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import IterableDataset, get_worker_info

from judge.data.input_spec import InputSpec
from judge.data.preprocess import fit_frames, pad_fill
from judge.data.windows import UnknownFrameRate, time_grid
from judge.inference.cuts import CutDetector, signature
from judge.inference.inputs import Entry, iter_entries
from judge.inference.windows import ShotPlanner
from judge.io.timeout import call_with_timeout  # noqa: F401 - also importable from here
from judge.io.video import DecodeTimeout, VideoReader, VideoReadError, open_video


@dataclass(frozen=True)
class ReadOptions:
    """How videos become windows: the checkpoint's input `spec` (`InputSpec.to_dict()` data,
    see `loading.input_spec`), `hop` between windows (None = T // 2), `fit`
    "crop"/"pad"/"tiles", the reader `backend`, a per-call decode `timeout` in seconds (None =
    none), `min_frames` below which a video is an error, `cuts` "split" (windows per shot) or
    "artifact" (windows over the whole video).

    `decoder_resize`: decord shrinks videos at least twice the model's size while decoding
    (`decord_reader.shrunk_size`; crop and tiles fits): 2.7 times less CPU on 832x480
    videos (README, scoring throughput). It is the one place where scoring's pixels are not
    training's: ffmpeg's scaler instead of the Pillow resize of full frames (on 256x144 clips
    read at 64, normalised windows differ by 0.03 on average, up to 1.2 at sharp edges; the
    README measured the same artifact AUROC either way). False: bit for bit what validation
    fed the model (`tests/test_preprocess_parity.py`), at full-size decoding cost."""

    spec: dict
    hop: int | None = None
    fit: str = "crop"
    backend: str = "auto"
    timeout: float | None = 60.0
    min_frames: int = 2
    piece_windows: int = 16
    cuts: str = "split"
    max_decode_frames: int = 32
    decoder_resize: bool = True


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
            # Crop and tiles: there a square's side is the frame's shorter side.
            square = opts.fit in ("crop", "tiles")
            short = opts.spec["size"] if square and opts.decoder_resize else None
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
        opts, spec = self.options, InputSpec.from_dict(self.options.spec)
        n, fps = reader.num_frames, float(reader.fps or 0.0)
        if n < opts.min_frames:
            raise VideoReadError(
                path, f"too short: {n} frame(s); scoring needs at least {opts.min_frames}"
            )
        try:  # training's time grid (judge.data.windows)
            grid = time_grid(n, spec.step(fps))
        except UnknownFrameRate as e:
            raise VideoReadError(path, str(e)) from None
        size, split = spec.size, opts.cuts == "split"
        planner = ShotPlanner(spec.num_frames, opts.hop)
        detector = CutDetector()
        fill = pad_fill(spec.mean)
        video = _Video(
            index, path, n, fps, {"name": reader.backend, "version": reader.backend_version}
        )
        cache: dict[int, np.ndarray] = {}  # source frame -> uint8 (S, S, 3), still needed only
        pending: list[np.ndarray] = []  # planned windows (grid steps) not yet in a piece
        cuts: list[int] = []  # grid steps starting a new shot
        sig, sig_src = None, -1
        pos = 0  # grid steps decoded
        while pos < len(grid):
            end = min(len(grid), pos + opts.max_decode_frames)
            chunk = [int(i) for i in np.unique(grid[pos:end]) if int(i) not in cache]
            if chunk:
                frames = call_with_timeout(lambda c=chunk: reader.get(c), opts.timeout, path)
                for i, frame in zip(chunk, fit_frames(frames, size, opts.fit, fill), strict=True):
                    cache[i] = frame
            for k in range(pos, end):
                src = int(grid[k])
                if src != sig_src:  # upsampled grids repeat a frame: same signature
                    sig, sig_src = signature(_whole(cache[src])), src
                for cut in detector.push(sig):
                    cuts.append(cut)
                    if split:
                        pending += planner.close_shot(cut)
            pos = end
            known = detector.decided if split else pos
            pending += planner.advance(known)
            # Hold one window back: the video's last piece must carry at least one window.
            while len(pending) > opts.piece_windows:
                yield video.piece(grid, pending[: opts.piece_windows], cache)
                del pending[: opts.piece_windows]
            keep = min([planner.keep_from(known), *(int(w[0]) for w in pending[:1])])
            cache = {i: f for i, f in cache.items() if i >= int(grid[keep])}
        for cut in detector.finish():
            cuts.append(cut)
            if split:
                pending += planner.close_shot(cut)
        pending += planner.close_shot(len(grid))
        while len(pending) > opts.piece_windows:
            yield video.piece(grid, pending[: opts.piece_windows], cache)
            del pending[: opts.piece_windows]
        yield video.piece(grid, pending, cache, cuts=[int(grid[c]) for c in cuts])


class _Video:
    """Builds one video's pieces (module docstring), numbering their windows."""

    def __init__(self, index: int, path: str, num_frames: int, fps: float, decoder: dict):
        self.index, self.path, self.num_frames, self.fps = index, path, num_frames, fps
        self.decoder = decoder
        self.windows = 0  # windows in the pieces so far

    def piece(
        self,
        grid: np.ndarray,
        windows: list[np.ndarray],
        cache: dict[int, np.ndarray],
        cuts: list[int] | None = None,
    ) -> dict:
        """A piece of `windows` (grid steps); `cuts` (source frames) makes it the last one."""
        src = grid[np.stack(windows)]  # (n, T) source frame indices
        wanted = np.unique(src)
        take = np.searchsorted(wanted, src)  # (n, T) into the distinct frames
        frames = np.stack([cache[int(i)] for i in wanted])  # (U, S, S, 3) or (U, K, S, S, 3)
        if frames.ndim == 5:  # tiles: pixels (U * K, ...), take (n, K, T), tile k of frame u
            k = frames.shape[1]
            frames = frames.reshape(-1, *frames.shape[2:])
            take = take[:, None, :] * k + np.arange(k)[None, :, None]
        # (U, 3, S, S): channel-first here, where 2 workers share the work, so the model's
        # process only copies whole frames into its batch.
        pixels = frames.transpose(0, 3, 1, 2)
        piece = {
            "index": self.index,
            "path": self.path,
            "error": None,
            "pixels": torch.from_numpy(np.ascontiguousarray(pixels)),
            "take": torch.from_numpy(take),
            "frames": torch.from_numpy(src),
            "first": self.windows,
            "last": cuts is not None,
            "cuts": cuts,
            "num_frames": self.num_frames,
            "fps": self.fps,
            "decoder": self.decoder,
        }
        self.windows += len(windows)
        return piece


def _whole(fitted: np.ndarray) -> np.ndarray:
    """A fitted frame `(S, S, 3)` as is; its tiles `(K, S, S, 3)` side by side `(S, K*S, 3)`,
    so the cut detector compares the whole frame."""
    return fitted if fitted.ndim == 3 else np.concatenate(list(fitted), axis=1)


def _open(path: str, backend: str, short_side: int | None) -> VideoReader:
    reader = open_video(path, backend, short_side=short_side)
    _ = reader.num_frames, reader.fps  # both may scan the file: inside the timeout too
    return reader


def worker_init(_worker_id: int) -> None:
    """Workers decode with numpy/PIL/decord; one torch thread each leaves the cores to them and
    to the model in the main process."""
    torch.set_num_threads(1)
