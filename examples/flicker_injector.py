"""An example of a new artifact kind in one file: `flicker`, an object that blinks out for a
few frames in the open and comes back (broken permanence, shorter than a vanish).

    PYTHONPATH=. judge-synth out=data/generated/flicker num_scenes=20 \
        'synth.artifacts.labels=[teleport,flicker]' \
        '+synth.artifacts.injectors.flicker._target_=examples.flicker_injector.Flicker'

(`examples` must be importable, hence PYTHONPATH=. from the repository root; or put the class
in your own installed package.) Extra keys under the `_target_` entry are passed to the constructor.
"""

from __future__ import annotations

from judge.synth.checks import GONE_PX, Thresholds, clearly_visible
from judge.synth.injectors.base import (
    Injector,
    Intervention,
    hide,
    pick_visible,
    show,
)


class Flicker(Injector):
    name = "flicker"

    def __init__(self, frames: int = 2):
        self.frames = frames

    def propose(self, scene, clean, rng, th: Thresholds) -> Intervention | None:
        picked = pick_visible(scene, clean, rng, th, last=scene.spec.num_frames - self.frames - 2)
        if picked is None:
            return None
        i, b = picked

        def act(scene, model, data, t):
            if t == b:
                hide(model, scene.geoms[i])
            elif t == b + self.frames:
                show(model, scene.geoms[i])

        return Intervention(self.name, b, i, {"frames": self.frames}, act)

    def detect(self, ann: dict, th: Thresholds) -> list[tuple[int, int]]:
        """Clearly visible, gone in the open, back within `frames + 1` frames."""
        vis = clearly_visible(ann, th)
        gone = (ann["visible_px"] <= GONE_PX) & (ann["in_frame"] >= 0.9) & (ann["cover"] <= 0.5)
        hits = []
        for t in range(1, len(vis)):
            for k in range(vis.shape[1]):
                back = ann["visible_px"][t + 1 : t + 2 + self.frames, k] >= th.min_visible_px
                if vis[t - 1, k] and gone[t, k] and back.any():
                    hits.append((t, k))
        return hits
