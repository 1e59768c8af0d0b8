"""A window read as tiles (fit "tiles"), batched and joined: shared by validation and scoring.

A non-square frame is read as K squares side by side (`preprocess.tile_boxes`), and the model
runs on each square as a window of its own. One window's outputs are then joined into one row
by the strongest evidence (`join_tiles`): an artifact anywhere in the frame counts, so each
label logit and each frame's onset logit is its max over the tiles and the plausible logit its
min. Training's validation and test (`JudgeModule`) and the scorer
(`judge.inference.aggregate.reduce_tiles`) both join with `join_tiles`, so the monitored
metrics and the served scores read a wide clip the same way.

A validation sample read as tiles holds video `(K, 3, T, S, S)`; `collate_tiles` stacks a
batch's tiles along the first axis, `(sum K, 3, T, S, S)`, with `tiles (B,)` the K of each clip,
because K differs between a square clip (1) and a 16:9 one (2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch.utils.data import default_collate

# How each model output is joined over a window's tiles (`torch.Tensor.scatter_reduce` names).
TILE_JOIN = {"labels": "amax", "frames": "amax", "plausible": "amin"}


def join_tiles(out: Mapping[str, torch.Tensor], tiles: torch.Tensor) -> dict[str, torch.Tensor]:
    """The `TILE_JOIN` outputs of `sum(tiles)` rows (window by window, a window's tiles in a
    row: `labels (R, L)`, `frames (R, T)`, `plausible (R,)`) joined into one row per window:
    `(B, L)`, `(B, T)`, `(B,)` for B = `len(tiles)`. Other outputs (e.g. `features`) are left
    out: they stay per tile.

    Raises:
        ValueError: the rows are not `sum(tiles)`, or a window has no tile.
    """
    tiles = torch.as_tensor(tiles, dtype=torch.long)
    rows = int(tiles.sum())
    if (tiles < 1).any():
        raise ValueError(f"every window needs at least one tile, got {tiles.tolist()}")
    device = out["plausible"].device
    owner = torch.repeat_interleave(torch.arange(len(tiles), device=device), tiles.to(device))
    joined = {}
    for key, how in TILE_JOIN.items():
        x = out[key]
        if len(x) != rows:
            raise ValueError(f"{key}: {len(x)} rows, but the windows have {rows} tiles")
        index = owner.view(-1, *([1] * (x.ndim - 1))).expand_as(x)  # each row's window
        empty = x.new_zeros((len(tiles), *x.shape[1:]))
        joined[key] = empty.scatter_reduce(0, index, x, how, include_self=False)
    return joined


def collate_tiles(samples: Sequence[dict]) -> dict:
    """Samples whose `video` is `(K_i, 3, T, S, S)` -> a batch with video `(sum K_i, 3, T, S, S)`
    and `tiles` int64 `(B,)` = the K_i; every other key collated as the DataLoader would."""
    rest = default_collate([{k: v for k, v in s.items() if k != "video"} for s in samples])
    rest["video"] = torch.cat([s["video"] for s in samples])
    rest["tiles"] = torch.tensor([len(s["video"]) for s in samples], dtype=torch.long)
    return rest
