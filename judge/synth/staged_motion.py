"""Hard negatives of plausible, driven motion: hands, platforms, strings and a moving camera.

On real footage a hand that lifts or sets down an object reads as `levitate` to a judge that
never saw one, and a panning camera as everything teleporting. These stagers build such scenes
with visible rigs (`judge.synth.rigs`); `VERIFIERS` confirm from the clean clip that the event
happened and that it is plausible (no artifact detector fires), else the scene is resampled.
"""

from __future__ import annotations

import colorsys

import numpy as np

from judge.synth.checks import Thresholds, clearly_visible, find_all
from judge.synth.rigs import RigGeom, RigSpec

UP = np.array([0.0, 0.0, 1.0])


def _yaw_quat(yaw: float) -> tuple[float, float, float, float]:
    return (float(np.cos(yaw / 2)), 0.0, 0.0, float(np.sin(yaw / 2)))


def _quat_yaw(q) -> float:
    w, _, _, z = q
    return float(2 * np.arctan2(z, w))


def _t(v) -> tuple[float, ...]:
    return tuple(float(x) for x in v)


def _turn(v: np.ndarray, deg: float) -> np.ndarray:
    """A horizontal vector turned by `deg` about the vertical."""
    a = np.radians(deg)
    return np.array([v[0] * np.cos(a) - v[1] * np.sin(a), v[0] * np.sin(a) + v[1] * np.cos(a), 0])


def _skin(rng: np.random.Generator) -> tuple[float, float, float, float]:
    """A skin tone, or now and then a glove of any colour."""
    if rng.random() < 0.3:
        rgb = colorsys.hsv_to_rgb(rng.random(), rng.uniform(0.3, 0.9), rng.uniform(0.3, 0.9))
    else:
        rgb = colorsys.hsv_to_rgb(
            rng.uniform(0.03, 0.11), rng.uniform(0.25, 0.65), rng.uniform(0.35, 0.95)
        )
    return (*(float(c) for c in rgb), 1.0)


def _duration(stage) -> float:
    """Seconds from the first to the last frame."""
    return (stage.spec.num_frames - 1) / stage.spec.fps


def _side(stage, spread: float = 25.0) -> np.ndarray:
    """A horizontal direction across the image (left or right), turned a little at random."""
    d = stage.across() * (1 if stage.rng.random() < 0.5 else -1)
    return _turn(d, stage.rng.uniform(-spread, spread))


def _footprint(o) -> tuple[float, float]:
    """Half extents of an upright object along its own x and y (metres)."""
    if o.shape == "box":
        return float(o.size[0]), float(o.size[1])
    return float(o.size[0]), float(o.size[0])


def _in_view(stage, p: np.ndarray, radius: float) -> bool:
    """Whether floor point p is inside the first frame's view and clear of everything."""
    from judge.synth.camera import project

    sp = stage.spec
    (uv,), (depth,) = project(p[None], stage.eye, stage.rot, sp.camera.fovy, sp.width, sp.height)
    inside = 0.1 * sp.width < uv[0] < 0.9 * sp.width and 0.2 * sp.height < uv[1] < 0.95 * sp.height
    return bool(depth > 0 and inside and stage.fits(p, radius))


def _forearm(stage, trail: np.ndarray, rgba, base_z: float) -> RigGeom:
    """A long capsule from the wrist up and away along `trail`, out of the frame."""
    rng = stage.rng
    away = -stage.toward_camera(np.array(stage.spec.camera.target, float))
    horiz = trail * np.cos(np.radians(rng.uniform(-35, 35))) + away * rng.uniform(0.0, 0.5)
    horiz /= np.linalg.norm(horiz)
    el = np.radians(rng.uniform(35, 65))
    u = np.cos(el) * horiz + np.sin(el) * UP
    start = np.array([0, 0, base_z])
    return RigGeom(
        "capsule",
        (float(rng.uniform(0.028, 0.04)),),
        rgba,
        fromto=_t(np.r_[start, start + u * 1.4]),
        friction=0.5,
    )


# --- hand_carry -----------------------------------------------------------------------------
def _hand_carry(stage) -> None:
    rng, sp = stage.rng, stage.spec
    o = stage.new_object(str(rng.choice(["box", "box", "cylinder", "sphere"])), "carry")
    hh, ext = o.half_height(), o.radius()
    side = _side(stage)
    reach = float(rng.uniform(0.3, 0.6))  # how far it is carried
    lift = float(rng.uniform(0.12, 0.3))
    a = stage.free_spot(ext + 0.1, region=(0.3, 0.7, 0.45, 0.8))
    if a is None:
        return
    b = a + side * reach
    if not _in_view(stage, b, ext + 0.05):
        side, b = -side, a - side * reach
        if not _in_view(stage, b, ext + 0.05):
            return
    variant = str(rng.choice(["pick_place", "lift", "carry_in", "pick_carry"]))
    stage.place(o, a, lift=lift if variant == "carry_in" else 0.0)
    hx, hy = _footprint(o)
    skin = _skin(rng)
    angle = _quat_yaw(o.quat)
    yaw = _yaw_quat(angle)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    palm = RigGeom("box", (hx + 0.012, hy + 0.012, 0.02), skin, quat=yaw, friction=0.8)
    finger_h = 0.35 * hh
    fingers = []
    for s in (-1, 1):  # two fingers either side of the object, clear of it by 4 mm
        off = rot @ np.array([s * (hx + 0.012), 0.0])
        fingers.append(
            RigGeom(
                "box",
                (0.008, min(hy, 0.04), finger_h),
                skin,
                pos=(float(off[0]), float(off[1]), -0.02 - finger_h),
                quat=yaw,
            )
        )
    sleeve = skin if rng.random() < 0.5 else (*colorsys.hsv_to_rgb(rng.random(), 0.5, 0.6), 1.0)
    arm = _forearm(stage, -side, sleeve, 0.02)
    top = 2 * hh + 0.002 + 0.02 + 0.004  # palm centre 4 mm above the object's top
    grip_a = np.r_[a[:2], top]
    # Set down 1 cm above the floor and let go: a weld sagging into the floor would store a
    # contact spring that throws the object up when released.
    grip_b = np.r_[b[:2], top + 0.01]
    above = grip_a + UP * lift
    # The hand comes in from the side it trails from, then goes straight down, so that its
    # fingers pass either side of the object instead of sweeping across its top.
    hover = grip_a + UP * (2 * finger_h + 0.05)
    start = hover - side * 0.3 + UP * 0.1
    D = _duration(stage)
    # Grips may engage only once the hand has stopped on the object (the window's start).
    if variant == "pick_place":
        keys = [(0, start), (0.16, hover), (0.28, grip_a), (0.36, grip_a), (0.52, above)]
        # It lets go during a pause at the bottom, or it would throw the object upwards.
        keys += [(0.7, grip_b + UP * lift), (0.82, grip_b), (0.9, grip_b), (1.0, grip_b + UP * 0.2)]
        window = (0.28, 0.86)
    elif variant == "lift":
        keys = [(0, start), (0.2, hover), (0.33, grip_a), (0.43, grip_a), (0.85, above)]
        window = (0.33, 9.0)
    elif variant == "carry_in":
        keys = [(0, above), (0.12, above), (0.6, grip_b + UP * lift), (0.78, grip_b)]
        keys += [(0.86, grip_b), (1.0, grip_b + UP * 0.25)]
        window = (0.0, 0.82)
    else:  # pick_carry
        keys = [(0, start), (0.18, hover), (0.3, grip_a), (0.38, grip_a), (0.6, above)]
        keys += [(1.0, grip_b + UP * lift * 1.2)]
        window = (0.3, 9.0)
    keys_s = tuple((float(f * D), *_t(p)) for f, p in keys)
    k = len(sp.objects)
    sp.objects.append(o)
    sp.rigs.append(
        RigSpec(
            "hand",
            [palm, *fingers, arm],
            origin=_t(keys[0][1]),
            keys=keys_s,
            grip=k,
            grip_window=(window[0] * D, window[1] * D),
            load=k,
            extra={"variant": variant, "rest_z": hh + 0.002},
        )
    )
    for p in (a, b, (a + b) / 2, a - side * 0.3):
        stage.keep_out.append((p, ext + 0.15))


# --- hand_push ------------------------------------------------------------------------------
def _hand_push(stage) -> None:
    rng, sp = stage.rng, stage.spec
    o = stage.new_object(str(rng.choice(["box", "box", "cylinder"])), "push")
    o.friction = float(rng.uniform(0.4, 0.7))
    hh, ext = o.half_height(), o.radius()
    a = stage.free_spot(ext + 0.1, region=(0.3, 0.7, 0.45, 0.8))
    if a is None:
        return
    push = float(rng.uniform(0.25, 0.45))
    d = _side(stage)
    if not _in_view(stage, a + d * push, ext + 0.05):
        d = -d
        if not _in_view(stage, a + d * push, ext + 0.05):
            return
    stage.place(o, a)
    yaw = float(np.arctan2(d[1], d[0]))
    o.quat = _yaw_quat(yaw)  # a face square to the push, so the hand meets it flat
    hx, hy = _footprint(o)
    # Low enough that friction cannot tip it over the front edge: height * mu < half length.
    zc = float(np.clip(0.5 * hx / o.friction, 0.03, 1.2 * hh))
    hz = min(0.05, zc - 0.006, hh)
    skin = _skin(rng)
    thick = 0.025  # half the palm's thickness
    palm = RigGeom("box", (thick, hy + 0.02, hz), skin, quat=_yaw_quat(yaw), friction=0.6)
    arm = _forearm(stage, -d, skin if rng.random() < 0.5 else _skin(rng), 0.0)
    contact = np.r_[a[:2] - d[:2] * (hx + thick + 0.003), zc]
    start = contact - d * 0.28
    end = contact + d * push
    D = _duration(stage)
    keys = [(0, start), (0.3, contact), (0.8, end), (1.0, end - d * 0.08 + UP * 0.06)]
    k = len(sp.objects)
    sp.objects.append(o)
    sp.rigs.append(
        RigSpec(
            "hand",
            [palm, arm],
            origin=_t(start),
            keys=tuple((float(f * D), *_t(p)) for f, p in keys),
            load=k,
            extra={"push": push},
        )
    )
    for p in (a, a + d * push, a + d * push * 0.5, a - d * 0.35):
        stage.keep_out.append((p, ext + 0.12))


# --- platform_ride --------------------------------------------------------------------------
def _platform_ride(stage) -> None:
    rng, sp = stage.rng, stage.spec
    o = stage.new_object(str(rng.choice(["box", "box", "cylinder", "mesh"])), "ride")
    if o.shape == "mesh":
        o.shape, o.mesh = "box", None  # a mesh may rock on a moving platform; keep it square
    o.friction = float(rng.uniform(0.7, 1.0))
    ext = o.radius()
    pe, pz = ext + float(rng.uniform(0.05, 0.12)), float(rng.uniform(0.02, 0.035))
    a = stage.free_spot(pe + 0.1, region=(0.3, 0.7, 0.45, 0.8))
    if a is None:
        return
    D = _duration(stage)
    move_t = 0.7 * D
    variant = "lift" if rng.random() < 0.35 else "slide"
    grey = float(rng.uniform(0.25, 0.75))
    tint = colorsys.hsv_to_rgb(rng.uniform(0.05, 0.12), rng.uniform(0.0, 0.5), grey)
    rgba = (*(float(c) for c in tint), 1.0)
    geoms = [RigGeom("box", (pe, pe, pz), rgba, quat=_yaw_quat(rng.uniform(0, np.pi)), friction=1)]
    origin = np.r_[a[:2], pz + 0.001]
    if variant == "slide":
        # Peak acceleration of an eased leg is 6 s / T^2; keep it well under the grip mu g.
        far = min(float(rng.uniform(0.35, 0.7)), 0.5 * 9.81 * move_t**2 / 6)
        d = _side(stage, 35.0)
        if not _in_view(stage, a + d * far, pe):
            d = -d
            if not _in_view(stage, a + d * far, pe):
                return
        end = origin + d * far
        for f in (0.5, 1.0):
            stage.keep_out.append((a + d * far * f, pe + 0.1))
    else:
        # An elevator: a post from under the floor; its top never decelerates faster than g/2.
        up = min(float(rng.uniform(0.15, 0.35)), 0.5 * 9.81 * move_t**2 / 6)
        post = RigGeom("cylinder", (0.3 * pe, 0.5), rgba, pos=(0.0, 0.0, -0.5))
        geoms.append(post)
        end = origin + UP * up
    stage.place(o, a, lift=2 * pz + 0.001)
    keys = [(0, origin), (0.15 * D, origin), (0.15 * D + move_t, end)]
    k = len(sp.objects)
    sp.objects.append(o)
    sp.rigs.append(
        RigSpec(
            "platform",
            geoms,
            origin=_t(origin),
            keys=tuple((float(t), *_t(p)) for t, p in keys),
            load=k,
            extra={"variant": variant},
        )
    )
    stage.keep_out.append((a, pe + 0.1))


# --- string_swing ---------------------------------------------------------------------------
def _string_swing(stage) -> None:
    rng, sp = stage.rng, stage.spec
    o = stage.new_object(str(rng.choice(["sphere", "sphere", "box", "cylinder"])), "swing")
    hh, ext = o.half_height(), o.radius()
    length = float(rng.uniform(0.3, 0.6))
    theta = np.radians(rng.uniform(20, 45))
    clearance = float(rng.uniform(0.05, 0.15))
    p = stage.free_spot(ext + length * np.sin(theta) + 0.1, region=(0.35, 0.65, 0.4, 0.75))
    if p is None:
        return
    d = _side(stage, 30.0)
    pivot = np.r_[p[:2], clearance + 2 * hh + length]
    tie = pivot + length * (np.sin(theta) * d - np.cos(theta) * UP)
    yaw = rng.uniform(0, 2 * np.pi)
    o.pos, o.quat = _t(tie - UP * hh), _yaw_quat(yaw)
    if rng.random() < 0.4:  # pushed, not just let go
        tangent = np.cos(theta) * d + np.sin(theta) * UP
        o.linvel = _t(-tangent * rng.uniform(0.3, 0.8))
    perp = np.cross(UP, d)
    half = ext + float(rng.uniform(0.12, 0.25))  # posts clear of the swinging object
    dark = colorsys.hsv_to_rgb(rng.random(), rng.uniform(0, 0.4), rng.uniform(0.15, 0.5))
    frame_rgba = (*(float(c) for c in dark), 1.0)
    r = float(rng.uniform(0.012, 0.02))
    geoms = [RigGeom("capsule", (r,), frame_rgba, fromto=_t(np.r_[-perp * half, perp * half]))]
    for s in (-1, 1):  # a swing frame: two posts down to the floor, so nothing floats
        top = perp * s * half
        geoms.append(
            RigGeom("capsule", (r,), frame_rgba, fromto=_t(np.r_[top, top - UP * pivot[2]]))
        )
    k = len(sp.objects)
    sp.objects.append(o)
    sp.rigs.append(
        RigSpec(
            "string",
            geoms,
            origin=_t(pivot),
            load=k,
            rope=(length, float(rng.uniform(0.008, 0.014))),
            rope_rgba=(*(float(c) for c in dark), 1.0),
            extra={"length": length},
        )
    )
    stage.keep_out.append((p, ext + length * np.sin(theta) + 0.1))
    for s in (-1, 1):
        stage.keep_out.append((p + perp * s * half, 0.08))


# --- camera_move ----------------------------------------------------------------------------
def _camera_move(stage) -> None:
    rng, sp = stage.rng, stage.spec
    stage.still = True
    for _ in range(int(rng.integers(2, 4))):
        o = stage.new_object(str(rng.choice(["box", "cylinder", "sphere"])), "rest")
        p = stage.free_spot(o.radius(), region=(0.3, 0.7, 0.4, 0.8))
        if p is None:
            break
        stage.place(o, p)
        sp.objects.append(o)
    cam = sp.camera
    target, eye0 = np.asarray(cam.target), np.asarray(cam.eye0)
    back = eye0 - target
    dist = np.linalg.norm(back)
    az = np.arctan2(back[1], back[0]) + np.radians(rng.uniform(15, 35)) * rng.choice([-1, 1])
    el = np.arcsin(back[2] / dist) + np.radians(rng.uniform(-8, 8))
    el = float(np.clip(el, np.radians(12), np.radians(60)))
    dist1 = dist * rng.uniform(0.75, 1.25)
    cam.eye1 = _t(
        target + dist1 * np.array([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)])
    )
    if rng.random() < 0.35:
        cam.zoom = float(rng.uniform(0.2, 0.4) * rng.choice([-1, 1]))
    if rng.random() < 0.35:
        cam.shake_deg = float(rng.uniform(1.0, 2.5))
        cam.shake_m = float(rng.uniform(0.005, 0.02))
        cam.shake_seed = int(rng.integers(2**31))


STAGERS = {
    "hand_carry": _hand_carry,
    "hand_push": _hand_push,
    "platform_ride": _platform_ride,
    "string_swing": _string_swing,
    "camera_move": _camera_move,
}


# --- checks ---------------------------------------------------------------------------------
def _rig(scene, kind: str) -> int | None:
    return next((r for r, rig in enumerate(scene.spec.rigs) if rig.kind == kind), None)


def _plausible(clean, th: Thresholds) -> bool:
    """No artifact detector fires on the clean clip: the staged event reads as physical."""
    return not any(find_all(clean.ann, th).values())


def _seen(clean, th: Thresholds, k: int, share: float = 0.5) -> bool:
    """Object k shows enough pixels in the frame in `share` of the frames (a hand may cover it)."""
    a = clean.ann
    shown = (a["visible_px"][:, k] >= th.min_visible_px) & (a["in_frame"][:, k] >= 0.9)
    return bool(shown.mean() >= share)


def _check_hand_carry(scene, clean, th: Thresholds) -> bool:
    """Lifted only while held; still whenever not held; the hand moves; it is all in view."""
    r = _rig(scene, "hand")
    if r is None or clean.rigs is None:
        return False
    rig = scene.spec.rigs[r]
    k = rig.load
    held = clean.rigs[:, r, 3] > 0.5
    pos = clean.ann["pos"][:, k]
    lifted = pos[:, 2] > rig.extra["rest_z"] + 0.03
    if held.sum() < 3 or lifted.sum() < 2 or (lifted & ~held).any():
        return False
    step = np.linalg.norm(np.diff(pos, axis=0), axis=-1)
    loose = ~held[1:] & ~held[:-1]
    if (step[loose] > 0.02).any():  # it moved by itself (beyond the 1 cm drop when let go)
        return False
    hand_travel = np.ptp(clean.rigs[:, r, :3], axis=0).max()
    return bool(hand_travel > 0.1 and _seen(clean, th, k) and _plausible(clean, th))


def _check_hand_push(scene, clean, th: Thresholds) -> bool:
    """Still until the hand touches it, then pushed some way while touched."""
    r = _rig(scene, "hand")
    if r is None or scene.rig is None:
        return False
    k = scene.spec.rigs[r].load
    mine, obj = set(scene.rig.geoms[r]), scene.geoms[k]
    touched = np.array(
        [
            any((a == obj and b in mine) or (b == obj and a in mine) for a, b in p)
            for p in clean.contacts
        ]
    )
    if not touched.any():
        return False
    first = int(np.argmax(touched))
    pos = clean.ann["pos"][:, k]
    # Contacts of frame t happen between frames t-1 and t: still up to the frame before.
    if np.linalg.norm(pos[max(0, first - 1)] - pos[0]) > 0.01:
        return False
    step = np.linalg.norm(np.diff(pos[:, :2], axis=0), axis=-1)
    pushed = step[touched[1:] | touched[:-1]].sum()
    total = np.linalg.norm(pos[-1, :2] - pos[0, :2])
    return bool(
        total >= 0.12
        and pushed >= 0.6 * step.sum()
        and _seen(clean, th, k)
        and _plausible(clean, th)
    )


def _check_platform_ride(scene, clean, th: Thresholds) -> bool:
    """It moves with the platform, keeping its place on it, and rests on it throughout."""
    r = _rig(scene, "platform")
    if r is None or clean.rigs is None:
        return False
    k = scene.spec.rigs[r].load
    pos = clean.ann["pos"][:, k].astype(float)
    rel = pos - clean.rigs[:, r, :3]
    drift = np.linalg.norm(rel - rel[0], axis=-1).max()
    moved = np.linalg.norm(pos - pos[0], axis=-1).max()
    resting = clean.ann["contact"][:, k].mean()
    return bool(
        moved >= 0.12
        and drift <= 0.04
        and resting >= 0.8
        and _seen(clean, th, k)
        and _plausible(clean, th)
    )


def _check_string_swing(scene, clean, th: Thresholds) -> bool:
    """The string stays taut (constant length to the pivot) while the object swings."""
    r = _rig(scene, "string")
    if r is None or clean.rigs is None:
        return False
    rig = scene.spec.rigs[r]
    if rig.rope is None:
        return False
    length = clean.rigs[:, r, 4]
    taut = np.abs(length - rig.rope[0]) <= 0.03 * rig.rope[0]
    pos = clean.ann["pos"][:, rig.load]
    swing = np.ptp(pos[:, :2], axis=0).max()
    return bool(
        taut.all() and swing >= 0.08 and _seen(clean, th, rig.load) and _plausible(clean, th)
    )


def _check_camera_move(scene, clean, th: Thresholds) -> bool:
    """The view turns (or zooms) a lot while nothing in the scene moves; objects stay seen."""
    real = scene.spec.real_objects()
    if not real:
        return False
    poses = scene.camera_poses
    look0 = poses[0][1][:, 2]
    turn = max(np.degrees(np.arccos(np.clip(rot[:, 2] @ look0, -1, 1))) for _, rot in poses)
    zoom = abs(scene.spec.camera.zoom)
    a = clean.ann
    # An upright capsule or ellipsoid may topple as it settles; nothing may travel, though.
    still = np.linalg.norm(a["pos"][:, real] - a["pos"][:1, real], axis=-1).max() <= 0.1
    vis = clearly_visible(a, th)[:, real]
    shift = np.linalg.norm(a["center_px"][:, real] - a["center_px"][:1, real], axis=-1)
    seen_shift = (shift * (vis & vis[:1])).max() >= 0.1 * th.frame_px
    return bool(
        (turn >= 10 or zoom >= 0.15)
        and still
        and seen_shift
        and vis.any(1).mean() >= 0.8
        and _plausible(clean, th)
    )


VERIFIERS = {
    "hand_carry": _check_hand_carry,
    "hand_push": _check_hand_push,
    "platform_ride": _check_platform_ride,
    "string_swing": _check_string_swing,
    "camera_move": _check_camera_move,
}
