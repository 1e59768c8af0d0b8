"""Export a judge: a checkpoint (or an exported folder) -> a folder that loads without pickle.

    out/
      model.safetensors   the JudgeModel's state dict (tensors only)
      judge.json          everything else, plain JSON (below)
      model.onnx          with `onnx=True`: the same network for onnxruntime (`onnx_export.py`)

judge.json: its keys and its one reader and writer are `judge_json.py`'s (docs/formats.md,
"Exported judge").

The folder is written atomically: everything goes to a temporary folder beside `out`, which is
renamed into place only when complete (and, with `overwrite`, swapped for an existing one).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from judge.inference.judge_json import JUDGE_JSON, judge_json_content, write_judge_json
from judge.inference.loading import WEIGHTS_FILE, build_judge_model, read_judge
from judge.io.atomic import _UMASK  # read once at import, before threads start


def export_judge(
    source: str | os.PathLike[str],
    out: str | os.PathLike[str],
    onnx: bool = False,
    overwrite: bool = False,
    temperatures: Mapping[str, float] | None = None,
    thresholds: Mapping[str, float] | None = None,
    onnx_tolerance: float = 1e-4,
    extra: Mapping[str, object] | None = None,
    fit: str | None = None,
) -> dict:
    """Export `source` (a `.ckpt` or an exported folder) to the folder `out`.

    `temperatures` / `thresholds` override (merge into) those the source carries; `extra` adds
    (or replaces) top-level `judge.json` keys, such as judge-calibrate's report; `fit`, when
    given, replaces the judge's `input.fit` (how it reads non-square frames). With `onnx`,
    also writes `model.onnx` and checks it against PyTorch on a random input; a max abs
    difference above `onnx_tolerance` raises `onnx_export.OnnxMismatch` and nothing is written.
    Returns a summary: `{"out", "judge", "onnx_max_abs_diff" (with onnx)}`.
    """
    from safetensors.torch import save_file

    out = Path(out)
    if out.exists() and not overwrite:
        raise FileExistsError(f"{out} exists; pass overwrite=True (--overwrite) to replace it")
    weights, desc = read_judge(source)
    model = build_judge_model(weights, desc, str(source))  # proves the weights load
    desc["temperatures"] = {**(desc.get("temperatures") or {}), **dict(temperatures or {})}
    desc["thresholds"] = {**(desc.get("thresholds") or {}), **dict(thresholds or {})}
    desc.update(dict(extra or {}))
    if fit is not None:
        desc["input"] = {**desc["input"], "fit": fit}
    content = judge_json_content(desc)
    summary: dict = {"out": str(out), "judge": content}
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp"))
    try:
        # safetensors refuses views sharing storage; contiguous copies are what it stores anyway.
        state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
        save_file(state, str(tmp / WEIGHTS_FILE), metadata={"format": "pt"})
        write_judge_json(tmp / JUDGE_JSON, content)
        if onnx:
            from judge.inference.onnx_export import export_onnx

            summary["onnx_max_abs_diff"] = export_onnx(
                model, content["input"], tmp / "model.onnx", tolerance=onnx_tolerance
            )
        _fsync_tree(tmp)
        _swap_into_place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return summary


def _fsync_tree(folder: Path) -> None:
    """Flush every file to disk and give it normal permissions (safetensors writes 0600)."""
    for p in folder.iterdir():
        with open(p, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(p, 0o666 & ~_UMASK)


def _swap_into_place(tmp: Path, out: Path) -> None:
    """Rename the complete `tmp` folder to `out`; an existing `out` is moved aside first and
    deleted only once the new folder is in place, so a crash never leaves no judge at all."""
    os.chmod(tmp, 0o777 & ~_UMASK)  # mkdtemp makes it 0700
    if not out.exists():
        os.replace(tmp, out)
        return
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    os.replace(out, old)
    os.replace(tmp, out)
    shutil.rmtree(old, ignore_errors=True)
