"""levitate: motion that ignores gravity: an object floats up, or stops in mid-air."""

from __future__ import annotations

import numpy as np

from judge.synth.checks import GRAVITY
from judge.synth.injectors.base import Injector, Intervention, frame_window


class Levitate(Injector):
    name = "levitate"
    onset_slack = 3  # lifting off a support takes a frame or two before contact ends

    def propose(self, scene, clean, rng, th):
        sp = scene.spec
        lo, hi = frame_window(sp.num_frames)
        a = clean.ann
        options = []
        for i in sp.real_objects():
            for b in range(lo, hi + 1):
                if a["visible_px"][b, i] >= th.min_visible_px and a["in_frame"][b, i] >= 0.9:
                    airborne = not (
                        a["contact"][b, i] or a["contact"][min(b + 1, sp.num_frames - 1), i]
                    )
                    options.append((b, i, "hover" if airborne else "float"))
        if not options:
            return None
        b, i, mode = options[int(rng.integers(len(options)))]
        lift = 1.0 if mode == "hover" else rng.uniform(1.4, 2.0)  # multiples of the weight

        def act(scene, model, data, t):
            if t != b:
                return
            body = scene.bodies[i]
            weight = model.body_subtreemass[body] * GRAVITY
            data.xfrc_applied[body, 2] = lift * weight  # stays applied: xfrc persists across steps
            if mode == "hover":
                v = scene.dof_adr[i]
                data.qvel[v : v + 3] = np.zeros(3)

        return Intervention(self.name, b, i, {"mode": mode, "lift": float(lift)}, act)
