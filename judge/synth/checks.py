"""Detectors that find each artifact kind in a clip from its masks and annotations.

Injectors use them to confirm that what they did is visible; tests use them to confirm that
clean clips and hard negatives show none of it. All take the annotation dict of a `ClipRecord`
(arrays `[T, K, ...]`, see `judge.synth.annotate`) and return `(frame, object)` pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

GRAVITY = 9.81
GONE_PX = 2  # at most this many mask pixels: the object is not there


@dataclass(frozen=True)
class Thresholds:
    """How visible an artifact must be; `dt`: seconds per frame, `frame_px`: the long side."""

    dt: float
    frame_px: int
    min_visible_px: int = 20
    max_cover: float = 0.25
    teleport_min_frac: float = 0.15
    clip_depth_frac: float = 0.2
    colour_jump: float = 30.0

    @classmethod
    def for_spec(cls, spec, artifacts) -> Thresholds:
        return cls(
            dt=1.0 / spec.fps,
            frame_px=max(spec.width, spec.height),
            min_visible_px=artifacts.min_visible_px,
            max_cover=artifacts.max_cover_frac,
            teleport_min_frac=artifacts.teleport_min_frac,
        )


def clearly_visible(a: dict, th: Thresholds) -> np.ndarray:
    """`(T, K)` bool: enough pixels, not hidden behind something nearer, inside the frame."""
    return (
        (a["visible_px"] >= th.min_visible_px)
        & (a["cover"] <= th.max_cover)
        & (a["in_frame"] >= 0.9)
    )


def _jump_allowed(a: dict, t: int, th: Thresholds) -> np.ndarray:
    """`(K,)` largest physically possible displacement between frames t-1 and t (metres)."""
    speed = np.maximum(
        np.linalg.norm(a["vel"][t - 1], axis=-1), np.linalg.norm(a["vel"][t], axis=-1)
    )
    return 1.5 * speed * th.dt + GRAVITY * th.dt**2 + 0.02


def _discontinuous(a: dict, t: int, th: Thresholds) -> np.ndarray:
    jump = np.linalg.norm(a["pos"][t] - a["pos"][t - 1], axis=-1)
    return jump > _jump_allowed(a, t, th) + 0.05


def min_half_size(a: dict, t: int) -> np.ndarray:
    """`(K,)` smallest half-extent of each geom (metres), from its MuJoCo size and type."""
    size, shape = a["size"][t], a["shape"][t]
    out = size.min(-1).copy()
    round_ = np.isin(shape, (2, 3))  # sphere, capsule: radius
    out[round_] = size[round_, 0]
    cyl = shape == 5
    out[cyl] = size[cyl, :2].min(-1)
    mesh = shape == 7
    out[mesh] *= 0.55  # mesh sizes scale unit-extent vertices (the tetrahedron's reach 0.58)
    return out


def find_teleport(a: dict, th: Thresholds) -> list[tuple[int, int]]:
    vis = clearly_visible(a, th)
    out = []
    for t in range(1, len(vis)):
        moved_px = np.linalg.norm(a["center_px"][t] - a["center_px"][t - 1], axis=-1)
        hit = (
            vis[t - 1]
            & vis[t]
            & _discontinuous(a, t, th)
            & (moved_px >= th.teleport_min_frac * th.frame_px)
        )
        out += [(t, int(k)) for k in np.nonzero(hit)[0]]
    return out


def fast_in_view(a: dict, vis: np.ndarray, th: Thresholds, objects) -> np.ndarray:
    """Bool `(T-1, ...)`: between frames t and t+1 the objects' image centres moved at least half
    a teleport's jump while clearly visible in both (`vis`: `(T, ...)` for the same `objects`, an
    index or a list of them). What makes a plausible motion look like a teleport."""
    step = np.linalg.norm(np.diff(a["center_px"][:, objects], axis=0), axis=-1)
    return (step >= 0.5 * th.teleport_min_frac * th.frame_px) & vis[1:] & vis[:-1]


def find_clipping(a: dict, th: Thresholds) -> list[tuple[int, int]]:
    """Deep interpenetration on two consecutive frames (an impact's soft-contact dip lasts one)."""
    T = len(a["exists"])
    deep = np.zeros(a["exists"].shape, bool)
    for t in range(T):
        limit = np.maximum(0.01, th.clip_depth_frac * min_half_size(a, t))
        deep[t] = (a["penetration"][t] >= limit) & a["exists"][t]
    out = []
    for t in range(T):
        lasting = deep[t] & (deep[t + 1] if t + 1 < T else True)
        hit = lasting & (a["visible_px"][t] >= th.min_visible_px)
        out += [(t, int(k)) for k in np.nonzero(hit)[0]]
    return out


def find_vanish(a: dict, th: Thresholds) -> list[tuple[int, int]]:
    vis = clearly_visible(a, th)
    out = []
    for t in range(1, len(vis)):
        hit = (
            vis[t - 1]
            & (a["visible_px"][t] <= GONE_PX)
            & (a["in_frame"][t] >= 0.9)
            & (a["cover"][t] <= 0.5)
        )
        out += [(t, int(k)) for k in np.nonzero(hit)[0]]
    return out


def find_appear(a: dict, th: Thresholds) -> list[tuple[int, int]]:
    """An object shows up in the open where it was not, without coming from out of view or cover."""
    vis = clearly_visible(a, th)
    out = []
    for t in range(1, len(vis)):
        was_hidable = (a["in_frame"][t - 1] < 0.9) | (a["cover"][t - 1] > 0.5)
        explained = was_hidable & ~_discontinuous(a, t, th)
        hit = vis[t] & (a["visible_px"][t - 1] <= GONE_PX) & ~explained
        out += [(t, int(k)) for k in np.nonzero(hit)[0]]
    return out


def find_duplicate(a: dict, th: Thresholds) -> list[tuple[int, int]]:
    """An appearing object that looks like, and stands next to, one that was already there."""
    vis = clearly_visible(a, th)
    out = []
    for t, j in find_appear(a, th):
        for i in np.nonzero(vis[t - 1] & vis[t])[0]:
            same = (
                a["shape"][t, i] == a["shape"][t, j]
                and np.allclose(a["size"][t, i], a["size"][t, j], atol=1e-4)
                and np.allclose(a["rgba"][t, i], a["rgba"][t, j], atol=1e-3)
            )
            near = np.linalg.norm(a["pos"][t, j] - a["pos"][t - 1, i]) <= 4 * a["size"][t, i].max()
            if i != j and same and near:
                out.append((t, int(i)))
    return out


def find_morph(a: dict, th: Thresholds) -> list[tuple[int, int]]:
    """An object changes colour in place, grows or shrinks in place (a figure's segment), or is
    replaced on the spot by one of other shape/size."""
    from judge.synth.figure_checks import same_figure

    vis = clearly_visible(a, th)
    out = []
    for t in range(1, len(vis)):
        colour = np.abs(a["rgba"][t] - a["rgba"][t - 1]).max(-1) > 1e-3
        seen = np.linalg.norm(a["mean_rgb"][t] - a["mean_rgb"][t - 1], axis=-1) >= th.colour_jump
        out += [(t, int(k)) for k in np.nonzero(vis[t - 1] & vis[t] & colour & seen)[0]]
        resized = np.abs(a["size"][t] - a["size"][t - 1]).max(-1) > 1e-4
        ratio = a["amodal_px"][t] / np.maximum(1, a["amodal_px"][t - 1])
        grown = (ratio >= 1.25) | (ratio <= 0.8)
        out += [(t, int(k)) for k in np.nonzero(vis[t - 1] & vis[t] & resized & grown)[0]]
        gone = np.nonzero(vis[t - 1] & (a["visible_px"][t] <= GONE_PX))[0]
        new = np.nonzero(vis[t] & (a["visible_px"][t - 1] <= GONE_PX))[0]
        for i in gone:
            for j in new:
                if same_figure(a, i, j):  # one limb hides as another shows: not a swap
                    continue
                reach = 0.5 * a["size"][t - 1, i].max() + _jump_allowed(a, t, th)[i]
                if np.linalg.norm(a["pos"][t, j] - a["pos"][t - 1, i]) > reach:
                    continue
                ratio = a["visible_px"][t, j] / max(1, a["visible_px"][t - 1, i])
                if a["shape"][t, j] != a["shape"][t - 1, i] or not 0.8 <= ratio <= 1.25:
                    out.append((t, int(i)))
    return out


def find_levitate(a: dict, th: Thresholds) -> list[tuple[int, int]]:
    """Unsupported (no contact) yet not falling: vertical acceleration well above -g.

    A figure's segments are judged as one body (`figure_checks.find_figure_levitate`)."""
    z = a["pos"][..., 2]
    out = []
    segment = a["figure"][0] >= 0 if "figure" in a else np.zeros(z.shape[1], bool)
    for t in range(1, len(z) - 1):
        free = ~a["contact"][t] & ~a["contact"][t + 1] & a["exists"][t - 1] & a["exists"][t + 1]
        acc = (z[t + 1] - 2 * z[t] + z[t - 1]) / th.dt**2
        hit = (
            free
            & a["exists"][t]
            & (a["visible_px"][t] >= th.min_visible_px)
            & (acc > -0.5 * GRAVITY)
            & ~segment
        )
        out += [(t, int(k)) for k in np.nonzero(hit)[0]]
    if segment.any():
        from judge.synth.figure_checks import find_figure_levitate

        out = sorted(out + find_figure_levitate(a, th))
    return out


DETECTORS = {
    "teleport": find_teleport,
    "clipping": find_clipping,
    "vanish": find_vanish,
    "appear": find_appear,
    "morph": find_morph,
    "duplicate": find_duplicate,
    "levitate": find_levitate,
}


def find_all(a: dict, th: Thresholds, kinds=None) -> dict[str, list[tuple[int, int]]]:
    """Every detector's hits: `{kind: [(frame, object), ...]}`."""
    return {k: DETECTORS[k](a, th) for k in (kinds or DETECTORS)}
