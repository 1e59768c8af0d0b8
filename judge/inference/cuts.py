"""Hard scene cuts, found on the frames scoring decodes anyway (the model's time grid).

A hard cut is not a physics violation: multi-shot generations are normal. Scoring finds the cuts
while it decodes (`stream.py`) and, by default, scores each shot on its own (`cuts="split"`).

The signals, per decoded model-size frame (uint8 `(S, S, 3)`, the frame the model sees):
- a colour histogram: `BINS` bins per RGB channel, each channel's histogram summing to 1;
- a thumbnail: the frame box-averaged to `THUMB x THUMB` colour pixels, in [0, 1].

The distance of two frames is the smaller of two measures, both in [0, 1]:
- `h`: the histogram distance, half the L1 distance of the histograms, averaged over channels;
- `m`: the mean absolute difference of the thumbnails.
Taking the smaller one asks for both a new palette and new pixels. Motion and camera pans move
pixels (`m` rises) but keep the palette (`h` stays low); a change of palette without moving
pixels does not happen inside a shot short of a change of light, which the flash rule covers.

A cut at grid step k (the first frame of the new shot; k >= 1) needs all of:
1. `D_k >= FLOOR` (absolute floor), where `D_k` is the *smallest* distance between any of the
   `FLASH` frames before k (k-FLASH..k-1) and any of the `FLASH` frames from k on (k..k+FLASH-1),
   clipped to the video. Asking every pair to differ is the flash rule: a flash (or any brief
   disturbance) of up to `FLASH - 1` frames ends with the scene coming back, so some pair across
   it is close and no cut is called, on either edge of the flash;
2. `D_k >= RATIO * L_k`, where `L_k` is the median of the consecutive distances d(j-1, j) of the
   neighbouring steps j in k-NEIGHBOURS..k+NEIGHBOURS (j != k, clipped to the video): the local
   level of change. Fast motion and pans raise every consecutive distance around them, so only a
   change much larger than its neighbourhood's counts.

Constants: `THUMB = 16`, `BINS = 16`, `FLOOR = 0.10`, `RATIO = 3.0`, `NEIGHBOURS = 4`,
`FLASH = 3`. The floor was set on 600 clips of the cpu_tiny synthetic set, read at 64 x 64:
the largest distance between consecutive frames of any clean or artifact clip was 0.08 (a large
object vanishing), 99% of clips stayed below 0.05, and compression noise on a still shot gives
about 0.01; joins of two of its scenes (one renderer's look, a hard case) measured from 0.06
(median 0.17), 89% at or above 0.10, and 184 of 208 were found. A floor too low would split an
artifact (a vanish, a teleport) out of every window, hiding it; one too high only misses a
cut, which is then scored as today. Fast motion in the tests reaches 0.12 between consecutive
frames, and is kept from being a cut by the ratio.

A decision at step k needs the frames up to k + `LOOKAHEAD` (= max(NEIGHBOURS, FLASH - 1)), so
the detector runs streaming, a few frames behind the decoder (`CutDetector`). Its cost is a
histogram and a 16 x 16 thumbnail per decoded frame, and 9 + 1 small distances per step: no
extra decoding, about 0.4 ms a frame at 224 x 224 on one core (decoding and resizing a 720p
frame: 5-15 ms). Limits: a cut is located on the model's time grid, to within one model frame
(the first grid frame of the new shot); gradual transitions (dissolves, fades) are not hard
cuts and are not found; a brief disturbance on the very first or last frames of a video has no
scene on one side to come back to and may be called a cut.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

CUT_MODES = ("split", "artifact")  # Judge.score(cuts=...): score shots apart, or flag a cut
THUMB = 16  # thumbnail side, pixels
BINS = 16  # histogram bins per channel (256 / BINS grey levels each)
FLOOR = 0.10  # a cut's frames differ by at least this (distances are in [0, 1])
RATIO = 3.0  # ... and by this multiple of the local median of consecutive distances
NEIGHBOURS = 4  # steps either side whose consecutive distances set the local median
FLASH = 3  # frames compared on each side: disturbances up to FLASH - 1 frames are not cuts
LOOKAHEAD = max(NEIGHBOURS, FLASH - 1)  # frames after step k its decision needs


@dataclass(frozen=True)
class Signature:
    """What the detector keeps of a frame: `hist` float64 `(3, BINS)` (each row sums to 1) and
    `thumb` float32 `(THUMB, THUMB, 3)` in [0, 1]."""

    hist: np.ndarray
    thumb: np.ndarray


def signature(frame: np.ndarray) -> Signature:
    """The signature of a uint8 `(H, W, 3)` frame. The histogram counts a regular grid of
    pixels, every `min(H, W) // 64`-th pixel each way (all of them up to 127 pixels a side):
    some 4,000 pixels or more, a tenth of the cost at 224 x 224."""
    frame = np.ascontiguousarray(frame, dtype=np.uint8)
    every = max(1, min(frame.shape[:2]) // 64)
    sample = frame[::every, ::every]
    # uint8 arithmetic: bin + channel offset < 3 * BINS <= 255.
    bins = (sample >> (8 - int(np.log2(BINS)))) + np.arange(0, 3 * BINS, BINS, dtype=np.uint8)
    hist = np.bincount(bins.ravel(), minlength=3 * BINS).reshape(3, BINS)
    hist = hist / float(sample.shape[0] * sample.shape[1])
    img = Image.fromarray(frame)
    thumb = np.asarray(img.resize((THUMB, THUMB), Image.BOX), np.float32) / 255.0
    return Signature(hist=hist, thumb=thumb)


def distance(a: Signature, b: Signature) -> float:
    """min(histogram distance, thumbnail mean absolute difference), in [0, 1]."""
    h = 0.5 * float(np.abs(a.hist - b.hist).sum(axis=1).mean())
    m = float(np.abs(a.thumb - b.thumb).mean())
    return min(h, m)


class CutDetector:
    """The rule of the module docstring, fed one frame signature at a time, in grid order.

    `push(sig)` returns the cuts (grid steps) decided by this frame, `finish()` those left at
    the end; `decided` is the number of leading steps whose cut decision is final: no cut lies
    at any step below it other than those already returned. Only the last few signatures and
    distances are held, so memory does not grow with the video.
    """

    def __init__(self) -> None:
        self.count = 0  # frames pushed
        self.decided = 0
        self._sigs: dict[int, Signature] = {}  # step -> signature, recent steps only
        self._steps: dict[int, float] = {}  # step j -> d(j - 1, j), recent steps only
        self._finished = False

    def push(self, sig: Signature) -> list[int]:
        if self._finished:
            raise RuntimeError("push after finish")
        k = self.count
        self._sigs[k] = sig
        if k > 0:
            self._steps[k] = distance(self._sigs[k - 1], sig)
        self.count += 1
        return self._decide_until(self.count - LOOKAHEAD)

    def finish(self) -> list[int]:
        """Decide the last steps (their neighbourhoods clipped to the video)."""
        cuts = self._decide_until(self.count)
        self._finished = True
        return cuts

    def _decide_until(self, stop: int) -> list[int]:
        cuts = []
        while self.decided < stop:
            k = self.decided
            if k > 0 and self._is_cut(k):
                cuts.append(k)
            self.decided += 1
        # Keep what deciding the next steps can still read.
        for key in [s for s in self._sigs if s < self.decided - FLASH]:
            del self._sigs[key]
        for key in [s for s in self._steps if s < self.decided - NEIGHBOURS]:
            del self._steps[key]
        return cuts

    def _is_cut(self, k: int) -> bool:
        last = self.count - 1
        # The cheap test first: the consecutive distance bounds D_k from above.
        if self._steps[k] < FLOOR:
            return False
        before = range(max(0, k - FLASH), k)
        after = range(k, min(last, k + FLASH - 1) + 1)
        cross = min(distance(self._sigs[i], self._sigs[j]) for i in before for j in after)
        if cross < FLOOR:
            return False
        lo, hi = max(1, k - NEIGHBOURS), min(last, k + NEIGHBOURS)
        around = [self._steps[j] for j in range(lo, hi + 1) if j != k]
        level = float(np.median(around)) if around else 0.0
        return cross >= RATIO * level


def find_cuts(frames: np.ndarray | Sequence[np.ndarray]) -> list[int]:
    """Cuts (indices of the first frame of each new shot) in uint8 frames `(N, H, W, 3)`."""
    detector = CutDetector()
    cuts: list[int] = []
    for frame in frames:
        cuts += detector.push(signature(frame))
    return cuts + detector.finish()


def shots_of(cuts: Sequence[int], num_frames: int) -> list[list[int]]:
    """`[[first, last], ...]` frames of each shot, from the cuts (first frames of new shots)."""
    starts = [0, *(int(c) for c in cuts)]
    ends = [*(int(c) - 1 for c in cuts), int(num_frames) - 1]
    return [[s, e] for s, e in zip(starts, ends, strict=True)]
