"""OmegaConf resolvers that the Hydra configs in ``configs/`` use.

``judge.paths`` registers them on import, and every entry point (and every test) that composes a
config gets ``config_dir()`` from there, so a config never meets an unknown resolver.

- ``${len:${data.labels}}``: the length of a list. ``model.model.num_labels`` is derived from
  ``data.labels`` this way, so changing the labels cannot leave the model's heads the wrong size.
- ``${path_safe:${monitor}}``: a metric name usable inside a file name (``val/auroc`` ->
  ``val_auroc``); a ``/`` in a checkpoint's file name would make a folder.
"""

from __future__ import annotations

from omegaconf import OmegaConf


def _length(value) -> int:
    return len(value)


def _path_safe(name: str) -> str:
    return str(name).replace("/", "_")


RESOLVERS = {"len": _length, "path_safe": _path_safe}


def register() -> None:
    """Register every resolver once (idempotent: importing twice, or a re-import, is fine)."""
    for name, fn in RESOLVERS.items():
        if not OmegaConf.has_resolver(name):
            OmegaConf.register_new_resolver(name, fn)
