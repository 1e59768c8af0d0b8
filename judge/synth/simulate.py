"""Simulate and render a scene: the clean clip, and twins branched from its saved states."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import mujoco
import numpy as np

from judge.synth.annotate import Annotator
from judge.synth.camera import mat_to_quat
from judge.synth.figure_driver import FigureDriver, FigureMods
from judge.synth.mjcf import build_mjcf, object_geom_name
from judge.synth.render import SceneRenderer
from judge.synth.rigs import RigDriver
from judge.synth.shutter import expose
from judge.synth.spec import SceneSpec

STATE = mujoco.mjtState.mjSTATE_INTEGRATION


@dataclass
class ClipRecord:
    """A rendered clip: frames uint8 `(T, H, W, 3)`, annotations `[T, K, ...]`, masks `(T,H,W)`."""

    frames: np.ndarray
    ann: dict[str, np.ndarray]
    masks: np.ndarray
    states: list[np.ndarray] = field(default_factory=list)  # full physics state per frame
    contacts: list[set] = field(default_factory=list)  # geom-id pairs touching per frame
    # Per frame and rig `(T, R, 5)`: body position, grip held (0/1), rope length (see rigs.py).
    rigs: np.ndarray | None = None


class Scene:
    """A compiled scene: the clean model, its renderer and the ids injectors need."""

    def __init__(self, spec: SceneSpec):
        self.spec = spec
        xml, assets = build_mjcf(spec)
        self.model = mujoco.MjModel.from_xml_string(xml, assets=assets)
        self.renderer = SceneRenderer(self.model, spec.width, spec.height)
        m = self.model
        gid = lambda name: mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_GEOM, name)  # noqa: E731
        self.geoms = [gid(object_geom_name(i)) for i in range(len(spec.objects))]
        self.bodies = [int(m.geom_bodyid[g]) for g in self.geoms]
        self.qpos_adr = [int(m.jnt_qposadr[m.body_jntadr[b]]) for b in self.bodies]
        self.dof_adr = [int(m.jnt_dofadr[m.body_jntadr[b]]) for b in self.bodies]
        self.floor = gid("floor")
        self.walls = [gid(f"wall{j}") for j in range(len(spec.walls))]
        self.occluders = [gid(f"occluder{j}") for j in range(len(spec.occluders))]
        self.colliders = [self.floor, *self.walls, *self.occluders, *self.geoms]
        self.camera_poses = [spec.camera.pose(t, spec.num_frames) for t in range(spec.num_frames)]
        self._object_of = {g: i for i, g in enumerate(self.geoms)}
        self.rig = RigDriver(m, spec.rigs, self.geoms) if spec.rigs else None
        self.figures = (
            FigureDriver(spec, self.qpos_adr, self.dof_adr, self.geoms, self.bodies)
            if spec.figures
            else None
        )
        self.figure_mods = FigureMods()  # what the current run's injector did to the figures
        self.skip_pairs = _figure_skip_pairs(spec, self.geoms) if spec.figures else {}

    def _drive_figures(self, model: mujoco.MjModel, data: mujoco.MjData) -> None:
        if self.figures is not None:
            self.figures.frame(model, data, self.figure_mods)

    def close(self) -> None:
        self.renderer.close()

    def initial_data(self, model: mujoco.MjModel) -> mujoco.MjData:
        d = mujoco.MjData(model)
        for i, o in enumerate(self.spec.objects):
            a = self.dof_adr[i]
            d.qvel[a : a + 3] = o.linvel
            d.qvel[a + 3 : a + 6] = o.angvel  # free-joint angular velocity is in the body frame
            if o.phantom is None:
                rot = np.empty(9)
                mujoco.mju_quat2Mat(rot, np.asarray(o.quat, float))
                d.qvel[a + 3 : a + 6] = rot.reshape(3, 3).T @ np.asarray(o.angvel)
        mujoco.mj_forward(model, d)
        if self.figures is not None:
            self._drive_figures(model, d)
            mujoco.mj_forward(model, d)
        if self.rig is not None:  # a hand staged holding its object takes hold at time 0
            self.rig.drive(model, d)
            mujoco.mj_forward(model, d)
        return d

    def run(
        self,
        injector=None,
        branch: ClipRecord | None = None,
        start: int = 0,
        keep_states: bool = False,
    ) -> ClipRecord:
        """Render frames `start..T-1`; frames before `start` are copied from `branch`.

        `injector` (an object with `apply(scene, model, data, t)`) changes a private copy of the
        model and the data from frame `start` on; the clean model is never modified, except
        for the relative pose a hand's grip records when it takes hold (see `rigs.RigDriver`).
        """
        sp = self.spec
        T, K = sp.num_frames, len(sp.objects)
        model = copy.deepcopy(self.model) if injector is not None else self.model
        self.figure_mods = FigureMods()
        if branch is not None and start > 0:
            data = mujoco.MjData(model)
            mujoco.mj_setState(model, data, branch.states[start], STATE)
            mujoco.mj_forward(model, data)
        else:
            start, data = 0, self.initial_data(model)
        ann = Annotator(
            model,
            self.geoms,
            self.occluders,
            self.colliders,
            T,
            sp.width,
            sp.height,
            skip_pairs=self.skip_pairs,
            figure_of=_figure_rows(sp) if sp.figures else None,
        )
        frames = np.empty((T, sp.height, sp.width, 3), np.uint8)
        if start > 0:
            frames[:start] = branch.frames[:start]
            ann.copy_prefix(branch.ann, branch.masks, start)
        states, contacts, rig_rows = [], [], []
        state = np.empty(mujoco.mj_stateSize(model, STATE))
        touching = np.zeros(K, bool)
        pairs: set = set()
        substeps = sp.substeps()
        for t in range(start, T):
            if t > start:
                touching[:], pairs = False, set()
                for _ in range(substeps):
                    if self.rig is not None:
                        self.rig.drive(model, data)
                    mujoco.mj_step(model, data)
                    self._collect_contacts(data, touching, pairs)
                    if self.rig is not None:
                        self.rig.support(data, touching)
                    if self.figures is not None:
                        self.figures.support(data, touching)
                self._drive_figures(model, data)
                mujoco.mj_forward(model, data)
            elif branch is not None and start > 0:
                pairs = set(branch.contacts[t]) if branch.contacts else set()
                touching[:] = branch.ann["contact"][t]
            if keep_states:
                mujoco.mj_getState(model, data, state, STATE)
                states.append(state.copy())
            if injector is not None:
                injector.apply(self, model, data, t)
                self._drive_figures(model, data)  # a figure twin's change shows at once
                mujoco.mj_forward(model, data)
            self._collect_contacts(data, touching, pairs)
            if self.figures is not None:
                self.figures.support(data, touching)
            if self.rig is not None:
                self.rig.support(data, touching)
                rig_rows.append(self.rig.record(data))
            contacts.append(pairs)
            eye, rot = self.camera_poses[t]
            model.cam_pos[0], model.cam_quat[0] = eye, mat_to_quat(rot)
            if sp.camera.zoom:  # the annotator reads the same per-frame fovy from the model
                model.cam_fovy[0] = sp.camera.fovy_at(t, T)
            mujoco.mj_camlight(model, data)
            rgb, depth, seg = self.renderer.render(model, data)
            frames[t] = self._expose(model, data, rgb, t) if sp.shutter > 0 else rgb
            ann.frame(t, model, data, rgb, depth, seg, touching.copy())
        if start > 0 and branch is not None:
            states = branch.states[:start] + states if keep_states else states
            contacts = branch.contacts[:start] + contacts
        rigs = None
        if self.rig is not None:
            rigs = np.stack(rig_rows)
            if start > 0 and branch is not None and branch.rigs is not None:
                rigs = np.concatenate([branch.rigs[:start], rigs])
        return ClipRecord(frames, ann.arrays, ann.masks, states, contacts, rigs)

    def _expose(self, model: mujoco.MjModel, data: mujoco.MjData, rgb: np.ndarray, t: int):
        """Frame t through the scene's shutter (judge/synth/shutter.py); uint8 `(H, W, 3)`."""
        sp = self.spec
        before = max(t - 1, 0)
        eye, rot = self.camera_poses[before]
        zoom = sp.camera.zoom
        fovy = sp.camera.fovy_at(before, sp.num_frames) if zoom else float(model.cam_fovy[0])
        opened = (eye, mat_to_quat(rot), fovy)
        return expose(
            self.renderer, model, data, rgb, sp.shutter, sp.fps, sp.shutter_samples, opened
        )

    def _collect_contacts(self, data: mujoco.MjData, touching: np.ndarray, pairs: set) -> None:
        n = data.ncon
        if not n:
            return
        geom = data.contact.geom[:n]
        for g1, g2 in geom:
            pairs.add((int(min(g1, g2)), int(max(g1, g2))))
            for g in (g1, g2):
                i = self._object_of.get(int(g))
                if i is not None:
                    touching[i] = True


def _figure_rows(spec: SceneSpec) -> np.ndarray:
    """`(K,)` int8: the figure each object is a segment of, -1 for everything else."""
    return np.array([-1 if o.figure is None else o.figure for o in spec.objects], np.int8)


def _figure_skip_pairs(spec: SceneSpec, geoms: list[int]) -> dict[int, set[int]]:
    """Geom pairs whose overlap is anatomy, not clipping: a segment with its parent and its
    siblings (they share a joint), an extra limb with the limb it copies and that one's parent."""
    skip: dict[int, set[int]] = {}

    def pair(i: int, j: int) -> None:
        skip.setdefault(geoms[i], set()).add(geoms[j])
        skip.setdefault(geoms[j], set()).add(geoms[i])

    for fig in spec.figures:
        skel = fig.skeleton()
        for j, seg in enumerate(skel):
            for k, other in enumerate(skel[:j]):
                # Parent and child share a joint; siblings (legs, neck, tail) share a root.
                if seg.parent == k or (seg.parent >= 0 and seg.parent == other.parent):
                    pair(fig.segments[j], fig.segments[k])
        if fig.extra:
            chain = fig.limb(fig.extra_limb)
            root_parent = skel[chain[0]].parent
            for k in range(len(chain)):
                for other in (*chain, root_parent):
                    pair(fig.extra[k], fig.segments[other])
                for k2 in range(len(chain)):
                    if k2 != k:
                        pair(fig.extra[k], fig.extra[k2])
    return skip
