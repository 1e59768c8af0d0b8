"""One DataModule over the generator's manifest and every public layout; bad files; sampling."""

from __future__ import annotations

import logging
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch

from judge.data.datamodule import ClipDataModule
from judge.data.dataset import BadClipError
from judge.io.manifest import write_manifest
from judge.io.writer import write_video
from judge.sources import from_csv, from_intphys, from_labelled_folder, from_real_footage
from judge.synth.config import SynthConfig
from judge.synth.runner import generate

WINDOW = {"num_frames": 8, "stride": 1}


def _video(path: Path, frames: int = 12, side: int = 32, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_video(path, rng.integers(0, 255, (frames, side, side, 3), dtype=np.uint8), fps=12)
    return path


def _split_all(rows: list[dict], split: str = "train") -> list[dict]:
    return [{**r, "split": split} for r in rows]


@pytest.fixture(scope="module")
def manifests(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("sources")
    out = {}
    cfg = SynthConfig.from_dict(
        {
            "render": {"sizes": [[64, 64]], "num_frames": [16], "shadow_size": 512},
            "artifacts": {"min_visible_px": 12},
        }
    )
    generate(cfg, root / "synth", 3, seed=0)
    out["synth"] = root / "synth" / "manifest.jsonl"
    for i, label in enumerate(["plausible", "implausible"]):
        _video(root / "folder" / label / f"{label}.mp4", seed=i)
    for i in range(2):
        _video(root / "csv" / "videos" / f"v{i}.mp4", seed=10 + i)
    (root / "csv" / "labels.csv").write_text(
        "videopath,caption,sa,pc\nv0.mp4,a ball,1,1\nv1.mp4,a cup,1,0\n"
    )
    for kind in ("possible", "impossible"):
        _video(root / "intphys" / "scene1" / kind / f"{kind}.mp4", seed=20)
    _video(root / "real" / "street.mp4", frames=20, seed=30)
    adapters = {
        "folder": lambda m: from_labelled_folder(root / "folder", m),
        "csv": lambda m: from_csv(
            root / "csv" / "labels.csv", m, video_root=root / "csv" / "videos"
        ),
        "intphys": lambda m: from_intphys(root / "intphys", m),
        "real": lambda m: from_real_footage(root / "real", m),
    }
    for name, adapter in adapters.items():
        manifest = root / name / "manifest.jsonl"
        write_manifest(manifest, _split_all(list(adapter(manifest))))
        out[name] = manifest
    return out


def _module(manifests: list, **kw) -> ClipDataModule:
    args = {"window": WINDOW, "size": 32, "batch_size": 4, "augment": {}, **kw}
    dm = ClipDataModule(manifests, **args)
    dm.setup("fit")
    return dm


def test_generator_and_every_public_layout_load_through_one_datamodule(manifests):
    dm = _module([str(p) for p in manifests.values()], balanced=True)
    ds = dm.datasets["train"]
    sources = Counter(item.row.get("source", "?") for item in ds.items)
    assert {"synthetic/mujoco", "intphys", "real/real"} <= set(sources)
    assert sum(len(d) for d in dm.datasets.values()) == sum(
        len(p.read_text().splitlines()) for p in manifests.values()
    )
    for i in range(len(ds)):  # every clip of every layout decodes into a window
        sample = ds[i]
        assert sample["video"].shape == (3, 8, 32, 32) and sample["skipped"] == 0
    batch = next(iter(dm.train_dataloader()))
    assert batch["video"].shape == (4, 3, 8, 32, 32) and batch["video"].dtype == torch.float32
    assert batch["labels"].shape == (4, 7) and batch["label_mask"].dtype == torch.bool
    assert batch["onset"].shape == (4, 8)


def test_public_labels_reach_the_targets(manifests):
    dm = _module([str(manifests["folder"]), str(manifests["real"])])
    by_name = {Path(it.path).stem: i for i, it in enumerate(dm.datasets["train"].items)}
    implausible = dm.datasets["train"][by_name["implausible"]]
    street = dm.datasets["train"][by_name["street"]]
    assert not implausible["label_mask"].any()  # only `plausible` is known
    assert street["plausible"] == 1 and street["plausible_mask"]
    # Real footage: every artifact label is known to be 0, so every label head learns from it.
    assert street["label_mask"].all() and not street["labels"].any()


def test_synthetic_targets_match_the_events(manifests):
    dm = _module([str(manifests["synth"])])
    for split, ds in dm.datasets.items():
        for i, item in enumerate(ds.items):
            sample = ds.load(i, None)
            idx = sample["frames"].numpy()
            for ev in item.row["events"]:
                straddles = idx[0] < ev["frame"] <= idx[-1]
                k = dm.label_names.index(ev["type"])
                if straddles:
                    assert sample["labels"][k] == 1 and sample["plausible"] == 0, (split, item.path)


def test_workers_and_persistent_workers(manifests):
    dm = _module([str(manifests["synth"])], num_workers=2, epoch_size=8)
    loader = dm.train_dataloader()
    assert loader.persistent_workers
    for _ in range(2):  # two epochs over the same workers
        seen = sum(len(b["video"]) for b in loader)
        assert seen == 8


BAD = {
    "corrupt.mp4": lambda p: p.write_bytes(b"\x00\x00\x00\x18ftypisom" + bytes(range(256)) * 4),
    "truncated.mp4": None,
    "empty.mp4": lambda p: p.write_bytes(b""),
    "notes.mp4": lambda p: p.write_text("not a video\n"),
    "short.mp4": lambda p: _video(p, frames=3),
}


@pytest.fixture
def bad_manifest(tmp_path, manifests) -> tuple[Path, int]:
    good = _video(tmp_path / "good.mp4")
    whole = (tmp_path / "good.mp4").read_bytes()
    for name, make in BAD.items():
        p = tmp_path / name
        if make is None:
            p.write_bytes(whole[: len(whole) // 3])
        else:
            make(p)
    names = [good.name, *BAD, "missing.mp4"]
    rows = [{"path": n, "labels": {"plausible": 1}, "split": "train", "group": n} for n in names]
    write_manifest(tmp_path / "manifest.jsonl", rows)
    return tmp_path / "manifest.jsonl", len(names) - 1


def test_bad_files_are_skipped_and_counted(bad_manifest, caplog):
    manifest, n_bad = bad_manifest
    dm = _module([str(manifest)], batch_size=1, on_error="skip")
    ds = dm.datasets["train"]
    with caplog.at_level(logging.WARNING):
        samples = [ds[i] for i in range(len(ds))]
    assert all(Path(s["path"]).name == "good.mp4" for s in samples)
    assert sum(s["skipped"] for s in samples) == n_bad  # each bad file counted once
    for name in [*BAD, "missing.mp4"]:
        assert any(name in r.getMessage() for r in caplog.records), name
    reasons = " ".join(ds.bad.values())
    assert "too short" in reasons and "not found" in reasons


@pytest.mark.parametrize("name", [*BAD, "missing.mp4"])
def test_bad_file_stops_the_run_when_asked(bad_manifest, name):
    manifest, _ = bad_manifest
    dm = _module([str(manifest)], on_error="raise")
    ds = dm.datasets["train"]
    i = next(i for i, it in enumerate(ds.items) if it.path.name == name)
    with pytest.raises(BadClipError, match=name):
        ds[i]


def test_a_hanging_decode_is_bounded(bad_manifest, monkeypatch):
    import judge.io.video as video

    manifest, _ = bad_manifest
    real = video.open_video

    def slow(path, backend="auto"):
        time.sleep(5)
        return real(path, backend)

    monkeypatch.setattr(video, "open_video", slow)
    dm = _module([str(manifest)], decode_timeout=0.2, on_error="raise")
    t0 = time.perf_counter()
    with pytest.raises(BadClipError, match="did not finish within 0.2 s"):
        dm.datasets["train"][0]
    assert time.perf_counter() - t0 < 2


def test_mixture_weights_and_class_balance(manifests):
    dm = _module(
        [
            {"path": str(manifests["synth"]), "weight": 0.25},
            {"path": str(manifests["real"]), "weight": 0.75},
        ],
        epoch_size=4000,
    )
    sampler = dm.train_dataloader().sampler
    drawn = [dm.datasets["train"].items[i].row.get("source") for i in sampler]
    share = Counter(drawn)["real/real"] / len(drawn)
    assert abs(share - 0.75) < 0.04  # one real clip drawn as often as all synthetic ones x3
    balanced = _module([str(manifests["synth"])], balanced=True, epoch_size=4000)
    from judge.data.samplers import clip_class

    rows = [it.row for it in balanced.datasets["train"].items]
    counts = Counter(clip_class(rows[i]) for i in balanced.train_dataloader().sampler)
    assert max(counts.values()) / min(counts.values()) < 1.35


def test_weighted_sampler_splits_across_ddp_ranks(manifests):
    from lightning.fabric.utilities.distributed import DistributedSamplerWrapper

    dm = _module([str(manifests["synth"]), str(manifests["real"])], epoch_size=64)
    sampler = dm.train_dataloader().sampler

    def draw(wrapper=None):
        sampler.generator.manual_seed(0)  # each DDP process holds the same seeded sampler
        return list(wrapper if wrapper is not None else sampler)

    ranks = [
        draw(DistributedSamplerWrapper(sampler, num_replicas=2, rank=r, shuffle=False))
        for r in range(2)
    ]
    assert len(ranks[0]) == len(ranks[1]) == 32
    assert Counter(ranks[0] + ranks[1]) == Counter(draw())  # together, exactly one epoch


def test_twin_batches_keep_each_group_together_with_the_same_window(manifests):
    dm = _module([str(manifests["synth"])], twin_batches=True, augment={"hflip": 0.5})
    ds = dm.datasets["train"]
    groups = [item.row["group"] for item in ds.items]
    assert len(set(groups)) < len(groups)  # the fixture has twins in training
    order = [int(i) for i in dm.train_dataloader().sampler]
    assert sorted(order) == list(range(len(ds)))
    drawn = [groups[i] for i in order]
    runs = [g for k, g in enumerate(drawn) if k == 0 or g != drawn[k - 1]]
    assert len(runs) == len(set(drawn))  # each group comes as one run
    by_group: dict[str, list[np.ndarray]] = {}
    for i in range(len(ds)):
        by_group.setdefault(groups[i], []).append(ds[i]["frames"].numpy())
    for windows in by_group.values():  # twins share the window start drawn for their group
        assert all(np.array_equal(w, windows[0]) for w in windows)
    plain = _module([str(manifests["synth"])], augment={"hflip": 0.5})
    assert plain.datasets["train"].rng_keys == list(range(len(ds)))


def _three_split_manifest(root: Path) -> Path:
    rows = []
    for i, split in enumerate(["train", "train", "val", "test"]):
        _video(root / f"{split}{i}.mp4", seed=40 + i)
        row = {"path": f"{split}{i}.mp4", "labels": {"plausible": 1}, "split": split}
        rows.append({**row, "source": "real/x"})
    return write_manifest(root / "manifest.jsonl", rows)


def test_a_manifest_can_contribute_only_some_splits(manifests, tmp_path):
    held_out = _three_split_manifest(tmp_path / "held")
    entry = {"path": str(held_out), "weight": 0.0, "splits": ["val", "test"]}
    dm = _module([str(manifests["synth"]), entry], balanced=True, epoch_size=400)
    names = {s: {Path(it.path).name for it in ds.items} for s, ds in dm.datasets.items()}
    assert not {"train0.mp4", "train1.mp4"} & set().union(*names.values())
    assert "val2.mp4" in names["val"] and "test3.mp4" in names["test"]
    # Training draws from the synthetic manifest only; its weights still sum to 1.
    assert all(it.row.get("source") != "real/x" for it in dm.datasets["train"].items)
    assert dm._weights.sum() == pytest.approx(1.0)
    drawn = list(dm.train_dataloader().sampler)
    assert len(drawn) == 400
    everything = _module([str(manifests["synth"]), str(held_out)])
    assert "train0.mp4" in {Path(it.path).name for it in everything.datasets["train"].items}
    only_train = _module([{"path": str(held_out), "splits": "train"}])
    assert len(only_train.datasets["train"]) == 2 and not len(only_train.datasets["val"])
    with pytest.raises(ValueError, match="unknown split.*'valid'"):
        ClipDataModule([{"path": str(held_out), "splits": ["valid"]}])


def test_an_extra_manifest_takes_its_weight_share_with_balance(manifests, tmp_path):
    held_out = _three_split_manifest(tmp_path / "held")
    dm = _module(
        [
            {"path": str(manifests["synth"]), "weight": 0.75},
            {"path": str(held_out), "weight": 0.25, "splits": ["train"]},
        ],
        balanced=True,
        epoch_size=4000,
    )
    rows = [it.row for it in dm.datasets["train"].items]
    assert sum(r.get("source") == "real/x" for r in rows) == 2  # its train rows only
    drawn = [rows[i].get("source") for i in dm.train_dataloader().sampler]
    assert abs(Counter(drawn)["real/x"] / len(drawn) - 0.25) < 0.03


def test_clean_share_sets_the_part_of_a_manifests_draws_that_are_clean():
    from judge.data.samplers import sample_weights

    clean = {"labels": {"plausible": 1}}
    bad = {"labels": {"plausible": 0, "appear": 1}}
    rows = [clean] * 6 + [bad] * 2 + [clean, bad, bad]  # manifest 0: 6 clean, 2 bad; 1: 1, 2
    sources = [0] * 8 + [1] * 3
    w = sample_weights(sources, [0.5, 0.5], rows, balanced=False, clean_shares=[0.25, None])
    assert w[:6].sum() == pytest.approx(0.5 * 0.25) and w[6:8].sum() == pytest.approx(0.375)
    assert w[8] == pytest.approx(0.5 / 3)  # no clean_share: every clip of manifest 1 alike
    plain = sample_weights(sources, [0.5, 0.5], rows, balanced=False)
    assert plain[:6].sum() == pytest.approx(0.5 * 6 / 8)


def test_tag_weights_draw_tagged_clips_more_often_within_the_shares():
    from judge.data.samplers import sample_weights

    clean = {"labels": {"plausible": 1}}
    fast = {"labels": {"plausible": 1}, "tags": ["fast_throw"]}
    fast_twin = {"labels": {"plausible": 0, "teleport": 1}, "tags": ["fast_throw", "bounce"]}
    bad = {"labels": {"plausible": 0, "teleport": 1}}
    rows = [clean, clean, fast, bad, bad, fast_twin]
    sources = [0] * 6
    tags = {"fast_throw": 3.0, "bounce": 2.0}
    w = sample_weights(sources, [1.0], rows, balanced=False, tag_weights=tags)
    assert w[2] == pytest.approx(3 * w[0]) and w[5] == pytest.approx(3 * w[3])  # largest factor
    assert w.sum() == pytest.approx(1.0)
    # With a clean share or class balance, the factor moves weight inside a class only.
    shared = sample_weights(
        sources, [1.0], rows, balanced=False, clean_shares=[0.5], tag_weights=tags
    )
    assert shared[:3].sum() == pytest.approx(0.5) and shared[2] == pytest.approx(0.3)
    balanced = sample_weights(sources, [1.0], rows, balanced=True, tag_weights=tags)
    assert balanced[:3].sum() == pytest.approx(0.5) and balanced[5] == pytest.approx(0.3)
    with pytest.raises(ValueError, match="fast_throw"):
        sample_weights(sources, [1.0], rows, balanced=False, tag_weights={"fast_throw": 0})


def test_tag_weights_reach_the_training_sampler(manifests):
    import json

    plain = ClipDataModule(manifests=[manifests["synth"]])
    plain.setup("fit")
    assert plain.train_dataloader().sampler.weights is None  # one manifest: a permutation
    first = plain.datasets["train"].items[0].row
    rows = [json.loads(line) for line in manifests["synth"].read_text().splitlines()]
    for row in rows:  # tag the first training clip's scene (its clean clip and twins)
        if row["group"] == first["group"]:
            row["tags"] = ["marked"]
    tagged = manifests["synth"].with_name("tagged.jsonl")
    tagged.write_text("".join(json.dumps(r) + "\n" for r in rows))
    dm = ClipDataModule(manifests=[tagged], tag_weights={"marked": 4})
    dm.setup("fit")
    w = dm.train_dataloader().sampler.weights.numpy()
    marked = np.array([bool(i.row.get("tags")) for i in dm.datasets["train"].items])
    assert marked.any() and (~marked).any()
    assert w[marked].min() == pytest.approx(4 * w[~marked].max())
