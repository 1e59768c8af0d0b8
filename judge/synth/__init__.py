"""Synthetic clips rendered with MuJoCo, with artifacts injected at known frames (no torch needed).

MuJoCo chooses its OpenGL backend once, when it is first imported, from `MUJOCO_GL`. The
package sets the default here, before any submodule can import mujoco: EGL renders offscreen
on Mesa (CPU) and on GPU drivers alike. An explicit `MUJOCO_GL` in the environment wins.
"""

import os
import sys

MUJOCO_GL_EXPLICIT = "MUJOCO_GL" in os.environ
MUJOCO_IMPORTED_FIRST = "mujoco" in sys.modules and not MUJOCO_GL_EXPLICIT
os.environ.setdefault("MUJOCO_GL", "egl")
