"""teleport: an object jumps to a new place between two frames (spatio-temporal continuity)."""

from __future__ import annotations

import numpy as np

from judge.synth.injectors.base import (
    Injector,
    Intervention,
    clear_floor_spot,
    frame_window,
    set_pose,
    visible_frames,
)


class Teleport(Injector):
    name = "teleport"

    def propose(self, scene, clean, rng, th):
        sp = scene.spec
        lo, hi = frame_window(sp.num_frames)
        targets = [i for i in sp.real_objects() if visible_frames(clean, i, th, lo, hi)]
        if not targets:
            return None
        i = int(rng.choice(targets))
        b = int(rng.choice(visible_frames(clean, i, th, lo, hi)))
        pos = clean.ann["pos"][b, i]
        spot = clear_floor_spot(scene, clean, b, sp.objects[i].radius(), rng)
        if spot is None:
            return None
        # Keep height, orientation and velocity: only the place changes.
        new = np.array([spot[0], spot[1], pos[2]])

        def act(scene, model, data, t):
            if t == b:
                set_pose(scene, data, i, new)

        return Intervention(self.name, b, i, {"to": new.tolist()}, act)
