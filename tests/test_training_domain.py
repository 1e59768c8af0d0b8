"""Domain statistics of the validation windows: fitted by JudgeModule at each validation epoch,
stored in every checkpoint's description, kept through resume, loading and export."""

from __future__ import annotations

import json
import logging
import types

import pytest
import torch
from scoring_fixtures import make_checkpoint
from training_fixtures import last_ckpt, shared_manifest, train_cfg

from judge.inference.export import export_judge
from judge.inference.loading import read_judge
from judge.models import build_model
from judge.training.checkpoint import describe
from judge.training.module import JudgeModule

DOMAIN_KEYS = {"mean", "std", "threshold", "quantile", "windows"}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One tiny run (validation: one batch of 4 windows); its last.ckpt."""
    from judge.training.train import train

    root = tmp_path_factory.mktemp("domain")
    train(train_cfg(root, shared_manifest(), "run"))
    return last_ckpt(root, "run")


def test_a_tiny_run_stores_domain_statistics_of_the_feature_width(trained):
    meta = torch.load(trained, map_location="cpu", weights_only=True)["judge"]
    domain = meta["domain"]
    assert set(domain) == DOMAIN_KEYS
    model = build_model(**meta["model"]).eval()
    spec = meta["input"]
    x = torch.zeros(1, 3, spec["num_frames"], spec["size"], spec["size"])
    width = model(x)["features"].shape[1]
    assert len(domain["mean"]) == len(domain["std"]) == width
    assert domain["windows"] == 4  # limit_val_batches=1, batch_size=4
    assert domain["quantile"] == 0.99 and domain["threshold"] > 0
    assert all(s > 0 for s in domain["std"])


def test_loading_and_export_carry_the_domain(trained, tmp_path):
    meta = torch.load(trained, map_location="cpu", weights_only=True)["judge"]
    _, desc = read_judge(trained)
    assert desc["domain"] == meta["domain"]
    out = tmp_path / "judge"
    export_judge(trained, out)
    exported = json.loads((out / "judge.json").read_text())
    assert exported["domain"] == meta["domain"]  # JSON keeps the floats exactly
    assert read_judge(out)[1]["domain"] == meta["domain"]
    export_judge(out, tmp_path / "again", thresholds={"vanish": 0.6})  # re-exporting keeps it
    again = json.loads((tmp_path / "again" / "judge.json").read_text())
    assert again["domain"] == meta["domain"] and again["thresholds"] == {"vanish": 0.6}


def test_a_checkpoint_without_domain_loads_with_none(tmp_path):
    ckpt = make_checkpoint(tmp_path / "old.ckpt")
    assert read_judge(ckpt)[1]["domain"] is None
    export_judge(ckpt, tmp_path / "judge")
    assert json.loads((tmp_path / "judge" / "judge.json").read_text())["domain"] is None
    assert read_judge(tmp_path / "judge")[1]["domain"] is None
    folder = tmp_path / "judge"  # a folder exported before domain statistics existed
    content = json.loads((folder / "judge.json").read_text())
    del content["domain"]
    (folder / "judge.json").write_text(json.dumps(content))
    assert read_judge(folder)[1]["domain"] is None


def _module() -> JudgeModule:
    model = build_model("tiny3d", num_labels=7, width=0.25)
    module = JudgeModule(model, optimizer=lambda params: torch.optim.SGD(params, lr=0.1))
    module._trainer = types.SimpleNamespace(world_size=1, sanity_checking=False)
    return module


def test_statistics_survive_resume_and_need_two_windows(caplog):
    saved = {"mean": [0.0, 1.0], "std": [1.0, 2.0], "threshold": 1.5, "quantile": 0.99}
    module = _module()
    assert describe(module)["domain"] is None  # before any validation epoch
    module.on_load_checkpoint({"judge": {"domain": {**saved, "windows": 9}}})
    assert describe(module)["domain"] == {**saved, "windows": 9}
    module.on_load_checkpoint({"judge": {}})  # an older checkpoint changes nothing
    assert module.domain["windows"] == 9

    module._features = [torch.randn(1, 2)]
    with caplog.at_level(logging.INFO, logger="judge.training.module"):
        module._fit_domain()
    assert module.domain["windows"] == 9  # one window: kept as it was, and said so
    assert any("skipped (1 validation window" in r.getMessage() for r in caplog.records)

    module._features = [torch.randn(3, 2), torch.randn(2, 2)]
    module._fit_domain()
    assert module.domain["windows"] == 5 and len(module.domain["mean"]) == 2
    assert module._features == []
