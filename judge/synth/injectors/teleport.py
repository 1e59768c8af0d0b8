"""teleport: an object jumps to a new place between two frames (spatio-temporal continuity)."""

from __future__ import annotations

import numpy as np

from judge.synth.injectors.base import (
    Injector,
    Intervention,
    clear_floor_spot,
    pick_visible,
    set_pose,
)


class Teleport(Injector):
    name = "teleport"

    def propose(self, scene, clean, rng, th):
        sp = scene.spec
        picked = pick_visible(scene, clean, rng, th)
        if picked is None:
            return None
        i, b = picked
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
