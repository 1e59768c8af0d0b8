"""The seven artifact kinds done to a figure, each found by the kind's own detector.

- teleport: the whole figure, or one limb torn off it, jumps a long way between two frames;
- clipping: an arm (a leg, for an animal) swings in through the chest (body);
- vanish: the whole figure, or the object it carries, disappears in the open;
- appear: a second figure, hidden until then, pops up on its own path;
- morph: a segment changes colour, or grows or shrinks in length, on the spot;
- duplicate: an extra limb, a copy of one it has, appears on the same joint;
- levitate: the figure rises off the floor and keeps walking in the air.

The labels are the existing seven: each says what happens to a figure as well as to an object
(an extra limb is one part becoming two: cohesion; floating feet ignore gravity).
"""

from __future__ import annotations

import numpy as np

from judge.synth.camera import project
from judge.synth.checks import clearly_visible, find_clipping
from judge.synth.figure_checks import find_figure_levitate
from judge.synth.figure_motion import FigureMotion
from judge.synth.figures import LIMBS
from judge.synth.injectors.base import Injector, Intervention, frame_window, hide, recoloured
from judge.synth.injectors.clipping import changed_px
from judge.synth.mjcf import GROUP_OBJECT, SEGMENT_CONTYPE


def show_segment(model, geom: int) -> None:
    """Reveal a hidden figure segment: it collides with objects and the floor, not with parts."""
    model.geom_group[geom] = GROUP_OBJECT
    model.geom_contype[geom], model.geom_conaffinity[geom] = SEGMENT_CONTYPE, 1
    body = model.geom_bodyid[geom]
    model.body_contype[body] |= SEGMENT_CONTYPE
    model.body_conaffinity[body] |= 1


def _figures(scene) -> list[int]:
    return [f for f, fig in enumerate(scene.spec.figures) if fig.phantom is None]


def _pick(scene, clean, rng, th, rows_of, lo_hi=None) -> tuple[int, int, list[int]] | None:
    """A random (figure, frame b, rows) with `rows_of(figure)[0]` clearly visible at b-1 and b."""
    lo, hi = lo_hi or frame_window(scene.spec.num_frames)
    vis = clearly_visible(clean.ann, th)
    options = []
    for f in _figures(scene):
        rows = rows_of(f)
        if rows:
            options += [
                (f, b, rows) for b in range(lo, hi + 1) if vis[b - 1, rows[0]] and vis[b, rows[0]]
            ]
    if not options:
        return None
    return options[int(rng.integers(len(options)))]


def _tag(scene, f: int, **more) -> dict:
    fig = scene.spec.figures[f]
    return {"target": "figure", "figure": fig.kind, "motion": fig.motion, **more}


class FigureInjector(Injector):
    """Figure twins report the rows they changed; any of them may carry the detector's hit."""

    def objects_to_check(self, iv: Intervention) -> set[int]:
        return set(iv.params.get("rows", [iv.target]))


class FigureTeleport(FigureInjector):
    name = "teleport"

    def propose(self, scene, clean, rng, th):
        sp = scene.spec
        whole = rng.random() < 0.5

        def rows_of(f):
            fig = sp.figures[f]
            if whole:
                return _all_rows(fig)
            names = sorted(_limbs(fig))
            chain = _limbs(fig)[names[int(rng.integers(len(names)))]]
            return [fig.segments[j] for j in chain]

        picked = _pick(scene, clean, rng, th, rows_of)
        if picked is None:
            return None
        f, b, rows = picked
        eye, rot = scene.camera_poses[b]
        across = rot[:, 0] * np.array([1, 1, 0])
        across /= np.linalg.norm(across)
        scale = sp.figures[f].scale
        dist = rng.uniform(0.6, 0.9) * scale if whole else rng.uniform(0.45, 0.7) * scale
        # Toward the image centre, so it lands in view.
        sign = -1.0 if clean.ann["center_px"][b, rows[0], 0] > sp.width / 2 else 1.0
        vec = sign * across * dist + (0 if whole else np.array([0, 0, 0.1 * scale]))

        def act(scene, model, data, t):
            if t == b:
                scene.figure_mods.shift.append((rows, vec))

        params = _tag(scene, f, part="whole" if whole else "limb", rows=rows)
        return Intervention(self.name, b, rows[0], params, act)

    def verify(self, scene, clean, twin, onset, iv, th):
        """Found by the teleport detector, and not landed inside an object (two labels in one)."""
        reason = super().verify(scene, clean, twin, onset, iv, th)
        if reason is not None:
            return reason
        rows = set(iv.params["rows"])
        if any(t >= onset and k in rows for t, k in find_clipping(twin.ann, th)):
            return "teleport: the figure landed inside something"
        return None


def _all_rows(fig) -> list[int]:
    """The figure's segment rows and, when it carries one, the held object's."""
    return list(fig.segments) + ([fig.held] if fig.held is not None else [])


def _limbs(fig) -> dict[str, tuple[int, ...]]:
    return LIMBS[fig.kind]


class FigureVanish(FigureInjector):
    name = "vanish"

    def propose(self, scene, clean, rng, th):
        sp = scene.spec
        held = rng.random() < 0.5

        def rows_of(f):
            fig = sp.figures[f]
            if held:
                return [fig.held] if fig.held is not None else []
            return _all_rows(fig)

        picked = _pick(scene, clean, rng, th, rows_of)
        if picked is None and held:
            held = False
            picked = _pick(scene, clean, rng, th, rows_of)
        if picked is None:
            return None
        f, b, rows = picked

        def act(scene, model, data, t):
            if t == b:
                for k in rows:
                    hide(model, scene.geoms[k])

        return Intervention(
            self.name, b, rows[0], _tag(scene, f, part="held" if held else "whole", rows=rows), act
        )


class FigureAppear(FigureInjector):
    name = "appear"

    def propose(self, scene, clean, rng, th):
        sp = scene.spec
        ghosts = [f for f, fig in enumerate(sp.figures) if fig.phantom == "appear"]
        if not ghosts:
            return None
        f = ghosts[0]
        fig = sp.figures[f]
        lo, hi = frame_window(sp.num_frames)
        mo = FigureMotion(fig)
        options = []
        for b in range(lo, hi + 1):
            eye, rot = scene.camera_poses[b]
            bones = mo.bones(b / sp.fps)
            uv, z = project(
                bones[:, 0], eye, rot, sp.camera.fovy_at(b, sp.num_frames), sp.width, sp.height
            )
            inside = (
                (uv[:, 0] > 2)
                & (uv[:, 0] < sp.width - 2)
                & (uv[:, 1] > 2)
                & (uv[:, 1] < sp.height - 2)
            )
            if (z > 0).all() and inside.all():
                options.append(b)
        if not options:
            return None
        b = int(options[int(rng.integers(len(options)))])
        rows = list(fig.segments)

        def act(scene, model, data, t):
            if t == b:
                for k in rows:
                    show_segment(model, scene.geoms[k])

        return Intervention(self.name, b, rows[0], _tag(scene, f, part="whole", rows=rows), act)


class FigureDuplicate(FigureInjector):
    name = "duplicate"

    def propose(self, scene, clean, rng, th):
        sp = scene.spec
        figs = [f for f in _figures(scene) if sp.figures[f].extra]
        if not figs:
            return None
        f = figs[0]
        fig = sp.figures[f]
        originals = [fig.segments[j] for j in fig.limb(fig.extra_limb)]
        picked = _pick(scene, clean, rng, th, lambda g: originals if g == f else [])
        if picked is None:
            return None
        _, b, _ = picked
        extra = list(fig.extra)

        def act(scene, model, data, t):
            if t == b:
                for k in extra:
                    show_segment(model, scene.geoms[k])

        # The detector names the original that now has a double; the copy is in `copy`.
        params = _tag(scene, f, part=fig.extra_limb, rows=originals, copy=extra)
        return Intervention(self.name, b, originals[0], params, act)


class FigureLevitate(FigureInjector):
    name = "levitate"
    onset_slack = 3  # the feet leave the floor a frame after the onset, then three free frames

    def propose(self, scene, clean, rng, th):
        sp = scene.spec
        lo, hi = frame_window(sp.num_frames)
        hi = min(hi, sp.num_frames - 6)
        a = clean.ann
        picked = _pick(
            scene,
            clean,
            rng,
            th,
            lambda f: (
                [sp.figures[f].segments[0]] if a["contact"][:, sp.figures[f].segments].any() else []
            ),
            (lo, hi),
        )
        if picked is None:
            return None
        f, b, rows = picked
        fig = sp.figures[f]
        grounded = a["contact"][b, fig.segments].any()
        if not grounded:
            return None
        height = rng.uniform(0.15, 0.35) * fig.scale
        ramp = rng.uniform(0.1, 0.3)
        t0 = b / sp.fps

        def act(scene, model, data, t):
            if t == b:
                scene.figure_mods.lift[f] = (t0, height, ramp)

        params = _tag(scene, f, part="whole", rows=rows, height=float(height))
        return Intervention(self.name, b, rows[0], params, act)

    def detect(self, ann, th):
        return find_figure_levitate(ann, th)


class FigureClipping(FigureInjector):
    name = "clipping"
    onset_slack = 4  # the limb takes a few frames to swing in

    def propose(self, scene, clean, rng, th):
        sp = scene.spec
        side = {}

        def rows_of(f):
            fig = sp.figures[f]
            if fig.kind == "humanoid":
                side[f] = str(rng.choice(["l", "r"]))
                limb = (2, 3) if side[f] == "l" else (4, 5)
            else:
                side[f] = str(rng.choice(["fl", "fr", "hl", "hr"]))
                limb = fig.limb(f"leg_{side[f]}")
            return [fig.segments[0]] + [fig.segments[j] for j in limb]

        lo, hi = frame_window(sp.num_frames)
        picked = _pick(scene, clean, rng, th, rows_of, (lo, min(hi, sp.num_frames - 6)))
        if picked is None:
            return None
        f, b, rows = picked
        ramp = rng.uniform(0.12, 0.25)
        t0 = (b - 1) / sp.fps  # under way at b: the first changed frame shows the swing

        def act(scene, model, data, t):
            if t == b:
                scene.figure_mods.arm[f] = (side[f], t0, ramp)

        return Intervention(self.name, b, rows[0], _tag(scene, f, part=side[f], rows=rows), act)

    def verify(self, scene, clean, twin, onset, iv, th):
        reason = super().verify(scene, clean, twin, onset, iv, th)
        if reason is not None:
            return reason
        end = min(len(twin.frames), onset + 4)
        if changed_px(clean.frames[onset:end], twin.frames[onset:end]).max() < th.min_visible_px:
            return "clipping: the limb's swing is not visible"
        return None


class FigureMorph(FigureInjector):
    name = "morph"

    def propose(self, scene, clean, rng, th):
        sp = scene.spec
        colour = rng.random() < 0.5

        def rows_of(f):
            # The larger half of the capsules (torso, thighs, body): a small forearm's change
            # is rarely seen at 64-128 px.
            fig = sp.figures[f]
            caps = [
                (s.radius * s.length, k)
                for s, k in zip(fig.skeleton(), fig.segments, strict=True)
                if s.shape == "capsule"
            ]
            big = [k for _, k in sorted(caps, reverse=True)[: (len(caps) + 1) // 2]]
            return [big[int(rng.integers(len(big)))]]

        picked = _pick(scene, clean, rng, th, rows_of)
        if picked is None:
            return None
        f, b, rows = picked
        k = rows[0]
        if colour:
            new = recoloured(sp.objects[k].rgba, rng)

            def act(scene, model, data, t):
                if t == b:
                    model.mat_rgba[model.geom_matid[scene.geoms[k]]] = new

            return Intervention(self.name, b, k, _tag(scene, f, part="colour", rows=rows), act)
        # Not shorter than half: a shrunken thigh or leg drops under the visibility threshold.
        factor = float(rng.choice([rng.uniform(0.5, 0.65), rng.uniform(1.6, 2.0)]))

        def act(scene, model, data, t):
            if t == b:
                g = scene.geoms[k]
                model.geom_size[g, 1] *= factor
                model.geom_rbound[g] = model.geom_size[g, 0] + model.geom_size[g, 1]

        params = _tag(scene, f, part="length", rows=rows, factor=factor)
        return Intervention(self.name, b, k, params, act)


FIGURE_INJECTORS = {
    cls.name: cls()
    for cls in (
        FigureTeleport,
        FigureClipping,
        FigureVanish,
        FigureAppear,
        FigureMorph,
        FigureDuplicate,
        FigureLevitate,
    )
}
