"""Build a MuJoCo model (MJCF text plus in-memory assets) from a scene spec."""

from __future__ import annotations

import numpy as np

from judge.synth.rigs import object_sites, rigs_xml
from judge.synth.spec import MESHES, BoxSpec, ObjectSpec, SceneSpec, TextureSpec
from judge.synth.textures import texture_png

# Geom groups: rendering shows groups 0-3; hidden geoms (phantoms, vanished objects) live in 5.
GROUP_STATIC, GROUP_OCCLUDER, GROUP_OBJECT, GROUP_HIDDEN = 0, 1, 3, 5
FLOOR_GEOM = "floor"
# Figure segments touch objects and the floor but not each other: contype 4 meets no segment's
# conaffinity (1), while every object's contype (1) meets theirs. Bit 2 stays free for clipping.
SEGMENT_CONTYPE = 4
SEGMENT_DENSITY = 3000.0  # heavy, so a step of contact barely deflects a scripted segment
# MuJoCo takes the larger friction of a touching pair; static geoms get almost none so that each
# object's own coefficient decides how it slides.
STATIC_FRICTION = 'friction="0.001 0.001 0.0001"'


def _f(v) -> str:
    return " ".join(f"{float(x):.6g}" for x in np.atleast_1d(v))


def object_geom_name(i: int) -> str:
    return f"obj{i}"


def build_mjcf(spec: SceneSpec) -> tuple[str, dict[str, bytes]]:
    """MJCF XML and the asset bytes it references (textures as PNG)."""
    assets: dict[str, bytes] = {}
    asset_xml: list[str] = []

    def add_texture(name: str, tex: TextureSpec, repeat: float) -> str:
        fname = f"{name}.png"
        assets[fname] = texture_png(tex)
        # A 2d texture on a box is projected along the box's z and streaks its vertical faces;
        # photos on walls need a cube texture (one image per face) to be seen as photos.
        photo_wall = name.startswith("wall") and tex.kind in ("photo", "footage")
        kind = "cube" if photo_wall else "2d"
        asset_xml.append(f'<texture name="{name}" type="{kind}" file="{fname}"/>')
        asset_xml.append(
            f'<material name="{name}" texture="{name}" texrepeat="{_f([repeat, repeat])}" '
            f'texuniform="{str(not photo_wall).lower()}" reflectance="0"/>'
        )
        return name

    floor_mat = add_texture("floor", spec.floor, spec.floor.repeat)
    if spec.backdrop is not None:  # a skybox: the image fills the background past the floor
        assets["backdrop.png"] = texture_png(spec.backdrop)
        asset_xml.append('<texture name="backdrop" type="skybox" file="backdrop.png"/>')
    body_xml: list[str] = []
    for i, o in enumerate(spec.objects):
        asset_xml.append(
            f'<material name="mat{i}" rgba="{_f(o.rgba)}" specular="{o.specular:.3g}" '
            f'shininess="{o.shininess:.3g}"/>'
        )
        if o.shape == "mesh":
            asset_xml.append(
                f'<mesh name="mesh{i}" vertex="{_f(MESHES[o.mesh].reshape(-1))}" '
                f'scale="{_f(o.size)}"/>'
            )
        body_xml.append(_object_body(i, o, object_sites(spec.rigs, i, o.half_height())))

    static_xml = [
        f'<geom name="{FLOOR_GEOM}" type="plane" size="0 0 0.05" material="{floor_mat}" '
        f"{STATIC_FRICTION} "
        f'group="{GROUP_STATIC}"/>'
    ]
    for j, w in enumerate(spec.walls):
        mat = add_texture(f"wall{j}", w.texture, w.texture.repeat) if w.texture else None
        static_xml.append(_box_geom(f"wall{j}", w, GROUP_STATIC, mat))
    for j, occ in enumerate(spec.occluders):
        static_xml.append(_box_geom(f"occluder{j}", occ, GROUP_OCCLUDER, None))

    lights = []
    for light in spec.lights:
        kind = 'directional="true"' if light.directional else ""
        lights.append(
            f'<light pos="{_f(light.pos)}" dir="{_f(light.dir)}" '
            f'diffuse="{_f([light.diffuse] * 3)}" '
            f'specular="0.2 0.2 0.2" castshadow="{str(light.castshadow).lower()}" {kind}/>'
        )

    # Rigs (hands, platforms, strings) come after the objects, keeping the objects' addresses.
    rig_bodies, rig_sections = rigs_xml(spec.rigs, _f) if spec.rigs else ("", "")
    if rig_bodies:
        body_xml.append(rig_bodies)

    eye, rot = spec.camera.pose(0, spec.num_frames)
    xyaxes = _f(np.concatenate([rot[:, 0], rot[:, 1]]))
    w, h = spec.width, spec.height
    shadow = spec.shadow_size if spec.shadows else 0
    # A figure adds a dozen capsules, each drawn (and shadowed) as a fine mesh: coarser ones
    # render a third faster and look the same at 64-128 px. Scenes without figures keep theirs.
    coarse = 'numslices="16" numstacks="8" ' if spec.figures else ""
    xml = f"""<mujoco model="scene{spec.index}">
  <compiler angle="degree" autolimits="true"/>
  <option timestep="{spec.timestep:.6g}" gravity="0 0 -9.81"/>
  <visual>
    <global offwidth="{w}" offheight="{h}"/>
    <quality {coarse}shadowsize="{shadow}" offsamples="{spec.antialias_samples}"/>
    <headlight ambient="0.25 0.25 0.25" diffuse="0.15 0.15 0.15" specular="0 0 0"/>
    <map znear="0.01" zfar="50"/>
  </visual>
  <statistic extent="2" center="0 0 0.3"/>
  <default><geom condim="3" solref="0.01 1" solimp="0.95 0.99 0.001"/></default>
  <asset>
    {chr(10).join(asset_xml)}
  </asset>
  <worldbody>
    {chr(10).join(lights)}
    <camera name="cam" pos="{_f(eye)}" xyaxes="{xyaxes}" fovy="{spec.camera.fovy:.4g}"/>
    {chr(10).join(static_xml)}
    {chr(10).join(body_xml)}
  </worldbody>
{rig_sections}</mujoco>"""
    return xml, assets


def _object_body(i: int, o: ObjectSpec, sites: str = "") -> str:
    hidden = o.phantom is not None
    group = GROUP_HIDDEN if hidden else GROUP_OBJECT
    collide = 0 if hidden else 1
    if o.figure is not None:  # a figure's segment: scripted (gravity compensated), heavy
        contype = 0 if hidden else SEGMENT_CONTYPE
        return (
            f'<body name="body{i}" pos="{_f(o.pos)}" quat="{_f(o.quat)}" gravcomp="1">'
            f'<freejoint name="joint{i}"/><geom name="{object_geom_name(i)}" type="{o.shape}" '
            f'size="{_f(o.size)}" material="mat{i}" density="{SEGMENT_DENSITY:g}" '
            f'friction="{o.friction:.3g} 0.01 0.001" group="{group}" contype="{contype}" '
            f'conaffinity="{collide}"/>{sites}</body>'
        )
    shape = (
        f'type="mesh" mesh="mesh{i}"'
        if o.shape == "mesh"
        else f'type="{o.shape}" size="{_f(o.size)}"'
    )
    # Bouncy objects get a lightly damped contact so they visibly rebound; solmix makes theirs
    # win over the floor's when MuJoCo mixes the two geoms' parameters.
    solref = ' solref="0.02 0.2" solmix="1000"' if o.bouncy else ""
    return (
        f'<body name="body{i}" pos="{_f(o.pos)}" quat="{_f(o.quat)}"><freejoint name="joint{i}"/>'
        f'<geom name="{object_geom_name(i)}" {shape} material="mat{i}" density="500" '
        f'friction="{o.friction:.3g} 0.01 0.001" group="{group}" contype="{collide}" '
        f'conaffinity="{collide}"{solref}/>{sites}</body>'
    )


def _box_geom(name: str, b: BoxSpec, group: int, material: str | None) -> str:
    look = f'material="{material}"' if material else f'rgba="{_f(b.rgba)}"'
    return (
        f'<geom name="{name}" type="box" pos="{_f(b.pos)}" size="{_f(b.size)}" '
        f'euler="0 0 {b.yaw_deg:.4g}" {look} group="{group}" {STATIC_FRICTION}/>'
    )
