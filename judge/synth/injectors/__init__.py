"""Artifact injectors, one class per kind.

A new kind is one file with an `Injector` subclass (its `propose`, and a `detect` unless a
built-in detector fits), named in the config: `synth.artifacts.labels=[..., flicker]` and
`synth.artifacts.injectors.flicker._target_=my_pkg.flicker.Flicker`.
"""

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

_custom: dict[tuple, Injector] = {}


def get_injector(kind: str, injectors: dict | None = None) -> Injector:
    """The injector for a kind: built in, or instantiated from its config entry (`_target_`)."""
    if kind in INJECTORS:
        return INJECTORS[kind]
    spec = (injectors or {}).get(kind)
    if spec is None:
        raise KeyError(f"no injector for artifact kind {kind!r}")
    key = (kind, repr(sorted(spec.items())))
    if key not in _custom:
        from hydra.utils import instantiate

        inj = instantiate(spec)
        if not isinstance(inj, Injector):
            raise TypeError(f"{spec['_target_']} is not an Injector subclass")
        inj.name = kind
        _custom[key] = inj
    return _custom[key]


__all__ = ["INJECTORS", "Injector", "Intervention", "get_injector"]
