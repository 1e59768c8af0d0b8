"""Offscreen OpenGL for MuJoCo: EGL by default (see `judge.synth`), OSMesa as the fallback."""

from __future__ import annotations

import os
import subprocess
import sys

from judge.synth import MUJOCO_GL_EXPLICIT, MUJOCO_IMPORTED_FIRST

_PROBE = (
    "import mujoco\n"
    "xml = '<mujoco><worldbody><geom size=\".1\"/></worldbody></mujoco>'\n"
    "m = mujoco.MjModel.from_xml_string(xml)\n"
    "r = mujoco.Renderer(m, 16, 16); r.update_scene(mujoco.MjData(m)); r.render()\n"
)


def backend_works(name: str, timeout: float = 60.0) -> bool:
    """Whether MuJoCo can render offscreen with this backend (probed in a child process)."""
    env = {**os.environ, "MUJOCO_GL": name}
    try:
        done = subprocess.run(
            [sys.executable, "-c", _PROBE], env=env, capture_output=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0


def choose_backend() -> str:
    """The user's `MUJOCO_GL` if set; else EGL if it renders here, else OSMesa.

    Call before mujoco is imported in this process and before workers start (they inherit it).
    """
    if MUJOCO_GL_EXPLICIT or "JUDGE_GL_CHOSEN" in os.environ:
        return os.environ["MUJOCO_GL"]
    for name in ("egl", "osmesa"):
        if backend_works(name):
            os.environ["MUJOCO_GL"] = name
            os.environ["JUDGE_GL_CHOSEN"] = "1"
            return name
    raise RuntimeError(
        "MuJoCo cannot render offscreen: neither EGL nor OSMesa works. Install Mesa's EGL "
        "(apt-get install libegl1 libgl1-mesa-dri) or OSMesa (apt-get install libosmesa6), or "
        "set MUJOCO_GL to a working backend."
    )


_contexts: dict = {}


def gl_context(width: int, height: int):
    """One GL context per process and size, made current; MuJoCo contexts come and go per scene."""
    import mujoco

    key = (width, height)
    if key not in _contexts:
        try:
            _contexts[key] = mujoco.GLContext(width, height)
        except Exception as e:
            hint = (
                " mujoco was imported before judge.synth with MUJOCO_GL unset, so it chose its"
                " windowed default; export MUJOCO_GL=egl or import judge.synth first."
                if MUJOCO_IMPORTED_FIRST
                else ""
            )
            raise RuntimeError(f"cannot create an offscreen GL context ({e}).{hint}") from e
    ctx = _contexts[key]
    ctx.make_current()
    return ctx
