"""Same seed, same result on a CPU: training order, augmentation and dropout are functions of
the seed (with epoch, index and batch), never of worker scheduling or process state."""

from __future__ import annotations

import pickle
from collections import Counter

import numpy as np
import pytest
import torch
from training_fixtures import last_ckpt, same_tensors, shared_manifest, train_cfg, val_metrics

from judge.data.datamodule import ClipDataModule
from judge.data.samplers import EpochIndex, EpochSampler


def test_epoch_sampler_order_is_a_function_of_seed_and_epoch():
    first = list(EpochSampler(10, seed=3))
    assert sorted(first) == list(range(10)) and all(i.epoch == 0 for i in first)
    assert list(EpochSampler(10, seed=3)) == first  # a fresh sampler, the same order
    assert list(EpochSampler(10, seed=4)) != first
    sampler = EpochSampler(10, seed=3)
    sampler.set_epoch(1)
    second = list(sampler)
    assert second != first and all(i.epoch == 1 for i in second)
    assert list(EpochSampler(10, seed=3, epoch=1)) == second  # what a resumed run draws

    longer = list(EpochSampler(4, num_samples=10, seed=0))  # whole permutations, then a part
    assert sorted(longer[:8]) == [0, 0, 1, 1, 2, 2, 3, 3] and len(longer) == 10
    weighted = EpochSampler(3, num_samples=50, weights=np.array([0.0, 0.0, 1.0]), seed=0)
    assert set(weighted) == {2}

    # Weighted draws: each clip about num_samples * weight times, never twice while its
    # expected count is under one; a group's clips come in together.
    w = np.array([0.75] * 8 + [0.5] * 4 + [3.0])
    counts = np.bincount(list(EpochSampler(13, num_samples=12, weights=w, seed=1)), minlength=13)
    assert counts.sum() == 12 and counts[:12].max() <= 1 and counts[12] in (3, 4)  # 3.27 expected
    groups = [k // 2 for k in range(400)]  # 200 pairs of twins, each expected 0.6 times
    drawn = list(EpochSampler(400, num_samples=240, weights=np.ones(400), seed=2, groups=groups))
    pairs = Counter(groups[i] for i in drawn)
    # Twins come in together, or not at all; only the few draws that trim the total to exactly
    # num_samples may split a pair.
    assert sum(n == 2 for n in pairs.values()) >= 0.9 * len(pairs)
    many = np.bincount(list(EpochSampler(3, num_samples=3000, weights=np.array([1.0, 2.0, 3.0]))))
    np.testing.assert_allclose(many / 3000, [1 / 6, 2 / 6, 3 / 6], atol=1e-3)

    back = pickle.loads(pickle.dumps(EpochIndex(7, 3)))  # as it travels to a loader worker
    assert back == 7 and back.epoch == 3


def _windows(num_workers: int, seed: int = 0, epochs: int = 2) -> list[dict[int, torch.Tensor]]:
    """Per epoch, `{index: video (3, T, S, S)}` of every training window the loader gives."""
    augment = {"reencode_prob": 1.0, "noise_prob": 1.0, "blur_prob": 0.5}
    dm = ClipDataModule(
        [str(shared_manifest())],
        window={"num_frames": 8},
        size=32,
        augment=augment,
        batch_size=2,
        num_workers=num_workers,
        seed=seed,
    )
    dm.setup("fit")
    loader = dm.train_dataloader()
    out = []
    for epoch in range(epochs):
        loader.sampler.set_epoch(epoch)  # as Lightning does before each epoch
        windows = {}
        for batch in loader:
            windows.update({int(i): v for i, v in zip(batch["index"], batch["video"], strict=True)})
        out.append(windows)
    return out


def test_training_windows_depend_on_seed_epoch_and_index_not_on_workers():
    inline, workers = _windows(0), _windows(2)  # two persistent workers, in any order
    for a, b in zip(inline, workers, strict=True):
        assert a.keys() == b.keys() and all(torch.equal(a[i], b[i]) for i in a)
    epoch0, epoch1 = inline
    assert all(not torch.equal(epoch0[i], epoch1[i]) for i in epoch0)  # a new draw each epoch
    other = _windows(0, seed=1, epochs=1)[0]
    assert all(not torch.equal(epoch0[i], other[i]) for i in epoch0)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """`trained(name, *overrides)` -> (final weights, val metrics) of a 2-epoch tiny run with
    the default model, scheduler and augmentation; each run is trained once per module."""
    from judge.training.train import train

    root = tmp_path_factory.mktemp("runs")
    done: dict[str, tuple] = {}

    def run(name: str, *overrides: str):
        if name not in done:
            cfg = train_cfg(root, shared_manifest(), name, "trainer.max_epochs=2", *overrides)
            metrics = train(cfg)
            state = torch.load(last_ckpt(root, name), map_location="cpu", weights_only=True)
            assert state["global_step"] == 4  # two epochs of two steps
            done[name] = (state["state_dict"], val_metrics(metrics))
        return done[name]

    return run


def test_same_seed_gives_bit_identical_weights_and_metrics(trained):
    weights, metrics = trained("seed0")
    again_weights, again_metrics = trained("seed0-again")
    assert same_tensors(weights, again_weights)
    assert metrics == again_metrics and "val/auroc" in metrics


def test_loader_workers_do_not_change_the_result(trained):
    # Two persistent workers load the batches in a different order of events and draw from
    # torch's global RNG differently; neither may reach the weights.
    weights, metrics = trained("seed0")
    with_workers, with_workers_metrics = trained("seed0-workers", "data.num_workers=2")
    assert same_tensors(weights, with_workers) and metrics == with_workers_metrics


def test_another_seed_gives_other_weights(trained):
    weights, _ = trained("seed0")
    other, _ = trained("seed1", "seed=1")
    assert not same_tensors(weights, other)
