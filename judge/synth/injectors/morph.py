"""morph: an object suddenly changes colour, size or shape (property constancy)."""

from __future__ import annotations

from judge.synth.injectors.base import (
    Injector,
    Intervention,
    hide,
    pick_visible,
    recoloured,
    set_pose,
    show,
)


class Morph(Injector):
    name = "morph"

    def propose(self, scene, clean, rng, th):
        sp = scene.spec
        picked = pick_visible(scene, clean, rng, th)
        if picked is None:
            return None
        i, b = picked
        swaps = [k for k, o in enumerate(sp.objects) if o.phantom == "morph" and o.source == i]
        if swaps and rng.random() < 0.6:
            return self._swap(scene, i, swaps[0], b)
        return self._recolour(scene, i, b, rng)

    def _recolour(self, scene, i, b, rng):
        new = recoloured(scene.spec.objects[i].rgba, rng)

        def act(scene, model, data, t):
            if t == b:
                model.mat_rgba[model.geom_matid[scene.geoms[i]]] = new

        return Intervention(self.name, b, i, {"mode": "colour", "rgba": new.tolist()}, act)

    def _swap(self, scene, i, k, b):
        src, dst = scene.spec.objects[i], scene.spec.objects[k]

        def act(scene, model, data, t):
            if t != b:
                return
            a, v = scene.qpos_adr[i], scene.dof_adr[i]
            pos, quat = data.qpos[a : a + 3].copy(), data.qpos[a + 3 : a + 7].copy()
            vel = data.qvel[v : v + 6].copy()
            # Keep the lowest point where it was, so a resting object stays on the floor.
            pos[2] += dst.half_height() - src.half_height()
            hide(model, scene.geoms[i])
            show(model, scene.geoms[k])
            set_pose(scene, data, k, pos, quat, vel[:3], vel[3:])

        mode = "shape" if dst.shape != src.shape else "size"
        return Intervention(self.name, b, i, {"mode": mode, "replacement": k}, act)
