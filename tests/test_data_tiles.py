"""Validation reads a wide clip as the scorer does: tiles per sample, batched, joined per clip."""

from __future__ import annotations

import lightning as L
import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from judge.data.preprocess import prepare_tiles, prepare_window, tile_boxes
from judge.data.tiles import collate_tiles, join_tiles
from judge.data.transforms import MEAN, STD, ClipTransform
from judge.training.losses import LossWeights, judge_loss
from judge.training.module import JudgeModule


def test_join_takes_max_label_and_onset_logits_and_min_plausible_per_clip():
    # Three clips of 2, 1 and 3 tiles: rows 0-1, 2, 3-5.
    labels = torch.tensor(
        [[1.0, -2.0], [0.5, 3.0], [-1.0, -1.0], [0.0, 0.0], [4.0, -5.0], [2.0, 1.0]]
    )
    plausible = torch.tensor([0.3, -0.7, 2.0, 1.0, 0.1, 5.0])
    frames = torch.arange(12.0).view(6, 2) * torch.tensor([1.0, -1.0])
    out = join_tiles(
        {"labels": labels, "plausible": plausible, "frames": frames, "features": torch.ones(6, 4)},
        torch.tensor([2, 1, 3]),
    )
    assert set(out) == {"labels", "plausible", "frames"}  # features stay per tile
    assert torch.equal(out["labels"], torch.tensor([[1.0, 3.0], [-1.0, -1.0], [4.0, 1.0]]))
    assert torch.equal(out["plausible"], torch.tensor([-0.7, 2.0, 0.1]))
    assert torch.equal(out["frames"], torch.tensor([[2.0, -1.0], [4.0, -5.0], [10.0, -7.0]]))


def test_join_refuses_rows_that_are_not_the_tiles():
    out = {"labels": torch.zeros(3, 2), "plausible": torch.zeros(3), "frames": torch.zeros(3, 4)}
    with pytest.raises(ValueError, match="3 rows, but the windows have 4 tiles"):
        join_tiles(out, torch.tensor([2, 2]))
    with pytest.raises(ValueError, match="at least one tile"):
        join_tiles(out, torch.tensor([3, 0]))


def _frames(t: int, h: int, w: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (t, h, w, 3), dtype=np.uint8)


@pytest.mark.parametrize(("h", "w"), [(36, 64), (64, 36), (48, 48), (30, 72)])
def test_the_eval_transform_reads_each_tile_as_a_square_window(h, w):
    frames = _frames(4, h, w)
    tiles = ClipTransform(16, fit="tiles")(frames)
    boxes = tile_boxes(h, w)
    assert tiles.shape == (len(boxes), 3, 4, 16, 16) and tiles.dtype == torch.float32
    for k, (y0, x0, side) in enumerate(boxes):
        square = frames[:, y0 : y0 + side, x0 : x0 + side]
        assert torch.equal(tiles[k], prepare_window(square, 16, MEAN, STD, "crop"))
    assert torch.equal(prepare_tiles(frames, 16, MEAN, STD), tiles)
    # The crop and pad transforms still give one square.
    assert ClipTransform(16, fit="pad")(frames).shape == (3, 4, 16, 16)
    with pytest.raises(ValueError, match="fit must be one of"):
        ClipTransform(16, fit="stretch")


def _sample(video: torch.Tensor, plausible: float, i: int) -> dict:
    t = video.shape[2]
    return {
        "video": video,
        "labels": torch.tensor([1.0 - plausible, 0.0]),
        "label_mask": torch.tensor([True, True]),
        "plausible": torch.tensor(plausible),
        "plausible_mask": torch.tensor(True),
        "onset": torch.zeros(t),
        "onset_mask": torch.tensor(False),
        "frames": torch.arange(t),
        "index": i,
        "path": f"clip{i}.mp4",
        "group": f"g{i // 2}",
        "skipped": 0,
    }


def test_collate_stacks_the_tiles_and_counts_them():
    a, b = torch.zeros(2, 3, 4, 8, 8), torch.ones(1, 3, 4, 8, 8)
    batch = collate_tiles([_sample(a, 1.0, 0), _sample(b, 0.0, 1)])
    assert batch["video"].shape == (3, 3, 4, 8, 8) and torch.equal(batch["video"][2], b[0])
    assert batch["tiles"].tolist() == [2, 1]
    assert batch["plausible"].tolist() == [1.0, 0.0] and batch["path"] == ["clip0.mp4", "clip1.mp4"]


class Heads(torch.nn.Module):
    """`(B, 3, T, H, W)` -> logits that differ between tiles: the mean of each channel."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.tensor([1.0, -2.0, 0.5]))
        self.config = {"backbone": "stand-in", "num_labels": 2}

    def forward(self, x):
        m = x.mean(dim=(3, 4))  # (B, 3, T)
        clip = m.mean(dim=2)  # (B, 3)
        return {
            "labels": clip[:, :2] * self.w[:2],
            "plausible": clip[:, 2] * self.w[2],
            "frames": m[:, 0],
            "features": clip,
        }


def test_validation_losses_and_domain_come_from_joined_tiles(tmp_path):
    torch.manual_seed(0)
    samples = [
        _sample(torch.randn(2, 3, 4, 8, 8), 1.0, 0),
        _sample(torch.randn(1, 3, 4, 8, 8), 0.0, 1),
        _sample(torch.randn(3, 3, 4, 8, 8), 0.0, 2),
    ]
    loader = DataLoader(samples, batch_size=3, collate_fn=collate_tiles)
    module = JudgeModule(Heads(), optimizer=torch.optim.SGD, label_names=("teleport", "vanish"))
    trainer = L.Trainer(
        accelerator="cpu", logger=False, enable_progress_bar=False, default_root_dir=tmp_path
    )
    logged = trainer.validate(module, dataloaders=loader, verbose=False)[0]

    batch = collate_tiles(samples)
    with torch.no_grad():
        out = Heads()(batch["video"])
    joined = {**out, **join_tiles(out, batch["tiles"])}
    expect = judge_loss(joined, batch, LossWeights())["loss"]
    assert logged["val/loss"] == pytest.approx(float(expect), rel=1e-5)
    # Three clips' rows from six tiles: the loss above is over joined clips, not tiles.
    assert len(joined["plausible"]) == 3 and len(out["plausible"]) == 6
    # Domain statistics from every tile's features (6), as the scorer measures each tile.
    assert module.domain["windows"] == 6
