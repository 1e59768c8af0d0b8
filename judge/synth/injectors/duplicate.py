"""duplicate: one object becomes two side by side (cohesion)."""

from __future__ import annotations

import numpy as np

from judge.synth.injectors.base import (
    Injector,
    Intervention,
    pick_visible,
    set_pose,
    show,
)


class Duplicate(Injector):
    name = "duplicate"

    def propose(self, scene, clean, rng, th):
        sp = scene.spec
        copies = {o.source: k for k, o in enumerate(sp.objects) if o.phantom == "duplicate"}
        picked = pick_visible(scene, clean, rng, th, objects=list(copies))
        if picked is None:
            return None
        i, b = picked
        k = copies[i]
        eye, rot = scene.camera_poses[b]
        across = rot[:, 0] * np.array([1, 1, 0])
        across /= np.linalg.norm(across)
        # Split across the view so both halves are seen; each moves half the gap.
        gap = 2 * sp.objects[i].radius() + 0.03
        sign = 1 if rng.random() < 0.5 else -1

        def act(scene, model, data, t):
            if t != b:
                return
            a, v = scene.qpos_adr[i], scene.dof_adr[i]
            pos, quat = data.qpos[a : a + 3].copy(), data.qpos[a + 3 : a + 7].copy()
            vel = data.qvel[v : v + 6].copy()
            set_pose(scene, data, i, pos - sign * across * gap / 2)
            show(model, scene.geoms[k])
            set_pose(scene, data, k, pos + sign * across * gap / 2, quat, vel[:3], vel[3:])

        return Intervention(self.name, b, i, {"copy": k}, act)
