"""clipping: an object passes into or through another object, the floor or a wall (solidity).

The contact between one pair is switched off just before they would touch; the onset is the
first frame that differs from the clean twin, and it must already show interpenetration.
"""

from __future__ import annotations

from judge.synth.injectors.base import Injector, Intervention, frame_window


class Clipping(Injector):
    name = "clipping"
    onset_slack = 1

    def propose(self, scene, clean, rng, th):
        sp = scene.spec
        lo, hi = frame_window(sp.num_frames)
        real = {scene.geoms[i]: i for i in sp.real_objects()}
        options = []  # (branch frame, target object, partner geom)
        for t in range(lo + 1, hi + 2):
            for g1, g2 in clean.contacts[t]:
                for a, b in ((g1, g2), (g2, g1)):
                    if a in real and clean.ann["visible_px"][t, real[a]] >= th.min_visible_px:
                        options.append((t - 1, real[a], b))
        if not options:
            return None
        b, i, partner = options[int(rng.integers(len(options)))]

        def act(scene, model, data, t):
            if t != b:
                return
            # Collide iff (contype1 & conaffinity2) or (contype2 & conaffinity1): the target gets
            # contype 2 and conaffinity 0, every other solid geom accepts bit 2, except the partner.
            g = scene.geoms[i]
            for other in scene.colliders:
                if other not in (g, partner) and model.geom_conaffinity[other]:
                    model.geom_conaffinity[other] |= 2
            model.geom_contype[g], model.geom_conaffinity[g] = 2, 0

        return Intervention(self.name, b, i, {"partner_geom": int(partner)}, act)
