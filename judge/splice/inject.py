"""The five injections into a still-camera window, and the check that each one is visible.

Every injection copies the clean window and changes frames from the onset on only, so a twin
equals its clean clip before the onset by construction. Pasted pixels go through a feathered
mask (`feather` px) so the seam itself is not the cue:

  teleport   the region is cut out (its place filled from the plate) and pasted at a clear
             offset from the onset on, following its own motion: a one-frame jump.
  vanish     from the onset on, the region is replaced by the plate.
  appear     a region seen at another time (a plate-context frame outside the window when
             there is one) is pasted, still, where the window shows background.
  duplicate  a copy of the region is pasted beside it and moves with it.
  morph      the region's colour (hue rotation or brightness) or scale changes suddenly.

`visible` then demands a clear difference to the clean clip inside the event's box at the
onset and in every later frame; a failed check is retried (another region, onset, offset).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from judge.splice.config import SpliceConfig
from judge.splice.imageops import bbox, composite, dilate, feather, shift, union_box
from judge.splice.plate import BORDER, Layers


@dataclass
class Scene:
    """What the injections work from: one still-camera window at the written size."""

    clean: np.ndarray  # uint8 (T, H, W, 3)
    plate: np.ndarray  # uint8 (H, W, 3)
    layers: Layers  # foreground of the window frames
    others: np.ndarray  # uint8 (M, H, W, 3): frames from other times (appear's sources)
    other_layers: Layers | None
    cfg: SpliceConfig
    min_px: int = field(init=False)
    max_px: int = field(init=False)

    def __post_init__(self) -> None:
        h, w = self.clean.shape[1:3]
        self.min_px = max(4, int(round(self.cfg.min_region * h * w)))
        self.max_px = int(self.cfg.max_region * h * w)


@dataclass
class Twin:
    kind: str
    frames: np.ndarray
    onset: int
    box: tuple[int, int, int, int]  # event box at the onset, end-exclusive pixels
    params: dict


def _inside(box, w: int, h: int) -> bool:
    return box[0] >= BORDER and box[1] >= BORDER and box[2] <= w - BORDER and box[3] <= h - BORDER


def _moved(box, dx: int, dy: int):
    return box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy


def _pick_track(sc: Scene, onset: int, rng) -> list[np.ndarray] | None:
    """A region at the onset that can be followed to the last frame (random order)."""
    regions = sc.layers.regions(onset, sc.min_px, sc.max_px)
    last = len(sc.clean) - 1
    for i in rng.permutation(len(regions)):
        track = sc.layers.track(onset, regions[i], last)
        if track is not None:
            return track
    return None


def _fill_plate(sc: Scene, frame: np.ndarray, t: int, m: np.ndarray) -> np.ndarray:
    """`frame` with region `m` (and a 1 px rim) replaced by the plate, other objects kept."""
    alpha = feather(dilate(m, 1), sc.cfg.feather)
    alpha[sc.layers.fg[t] & ~dilate(m, 2 + sc.cfg.feather)] = 0.0
    return composite(frame, sc.plate, alpha)


def _paste_shifted(sc: Scene, frame: np.ndarray, t: int, m: np.ndarray, dx: int, dy: int):
    src = shift(sc.clean[t], dx, dy)
    return composite(frame, src, feather(shift(m, dx, dy, False), sc.cfg.feather))


def vanish(sc: Scene, onset: int, rng):
    track = _pick_track(sc, onset, rng)
    if track is None:
        return None
    twin = sc.clean.copy()
    for k, m in enumerate(track):
        twin[onset + k] = _fill_plate(sc, twin[onset + k], onset + k, m)
    boxes = [bbox(m) for m in track]
    return twin, boxes[0], boxes, {"area": int(track[0].sum())}


def _offset_ok(boxes, dx: int, dy: int, w: int, h: int) -> bool:
    return all(_inside(_moved(b, dx, dy), w, h) for b in boxes)


def teleport(sc: Scene, onset: int, rng):
    track = _pick_track(sc, onset, rng)
    if track is None:
        return None
    h, w = sc.clean.shape[1:3]
    boxes = [bbox(m) for m in track]
    ext = max(max(b[2] - b[0], b[3] - b[1]) for b in boxes)
    lo = max(sc.cfg.teleport_min_frac * max(h, w), 1.5 * ext)
    for _ in range(12):
        angle, mag = rng.uniform(0, 2 * np.pi), rng.uniform(lo, 1.5 * lo)
        dx, dy = int(round(mag * np.cos(angle))), int(round(mag * np.sin(angle)))
        if _offset_ok(boxes, dx, dy, w, h):
            break
    else:
        return None
    twin = sc.clean.copy()
    for k, m in enumerate(track):
        t = onset + k
        twin[t] = _paste_shifted(sc, _fill_plate(sc, twin[t], t, m), t, m, dx, dy)
    moved = [_moved(b, dx, dy) for b in boxes]
    return twin, moved[0], moved, {"offset": [dx, dy], "area": int(track[0].sum())}


def duplicate(sc: Scene, onset: int, rng):
    track = _pick_track(sc, onset, rng)
    if track is None:
        return None
    h, w = sc.clean.shape[1:3]
    boxes = [bbox(m) for m in track]
    bw = max(b[2] - b[0] for b in boxes)
    bh = max(b[3] - b[1] for b in boxes)
    options = []
    for sign in (-1, 1):
        gap = int(rng.integers(1, max(2, bw // 2) + 1))
        options.append((sign * (bw + gap), int(rng.integers(-(bh // 4), bh // 4 + 1))))
        gap = int(rng.integers(1, max(2, bh // 2) + 1))
        options.append((int(rng.integers(-(bw // 4), bw // 4 + 1)), sign * (bh + gap)))
    for i in rng.permutation(len(options)):
        dx, dy = options[i]
        if _offset_ok(boxes, dx, dy, w, h):
            break
    else:
        return None
    twin = sc.clean.copy()
    for k, m in enumerate(track):
        twin[onset + k] = _paste_shifted(sc, twin[onset + k], onset + k, m, dx, dy)
    moved = [_moved(b, dx, dy) for b in boxes]
    return twin, moved[0], moved, {"offset": [dx, dy], "area": int(track[0].sum())}


def _rotate_hue(rgb: np.ndarray, degrees: float) -> np.ndarray:
    """Rotate hue in YIQ space (luma kept)."""
    to_yiq = np.array([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])
    c, s = np.cos(np.radians(degrees)), np.sin(np.radians(degrees))
    rot = np.array([[1, 0, 0], [0, c, -s], [0, s, c]])
    m = (np.linalg.inv(to_yiq) @ rot @ to_yiq).astype(np.float32)
    return np.clip(rgb.astype(np.float32) @ m.T, 0, 255).astype(np.uint8)


def _scaled_sprite(frame: np.ndarray, m: np.ndarray, factor: float):
    """Crop of the region scaled by `factor` about its centre: (rgb, alpha, box) or None."""
    x0, y0, x1, y1 = bbox(dilate(m, 1))
    w, h = x1 - x0, y1 - y0
    nw, nh = max(2, int(round(w * factor))), max(2, int(round(h * factor)))
    rgb = Image.fromarray(frame[y0:y1, x0:x1]).resize((nw, nh), Image.BILINEAR)
    alpha = Image.fromarray((m[y0:y1, x0:x1] * 255).astype(np.uint8)).resize(
        (nw, nh), Image.BILINEAR
    )
    cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
    bx, by = cx - nw // 2, cy - nh // 2
    return np.asarray(rgb), np.asarray(alpha, dtype=np.float32) / 255.0, (bx, by, bx + nw, by + nh)


def morph(sc: Scene, onset: int, rng):
    track = _pick_track(sc, onset, rng)
    if track is None:
        return None
    h, w = sc.clean.shape[1:3]
    mode = str(rng.choice(["hue", "brightness", "scale"]))
    twin = sc.clean.copy()
    boxes = []
    if mode == "scale":
        factor = float(rng.choice([0.55, 1.6]))
        for k, m in enumerate(track):
            t = onset + k
            rgb, alpha, box = _scaled_sprite(sc.clean[t], m, factor)
            if not _inside(box, w, h):
                return None
            frame = _fill_plate(sc, twin[t], t, m)
            x0, y0, x1, y1 = box
            src, a = frame.copy(), np.zeros((h, w), np.float32)
            src[y0:y1, x0:x1], a[y0:y1, x0:x1] = rgb, alpha
            twin[t] = composite(frame, src, a)
            boxes.append(union_box(bbox(m), box))
        params = {"mode": mode, "factor": factor}
    else:
        if mode == "hue":
            amount = float(rng.uniform(90, 270))
            change = lambda f: _rotate_hue(f, amount)  # noqa: E731
        else:
            amount = float(rng.choice([0.45, 1.8]))
            change = lambda f: np.clip(f * np.float32(amount), 0, 255).astype(np.uint8)  # noqa: E731
        for k, m in enumerate(track):
            t = onset + k
            twin[t] = composite(twin[t], change(sc.clean[t]), feather(m, sc.cfg.feather))
            boxes.append(bbox(m))
        params = {"mode": mode, "amount": amount}
    params["area"] = int(track[0].sum())
    return twin, boxes[0], boxes, params


def appear(sc: Scene, onset: int, rng):
    """Paste a region from another time where the window shows background from the onset on."""
    T, h, w = sc.clean.shape[:3]
    if sc.other_layers is not None and len(sc.others):
        frames, layers = sc.others, sc.other_layers
    else:  # no frames outside the window: take regions from window frames before the onset
        frames, layers = sc.clean[:onset], sc.layers
    busy = sc.layers.fg[onset:].any(axis=0)
    for j in rng.permutation(len(frames))[:6]:
        regions = layers.regions(int(j), sc.min_px, sc.max_px)
        for i in rng.permutation(len(regions)):
            m = regions[i]
            box = bbox(m)
            bw, bh = box[2] - box[0], box[3] - box[1]
            spots = [(0, 0)] + [
                (int(rng.integers(BORDER, w - BORDER - bw + 1)) - box[0],
                 int(rng.integers(BORDER, h - BORDER - bh + 1)) - box[1])
                for _ in range(4)
                if w - 2 * BORDER > bw and h - 2 * BORDER > bh
            ]  # fmt: skip
            for dx, dy in spots:
                placed = shift(m, dx, dy, False)
                if (dilate(placed, 2) & busy).any():
                    continue
                src = shift(frames[int(j)], dx, dy)
                alpha = feather(placed, sc.cfg.feather)
                twin = sc.clean.copy()
                for t in range(onset, T):
                    twin[t] = composite(twin[t], src, alpha)
                pbox = _moved(box, dx, dy)
                return twin, pbox, [pbox] * (T - onset), {"area": int(m.sum()), "offset": [dx, dy]}
    return None


INJECTORS = {
    "teleport": teleport,
    "vanish": vanish,
    "appear": appear,
    "duplicate": duplicate,
    "morph": morph,
}


def box_diff(a: np.ndarray, b: np.ndarray, box) -> float:
    """Mean |a - b| (0-255, all channels) inside `box` of two uint8 frames."""
    x0, y0, x1, y1 = box
    pa, pb = a[y0:y1, x0:x1].astype(np.int16), b[y0:y1, x0:x1].astype(np.int16)
    return float(np.abs(pa - pb).mean()) if pa.size else 0.0


def visible(sc: Scene, twin: np.ndarray, onset: int, boxes: list) -> str | None:
    """Why the injection is not clearly visible, or None when it is."""
    clean = sc.clean
    if not np.array_equal(twin[:onset], clean[:onset]):
        return "frames before the onset changed"
    x0, y0, x1, y1 = boxes[0]
    if (x1 - x0) * (y1 - y0) < sc.min_px:
        return f"event box {boxes[0]} smaller than {sc.min_px} px"
    d = box_diff(twin[onset], clean[onset], boxes[0])
    if d < sc.cfg.min_diff:
        return f"difference {d:.1f} at the onset < min_diff {sc.cfg.min_diff}"
    later = [box_diff(twin[onset + k], clean[onset + k], b) for k, b in enumerate(boxes)]
    if min(later) < sc.cfg.min_diff / 2:
        return f"difference fades to {min(later):.1f} after the onset"
    return None


def make_twin(kind: str, sc: Scene, rng: np.random.Generator) -> tuple[Twin | None, str]:
    """Try up to `max_attempts` times to inject `kind`; (twin, "") or (None, last reason)."""
    T = len(sc.clean)
    margin = sc.cfg.onset_margin
    reason = "no attempt"
    for _ in range(sc.cfg.max_attempts):
        onset = int(rng.integers(margin, T - margin))
        made = INJECTORS[kind](sc, onset, rng)
        if made is None:
            reason = "no suitable region"
            continue
        frames, box, boxes, params = made
        reason = visible(sc, frames, onset, boxes)
        if reason is None:
            return Twin(kind, frames, onset, tuple(int(v) for v in box), params), ""
    return None, reason
