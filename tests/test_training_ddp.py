"""DDP code paths on a CPU: `trainer=ddp_sim` (ddp_spawn, 2 gloo processes) trains, validates
with metrics over both ranks' clips, and writes a self-describing checkpoint."""

from __future__ import annotations

import csv

import torch
from training_fixtures import last_ckpt, shared_manifest, train_cfg

from judge.io.manifest import read_manifest
from judge.training.distributed import gather_rows


def test_ddp_sim_trains_on_two_processes_and_writes_a_judge_checkpoint(tmp_path):
    from judge.training.train import train

    cfg = train_cfg(
        tmp_path, shared_manifest(), "ddp", "trainer=ddp_sim", "logger=csv", "data.num_workers=1"
    )
    assert cfg.trainer.strategy == "ddp_spawn" and cfg.trainer.devices == 2
    metrics = train(cfg)

    # The spawned ranks' results come back to this process.
    assert {"val/loss", "val/auroc", "val/plausible/auroc", "train/loss_epoch"} <= set(metrics)
    ckpt = torch.load(last_ckpt(tmp_path, "ddp"), map_location="cpu", weights_only=True)
    assert ckpt["judge"]["model"]["backbone"] == "tiny3d"
    assert ckpt["judge"]["labels"] == list(cfg.data.labels)
    # 6 training clips, 3 per rank, batches of 4: one step per epoch on each rank.
    assert ckpt["global_step"] == 1 and ckpt["ClipDataModule"] == {"seed": 0, "epoch": 1}
    # Domain statistics over both ranks' validation windows (the sampler pads ranks evenly;
    # limit_val_batches=1 caps each rank at one batch of 4).
    n_val = sum(r["split"] == "val" for r in read_manifest(shared_manifest()))
    per_rank = min(4, -(-n_val // 2))
    assert ckpt["judge"]["domain"]["windows"] == 2 * per_rank
    rows = list(csv.DictReader(next(tmp_path.glob("logs/train/runs/ddp/csv/*/metrics.csv")).open()))
    logged = {k for r in rows for k, v in r.items() if v}
    assert {"val/auroc", "val/labels_scored", "train/loss_epoch"} <= logged


def _fake_all_gather(parts: list[torch.Tensor]):
    """What `all_gather` gives every rank when rank r holds `parts[r]`: first the row counts,
    then the rows, each rank's padded to the longest and stacked."""
    calls = iter(("counts", "rows"))

    def all_gather(x: torch.Tensor) -> torch.Tensor:
        if next(calls) == "counts":
            return torch.tensor([[len(p)] for p in parts])
        pad = lambda p: x.new_zeros((x.shape[0] - len(p), *x.shape[1:]))  # noqa: E731
        return torch.stack([torch.cat([p.to(x.dtype), pad(p)]) for p in parts])

    return all_gather


def test_gather_rows_joins_uneven_ranks_in_rank_order():
    cpu = torch.device("cpu")
    rows = [torch.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([[5.0, 6.0]])]
    assert torch.equal(gather_rows(rows[0], _fake_all_gather(rows), cpu), torch.cat(rows))
    masks = [torch.tensor([True, False]), torch.tensor([True])]
    got = gather_rows(masks[0], _fake_all_gather(masks), cpu)
    assert got.dtype == torch.bool and got.tolist() == [True, False, True]
