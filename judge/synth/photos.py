"""Photographs for floor, wall and backdrop textures, from sources that install with the project.

Two sources, both read from disk, never downloaded at run time:
  * `photo`: the photographs scikit-image ships inside its wheel (`skimage/data/*.png|jpg`);
  * `footage`: a few frames grabbed from the user's own videos (`synth.scene.texture_videos`),
    cached as PNG images under the output folder by `judge-synth` before rendering starts.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
from PIL import Image

# Photographs (not diagrams or microscopy) bundled in the scikit-image wheel, by file name.
# Textured surfaces suit floors and walls; the scenes suit backdrops; all are allowed anywhere.
BUNDLED_PHOTOS = {
    "astronaut": "astronaut.png",
    "brick": "brick.png",
    "camera": "camera.png",
    "chelsea": "chelsea.png",
    "coffee": "coffee.png",
    "grass": "grass.png",
    "gravel": "gravel.png",
    "hubble_deep_field": "hubble_deep_field.jpg",
    "moon": "moon.png",
    "motorcycle_left": "motorcycle_left.png",
    "rocket": "rocket.jpg",
}
FRAMES_PER_VIDEO = 4
FOOTAGE_SHORT_SIDE = 256  # cached frames are shrunk to this; textures are at most 256 px anyway


def photo_dir() -> Path | None:
    """scikit-image's data folder, found without importing the package; None if not installed."""
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def photo_path(name: str) -> Path:
    """The file of a bundled photo; raises FileNotFoundError naming what is missing."""
    folder = photo_dir()
    if folder is None:
        raise FileNotFoundError("photo textures need scikit-image: pip install scikit-image")
    path = folder / BUNDLED_PHOTOS[name]
    if not path.is_file():
        raise FileNotFoundError(f"photo {name!r} not found at {path} (scikit-image too old?)")
    return path


def crop_square(img: Image.Image, n: int, seed: int) -> np.ndarray:
    """RGB uint8 `(n, n, 3)`: a seeded square crop (60-100% of the short side), resized to n.

    Cropping rather than squashing keeps the photo's proportions; the seed varies the part shown.
    """
    rng = np.random.default_rng(seed)
    img = img.convert("RGB")
    w, h = img.size
    side = int(min(w, h) * rng.uniform(0.6, 1.0))
    x0 = int(rng.integers(0, w - side + 1))
    y0 = int(rng.integers(0, h - side + 1))
    box = (x0, y0, x0 + side, y0 + side)
    return np.asarray(img.resize((n, n), Image.BILINEAR, box=box))


def video_files(folder: Path) -> list[Path]:
    """Videos in a folder (not recursive), sorted so that the cache is reproducible."""
    from judge.io.writer import VIDEO_EXTENSIONS

    return sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in VIDEO_EXTENSIONS)


def cache_footage_frames(
    videos: Path, cache: Path, per_video: int = FRAMES_PER_VIDEO
) -> list[Path]:
    """Grab `per_video` evenly spaced frames of each video into `cache` as PNG; reuse a cache.

    Returns the cached images, sorted. A video that cannot be read is skipped (its error is in
    the returned list's absence); if none can be read, raises ValueError naming the folder.
    """
    from judge.io.atomic import atomic_path
    from judge.io.video import VideoReadError, read_frames

    cache.mkdir(parents=True, exist_ok=True)
    errors = []
    for video in video_files(videos):
        names = [cache / f"{video.stem}_{k}.png" for k in range(per_video)]
        if all(p.exists() for p in names):
            continue

        def pick(n: int, fps: float) -> list[int]:
            return [int(i) for i in np.linspace(0, max(0, n - 1), per_video).round()]

        try:
            frames, _ = read_frames(video, pick)
        except (VideoReadError, RuntimeError) as e:
            errors.append(str(e))
            continue
        for path, frame in zip(names, frames, strict=True):
            img = Image.fromarray(frame)
            scale = FOOTAGE_SHORT_SIDE / min(img.size)
            if scale < 1:
                img = img.resize((round(img.width * scale), round(img.height * scale)))
            with atomic_path(path) as tmp:
                img.save(tmp, format="PNG")
    cached = sorted(cache.glob("*.png"))
    if not cached:
        raise ValueError(f"no frames could be read from the videos in {videos}: {errors}")
    return cached


def photo_files(kind: str, scene) -> list[Path]:
    """Images a `photo` or `footage` texture draws from, given the `synth.scene` settings."""
    if kind == "photo":
        return [photo_path(name) for name in scene.photos]
    if scene.footage_dir is None:
        raise ValueError(
            "footage textures need their frames cached first: judge-synth does it, or call "
            "judge.synth.photos.prepare_footage(cfg, out)"
        )
    from judge.synth.config import image_files

    return image_files(Path(scene.footage_dir))


def prepare_footage(cfg, out: Path):
    """`cfg` with its footage frames cached under `out/texture_frames` (unchanged if none)."""
    import dataclasses

    videos = cfg.scene.texture_videos
    if videos is None:
        return cfg
    cache = Path(out) / "texture_frames"
    cache_footage_frames(Path(videos), cache)
    scene = dataclasses.replace(cfg.scene, footage_dir=str(cache))
    return dataclasses.replace(cfg, scene=scene)
