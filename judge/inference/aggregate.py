"""From window logits to one score record per video (the score format of docs/formats.md).

Per video, over its n windows (all shots together when scoring splits the video at its cuts;
with the "tiles" fit each window's tiles are first joined into one, `reduce_tiles`):
- length-aware aggregation, a multiple-comparisons correction. A label's evidence is its max
  window logit and the plausible evidence its min window logit; with a per-window false-alarm
  probability q, n windows raise a clip's false alarms to about n * q, so the window evidence
  must clear a bar raised by log(n / N_REF):

      correction = log(max(1, n / N_REF))
      label logit     = max_i l_i - correction
      plausible logit = min_i z_i + correction

  `N_REF = 2` is the number of windows of a training-length clip (24 frames, windows of 16,
  hop 8), so a clip of up to N_REF windows scores exactly as the plain max/min (synthetic
  evaluation is unchanged), while one bad window among the 174 of a 139 s clip no longer
  condemns it alone (correction log 87 = 4.5). `plausibility = sigmoid(plausible logit / T)`;
- a label's onset is the frame where the per-frame onset head peaks, in the window with that
  label's max logit, in seconds (`source frame / file fps`); reported only for labels whose
  score reaches their threshold, else null. `onset_frames` keeps that source frame for every
  label, thresholded or not (evaluation measures onset error on every artifact clip);
- optionally (`frame_scores`), a per-frame curve: for each source frame, the max over the windows
  that hold it of the onset head's sigmoid, i.e. how strongly an artifact seems to start there.
Scores are `sigmoid(logit / temperature)`; temperatures default to 1 and thresholds to 0.5.
The record's `logits` are the corrected logits, the ones the scores are computed from, before
temperature: calibration fits its temperatures on them. The raw max/min are
`logit + correction` (labels) and `logit - correction` (plausible), the correction following
from the record's `windows`.

The record (`record.RECORD_KEYS`, in this order, built by `record.make_record`; `frame_scores`
is added when asked for):
    path str; status "ok" | "error"; error str | None; plausibility float | None;
    scores {label: float}; onsets {label: seconds | None}; windows int; model str;
    decoder {"name", "version"}; logits {label: float, "plausible": float}; num_frames int | None;
    fps float | None; onset_frames {label: source frame};
    flagged bool | None: the judge's decision at its thresholds, `plausibility <
        threshold("plausible")` (the rule of `Predictions.flagged` in judge/report);
    shots [[first, last], ...] | None: each shot's source frames ([[0, num_frames - 1]] without
        a cut); cuts [frame, ...] | None: the first source frame of each new shot;
    ood_distance float | None, out_of_domain bool | None: the out-of-domain measure of
        `domain.py` (the median window distance and its verdict), null when the judge has no
        `domain` statistics or its model gives no `features`.
Error records hold null (or empty) values. A video scored with `cuts="artifact"` that has a
cut is flagged with plausibility 0.0 (its logits, scores and onsets stay the model's).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import torch

from judge.data.tiles import join_tiles
from judge.inference.cuts import shots_of
from judge.inference.record import make_record
from judge.metrics import sigmoid
from judge.training import domain as ood

PLAUSIBLE = "plausible"
# Windows of a training-length clip: 24 frames in windows of T = 16 with hop 8 give 2. Clips of
# up to this many windows are aggregated as the plain max/min (module docstring).
N_REF = 2


def length_correction(windows: int) -> float:
    """`log(max(1, windows / N_REF))`: the bar a clip's window evidence must clear."""
    return math.log(max(1.0, windows / N_REF))


def reduce_tiles(
    labels: np.ndarray,
    plausible: np.ndarray,
    frames: np.ndarray,
    distances: np.ndarray | None,
    tiles: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """The model's outputs for n windows read as K tiles each (fit "tiles", rows tile by tile:
    `labels (n * K, L)`, `plausible (n * K,)`, `frames (n * K, T)`, `distances (n * K,)`)
    joined into one row per window, `(n, L)`, `(n,)`, `(n, T)`, `(n,)`, by
    `judge.data.tiles.join_tiles`, validation's join (max label and onset logits, min
    plausible logit); the out-of-domain distance, a measure of the frame's look, is the tiles'
    mean. K = 1 returns the rows as they are."""
    if tiles == 1:
        return labels, plausible, frames, distances
    n = len(plausible) // tiles
    if n * tiles != len(plausible):
        raise ValueError(f"{len(plausible)} rows are not whole windows of {tiles} tiles")
    out = {"labels": labels, "plausible": plausible, "frames": frames}
    joined = join_tiles({k: torch.from_numpy(v) for k, v in out.items()}, torch.full((n,), tiles))
    if distances is not None:
        distances = np.asarray(distances).reshape(n, tiles).mean(axis=1)
    labels, plausible, frames = (joined[k].numpy() for k in ("labels", "plausible", "frames"))
    return labels, plausible, frames, distances


class VideoScore:
    """Running max/min over one video's windows, fed in any number of `update` calls.

    `total` windows may be unknown at the start (None): `close(total, cuts)` gives it with the
    video's cuts when its last piece arrives; `done` once that many windows were fed.
    `cut_artifact`: a video with a cut is flagged, plausibility 0.0 (`cuts="artifact"`).
    """

    def __init__(
        self,
        path: str,
        total: int | None,
        num_frames: int,
        fps: float,
        decoder: dict,
        frame_scores: bool = False,
        cut_artifact: bool = False,
    ):
        self.path, self.total = path, total
        self.num_frames, self.fps, self.decoder = num_frames, fps, decoder
        self.cut_artifact = cut_artifact
        self.cuts: list[int] = []
        self.seen = 0
        self.label_logit: np.ndarray | None = None  # (L,) max over windows so far
        self.onset_frame: np.ndarray | None = None  # (L,) source frame of the onset peak
        self.plausible_logit = math.inf
        self.distances: list[np.ndarray] = []  # per-window out-of-domain distances
        # (num_frames,) max onset probability per source frame; -1 marks frames no window held.
        self.curve = np.full(max(num_frames, 0), -1.0) if frame_scores else None

    @property
    def done(self) -> bool:
        return self.total is not None and self.seen >= self.total

    def close(self, total: int, cuts: Sequence[int] = ()) -> None:
        """All windows are known: `total` of them; `cuts` the first source frame of each new
        shot."""
        self.total, self.cuts = int(total), [int(c) for c in cuts]

    def update(
        self,
        labels: np.ndarray,
        plausible: np.ndarray,
        frames: np.ndarray,
        src: np.ndarray,
        distances: np.ndarray | None = None,
    ) -> None:
        """Logits of n windows: `labels (n, L)`, `plausible (n,)`, per-frame `frames (n, T)`;
        `src (n, T)` the source frame index of each window frame; `distances (n,)` the windows'
        out-of-domain distances, when the judge measures them."""
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
            # Not metrics.sigmoid on purpose: the curve is computed in the model's float32, and
            # frame_scores hold exactly these values (a float64 sigmoid would move some of them
            # in the 5th decimal they are rounded to).
            prob = 1.0 / (1.0 + np.exp(-np.clip(frames[inside], -50.0, 50.0)))
            np.maximum.at(self.curve, src[inside].astype(np.int64), prob)
        if distances is not None:
            self.distances.append(np.asarray(distances, np.float64))
        self.seen += len(labels)

    def record(
        self,
        labels: Sequence[str],
        temperatures: Mapping[str, float],
        thresholds: Mapping[str, float],
        model: str,
        domain: Mapping | None = None,
    ) -> dict:
        """The finished video's score record (module docstring); `domain` the judge's
        out-of-domain statistics, if any."""
        correction = length_correction(self.seen)
        logits = {
            name: float(v) - correction for name, v in zip(labels, self.label_logit, strict=True)
        }
        logits[PLAUSIBLE] = float(self.plausible_logit) + correction
        scores, onsets = {}, {}
        for i, name in enumerate(labels):
            p = sigmoid(logits[name] / float(temperatures.get(name, 1.0)))
            scores[name] = p
            hit = p >= float(thresholds.get(name, 0.5)) and self.fps > 0
            onsets[name] = float(self.onset_frame[i]) / self.fps if hit else None
        plausibility = sigmoid(logits[PLAUSIBLE] / float(temperatures.get(PLAUSIBLE, 1.0)))
        flagged = plausibility < float(thresholds.get(PLAUSIBLE, 0.5))
        if self.cut_artifact and self.cuts:
            plausibility, flagged = 0.0, True
        distance = out = None
        measured = sum(len(d) for d in self.distances)
        if domain is not None and measured and measured == self.seen:
            distance = ood.clip_distance(np.concatenate(self.distances))
            out = ood.is_out_of_domain(distance, domain)
        record = make_record(
            path=self.path,
            status="ok",
            error=None,
            plausibility=plausibility,
            scores=scores,
            onsets=onsets,
            windows=self.seen,
            model=model,
            decoder=self.decoder,
            logits=logits,
            num_frames=self.num_frames,
            fps=self.fps,
            onset_frames={name: int(f) for name, f in zip(labels, self.onset_frame, strict=True)},
            flagged=bool(flagged),
            shots=shots_of(self.cuts, self.num_frames),
            cuts=list(self.cuts),
            ood_distance=distance,
            out_of_domain=out,
        )
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
    return make_record(
        path=path,
        status="error",
        error=error,
        plausibility=None,
        scores={},
        onsets={},
        windows=0,
        model=model,
        decoder=decoder or {},
        logits={},
        num_frames=None,
        fps=None,
        onset_frames={},
        flagged=None,
        shots=None,
        cuts=None,
        ood_distance=None,
        out_of_domain=None,
    )
