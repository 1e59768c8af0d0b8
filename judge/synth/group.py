"""Render one scene group: the clean clip and its artifact twins, each verified."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from judge.synth.checks import Thresholds, find_clipping, find_levitate
from judge.synth.config import SynthConfig
from judge.synth.hard_negatives import verify_hard_negative
from judge.synth.injectors import Intervention, get_injector
from judge.synth.sampling import sample_scene, scene_rng
from judge.synth.simulate import ClipRecord, Scene
from judge.synth.spec import SceneSpec

log = logging.getLogger(__name__)


@dataclass
class Clip:
    """One rendered clip of a group; `events` follow the manifest's event format."""

    variant: str  # "clean" or an artifact label
    record: ClipRecord
    events: list[dict] = field(default_factory=list)
    params: dict = field(default_factory=dict)


@dataclass
class Group:
    spec: SceneSpec
    clips: list[Clip]
    tags: list[str]
    failed: list[str]  # artifact kinds that could not be made visible in this scene


def first_difference(clean: np.ndarray, twin: np.ndarray, start: int) -> int | None:
    """First frame index >= start where two `(T, H, W, 3)` clips differ in any pixel."""
    for t in range(start, len(clean)):
        if not np.array_equal(clean[t], twin[t]):
            return t
    return None


def render_group(cfg: SynthConfig, seed: int, index: int) -> Group:
    """Sample, simulate and render scene `index`; deterministic in (cfg, seed, index)."""
    attempts = cfg.artifacts.max_attempts
    for attempt in range(attempts):
        spec = sample_scene(cfg, seed, index, attempt)
        scene = Scene(spec)
        try:
            clean = scene.run(keep_states=True)
            th = Thresholds.for_spec(spec, cfg.artifacts)
            if spec.hard_negative and not verify_hard_negative(
                spec.hard_negative, scene, clean, th
            ):
                if attempt + 1 < attempts:
                    continue
                log.info(
                    "scene %d: %s not achieved; kept as a plain scene", index, spec.hard_negative
                )
                spec.hard_negative = None
            clips, failed = [Clip("clean", clean)], []
            for k, kind in enumerate(spec.artifacts):
                injector = _injector_for(spec, kind, cfg)
                rng = scene_rng(seed, index, attempt, 1 + k)
                clip = _render_twin(scene, clean, injector, rng, th, attempts)
                if clip is None:
                    failed.append(kind)
                else:
                    clips.append(clip)
            tags = [spec.hard_negative] if spec.hard_negative else []
            return Group(spec, clips, tags, failed)
        finally:
            scene.close()
    raise AssertionError("unreachable")


def _injector_for(spec: SceneSpec, kind: str, cfg: SynthConfig):
    """The figure's injector of this kind when the scene drew it for a figure, else the object's."""
    if kind in spec.figure_artifacts:
        from judge.synth.injectors.figures import FIGURE_INJECTORS

        return FIGURE_INJECTORS[kind]
    return get_injector(kind, cfg.artifacts.injectors)


def _render_twin(
    scene: Scene, clean: ClipRecord, injector, rng: np.random.Generator, th: Thresholds, tries: int
) -> Clip | None:
    kind = injector.name
    T = scene.spec.num_frames
    for _ in range(tries):
        iv = injector.propose(scene, clean, rng, th)
        if iv is None:
            return None
        twin = scene.run(injector=iv, branch=clean, start=iv.branch)
        onset = first_difference(clean.frames, twin.frames, iv.branch)
        if onset is None or onset > T - 3:
            continue
        reason = injector.verify(scene, clean, twin, onset, iv, th)
        if reason is None:
            event = _event(kind, iv, twin, onset, th, injector.detect)
            return Clip(kind, twin, [event], dict(iv.params))
        log.debug("scene %d: %s rejected: %s", scene.spec.index, kind, reason)
    return None


def _event(
    kind: str, iv: Intervention, twin: ClipRecord, onset: int, th: Thresholds, finder=None
) -> dict:
    """The manifest event: onset, last frame showing it, the object and its box at the onset.

    `finder` is the injector's detector (a figure's levitation is judged on the whole figure)."""
    end: int | None = onset
    if kind in ("clipping", "levitate"):
        finder = finder or (find_clipping if kind == "clipping" else find_levitate)
        rows = set(iv.params.get("rows", [iv.target]))
        frames = sorted(t for t, k in finder(twin.ann, th) if k in rows and t >= onset)
        end = _run_end(frames, onset) if frames else onset
        # Levitation needs frames on both sides to be detected, so its last possible hit is T-2.
        last = len(twin.frames) - (2 if kind == "levitate" else 1)
        end = None if end >= last else end
    box_frame = onset - 1 if kind == "vanish" else onset
    bbox = [int(v) for v in twin.ann["bbox"][box_frame, iv.target]]
    if kind == "appear" or min(bbox) < 0:
        bbox = [int(round(v)) for v in twin.ann["amodal_bbox"][onset, iv.target]]
    return {"type": kind, "frame": int(onset), "end": end, "object": int(iv.target), "bbox": bbox}


def _run_end(frames: list[int], start: int) -> int:
    """Last frame of the run of consecutive frames that begins at or after `start`."""
    end = frames[0]
    for f in frames[1:]:
        if f > end + 2:  # allow a one-frame gap (e.g. a detector needing two contact-free frames)
            break
        end = f
    return max(end, start)
