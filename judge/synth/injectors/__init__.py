"""Artifact injectors, one class per kind; add a kind by adding a file and registering it here."""

from __future__ import annotations

from judge.synth.injectors.appear import Appear
from judge.synth.injectors.base import Injector, Intervention
from judge.synth.injectors.clipping import Clipping
from judge.synth.injectors.duplicate import Duplicate
from judge.synth.injectors.levitate import Levitate
from judge.synth.injectors.morph import Morph
from judge.synth.injectors.teleport import Teleport
from judge.synth.injectors.vanish import Vanish

INJECTORS: dict[str, Injector] = {
    cls.name: cls() for cls in (Teleport, Clipping, Vanish, Appear, Morph, Duplicate, Levitate)
}

__all__ = ["INJECTORS", "Injector", "Intervention"]
