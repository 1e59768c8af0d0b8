"""From window logits to one score record per video (the score format of DESIGN.md).

Per video, over its windows:
- a label's logit is the max over windows (an artifact anywhere makes the clip bad);
- the plausible logit is the min over windows (the clip is as plausible as its worst window),
  so `plausibility = sigmoid(min logit / T)` = the min over windows of P(plausible);
- a label's onset is the frame where the per-frame onset head peaks, in the window with that
  label's max logit, in seconds (`source frame / file fps`); reported only for labels whose
  score reaches their threshold, else null. `onset_frames` keeps that source frame for every
  label, thresholded or not (evaluation measures onset error on every artifact clip);
- optionally (`frame_scores`), a per-frame curve: for each source frame, the max over the windows
  that hold it of the onset head's sigmoid, i.e. how strongly an artifact seems to start there.
Scores are `sigmoid(logit / temperature)`; temperatures default to 1 and thresholds to 0.5.
The raw aggregated logits are kept in the record's `logits`, for calibration.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

RECORD_KEYS = (
    "path", "status", "error", "plausibility", "scores", "onsets", "windows", "model", "decoder",
    "logits", "num_frames", "fps", "onset_frames",
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

    def __init__(
        self,
        path: str,
        total: int,
        num_frames: int,
        fps: float,
        decoder: dict,
        frame_scores: bool = False,
    ):
        self.path, self.total = path, total
        self.num_frames, self.fps, self.decoder = num_frames, fps, decoder
        self.seen = 0
        self.label_logit: np.ndarray | None = None  # (L,) max over windows so far
        self.onset_frame: np.ndarray | None = None  # (L,) source frame of the onset peak
        self.plausible_logit = math.inf
        # (num_frames,) max onset probability per source frame; -1 marks frames no window held.
        self.curve = np.full(max(num_frames, 0), -1.0) if frame_scores else None

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
        if self.curve is not None:
            inside = (src >= 0) & (src < len(self.curve))
            prob = 1.0 / (1.0 + np.exp(-np.clip(frames[inside], -50.0, 50.0)))
            np.maximum.at(self.curve, src[inside].astype(np.int64), prob)
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
        record = {
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
            "onset_frames": {
                name: int(f) for name, f in zip(labels, self.onset_frame, strict=True)
            },
        }
        if self.curve is not None:
            # A frame no window reached (e.g. skipped by fps resampling) takes its left
            # neighbour's value, so the curve is defined at every source frame.
            curve = self.curve.copy()
            for i in range(len(curve)):
                if curve[i] < 0:
                    curve[i] = curve[i - 1] if i > 0 else 0.0
            record["frame_scores"] = [round(float(v), 5) for v in curve]
        return record


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
        "onset_frames": {},
    }
