"""Camera-like image degradations applied to rendered frames before encoding.

Rendered clips are too clean: no blur, no noise, a fixed exposure. These make them look more like
camera footage. Every operation is a function of the frame index and that frame alone, and the
parameters are drawn once per scene, so a clean clip and its artifact twins, identical before
the onset, stay identical before the onset after degradation too.

Order follows the camera: optics (defocus, motion blur), light falloff (vignetting), exposure,
then sensor noise, then rounding to uint8.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

GAMMA = 2.2  # sRGB-ish: vignetting and exposure scale light, which is linear, not pixel values
NOISE_FLOOR = 0.1  # read noise, as a fraction of the mid-grey shot noise variance


@dataclass(frozen=True)
class DegradeSpec:
    """Per-scene degradation parameters; zero means off.

    motion_blur_px: length of a straight blur streak in pixels, at `motion_blur_deg` from the x
    axis. defocus_sigma: Gaussian blur std in pixels. exposure_stops: exposure at the first and
    last frame in stops (2**stops times the light). vignette: fraction of light lost in the
    corners. noise_sigma: sensor noise std at mid grey, in 0-255 units.
    """

    motion_blur_px: float = 0.0
    motion_blur_deg: float = 0.0
    defocus_sigma: float = 0.0
    exposure_stops: tuple[float, float] = (0.0, 0.0)
    vignette: float = 0.0
    noise_sigma: float = 0.0
    seed: int = 0

    def active(self) -> bool:
        return bool(
            self.motion_blur_px >= 1
            or self.defocus_sigma > 0
            or any(self.exposure_stops)
            or self.vignette > 0
            or self.noise_sigma > 0
        )


def degrade_clip(frames: np.ndarray, spec: DegradeSpec | None) -> np.ndarray:
    """Degraded copy of a clip uint8 `(T, H, W, 3)`; the clip itself if nothing is on."""
    if spec is None or not spec.active():
        return frames
    n = len(frames)
    return np.stack([degrade_frame(f, t, n, spec) for t, f in enumerate(frames)])


def degrade_frame(frame: np.ndarray, t: int, num_frames: int, spec: DegradeSpec) -> np.ndarray:
    """Frame t of a clip of `num_frames`: uint8 `(H, W, 3)` in, uint8 `(H, W, 3)` out."""
    x = frame.astype(np.float32)
    if spec.defocus_sigma > 0:
        x = gaussian_blur(x, spec.defocus_sigma)
    if spec.motion_blur_px >= 1:
        x = line_blur(x, spec.motion_blur_px, spec.motion_blur_deg)
    a, b = spec.exposure_stops
    gain = 2.0 ** (a + (b - a) * t / max(1, num_frames - 1))
    if spec.vignette > 0 or gain != 1.0:
        light = (x / 255.0) ** GAMMA * gain
        if spec.vignette > 0:
            light *= vignette_map(*x.shape[:2], spec.vignette)[..., None]
        x = np.clip(light, 0, 1) ** (1 / GAMMA) * 255.0
    if spec.noise_sigma > 0:
        # Shot noise grows with the signal, read noise does not; one seed per (scene, frame), so
        # every twin gets the same grain on the same frame.
        rng = np.random.default_rng([spec.seed, t])
        scale = np.sqrt((x / 255.0 + NOISE_FLOOR) / (0.5 + NOISE_FLOOR))
        x = x + rng.standard_normal(x.shape, dtype=np.float32) * spec.noise_sigma * scale
    return np.clip(x + 0.5, 0, 255).astype(np.uint8)


def _shifted(x: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """x `(H, W, C)` moved by (dy, dx) pixels, edges repeated."""
    h, w = x.shape[:2]
    p = max(abs(dy), abs(dx))
    padded = np.pad(x, ((p, p), (p, p), (0, 0)), mode="edge")
    return padded[p - dy : p - dy + h, p - dx : p - dx + w]


def gaussian_blur(x: np.ndarray, sigma: float) -> np.ndarray:
    """Separable Gaussian blur of float `(H, W, C)`, edges repeated."""
    r = max(1, int(np.ceil(3 * sigma)))
    k = (np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2)).astype(np.float32)
    k /= k.sum()
    h, w = x.shape[:2]
    # Pad once per axis and sum weighted slices (views), rather than pad per tap.
    p = np.pad(x, ((r, r), (0, 0), (0, 0)), mode="edge")
    rows = sum(k[i] * p[i : i + h] for i in range(2 * r + 1))
    p = np.pad(rows, ((0, 0), (r, r), (0, 0)), mode="edge")
    return sum(k[i] * p[:, i : i + w] for i in range(2 * r + 1))


def line_blur(x: np.ndarray, length: float, angle_deg: float) -> np.ndarray:
    """Average of float `(H, W, C)` along a centred line of `length` pixels (a motion streak)."""
    taps = max(2, int(round(length)))
    s = np.linspace(-(length - 1) / 2, (length - 1) / 2, taps)
    c, si = np.cos(np.radians(angle_deg)), np.sin(np.radians(angle_deg))
    out = np.zeros_like(x)
    for d in s:
        out += _shifted(x, int(round(d * si)), int(round(d * c)))
    return out / taps


def vignette_map(h: int, w: int, strength: float) -> np.ndarray:
    """Light kept per pixel `(H, W)`: 1 at the centre, 1 - strength in the corners."""
    y = (np.arange(h) + 0.5 - h / 2) / (h / 2)
    xx = (np.arange(w) + 0.5 - w / 2) / (w / 2)
    r2 = (y[:, None] ** 2 + xx[None, :] ** 2) / 2  # 1 at the corners
    return (1 - strength * r2).astype(np.float32)


def sample_degrade(rng: np.random.Generator, d) -> DegradeSpec | None:
    """Draw a scene's degradations from the `synth.degrade` settings `d`; None if none is on.

    Always makes the same draws whatever the probabilities, so turning one degradation on does
    not change the others' values for a seed.
    """

    def maybe(prob: float, lo_hi: tuple) -> float:
        on = rng.random() < prob
        v = float(rng.uniform(*lo_hi))
        return v if on else 0.0

    blur = maybe(d.motion_blur_prob, d.motion_blur_px)
    angle = float(rng.uniform(0, 180))
    defocus = maybe(d.defocus_prob, d.defocus_sigma)
    on = rng.random() < d.exposure_prob
    stops = tuple(float(v) for v in rng.uniform(*d.exposure_stops, size=2))
    vignette = maybe(d.vignette_prob, d.vignette)
    noise = maybe(d.noise_prob, d.noise_sigma)
    spec = DegradeSpec(
        motion_blur_px=blur,
        motion_blur_deg=angle,
        defocus_sigma=defocus,
        exposure_stops=stops if on else (0.0, 0.0),
        vignette=vignette,
        noise_sigma=noise,
        seed=int(rng.integers(2**31)),
    )
    return spec if spec.active() else None
