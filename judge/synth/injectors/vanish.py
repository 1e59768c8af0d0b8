"""vanish: a visible object disappears in the open (object permanence)."""

from __future__ import annotations

from judge.synth.injectors.base import Injector, Intervention, hide, pick_visible


class Vanish(Injector):
    name = "vanish"

    def propose(self, scene, clean, rng, th):
        picked = pick_visible(scene, clean, rng, th)
        if picked is None:
            return None
        i, b = picked

        def act(scene, model, data, t):
            if t == b:
                hide(model, scene.geoms[i])

        return Intervention(self.name, b, i, {}, act)
