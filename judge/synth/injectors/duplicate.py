"""duplicate: one object becomes two side by side (cohesion)."""

from __future__ import annotations

import numpy as np

from judge.synth.injectors.base import (
    Injector,
    Intervention,
    frame_window,
    set_pose,
    show,
    visible_frames,
)


class Duplicate(Injector):
    name = "duplicate"

    def propose(self, scene, clean, rng, th):
        sp = scene.spec
        lo, hi = frame_window(sp.num_frames)
        pairs = [(o.source, k) for k, o in enumerate(sp.objects) if o.phantom == "duplicate"]
        pairs = [(i, k) for i, k in pairs if visible_frames(clean, i, th, lo, hi)]
        if not pairs:
            return None
        i, k = pairs[int(rng.integers(len(pairs)))]
        b = int(rng.choice(visible_frames(clean, i, th, lo, hi)))
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
