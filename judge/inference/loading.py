"""Load a judge without executing code from any file: Lightning checkpoints or exported folders.

- A `.ckpt` is read with `torch.load(weights_only=True)`: only tensors and plain containers
  unpickle, so a crafted pickle whose `__reduce__` would run code is refused before it runs.
- An exported folder holds `model.safetensors` (raw tensors, no code) and `judge.json` (plain
  JSON).
- The architecture comes from the plain config in either (`build_model(**config)`), with
  `pretrained` forced off: a crafted config cannot make loading download or read other files.

Both are turned into one description, the content of an exported `judge.json` (see
`export.py`): `labels`, `model`, `input`, `decoder`, `temperatures`, `thresholds`, `domain`
(the validation windows' feature statistics, `judge.training.domain`; None when the judge was
trained without them), `provenance`.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from pathlib import Path

import torch

from judge.data.input_spec import InputSpec
from judge.inference.judge_json import JUDGE_JSON, read_judge_json
from judge.models import JudgeModel, build_model

WEIGHTS_FILE = "model.safetensors"
FORMAT = 1


class JudgeLoadError(ValueError):
    """A judge cannot be loaded; the message names the file and the reason."""


def sha256_file(path: str | os.PathLike[str]) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def input_spec(spec: dict | None) -> dict:
    """A checkpoint's input description with `InputSpec`'s defaults filled in: `num_frames`
    (T), `stride`, `fps` (None = use `stride`), `size` (S, square), `mean`, `std` (per RGB
    channel), `fit`; other keys it held (e.g. the training window's `mode`) are kept."""
    try:
        known = InputSpec.from_dict(spec).to_dict()
    except (TypeError, ValueError) as e:
        raise JudgeLoadError(f"bad input description {spec!r}: {e}") from None
    extra = {k: v for k, v in (spec or {}).items() if k not in known and v is not None}
    return {**known, **extra}


def read_checkpoint(path: str | os.PathLike[str]) -> tuple[dict[str, torch.Tensor], dict]:
    """A Lightning checkpoint -> (model state dict without the `model.` prefix, description).

    Raises JudgeLoadError, "refusing to unpickle ..." for a file holding anything but tensors
    and plain data.
    """
    path = Path(path)
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        raise JudgeLoadError(
            f"refusing to unpickle {path}: it holds objects other than tensors and plain data, "
            f"which could run code when loaded ({_unpickler_reason(e)})"
        ) from None
    except Exception as e:  # not a checkpoint at all: truncated zip, text, ...
        raise JudgeLoadError(
            f"{path}: cannot read as a checkpoint ({type(e).__name__}: {e})"
        ) from None
    meta = ckpt.get("judge") if isinstance(ckpt, dict) else None
    if not isinstance(meta, dict) or not isinstance(meta.get("model"), dict):
        raise JudgeLoadError(f"{path}: not a judge checkpoint (no 'judge' description)")
    state = ckpt.get("state_dict") or {}
    # The LightningModule holds the JudgeModel as `self.model`; other entries (if any) are not
    # part of the network.
    weights = {k[len("model.") :]: v for k, v in state.items() if k.startswith("model.")}
    if not weights:
        raise JudgeLoadError(f"{path}: the checkpoint's state_dict has no 'model.' weights")
    desc = {
        "format": FORMAT,
        "labels": list(meta.get("labels") or []),
        "model": dict(meta["model"]),
        "input": input_spec(meta.get("input")),
        "decoder": dict(meta.get("decoder") or {}),
        "temperatures": dict(meta.get("temperatures") or {}),
        "thresholds": dict(meta.get("thresholds") or {}),
        "domain": _domain(meta.get("domain")),
        "provenance": {
            "judge_version": meta.get("judge_version"),
            "source": str(path.absolute()),
            "sha256": sha256_file(path),
            "wandb_id": meta.get("wandb_id"),
        },
    }
    return weights, desc


def _unpickler_reason(e: Exception) -> str:
    """The one line of torch's long message that says what was found (e.g. "Unsupported
    global: GLOBAL exec ..."); its advice to retry with weights_only=False is left out."""
    lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
    for line in lines:
        if "WeightsUnpickler error:" in line:
            return line.split("WeightsUnpickler error:", 1)[1].split(". ")[0].strip()
    return lines[-1] if lines else type(e).__name__


def read_folder(path: str | os.PathLike[str]) -> tuple[dict[str, torch.Tensor], dict]:
    """An exported folder (or its `judge.json`) -> (state dict, description)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    folder = Path(path)
    if folder.is_file():
        folder = folder.parent
    desc_path, weights_path = folder / JUDGE_JSON, folder / WEIGHTS_FILE
    for p in (desc_path, weights_path):
        if not p.is_file():
            raise JudgeLoadError(f"{folder}: not an exported judge ({p.name} is missing)")
    try:
        desc = read_judge_json(desc_path)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise JudgeLoadError(f"{desc_path}: invalid JSON ({e})") from None
    if not isinstance(desc, dict) or not isinstance(desc.get("model"), dict):
        raise JudgeLoadError(f"{desc_path}: no 'model' description")
    if desc.get("format", FORMAT) > FORMAT:
        raise JudgeLoadError(f"{desc_path}: format {desc['format']} is newer than this judge")
    try:
        weights = load_file(weights_path, device="cpu")
    except (SafetensorError, OSError) as e:
        raise JudgeLoadError(f"{weights_path}: cannot read weights ({e})") from None
    desc["input"] = input_spec(desc.get("input"))
    desc.setdefault("temperatures", {})
    desc.setdefault("thresholds", {})
    desc.setdefault("decoder", {})
    desc.setdefault("provenance", {})
    desc["domain"] = _domain(desc.get("domain"))
    return weights, desc


def _domain(value) -> dict | None:
    """The `domain` statistics as a dict, or None when absent (or not a mapping)."""
    return dict(value) if isinstance(value, dict) else None


def read_judge(path: str | os.PathLike[str]) -> tuple[dict[str, torch.Tensor], dict]:
    """A `.ckpt` file or an exported folder -> (state dict, description)."""
    p = Path(path)
    if not p.exists():
        raise JudgeLoadError(f"{p}: no such file or folder")
    if p.is_dir() or p.name in (JUDGE_JSON, WEIGHTS_FILE):
        return read_folder(p)
    return read_checkpoint(p)


def build_judge_model(weights: dict[str, torch.Tensor], desc: dict, source: str) -> JudgeModel:
    """Rebuild the network from `desc["model"]` and load `weights` into it (strict)."""
    config = dict(desc["model"])
    config.pop("pretrained", None)  # weights come from the file, never from elsewhere
    labels = desc.get("labels") or []
    if labels and int(config.get("num_labels", len(labels))) != len(labels):
        raise JudgeLoadError(
            f"{source}: {len(labels)} labels but the model has {config.get('num_labels')} outputs"
        )
    try:
        model = build_model(**config)
    except (TypeError, ValueError) as e:
        raise JudgeLoadError(f"{source}: cannot build the model from its config ({e})") from None
    try:
        model.load_state_dict(weights, strict=True)
    except RuntimeError as e:
        raise JudgeLoadError(f"{source}: weights do not fit the model ({e})") from None
    return model.eval()
