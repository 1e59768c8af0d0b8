"""Test-wide environment: headless MuJoCo rendering and no W&B network traffic."""

import os

# Set at import, before any test module imports mujoco or wandb, which read these once.
os.environ.setdefault("MUJOCO_GL", "egl")
os.environ.setdefault("WANDB_MODE", "disabled")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see judge/__init__.py
