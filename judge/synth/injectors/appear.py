"""appear: an object pops into existence in the open (object permanence)."""

from __future__ import annotations

import numpy as np

from judge.synth.injectors.base import (
    Injector,
    Intervention,
    clear_floor_spot,
    frame_window,
    set_pose,
    show,
)


class Appear(Injector):
    name = "appear"

    def propose(self, scene, clean, rng, th):
        sp = scene.spec
        phantoms = [k for k, o in enumerate(sp.objects) if o.phantom == "appear"]
        if not phantoms:
            return None
        p = phantoms[0]
        lo, hi = frame_window(sp.num_frames)
        b = int(rng.integers(lo, hi + 1))
        obj = sp.objects[p]
        spot = clear_floor_spot(scene, clean, b, obj.radius(), rng)
        if spot is None:
            return None
        lift = rng.uniform(0.2, 0.5) if rng.random() < 0.4 else 0.0  # on the floor, or mid-fall
        pos = np.array([spot[0], spot[1], obj.half_height() + 0.003 + lift])
        yaw = rng.uniform(0, 2 * np.pi)
        quat = np.array([np.cos(yaw / 2), 0, 0, np.sin(yaw / 2)])

        def act(scene, model, data, t):
            if t == b:
                show(model, scene.geoms[p])
                set_pose(scene, data, p, pos, quat, np.zeros(3), np.zeros(3))

        return Intervention(self.name, b, p, {}, act)
