"""More throws and bounces as hard negatives: off a board, and fast along the floor.

Fast throws and bounces are the hard negatives a judge still mistakes most often for artifacts
(a rebound looks like a teleport or a levitation); these two add variety to the classic ones in
`hard_negatives.py`, which stay as they are so that default scenes keep their bytes.
"""

from __future__ import annotations

import math

import numpy as np

from judge.synth.checks import Thresholds, clearly_visible, fast_in_view, find_all
from judge.synth.spec import BoxSpec


def _wall_bounce(stage) -> None:
    """A ball thrown across the view at a slanted board, which throws it back."""
    rng, sp = stage.rng, stage.spec
    o = stage.new_object("sphere", "throw")
    p = stage.free_spot(o.radius() + 0.2, region=(0.35, 0.65, 0.45, 0.75))
    if p is None:
        return
    side = stage.across() * (1 if rng.random() < 0.5 else -1)
    gap = float(rng.uniform(0.25, 0.45))
    q = p + side * gap
    # The board faces back along the throw, turned towards the camera so its face shows.
    toward = stage.toward_camera(q.copy())
    n = -side * math.cos(math.radians(35)) + toward * math.sin(math.radians(35))
    n /= np.linalg.norm(n)
    tangent = np.array([-n[1], n[0], 0.0])
    height = float(rng.uniform(0.45, 0.65))
    sp.occluders.append(
        BoxSpec(
            (float(q[0]), float(q[1]), height / 2),
            (float(rng.uniform(0.3, 0.4)), 0.03, height / 2),
            math.degrees(math.atan2(tangent[1], tangent[0])),
            rgba=(*(float(c) for c in rng.uniform(0.3, 0.9, 3)), 1.0),
        )
    )
    start = float(rng.uniform(0.45, 0.7))
    stage.place(o, p - side * start, lift=float(rng.uniform(0.05, 0.2)))
    v = side * rng.uniform(2.5, 4.0)
    o.linvel = (float(v[0]), float(v[1]), float(rng.uniform(0.3, 1.0)))
    o.bouncy, o.motion = True, "wall_bounce"
    sp.objects.append(o)
    for f in (0.0, 0.5, 1.0):
        stage.keep_out.append((p - side * start * f, o.radius() + 0.1))


def _throw_bounce(stage) -> None:
    """A bouncy ball thrown fast and low, skipping along the floor across the view."""
    rng, sp = stage.rng, stage.spec
    o = stage.new_object("sphere", "throw")
    p = stage.free_spot(o.radius() + 0.1, region=(0.3, 0.7, 0.45, 0.75))
    if p is None:
        return
    side = stage.across() * (1 if rng.random() < 0.5 else -1)
    stage.place(o, p - side * 0.5, lift=float(rng.uniform(0.3, 0.6)))
    v = side * rng.uniform(2.5, 4.5)
    o.linvel = (float(v[0]), float(v[1]), float(rng.uniform(-1.0, 1.0)))
    o.angvel = tuple(float(x) for x in rng.normal(0, 5, 3))
    o.bouncy, o.motion = True, "throw_bounce"
    sp.objects.append(o)
    stage.keep_out.append((p, o.radius() + 0.3))


def _fast_occluder(stage) -> None:
    """A ball rolled fast across the view behind an occluder: hidden a frame or two, then out."""
    rng, sp = stage.rng, stage.spec
    o = stage.new_object("sphere", "fast_occluder")
    r = max(o.size[0], 0.11)  # big enough to count as seen in the few frames it is in view
    o.size = (r, r, r)
    p = stage.free_spot(0.5, region=(0.4, 0.6, 0.35, 0.55))
    if p is None:
        return
    q = p + stage.toward_camera(p.copy()) * 0.45  # the occluder, between camera and path
    # Horizontal distances from the camera: the sight line to the ball's top crosses the
    # occluder's plane at a height linear in them (3-D distances understate it from above).
    dist_p = np.linalg.norm(stage.eye[:2] - p[:2])
    dist_q = np.linalg.norm(stage.eye[:2] - q[:2])
    # Fast on screen: 8-12 % of the frame per frame, whatever the distance, fps and lens.
    focal = 0.5 * sp.height / math.tan(math.radians(sp.camera.fovy) / 2)
    frac = float(rng.uniform(0.08, 0.12))
    depth = np.linalg.norm(stage.eye - (p + [0, 0, r]))
    speed = float(np.clip(frac * max(sp.width, sp.height) * sp.fps * depth / focal, 1.5, 5.0))
    step = speed / sp.fps  # metres per frame
    # Tall enough to hide the ball's top from the camera's height (as for occluder_pass), and
    # wide enough that some frame catches it wholly behind, however far it goes per frame.
    height = 2 * r + (stage.eye[2] - 2 * r) * (1 - dist_q / dist_p) + 0.12
    half_w = (r + 0.6 * step + 0.05) * dist_q / dist_p + float(rng.uniform(0.0, 0.1))
    stage.add_occluder(q, half_w, float(height))
    side = stage.across() * (1 if rng.random() < 0.5 else -1)
    # Two frames or more in full view before it goes behind.
    start = half_w * dist_p / dist_q + r + 2.2 * step
    stage.place(o, p - side * start)
    stage._set_ground_motion(o, side, speed)
    o.motion = "fast_occluder"
    sp.objects.append(o)


STAGERS = {
    "wall_bounce": _wall_bounce,
    "throw_bounce": _throw_bounce,
    "fast_occluder": _fast_occluder,
}


def _thrown(scene, motion: str) -> int | None:
    return next((k for k, o in enumerate(scene.spec.objects) if o.motion == motion), None)


def _check_wall_bounce(scene, clean, th: Thresholds) -> bool:
    """It hits the board and its horizontal motion turns by more than 60 degrees, in view."""
    k = _thrown(scene, "wall_bounce")
    if k is None or not scene.occluders:
        return False
    g, board = scene.geoms[k], scene.occluders[-1]
    hit = [t for t, p in enumerate(clean.contacts) if (min(g, board), max(g, board)) in p]
    if not hit or hit[0] < 1 or hit[0] >= len(clean.contacts) - 2:
        return False
    v = clean.ann["vel"][:, k, :2].astype(float)
    before, after = v[hit[0] - 1], v[min(hit[-1] + 1, len(v) - 1)]
    speeds = np.linalg.norm(before), np.linalg.norm(after)
    if min(speeds) < 0.5:
        return False
    turn = math.degrees(math.acos(np.clip(before @ after / (speeds[0] * speeds[1]), -1, 1)))
    vis = clearly_visible(clean.ann, th)[:, k]
    around = vis[max(0, hit[0] - 2) : hit[-1] + 3]
    return bool(turn >= 60 and around.mean() >= 0.5 and not any(find_all(clean.ann, th).values()))


def _check_throw_bounce(scene, clean, th: Thresholds) -> bool:
    """It moves fast across the picture and rebounds off the floor while in view."""
    k = _thrown(scene, "throw_bounce")
    if k is None:
        return False
    a = clean.ann
    vis = clearly_visible(a, th)[:, k]
    fast = fast_in_view(a, vis, th, k)
    vz = a["vel"][:, k, 2]
    falling = np.nonzero(vz < -0.5)[0]
    rebound = len(falling) and (vz[falling[0] :] > 0.5).any()
    return bool(fast.any() and rebound and vis.any() and not any(find_all(a, th).values()))


def _check_fast_occluder(scene, clean, th: Thresholds) -> bool:
    """Seen, then hidden behind the occluder, then seen again, moving fast while in view."""
    from judge.synth.hard_negatives import verify_hard_negative

    k = _thrown(scene, "fast_occluder")
    if k is None:
        return False
    a = clean.ann
    vis = clearly_visible(a, th)[:, k]
    fast = fast_in_view(a, vis, th, k)
    return bool(
        fast.any()
        and verify_hard_negative("occluder_pass", scene, clean, th)
        and not any(find_all(a, th).values())
    )


VERIFIERS = {
    "wall_bounce": _check_wall_bounce,
    "throw_bounce": _check_throw_bounce,
    "fast_occluder": _check_fast_occluder,
}
