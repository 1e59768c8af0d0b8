"""physics-judge: a small video classifier that flags physically implausible events in clips.

Importing ``judge`` is cheap: it must not pull in torch or mujoco, because the synthetic
generator and the I/O helpers are used in processes that never touch a model. Heavier public
names are resolved lazily through ``__getattr__``.
"""

from __future__ import annotations

import os

# OpenMP threads that spin while waiting made torch 15x slower on a 2-vCPU machine (a tiny3d
# step: 1.5 s spinning, 0.1 s passive), and starved the video decoder next to them. Set before
# torch loads; an explicit OMP_WAIT_POLICY in the environment wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"

__all__ = ["__version__"]

# Public name -> module that defines it; imported only on first attribute access.
_LAZY: dict[str, str] = {"Judge": "judge.inference.judge"}


def __getattr__(name: str) -> object:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'judge' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value  # cache so later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
