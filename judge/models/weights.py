"""Loading a local weights file into a backbone, safely and with errors that name the file.

Files are read with `torch.load(..., weights_only=True)`: a state dict (names -> tensors) loads,
anything that would need arbitrary unpickling (a custom class, a whole pickled model) is
refused, as the design requires of everything this project loads.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import torch
from torch import nn

# How many offending keys an error message lists before "... and N more".
_SHOW = 8


class WeightsFileError(ValueError):
    """A weights file that cannot be read safely, or does not fit the model it is loaded into."""


def _listing(keys: Iterable[str]) -> str:
    keys = list(keys)  # in model order: the first offender is usually the telling one
    shown = ", ".join(keys[:_SHOW])
    return shown + (f", ... and {len(keys) - _SHOW} more" if len(keys) > _SHOW else "")


def read_state_dict(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """Read a state dict (name -> tensor) from `path` on the CPU, refusing pickled objects.

    Raises FileNotFoundError for a missing file and WeightsFileError (naming the file) for one
    that is corrupt, holds something other than a state dict, or needs unsafe unpickling.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"pretrained weights file not found: {path}")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # corrupt bytes, truncated zip, or a refused (unsafe) pickle
        raise WeightsFileError(
            f"cannot load weights file {path} as a state dict with weights_only=True "
            f"(corrupt, or it pickles objects other than tensors): {type(e).__name__}: {e}"
        ) from e
    if not isinstance(obj, Mapping) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in obj.items()
    ):
        if isinstance(obj, Mapping):
            what = f"a dict with keys {_listing(map(str, obj))}"
        else:
            what = f"a {type(obj).__name__}"
        raise WeightsFileError(
            f"weights file {path} holds {what}, not a state dict mapping parameter names to "
            "tensors (save `model.state_dict()` of the torchvision model)"
        )
    return dict(obj)


def load_weights_file(
    model: nn.Module, path: str | os.PathLike, optional_prefixes: tuple[str, ...] = ()
) -> None:
    """Load the state dict in `path` into `model`, checking every key and shape first.

    Keys under `optional_prefixes` (a classification head about to be deleted) are ignored on
    both sides, so a file with a head for other classes, or with none, still loads. BatchNorm's
    `num_batches_tracked` counters may be missing (many exported files drop them). Anything
    else missing, unexpected or of another shape raises WeightsFileError naming the file and
    the keys, and leaves the model untouched.
    """
    state = read_state_dict(path)

    def kept(key: str) -> bool:
        return not key.startswith(tuple(p + "." for p in optional_prefixes))

    own = {k: v for k, v in model.state_dict().items() if kept(k)}
    given = {k: v for k, v in state.items() if kept(k)}
    missing = [k for k in own if k not in given and not k.endswith("num_batches_tracked")]
    unexpected = [k for k in given if k not in own]
    shapes = [
        f"{k} {tuple(given[k].shape)} vs {tuple(v.shape)}"
        for k, v in own.items()
        if k in given and given[k].shape != v.shape
    ]
    problems = []
    if missing:
        problems.append(f"missing keys: {_listing(missing)}")
    if unexpected:
        problems.append(f"unexpected keys: {_listing(unexpected)}")
    if shapes:
        problems.append(f"shape mismatches (file vs model): {_listing(shapes)}")
    if problems:
        raise WeightsFileError(
            f"weights file {path} does not match {type(model).__name__}: " + "; ".join(problems)
        )
    model.load_state_dict(given, strict=False)
