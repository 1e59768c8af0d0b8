"""From window logits to one score record per video (the score format of DESIGN.md).

Per video, over its windows:
- a label's logit is the max over windows (an artifact anywhere makes the clip bad);
- the plausible logit is the min over windows (the clip is as plausible as its worst window),
  so `plausibility = sigmoid(min logit / T)` = the min over windows of P(plausible);
- a label's onset is the frame where the per-frame onset head peaks, in the window with that
  label's max logit, in seconds (`source frame / file fps`); reported only for labels whose
  score reaches their threshold, else null.
Scores are `sigmoid(logit / temperature)`; temperatures default to 1 and thresholds to 0.5.
The raw aggregated logits are kept in the record's `logits`, for calibration.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

RECORD_KEYS = (
    "path", "status", "error", "plausibility", "scores", "onsets", "windows", "model", "decoder",
    "logits", "num_frames", "fps",
)  # fmt: skip
PLAUSIBLE = "plausible"


def sigmoid(x: float) -> float:
    # Split by sign so neither branch overflows for large |x|.
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


class VideoScore:
    """Running max/min over one video's windows, fed in any number of `update` calls."""

    def __init__(self, path: str, total: int, num_frames: int, fps: float, decoder: dict):
        self.path, self.total = path, total
        self.num_frames, self.fps, self.decoder = num_frames, fps, decoder
        self.seen = 0
        self.label_logit: np.ndarray | None = None  # (L,) max over windows so far
        self.onset_frame: np.ndarray | None = None  # (L,) source frame of the onset peak
        self.plausible_logit = math.inf

    @property
    def done(self) -> bool:
        return self.seen >= self.total

    def update(
        self, labels: np.ndarray, plausible: np.ndarray, frames: np.ndarray, src: np.ndarray
    ) -> None:
        """Logits of n windows: `labels (n, L)`, `plausible (n,)`, per-frame `frames (n, T)`;
        `src (n, T)` the source frame index of each window frame."""
        best = labels.argmax(axis=0)  # (L,) window with each label's max logit
        logit = labels[best, np.arange(labels.shape[1])]
        onset = src[best, frames[best].argmax(axis=1)]  # (L,)
        if self.label_logit is None:
            self.label_logit, self.onset_frame = logit, onset
        else:
            better = logit > self.label_logit  # ties keep the earlier window
            self.label_logit = np.where(better, logit, self.label_logit)
            self.onset_frame = np.where(better, onset, self.onset_frame)
        self.plausible_logit = min(self.plausible_logit, float(plausible.min()))
        self.seen += len(labels)

    def record(
        self,
        labels: Sequence[str],
        temperatures: Mapping[str, float],
        thresholds: Mapping[str, float],
        model: str,
    ) -> dict:
        """The finished video's score record (module docstring)."""
        logits = {name: float(v) for name, v in zip(labels, self.label_logit, strict=True)}
        logits[PLAUSIBLE] = float(self.plausible_logit)
        scores, onsets = {}, {}
        for i, name in enumerate(labels):
            p = sigmoid(logits[name] / float(temperatures.get(name, 1.0)))
            scores[name] = p
            hit = p >= float(thresholds.get(name, 0.5)) and self.fps > 0
            onsets[name] = float(self.onset_frame[i]) / self.fps if hit else None
        plausibility = sigmoid(logits[PLAUSIBLE] / float(temperatures.get(PLAUSIBLE, 1.0)))
        return {
            "path": self.path,
            "status": "ok",
            "error": None,
            "plausibility": plausibility,
            "scores": scores,
            "onsets": onsets,
            "windows": self.seen,
            "model": model,
            "decoder": self.decoder,
            "logits": logits,
            "num_frames": self.num_frames,
            "fps": self.fps,
        }


def error_record(path: str, error: str, model: str, decoder: dict | None = None) -> dict:
    """The record of a video that could not be scored: `status: "error"` and the reason."""
    return {
        "path": path,
        "status": "error",
        "error": error,
        "plausibility": None,
        "scores": {},
        "onsets": {},
        "windows": 0,
        "model": model,
        "decoder": decoder or {},
        "logits": {},
        "num_frames": None,
        "fps": None,
    }
