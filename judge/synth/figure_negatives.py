"""Hard negatives with figures: plausible events a careless judge would call artifacts.

- figure_jump: a figure leaves the floor (airborne, ballistic) and lands;
- figure_carry: a person picks an object up, carries it, maybe sets it down;
- figure_crowd: one figure walks in front of another and hides it for a while;
- figure_swing: fast arm swings (a windmill) or a run, limbs moving far per frame;
- figure_exit: a figure walks or runs out of the frame.

`VERIFIERS` confirm from the clean clip that the event happened and no detector fires.
"""

from __future__ import annotations

import numpy as np

from judge.synth.checks import Thresholds, find_all
from judge.synth.figure_staging import add_figure


def _kind(stage) -> str:
    kinds = list(stage.cfg.scene.figure_kinds)
    return str(kinds[stage.rng.integers(len(kinds))])


def _jump(stage) -> None:
    add_figure(stage, stage.rng, _kind(stage), "jump")


def _carry(stage) -> None:
    add_figure(stage, stage.rng, "humanoid", "carry")


def _swing(stage) -> None:
    add_figure(stage, stage.rng, "humanoid", str(stage.rng.choice(["swing", "swing", "run"])))


def _exit(stage) -> None:
    kind = _kind(stage)
    motion = str(stage.rng.choice(["walk", "run"]))
    add_figure(stage, stage.rng, kind, motion, exit_frame=True)


def _crowd(stage) -> None:
    # The one behind stands high in the image, side on (its arm sweeps across, not toward the
    # walker); the walker crosses its line of sight a third of a metre nearer the camera.
    motion = str(stage.rng.choice(["reach", "swing"]))
    back = add_figure(
        stage, stage.rng, "humanoid", motion, region=(0.35, 0.65, 0.4, 0.6), spread=0.2
    )
    if back is None:
        return
    mid = np.array([*back.start, 0.0])  # it stands still: its start is where it stays
    walker = "humanoid" if stage.rng.random() < 0.75 else _kind(stage)  # tall enough to hide it
    add_figure(stage, stage.rng, walker, "walk", near=mid, spread=0.3)


STAGERS = {
    "figure_jump": _jump,
    "figure_carry": _carry,
    "figure_crowd": _crowd,
    "figure_swing": _swing,
    "figure_exit": _exit,
}


def _plausible(clean, th: Thresholds) -> bool:
    return not any(find_all(clean.ann, th).values())


def _rows(scene, f: int) -> list[int]:
    return list(scene.spec.figures[f].segments)


def _check_jump(scene, clean, th: Thresholds) -> bool:
    """Every segment off the floor on at least two frames running, and the figure seen."""
    if not scene.spec.figures:
        return False
    rows = _rows(scene, 0)
    free = ~clean.ann["contact"][:, rows].any(1)
    two = bool((free[1:] & free[:-1]).any())
    return two and _seen(clean, th, rows) and _plausible(clean, th)


def _check_carry(scene, clean, th: Thresholds) -> bool:
    """The carried object rises at least 5 cm off its rest while held, and is seen."""
    figs = [f for f in scene.spec.figures if f.held is not None]
    if not figs:
        return False
    k = figs[0].held
    z = clean.ann["pos"][:, k, 2]
    return bool(z.max() - z[0] >= 0.05 and _seen(clean, th, [k]) and _plausible(clean, th))


def _check_crowd(scene, clean, th: Thresholds) -> bool:
    """The back figure, in view, is hidden (by area) 20 points more on some frame than on
    another: the walker passes in front of it. (Its own limbs and head always hide a quarter
    to a third of its segments' silhouettes, so the change is measured, not the level.)"""
    if len(scene.spec.figures) < 2 or scene.spec.figures[1].phantom is not None:
        return False
    a, rows = clean.ann, _rows(scene, 0)
    area = a["amodal_px"][:, rows].astype(float)
    hidden = (a["cover"][:, rows] * area).sum(1) / np.maximum(1.0, area.sum(1))
    inside = (a["in_frame"][:, rows] >= 0.9).all(1)
    if not inside.any():
        return False
    return bool(np.ptp(hidden[inside]) >= 0.2 and _plausible(clean, th))


def _check_swing(scene, clean, th: Thresholds) -> bool:
    """A segment moves at least a tenth of the frame between two frames."""
    if not scene.spec.figures:
        return False
    rows = _rows(scene, 0)
    step = np.linalg.norm(np.diff(clean.ann["center_px"][:, rows], axis=0), axis=-1)
    return bool(
        step.max() >= 0.1 * th.frame_px and _seen(clean, th, rows) and _plausible(clean, th)
    )


def _check_exit(scene, clean, th: Thresholds) -> bool:
    """The torso is fully in view first and fully out of it by the end."""
    if not scene.spec.figures:
        return False
    torso = scene.spec.figures[0].segments[0]
    inf = clean.ann["in_frame"][:, torso]
    return bool(inf[0] >= 0.9 and inf[-1] <= 0.05 and _plausible(clean, th))


def _seen(clean, th: Thresholds, rows: list[int], share: float = 0.5) -> bool:
    shown = clean.ann["visible_px"][:, rows].sum(1) >= th.min_visible_px
    return bool(shown.mean() >= share)


VERIFIERS = {
    "figure_jump": _check_jump,
    "figure_carry": _check_carry,
    "figure_crowd": _check_crowd,
    "figure_swing": _check_swing,
    "figure_exit": _check_exit,
}
