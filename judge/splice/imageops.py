"""Small numpy image operations: binary morphology, connected components, feathered pasting.

scipy is not a dependency, so these are written for the sizes used here (frames of a few
hundred pixels a side). Morphology works on the last two axes of a stack `(N, H, W)` at once;
labelling works on one frame.
"""

from __future__ import annotations

import numpy as np


def _shift_max(m: np.ndarray, r: int, axis: int) -> np.ndarray:
    """Max (for bool: OR) of `m` over offsets -r..r along `axis`; outside the frame counts as
    nothing."""
    out = m.copy()
    n = m.shape[axis]
    for d in range(1, r + 1):
        if d >= n:
            break
        a = [slice(None)] * m.ndim
        b = [slice(None)] * m.ndim
        a[axis], b[axis] = slice(d, None), slice(None, -d)
        np.maximum(out[tuple(a)], m[tuple(b)], out=out[tuple(a)])
        np.maximum(out[tuple(b)], m[tuple(a)], out=out[tuple(b)])
    return out


def dilate(m: np.ndarray, r: int = 1) -> np.ndarray:
    """Binary dilation of bool masks `(..., H, W)` by a `(2r+1)` square."""
    if r <= 0:
        return m.copy()
    return _shift_max(_shift_max(m, r, -2), r, -1)


def erode(m: np.ndarray, r: int = 1) -> np.ndarray:
    """Binary erosion (the frame border counts as foreground, so edges are not eaten)."""
    if r <= 0:
        return m.copy()
    return ~dilate(~m, r)


def open_close(m: np.ndarray, r: int = 1) -> np.ndarray:
    """Opening (drops specks thinner than 2r+1) then closing (fills small holes and gaps)."""
    return erode(dilate(dilate(erode(m, r), r), r), r)


def label(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """4-connected components of a 2-D bool mask.

    Returns int32 labels (0 background, 1..n components numbered in raster order of their
    first pixel) and n. Min-label propagation with pointer jumping, on the crop that holds the
    foreground only: a handful of cheap passes.
    """
    out = np.zeros(mask.shape, np.int32)
    box = bbox(mask)
    if box is None:
        return out, 0
    x0, y0, x1, y1 = box
    m = mask[y0:y1, x0:x1]
    n = m.size
    lab = np.where(m, np.arange(n, dtype=np.int32).reshape(m.shape), np.int32(n))
    flat = np.empty(n + 1, np.int32)
    flat[n] = n
    while True:
        new = lab.copy()
        np.minimum(new[1:], lab[:-1], out=new[1:])
        np.minimum(new[:-1], lab[1:], out=new[:-1])
        np.minimum(new[:, 1:], lab[:, :-1], out=new[:, 1:])
        np.minimum(new[:, :-1], lab[:, 1:], out=new[:, :-1])
        new[~m] = n
        flat[:n] = new.ravel()
        for _ in range(3):  # pointer jumping: a label is the index of a pixel of its component
            flat[:n] = flat[flat[:n]]
        new = flat[:n].reshape(m.shape).copy()  # not a view: `flat` is reused
        if np.array_equal(new, lab):
            break
        lab = new
    roots, inverse = np.unique(lab.ravel(), return_inverse=True)
    crop = inverse.reshape(m.shape).astype(np.int32) + 1
    count = len(roots) - int(roots[-1] == n)  # the background sentinel sorts last
    crop[~m] = 0
    out[y0:y1, x0:x1] = crop
    return out, count


def bbox(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """`(x0, y0, x1, y1)` of a 2-D bool mask, end-exclusive; None if empty."""
    ys = np.flatnonzero(mask.any(axis=1))
    if not len(ys):
        return None
    xs = np.flatnonzero(mask.any(axis=0))
    return int(xs[0]), int(ys[0]), int(xs[-1]) + 1, int(ys[-1]) + 1


def union_box(a, b):
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


def shift(a: np.ndarray, dx: int, dy: int, fill=0) -> np.ndarray:
    """`a` (H, W, ...) moved by (dx, dy) pixels; uncovered pixels get `fill`."""
    out = np.full_like(a, fill)
    h, w = a.shape[:2]
    xs, xd = (slice(0, w - dx), slice(dx, w)) if dx >= 0 else (slice(-dx, w), slice(0, w + dx))
    ys, yd = (slice(0, h - dy), slice(dy, h)) if dy >= 0 else (slice(-dy, h), slice(0, h + dy))
    out[yd, xd] = a[ys, xs]
    return out


def feather(mask: np.ndarray, r: int = 1) -> np.ndarray:
    """Soft alpha `(H, W)` float32 in [0, 1]: the mask grown by `r` then box-blurred by `r`.

    The mask's own pixels stay at (nearly) 1; the seam fades over about 2r pixels, so the paste
    edge is not a sharp cue.
    """
    a = dilate(mask, r).astype(np.float32) if r else mask.astype(np.float32)
    if r <= 0:
        return a
    k = 2 * r + 1
    for axis in (0, 1):
        pad = [(0, 0), (0, 0)]
        pad[axis] = (r, r)
        p = np.pad(a, pad, mode="edge")
        c = np.cumsum(p, axis=axis, dtype=np.float32)
        c = np.concatenate([np.zeros_like(np.take(c, [0], axis=axis)), c], axis=axis)
        a = (
            np.take(c, range(k, c.shape[axis]), axis=axis)
            - np.take(c, range(0, c.shape[axis] - k), axis=axis)
        ) / k
    return np.maximum(a, mask.astype(np.float32))


def composite(dst: np.ndarray, src: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """`alpha * src + (1 - alpha) * dst`, uint8 frames `(H, W, 3)`, rounded."""
    a = alpha[..., None]
    out = a * src.astype(np.float32) + (1.0 - a) * dst.astype(np.float32)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def grey(frames: np.ndarray) -> np.ndarray:
    """Luma (float32) of uint8 RGB `(..., 3)`."""
    return frames.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
