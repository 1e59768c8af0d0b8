"""Map-style dataset of training windows from manifest rows."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from judge.data.frame_cache import FrameCache
from judge.data.samplers import AUGMENT_STREAM, derive_seed
from judge.data.targets import event_in_window, window_targets
from judge.data.transforms import ClipTransform
from judge.data.windows import ClipTooShort, WindowSpec, window_indices
from judge.io.video import VideoReadError, read_frames

log = logging.getLogger(__name__)
ON_ERROR = ("skip", "raise")


class BadClipError(RuntimeError):
    """A clip could not be used and `on_error="raise"`; the message names the file and why."""


@dataclass(frozen=True)
class Item:
    """One clip: its resolved path and its manifest row."""

    path: Path
    row: dict


class ClipDataset(Dataset):
    """Windows of clips as tensors; bad files are skipped and counted, or raise.

    A sample is a dict:
        video float32 `(3, T, S, S)` (`(K, 3, T, S, S)` when the evaluation transform reads
        tiles: `judge.data.tiles`); labels float32 `(L,)`; label_mask bool `(L,)`;
        plausible float32 `()`; plausible_mask bool `()`; onset float32 `(T,)`;
        onset_mask bool `()`; frames int64 `(T,)` source frame indices; index int;
        path str; group str (matched twins share it); skipped int (bad files passed over).
    `train=True` draws a random window and augments it; otherwise the centre window as is.
    With a `frame_cache`, small clips are decoded once and read from it afterwards
    (`judge.data.frame_cache`; the same frames, so the same samples).

    A training window (start, crop, flips, colour, noise, re-encoding) is drawn from an RNG
    seeded by (`seed`, epoch, index) alone, never by the process or worker that loads it, so
    runs repeat exactly with any `num_workers` and a resumed run sees what an uninterrupted
    one would have. The epoch comes with the index (`judge.data.samplers.EpochIndex`, from
    `EpochSampler`); a plain int index uses `self.epoch`. With `align_groups`, the RNG is
    seeded by the clip's group instead of its index: matched twins (same length, identical
    before the onset) get the same window and the same augmentation draws, so what differs
    between them in a batch is the artifact (crops still move to keep an event's box).
    """

    def __init__(
        self,
        items: list[Item],
        label_names: tuple[str, ...],
        window: WindowSpec,
        transform: ClipTransform,
        train: bool = False,
        backend: str = "auto",
        timeout: float | None = 30.0,
        on_error: str = "skip",
        max_skips: int = 20,
        seed: int = 0,
        align_groups: bool = False,
        frame_cache: FrameCache | None = None,
    ):
        if on_error not in ON_ERROR:
            raise ValueError(f"on_error must be one of {ON_ERROR}, got {on_error!r}")
        self.items, self.label_names = items, tuple(label_names)
        self.window, self.transform, self.train = window, transform, train
        self.backend, self.timeout = backend, timeout
        self.on_error, self.max_skips = on_error, max_skips
        self.bad: dict[int, str] = {}  # index -> reason, in this process
        self.seed, self.epoch = seed, 0
        self.rng_keys = group_ids(items) if align_groups else list(range(len(items)))
        self.frame_cache = frame_cache

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> dict:
        epoch = getattr(i, "epoch", self.epoch)
        skipped = 0
        j = int(i)
        for _ in range(self.max_skips + 1):
            if j not in self.bad:
                try:
                    sample = self.load(j, self._rng(j, epoch))
                    sample["skipped"] = skipped
                    return sample
                except (VideoReadError, ClipTooShort) as e:
                    reason = e.reason if isinstance(e, VideoReadError) else str(e)
                    self._fail(j, reason)
                    skipped += 1
            j = (j + 1) % len(self.items)  # the next clip stands in, deterministically
        raise BadClipError(
            f"{self.max_skips + 1} clips in a row could not be read, last "
            f"{self.items[j].path}: {self.bad.get(j)}"
        )

    def _fail(self, j: int, reason: str) -> None:
        path = self.items[j].path
        if self.on_error == "raise":
            raise BadClipError(f"{path}: {reason}")
        self.bad[j] = reason
        log.warning("skipping %s: %s", path, reason)

    def _rng(self, j: int, epoch: int) -> np.random.Generator | None:
        if not self.train:
            return None
        return np.random.default_rng(
            derive_seed(self.seed, AUGMENT_STREAM, epoch, self.rng_keys[j])
        )

    def load(self, j: int, rng: np.random.Generator | None) -> dict:
        item = self.items[j]
        spec = self.window if rng is not None else _centred(self.window)

        def choose(num_frames: int, fps: float) -> np.ndarray:
            return window_indices(spec, num_frames, item.row.get("fps") or fps, rng)

        if self.frame_cache is not None and self.frame_cache.fits(item.row):
            frames, info = self.frame_cache.read(item.path, choose, self.backend, self.timeout)
        else:
            frames, info = read_frames(
                item.path, choose, backend=self.backend, timeout=self.timeout
            )
        idx = np.asarray(info["indices"])
        targets = window_targets(item.row, idx, info["num_frames"], self.label_names)
        boxes = [
            e["bbox"]
            for e in item.row.get("events") or []
            if "bbox" in e and event_in_window(e, idx, info["num_frames"])
        ]
        video = self.transform(frames, rng, keep_boxes=boxes)
        out = {k: torch.as_tensor(v) for k, v in targets.items()}
        group = item.row.get("group", str(item.path))
        out.update(
            video=video, frames=torch.as_tensor(idx), index=j, path=str(item.path), group=group
        )
        return out


def _centred(spec: WindowSpec) -> WindowSpec:
    from dataclasses import replace

    return replace(spec, mode="center")


def group_ids(items: list[Item]) -> list[int]:
    """An int per item, shared by the items of a manifest group; ungrouped items get their own."""
    ids: dict[str, int] = {}
    out = []
    for j, item in enumerate(items):
        group = item.row.get("group")
        out.append(ids.setdefault(group, len(ids)) if group else len(items) + j)
    return out
