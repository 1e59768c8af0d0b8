"""Is the camera moving in this window? Global shift by phase correlation, plus plate misfit.

Injections paste against a background plate, which only exists for a still camera. A pan or
tilt shows up as a global translation between the window's first frame and its later frames
(the phase-correlation peak leaves the origin); a zoom, a rotation or a shaky hand-held camera
blurs the median plate instead, so a large share of each frame then differs from it.
"""

from __future__ import annotations

import numpy as np

from judge.splice.imageops import grey


def _prepare(img: np.ndarray) -> np.ndarray:
    g = grey(img)
    g = g - g.mean()
    h, w = g.shape
    win = np.outer(np.hanning(h), np.hanning(w)).astype(np.float32)
    return g * win


def phase_shift(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(dx, dy) in pixels that best maps RGB frame `a` onto `b` (integer peak)."""
    fa, fb = np.fft.rfft2(_prepare(a)), np.fft.rfft2(_prepare(b))
    cross = fb * np.conj(fa)
    cross /= np.abs(cross) + 1e-6
    corr = np.fft.irfft2(cross, s=a.shape[:2])
    dy, dx = np.unravel_index(int(np.argmax(corr)), corr.shape)
    h, w = corr.shape
    if dy > h // 2:
        dy -= h
    if dx > w // 2:
        dx -= w
    return float(dx), float(dy)


def camera_shift(frames: np.ndarray) -> float:
    """Largest global shift (pixels) from the first frame to the middle and the last frame."""
    first = frames[0]
    shifts = [phase_shift(first, frames[t]) for t in (len(frames) // 2, len(frames) - 1)]
    return max(float(np.hypot(dx, dy)) for dx, dy in shifts)


def camera_moves(
    frames: np.ndarray, fg_share: float, shift_px: float, max_foreground: float
) -> tuple[bool, str]:
    """Whether the window's camera moves, and why (for the log)."""
    shift = camera_shift(frames)
    if shift >= shift_px:
        return True, f"global shift {shift:.1f} px"
    if fg_share > max_foreground:
        return True, f"{fg_share:.0%} of pixels differ from the plate"
    return False, ""
