"""`Judge`: a trained judge for inference, loaded from a checkpoint or an exported folder.

    from judge import Judge
    j = Judge.load("runs/last.ckpt")            # or an exported folder; device: CUDA if any
    for record in j.score(["clips/", "more/*.mp4", "set/manifest.jsonl"]):
        print(record["path"], record["plausibility"], record["scores"])

No Hydra, no Lightning: the model is rebuilt from the plain description the file carries, and
loading never unpickles anything but tensors (see `loading.py`).
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Container, Iterable, Iterator
from typing import NamedTuple

import torch

from judge.data.input_spec import FITS, InputSpec
from judge.inference.aggregate import VideoScore, error_record, reduce_tiles
from judge.inference.cuts import CUT_MODES
from judge.inference.loading import build_judge_model, read_judge
from judge.inference.stream import ReadOptions, WindowStream, worker_init
from judge.inference.windows import build_windows
from judge.io.video import available_backends, resolve_backend
from judge.training.domain import window_distances


class Judge:
    """A judge model with its labels, input spec, temperatures and thresholds.

    Attributes:
        model: the `JudgeModel`, in eval mode on `device`.
        labels: artifact labels, in the order of the model's label logits.
        spec: input spec as stored: `num_frames` (T), `stride`, `fps`, `size` (S), `mean`,
            `std`, `fit`; `input` the same as an `InputSpec` (`judge.data.input_spec`).
        temperatures / thresholds: per-label (and "plausible") calibration, defaults 1.0 / 0.5.
        domain: the out-of-domain statistics of `domain.py` (`description["domain"]`), or None.
        description: the full description (the content of an exported `judge.json`).
        name: `"<backbone>:<sha256 of the source checkpoint, 12 hex>"`, the records' `model`.
    """

    def __init__(self, model: torch.nn.Module, description: dict, device: str | torch.device):
        self.device = torch.device(device)
        self.model = model.to(self.device).eval()
        self.description = description
        self.labels: list[str] = list(description["labels"])
        self.spec: dict = description["input"]
        self.input = InputSpec.from_dict(self.spec)
        self.temperatures: dict[str, float] = {
            k: float(v) for k, v in (description.get("temperatures") or {}).items()
        }
        self.thresholds: dict[str, float] = {
            k: float(v) for k, v in (description.get("thresholds") or {}).items()
        }
        self.domain: dict | None = description.get("domain") or None
        sha = (description.get("provenance") or {}).get("sha256") or "unknown"
        self.name = f"{description['model'].get('backbone', 'model')}:{sha[:12]}"

    @classmethod
    def load(cls, path: str | os.PathLike[str], device: str | None = None) -> Judge:
        """Load a Lightning `.ckpt` (with `weights_only=True`) or an exported folder
        (`model.safetensors` + `judge.json`). `device` defaults to CUDA when available.

        Raises `loading.JudgeLoadError` naming the file, e.g. "refusing to unpickle ..." for a
        checkpoint that holds anything but tensors and plain data.
        """
        weights, desc = read_judge(path)
        model = build_judge_model(weights, desc, str(path))
        if device is None:
            device = "cuda" if torch.cuda.is_available() else "cpu"
        return cls(model, desc, device)

    def temperature(self, label: str) -> float:
        return float(self.temperatures.get(label, 1.0))

    def threshold(self, label: str) -> float:
        return float(self.thresholds.get(label, 0.5))

    @torch.inference_mode()
    def predict(self, video: torch.Tensor) -> dict[str, torch.Tensor]:
        """Raw outputs of normalised windows `(B, 3, T, S, S)`, on the CPU: every output of the
        model, i.e. logits `labels (B, L)`, `plausible (B,)`, `frames (B, T)`, and `features
        (B, D)` where the model gives them."""
        out = self.model(video.to(self.device, non_blocking=True))
        return {k: v.float().cpu() for k, v in out.items()}

    def score(
        self,
        inputs: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
        batch_size: int = 16,
        num_workers: int = 2,
        stride: int | None = None,
        timeout: float | None = 60.0,
        fit: str | None = None,
        backend: str | None = None,
        skip: Container[str] | None = None,
        min_frames: int = 2,
        prefetch: int = 2,
        threads: int | str | None = "auto",
        frame_scores: bool = False,
        cuts: str = "split",
    ) -> Iterator[dict]:
        """Score videos; yields one record per video as it finishes (a generator).

        Args:
            inputs: video files, folders (recursive, by video extension), globs and manifest
                `.jsonl` files, or an iterable of them; expanded lazily (`inputs.py`).
            batch_size: windows per model call; windows of different videos share a batch.
            num_workers: decoding processes (0 decodes in this process).
            stride: model frames between window starts (default T // 2); the last window
                ends at the video's last frame.
            timeout: seconds one open or read of a file may take before it is an error.
            fit: "crop" (centre square, as in training's validation), "tiles" (squares side
                by side over the whole frame, each read as the crop is, joined per window by
                `aggregate.reduce_tiles`: 2x the model's work on 16:9 frames, none on square
                ones) or "pad" (whole frame, padded with the mean colour) before resizing to
                S x S; None: the judge's own (`input.fit`: "tiles" for judges trained from
                the tiles change on, "crop" before; judge-calibrate may set it).
            backend: video reader; default the one the judge was trained with, if installed.
            skip: paths not to score (e.g. those already in an output file, for resume).
            min_frames: videos with fewer frames are errors; shorter than one window (but not
                than this) are padded by repeating their last frame.
            prefetch: pieces each worker decodes ahead of the model.
            threads: torch threads for the model while scoring on a CPU, restored afterwards.
                "auto": one per core not taken by a decoding worker (at least 1); None: leave
                torch's setting alone.
            frame_scores: add `frame_scores`, a per-source-frame artifact-onset curve (floats in
                [0, 1], `num_frames` long), to each record (`aggregate.py`).
            cuts: hard scene cuts (`cuts.py`) are found while decoding, at no extra decode.
                "split" (default): each shot is scored on its own (no window straddles a cut;
                a shot shorter than a window is padded). "artifact": windows are laid over the
                whole video, and a video with a cut is flagged with plausibility 0.0. Either
                way the record lists `shots` and `cuts`.

        Records (built by `aggregate.py`, keys `record.RECORD_KEYS`): path, status
        "ok"|"error", error,
        plausibility (P(plausible) of the min window logit, raised by a length correction for
        clips of more than 2 windows), scores {label: p} (max window logit, lowered by the same
        correction), onsets {label: seconds or None}, windows, model, decoder {name, version},
        logits {label, "plausible": the corrected aggregated logits, before temperature},
        num_frames, fps, onset_frames {label: source frame of the onset peak, thresholded or
        not}, flagged (plausibility below the "plausible" threshold), shots [[first, last]...]
        and cuts [frame...] in source frames, ood_distance and out_of_domain (null unless the
        judge has `domain` statistics). A bad file gives status "error" and the run goes on.
        Records come in completion order, which is deterministic for a given input and
        `num_workers` but not always the input order. Memory stays flat over any number of
        videos, and over any length of video: inputs are expanded lazily, videos are decoded
        in order a few frames at a time, and only the pieces in flight (prefetch x workers)
        and the videos being scored are held.
        """
        # Checked here, not on the first next(): a typo fails at the call that made it.
        fit = self.input.fit if fit is None else fit
        if fit not in FITS:
            raise ValueError(f"fit must be one of {FITS}, got {fit!r}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if cuts not in CUT_MODES:
            raise ValueError(f"cuts must be one of {CUT_MODES}, got {cuts!r}")
        options = ReadOptions(
            spec=self.spec,
            hop=stride,
            fit=fit,
            backend=self.reader_backend(backend),
            timeout=timeout,
            min_frames=min_frames,
            piece_windows=batch_size,
            cuts=cuts,
        )
        loader = torch.utils.data.DataLoader(
            WindowStream(inputs, options, skip),
            batch_size=None,  # pieces are already stacks of windows
            num_workers=num_workers,
            prefetch_factor=prefetch if num_workers > 0 else None,
            worker_init_fn=worker_init if num_workers > 0 else None,
            pin_memory=self.device.type == "cuda",
        )
        if threads == "auto":
            threads = max(1, _cores() - num_workers)
        threads = threads if self.device.type == "cpu" else None
        return self._records(loader, batch_size, threads, frame_scores, cuts == "artifact")

    def _records(
        self,
        loader,
        batch_size: int,
        threads: int | None,
        frame_scores: bool,
        cut_artifact: bool = False,
    ) -> Iterator[dict]:
        # Model threads that share cores with the decoding workers wait for each other at
        # every OpenMP barrier: on 2 cores with 2 workers, 2 model threads scored 2-4x slower
        # than 1 when the cores were also busy with other work.
        restore = torch.get_num_threads()
        if threads:
            torch.set_num_threads(int(threads))
        running: dict[int, VideoScore] = {}
        batch = _Batcher(batch_size)
        pieces = iter(loader)
        try:
            for piece in pieces:
                index = int(piece["index"])
                if piece["error"] is not None:
                    running.pop(index, None)  # a read that failed midway drops its windows
                    yield error_record(piece["path"], piece["error"], self.name)
                    continue
                if int(piece["first"]) == 0:
                    running[index] = VideoScore(
                        piece["path"],
                        None,  # known with the video's last piece
                        int(piece["num_frames"]),
                        float(piece["fps"]),
                        dict(piece["decoder"]),
                        frame_scores,
                        cut_artifact,
                    )
                score, n = running.get(index), len(piece["take"])
                if score is not None and piece["last"]:
                    score.close(int(piece["first"]) + n, piece["cuts"] or ())
                if n:
                    batch.add(index, piece["pixels"], piece["take"], piece["frames"])
                elif score is not None and score.done:  # nothing left to run (not expected)
                    del running[index]
                    yield self._record(score)
                while batch.full():
                    yield from self._run(batch.take(), running)
            while batch.size:
                yield from self._run(batch.take(), running)
        finally:
            del pieces  # shuts the workers down even when the caller stops early
            torch.set_num_threads(restore)

    def _run(self, parts: list[_Part], running: dict[int, VideoScore]) -> Iterator[dict]:
        video = build_windows(
            [(p.pixels, p.take) for p in parts], self.spec["mean"], self.spec["std"], self.device
        )
        out = self.predict(video)
        labels, plausible, frames = (out[k].numpy() for k in ("labels", "plausible", "frames"))
        distances = None
        if self.domain is not None and "features" in out:
            distances = window_distances(out["features"].numpy(), self.domain)
        at = 0
        for part in parts:
            n = len(part.take)
            tiles = part.take.shape[1] if part.take.ndim == 3 else 1  # (n, K, T) with tiles
            score = running.get(part.index)
            if score is not None:
                sl = slice(at, at + n * tiles)
                w_labels, w_plausible, w_frames, w_distances = reduce_tiles(
                    labels[sl],
                    plausible[sl],
                    frames[sl],
                    None if distances is None else distances[sl],
                    tiles,
                )
                score.update(w_labels, w_plausible, w_frames, part.frames.numpy(), w_distances)
                if score.done:
                    del running[part.index]
                    yield self._record(score)
            at += n * tiles

    def _record(self, score: VideoScore) -> dict:
        return score.record(self.labels, self.temperatures, self.thresholds, self.name, self.domain)

    def reader_backend(self, backend: str | None = None) -> str:
        """The reader asked for, else the one the judge was trained with if installed."""
        if backend:
            return resolve_backend(backend)
        trained = (self.description.get("decoder") or {}).get("name")
        return trained if trained in available_backends() else resolve_backend("auto")

    def __repr__(self) -> str:
        s = self.spec
        return (
            f"Judge({self.name}, labels={self.labels}, frames={s['num_frames']}, "
            f"size={s['size']}, fps={s.get('fps')}, device={self.device})"
        )


def _cores() -> int:
    """CPU cores this process may run on (its affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class _Part(NamedTuple):
    """Some windows of one video: `pixels` uint8 `(U, 3, S, S)`, `take` `(n, T)` positions in
    `pixels` (`(n, K, T)` with the "tiles" fit), `frames` `(n, T)` source frame indices."""

    index: int
    pixels: torch.Tensor
    take: torch.Tensor
    frames: torch.Tensor


class _Batcher:
    """Windows waiting for the model, across videos; `take` splits a piece at the batch edge."""

    def __init__(self, batch_size: int):
        self.batch_size, self.size = batch_size, 0
        self.parts: deque[_Part] = deque()

    def add(self, index: int, pixels: torch.Tensor, take: torch.Tensor, frames: torch.Tensor):
        self.parts.append(_Part(index, pixels, take, frames))
        self.size += len(take)

    def full(self) -> bool:
        return self.size >= self.batch_size

    def take(self) -> list[_Part]:
        """Parts holding up to `batch_size` windows, in arrival order."""
        out, room = [], self.batch_size
        while self.parts and room:
            part = self.parts.popleft()
            n = len(part.take)
            if n > room:  # the rest waits for the next batch; both halves share `pixels`
                rest = part._replace(take=part.take[room:], frames=part.frames[room:])
                self.parts.appendleft(rest)
                part = part._replace(take=part.take[:room], frames=part.frames[:room])
                n = room
            out.append(part)
            room -= n
        self.size -= self.batch_size - room
        return out
