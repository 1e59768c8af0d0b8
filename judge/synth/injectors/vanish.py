"""vanish: a visible object disappears in the open (object permanence)."""

from __future__ import annotations

from judge.synth.injectors.base import Injector, Intervention, frame_window, hide, visible_frames


class Vanish(Injector):
    name = "vanish"

    def propose(self, scene, clean, rng, th):
        sp = scene.spec
        lo, hi = frame_window(sp.num_frames)
        targets = [i for i in sp.real_objects() if visible_frames(clean, i, th, lo, hi)]
        if not targets:
            return None
        i = int(rng.choice(targets))
        b = int(rng.choice(visible_frames(clean, i, th, lo, hi)))

        def act(scene, model, data, t):
            if t == b:
                hide(model, scene.geoms[i])

        return Intervention(self.name, b, i, {}, act)
