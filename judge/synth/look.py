"""The scene's look beyond its geometry: handheld camera, zoom, backdrop, degradations, shutter.

Drawn from a stream of its own (`LOOK_STREAM`), so a preset with all of it off draws exactly
what it drew before these existed, and the same scene gets the same look in every twin.
"""

from __future__ import annotations

import numpy as np

from judge.synth.degrade import sample_degrade
from judge.synth.spec import SceneSpec

LOOK_STREAM = 1000  # far above the twins' streams (1 + k per artifact kind)


def sample_look(spec: SceneSpec, cfg, rng: np.random.Generator, moving: bool) -> None:
    """Set `spec.camera` shake and zoom, `spec.backdrop`, `spec.degrade` and `spec.shutter`.

    Every draw is made whatever the probabilities, so one setting does not shift the others.
    `moving`: whether the camera may move at all (hard-negative scenes keep theirs still).
    """
    from judge.synth.sampling import _sample_texture

    s, cam = cfg.scene, spec.camera
    # One child stream per part, so that a texture drawn or not never shifts the degradations.
    # A fourth child leaves the first three's draws as they were before it existed.
    cam_rng, back_rng, deg_rng, shutter_rng = rng.spawn(4)
    handheld = cam_rng.random() < s.handheld_prob
    deg, metres = cam_rng.uniform(*s.handheld_deg), cam_rng.uniform(*s.handheld_m)
    seed = int(cam_rng.integers(2**31))
    if handheld and moving:
        cam.shake_deg, cam.shake_m, cam.shake_seed = float(deg), float(metres), seed
    zoom = cam_rng.random() < s.zoom_prob
    amount = float(cam_rng.uniform(*s.zoom))
    if zoom and moving:
        cam.zoom = amount
    if back_rng.random() < s.backdrop_prob:
        spec.backdrop = _sample_texture(back_rng, s.backdrop_textures, s)
    spec.degrade = sample_degrade(deg_rng, cfg.degrade)
    r = cfg.render
    shutter_on = shutter_rng.random() < r.shutter_prob
    fraction = float(shutter_rng.uniform(*r.shutter))
    spec.shutter, spec.shutter_samples = (fraction if shutter_on else 0.0), r.shutter_samples
