"""Texture images for floors, walls and backdrops, handed to MuJoCo as in-memory PNG assets."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from judge.synth.spec import TextureSpec

TEX_PX = 128


def texture_png(tex: TextureSpec) -> bytes:
    """Encode a texture as PNG bytes `tex.px x tex.px` (image textures are resized to it)."""
    img = texture_array(tex)
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG", optimize=False)
    return buf.getvalue()


def texture_array(tex: TextureSpec) -> np.ndarray:
    """RGB uint8 `(tex.px, tex.px, 3)` for a texture spec (`tex.px` is TEX_PX unless set)."""
    c1 = np.asarray(tex.rgb1, float)
    c2 = np.asarray(tex.rgb2, float)
    n = tex.px
    if tex.kind == "image":
        with Image.open(tex.image) as im:
            return np.asarray(im.convert("RGB").resize((n, n), Image.BILINEAR))
    if tex.kind in ("photo", "footage"):
        from judge.synth.photos import crop_square

        with Image.open(tex.image) as im:
            return crop_square(im, n, tex.seed)
    if tex.kind == "checker":
        yy, xx = np.mgrid[0:n, 0:n] // (n // 2)
        w = ((yy + xx) % 2)[..., None].astype(float)
    elif tex.kind == "gradient":
        w = np.linspace(0, 1, n)[:, None, None] * np.ones((1, n, 1))
    elif tex.kind == "noise":
        rng = np.random.default_rng(tex.seed)
        coarse = rng.random((8, 8))
        # Smooth value noise plus grain, tileable enough for a repeated floor.
        smooth = np.asarray(
            Image.fromarray((coarse * 255).astype(np.uint8)).resize((n, n), Image.BICUBIC)
        )
        w = (0.8 * smooth / 255.0 + 0.2 * rng.random((n, n)))[..., None]
    elif tex.kind == "solid":
        w = np.zeros((n, n, 1))
    else:
        raise ValueError(f"unknown texture kind {tex.kind!r}")
    img = (1 - w) * c1 + w * c2
    return np.clip(img * 255 + 0.5, 0, 255).astype(np.uint8)
