"""Tiny judges and videos for the scoring tests, made in temporary folders.

`make_checkpoint` saves what a Lightning run of `JudgeModule` saves, reduced to what scoring
reads: `{"state_dict": {"model." + k: v}, "judge": describe(...)}` (see
judge/training/checkpoint.py), with a tiny3d small enough to run in milliseconds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

import judge
from judge.data.transforms import MEAN, STD
from judge.io.writer import write_video
from judge.labels import ARTIFACT_LABELS
from judge.models import build_model

LABELS = list(ARTIFACT_LABELS)
NUM_FRAMES = 8  # frames per window of the tiny judge
SIZE = 32


def make_checkpoint(
    path: str | Path,
    labels: list[str] | None = None,
    fps: float | None = None,
    seed: int = 0,
    model_options: dict | None = None,
    **extra,
) -> Path:
    """A Lightning-style judge checkpoint of a random tiny3d (width 0.25, plus `model_options`
    of `build_model`) at `path`; `extra` joins its `judge` block."""
    labels = list(labels or LABELS)
    torch.manual_seed(seed)
    model = build_model("tiny3d", num_labels=len(labels), width=0.25, **(model_options or {}))
    # Random BatchNorm statistics, so a test would notice running stats that fail to load.
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm1d | torch.nn.BatchNorm3d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
    ckpt = {
        "epoch": 1,
        "global_step": 10,
        "state_dict": {f"model.{k}": v for k, v in model.state_dict().items()},
        "judge": {
            "format": 1,
            "judge_version": judge.__version__,
            "labels": labels,
            "model": dict(model.config),
            "input": {
                "num_frames": NUM_FRAMES,
                "stride": 1,
                "fps": fps,
                "size": SIZE,
                "mean": list(MEAN),
                "std": list(STD),
            },
            "decoder": {"name": "decord", "version": "0.6.0"},
            "wandb_id": None,
            **extra,
        },
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(ckpt, path)
    return path


def moving_square(num_frames: int, h: int = 48, w: int = 64, seed: int = 0) -> np.ndarray:
    """uint8 `(T, h, w, 3)`: a bright square sliding over a noisy background."""
    rng = np.random.default_rng(seed)
    frames = np.empty((num_frames, h, w, 3), np.uint8)
    background = rng.integers(40, 90, (h, w, 3), dtype=np.uint8)
    for t in range(num_frames):
        frames[t] = background
        x = (3 * t) % (w - 10)
        frames[t, h // 3 : h // 3 + 10, x : x + 10] = (250, 220, 30)
    return frames


def make_clip(
    path: str | Path, num_frames: int, fps: float = 15, h: int = 48, w: int = 64, seed: int = 0
) -> Path:
    """An H.264 mp4 of `moving_square` frames."""
    return write_video(path, moving_square(num_frames, h, w, seed), fps=fps, crf=28, preset="fast")


def make_bad_files(folder: str | Path, good: Path) -> dict[str, Path]:
    """Files that cannot be scored, by kind: truncated mp4, empty, text named .mp4."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    data = good.read_bytes()
    out = {
        "truncated": folder / "truncated.mp4",
        "empty": folder / "empty.mp4",
        "text": folder / "notes.mp4",
    }
    out["truncated"].write_bytes(data[: len(data) // 3])
    out["empty"].write_bytes(b"")
    out["text"].write_text("this is not a video\n" * 20)
    return out
