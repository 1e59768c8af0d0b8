"""ONNX export of a judge network, checked numerically against PyTorch with onnxruntime.

The graph takes `video` float32 `(B, 3, T, S, S)` (normalised, as `Judge` feeds the model; B
dynamic, T and S those of the judge's input spec) and returns `labels (B, L)`,
`plausible (B,)` and `frames (B, T)` logits, the outputs of `JudgeModel.forward`.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import torch
from torch import nn

OUTPUTS = ("labels", "plausible", "frames")
OPSET = 17


class OnnxMismatch(RuntimeError):
    """onnxruntime's outputs differ from PyTorch's by more than the tolerance."""


class _TupleOutputs(nn.Module):
    """ONNX graphs return a tuple, not a dict."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, video: torch.Tensor) -> tuple[torch.Tensor, ...]:
        out = self.model(video)
        return tuple(out[k] for k in OUTPUTS)


def export_onnx(
    model: nn.Module,
    spec: dict,
    path: str | os.PathLike[str],
    tolerance: float = 1e-4,
    seed: int = 0,
) -> float:
    """Write `model` to `path` as ONNX and return the max abs difference between onnxruntime
    and PyTorch on a random batch of 2 windows `(2, 3, T, S, S)`.

    Raises OnnxMismatch above `tolerance` (the file is removed), ImportError naming the extra
    to install when onnx/onnxruntime are missing.
    """
    try:
        import onnx
        import onnxruntime as ort
    except ImportError as e:
        raise ImportError(
            f"ONNX export needs onnx and onnxruntime: pip install 'physics-judge[onnx]' ({e})"
        ) from None
    # The wrapper must be in eval mode too: export traces whatever mode the top module is in,
    # and BatchNorm in training mode gave wrong graphs (differences > 1).
    wrapped = _TupleOutputs(model.cpu()).eval()
    t, s = int(spec["num_frames"]), int(spec["size"])
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(2, 3, t, s, s, generator=gen)
    with warnings.catch_warnings():
        # The TorchScript exporter is deprecated in favour of the dynamo one, which needs the
        # extra package onnxscript; this one covers these plain conv nets exactly.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            wrapped,
            (x,),
            str(path),
            dynamo=False,
            input_names=["video"],
            output_names=list(OUTPUTS),
            dynamic_axes={"video": {0: "batch"}, **{k: {0: "batch"} for k in OUTPUTS}},
            opset_version=OPSET,
        )
    onnx.checker.check_model(str(path))
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = torch.randn(3, 3, t, s, s, generator=gen)  # another batch size: the axis is dynamic
    got = session.run(list(OUTPUTS), {"video": x.numpy()})
    with torch.inference_mode():
        want = wrapped(x)
    diff = max(float(np.abs(g - w.numpy()).max()) for g, w in zip(got, want, strict=True))
    if not diff <= tolerance:  # also catches NaN
        os.remove(path)
        raise OnnxMismatch(
            f"{path}: onnxruntime differs from PyTorch by {diff:.3g} (tolerance {tolerance:g})"
        )
    return diff
