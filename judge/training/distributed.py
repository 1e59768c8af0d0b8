"""Gathering per-rank evaluation rows under DDP, so epoch metrics cover every rank's clips.

AUROC, AP and ECE are not means of per-rank values, and a label can have both classes on one
rank and one class on another: computed per rank and averaged, the metric dicts would differ
in keys between ranks, and the ranks' collectives would no longer match (gloo aborts with
"Received data size doesn't match expected size"). The rows are gathered first instead, and
every rank computes the same metrics from all of them.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

AllGather = Callable[[torch.Tensor], torch.Tensor]  # (*shape) -> (world_size, *shape)


def gather_rows(x: torch.Tensor, all_gather: AllGather, device: torch.device) -> torch.Tensor:
    """`x (N, ...)` of this rank -> `(sum of N over ranks, ...)` on the CPU, in rank order.

    Ranks may hold different N (rows are padded for the collective and trimmed after). Bool
    tensors travel as uint8 (gloo has no bool). `all_gather` is e.g. `LightningModule.all_gather`.
    """
    dtype = x.dtype
    payload = x.to(torch.uint8) if dtype == torch.bool else x
    sizes = all_gather(torch.tensor([x.shape[0]], device=device)).reshape(-1).tolist()
    pad = max(sizes) - x.shape[0]
    padded = torch.cat([payload, payload.new_zeros((pad, *x.shape[1:]))]).to(device)
    every = all_gather(padded).cpu()  # (world_size, max N, ...)
    out = torch.cat([every[rank, :n] for rank, n in enumerate(sizes)])
    return out.to(dtype)
