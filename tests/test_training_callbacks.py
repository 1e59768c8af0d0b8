"""The trainer's own callbacks on a minimal LightningModule (no data files, about a second)."""

from __future__ import annotations

import lightning as L
import torch

from judge.training.callbacks import EpochSummary


class _Toy(L.LightningModule):
    """Logs `val/auroc` = 0.1 * (epoch + 1) in its own validation epoch end, as JudgeModule
    computes its epoch metrics there."""

    def __init__(self):
        super().__init__()
        self.layer = torch.nn.Linear(2, 1)

    def training_step(self, batch, batch_idx):
        return self.layer(batch[0]).sum()

    def validation_step(self, batch, batch_idx):
        self.log("val/loss", float(self.current_epoch + 2))

    def on_validation_epoch_end(self):
        self.log("val/auroc", 0.1 * (self.current_epoch + 1))

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.01)


def test_epoch_summary_prints_each_epochs_own_figures(caplog):
    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.ones(4, 2)), 2)
    trainer = L.Trainer(
        max_epochs=3,
        callbacks=[EpochSummary()],
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=1,  # the sanity check prints nothing
        accelerator="cpu",
    )
    with caplog.at_level("INFO", logger="judge.train"):
        trainer.fit(_Toy(), data, data)
    lines = [r.getMessage() for r in caplog.records if r.name == "judge.train"]
    assert len(lines) == 3
    for epoch, line in enumerate(lines, 1):
        assert line.startswith(f"epoch {epoch}/3: val/auroc {0.1 * epoch:.4f}, ")
        assert f"val/loss {epoch + 1:.4f}" in line and line.endswith(" min)")
