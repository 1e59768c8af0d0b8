"""The LightningModule end to end on CPU: a tiny epoch, metrics, a self-describing checkpoint."""

from __future__ import annotations

import json

import lightning as L
import pytest
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from torch import nn

from judge.data.datamodule import ClipDataModule
from judge.synth.config import SynthConfig
from judge.synth.runner import generate
from judge.training.module import JudgeModule

LABELS = ("teleport", "clipping", "vanish", "appear", "morph", "duplicate", "levitate")


class StandIn(nn.Module):
    """`(B, 3, T, H, W)` -> the judge's three logit heads, keeping T."""

    def __init__(self, labels: int = 7):
        super().__init__()
        self.conv = nn.Conv3d(3, 8, 3, padding=1)
        self.labels, self.plausible, self.frames = (
            nn.Linear(8, labels),
            nn.Linear(8, 1),
            nn.Linear(8, 1),
        )
        self.config = {"backbone": "stand-in", "num_labels": labels}

    def forward(self, x):
        f = torch.relu(self.conv(x)).mean(dim=(3, 4))  # (B, 8, T)
        clip = f.max(dim=2).values
        return {
            "labels": self.labels(clip),
            "plausible": self.plausible(clip)[:, 0],
            "frames": self.frames(f.transpose(1, 2))[..., 0],
        }


@pytest.fixture(scope="module")
def manifest(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    cfg = SynthConfig.from_dict(
        {
            "render": {"sizes": [[64, 64]], "num_frames": [16], "shadow_size": 512},
            "artifacts": {"min_visible_px": 12},
        }
    )
    generate(cfg, out, 4, seed=0)
    path = out / "manifest.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    for r in rows:  # two scenes to train on, two to validate on
        r["split"] = "val" if r["group"] in ("scene-000002", "scene-000003") else "train"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_one_epoch_logs_metrics_and_writes_a_self_describing_checkpoint(manifest, tmp_path):
    torch.manual_seed(0)
    dm = ClipDataModule(
        [str(manifest)], window={"num_frames": 8}, size=32, augment={}, batch_size=4
    )
    module = JudgeModule(
        StandIn(),
        optimizer=lambda params: torch.optim.AdamW(params, lr=1e-3),
        loss={"pairwise": 1.0},
        label_names=LABELS,
        input_spec={"num_frames": 8, "size": 32},
        decoder=dm.decoder,
    )
    ckpt = ModelCheckpoint(dirpath=tmp_path, monitor="val/auroc", mode="max", save_last=True)
    trainer = L.Trainer(
        max_epochs=1,
        accelerator="cpu",
        logger=False,
        callbacks=[ckpt],
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(module, dm)
    logged = trainer.callback_metrics
    assert {"val/loss", "val/auroc", "val/plausible/auroc", "train/loss_epoch"} <= set(logged)
    assert 0.0 <= float(logged["val/auroc"]) <= 1.0
    last = torch.load(tmp_path / "last.ckpt", map_location="cpu", weights_only=True)
    assert last["judge"]["labels"] == list(LABELS)
    assert last["judge"]["model"] == {"backbone": "stand-in", "num_labels": 7}
    assert last["judge"]["input"] == {"num_frames": 8, "size": 32}
    assert last["judge"]["decoder"]["name"] in ("decord", "pyav")
    assert last["judge"]["domain"] is None  # the stand-in has no `features` output
    restored = StandIn()
    restored.load_state_dict({k.removeprefix("model."): v for k, v in last["state_dict"].items()})
    x = torch.randn(2, 3, 8, 32, 32)
    module.eval()
    assert torch.allclose(restored(x)["plausible"], module(x)["plausible"], atol=1e-6)


def test_bf16_mixed_trains_in_bfloat16_and_validates_in_float32(manifest):
    """`precision: bf16-mixed` (the CPU preset, `${cpu_precision:}`): the training forward runs
    in bfloat16, its losses in float32, and validation in the scorer's float32 arithmetic."""
    dm = ClipDataModule(
        [str(manifest)], window={"num_frames": 8}, size=32, augment={}, batch_size=4
    )
    dm.setup("fit")
    batch = next(iter(dm.train_dataloader()))
    module = JudgeModule(
        StandIn(),
        optimizer=lambda params: torch.optim.AdamW(params, lr=1e-3),
        label_names=LABELS,
        input_spec={"num_frames": 8, "size": 32},
    )
    module.log = lambda *a, **k: None  # no trainer attached
    module.eval()
    with torch.no_grad():
        reference = module(batch["video"])
        with torch.autocast("cpu", dtype=torch.bfloat16):
            assert module(batch["video"])["labels"].dtype == torch.bfloat16
            val, val_terms = module._step(batch, "val")
            train, train_terms = module._step(batch, "train")
    for name in ("labels", "plausible", "frames"):
        assert torch.equal(val[name], reference[name])  # float32, bit for bit
        assert train[name].dtype == torch.float32
        assert not torch.equal(train[name], reference[name])  # rounded through bfloat16
        assert torch.allclose(train[name], reference[name], atol=0.1)
    assert train_terms["loss"].dtype == val_terms["loss"].dtype == torch.float32
