"""clipping: an object passes into or through another object, the floor or a wall (solidity).

The contact between one pair is switched off just before they would touch; the onset is the
first frame that differs from the clean twin, and it must already show interpenetration.

The partner is drawn by kind first (another object, the floor, or a wall or occluder), then by
contact: drawn over contacts alone, almost every twin sank into the floor (325 of 335 in a
1,200-scene set), because resting objects touch the floor on every frame, so the judge never saw
objects pass through each other (clipping AUROC 0.66 on another engine's clips).
"""

from __future__ import annotations

import numpy as np

from judge.synth.injectors.base import Injector, Intervention, frame_window

# Relative odds of each partner kind when a scene offers several: the floor is the partner the
# generator can almost always offer, so the rarer kinds are favoured.
PARTNER_WEIGHTS = {"floor": 1.0, "object": 2.0, "static": 2.0}
# Visible: within VISIBLE_WITHIN frames of the onset, pixels that differ from the clean twin by
# more than CHANGE_LEVEL (of 255; above compression noise) cover VISIBLE_SHARE of the object.
VISIBLE_WITHIN, VISIBLE_SHARE, CHANGE_LEVEL = 4, 0.3, 24


class Clipping(Injector):
    name = "clipping"
    onset_slack = 1

    def propose(self, scene, clean, rng, th):
        sp = scene.spec
        lo, hi = frame_window(sp.num_frames)
        real = {scene.geoms[i]: i for i in sp.real_objects()}
        options: dict[str, list] = {}  # partner kind -> [(branch frame, target, partner geom)]
        for t in range(lo + 1, hi + 2):
            for g1, g2 in clean.contacts[t]:
                for a, b in ((g1, g2), (g2, g1)):
                    if a in real and clean.ann["visible_px"][t, real[a]] >= th.min_visible_px:
                        options.setdefault(partner_kind(scene, b), []).append((t - 1, real[a], b))
        if not options:
            return None
        kinds = sorted(options)
        w = np.array([PARTNER_WEIGHTS[k] for k in kinds])
        picked = options[kinds[int(rng.choice(len(kinds), p=w / w.sum()))]]
        b, i, partner = picked[int(rng.integers(len(picked)))]

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

        params = {"partner_geom": int(partner), "partner": partner_kind(scene, partner)}
        return Intervention(self.name, b, i, params, act)

    def verify(self, scene, clean, twin, onset, iv, th):
        """The detector's interpenetration, and enough changed pixels to see it soon after.

        Interpenetration alone admitted twins where a small object sank a few millimetres: no
        visible difference at the training size, so a label the judge could not learn.
        """
        reason = super().verify(scene, clean, twin, onset, iv, th)
        if reason is not None:
            return reason
        end = min(len(twin.frames), onset + VISIBLE_WITHIN)
        changed = changed_px(clean.frames[onset:end], twin.frames[onset:end])
        need = max(th.min_visible_px, VISIBLE_SHARE * clean.ann["visible_px"][onset, iv.target])
        if changed.max() < need:
            return f"clipping: only {int(changed.max())} pixels change (need {int(need)})"
        return None


def changed_px(a: np.ndarray, b: np.ndarray, level: int = CHANGE_LEVEL) -> np.ndarray:
    """Pixels per frame that differ by more than `level` in a channel: `(T, H, W, 3)` -> `(T,)`."""
    diff = np.abs(a.astype(np.int16) - b.astype(np.int16)).max(axis=-1)
    return (diff > level).sum(axis=(1, 2))


def partner_kind(scene, geom: int) -> str:
    """What a clipping target passes into: "floor", "object", or "static" (wall, occluder)."""
    if geom == scene.floor:
        return "floor"
    return "object" if geom in scene.geoms else "static"
