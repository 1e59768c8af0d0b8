"""LightningDataModule over one or several manifests (a weighted mixture).

Training order and augmentation are functions of (seed, epoch, index) alone (see
`judge.data.samplers.EpochSampler` and `ClipDataset`), and the checkpoint records the epoch a
resumed run starts with (`state_dict`), so resuming from a checkpoint taken at the end of an
epoch (Lightning's `last.ckpt`) gives the same batches, and so the same weights, as a run that
was never stopped. A checkpoint taken in the middle of an epoch resumes at the start of that
epoch's stream, not at the batch it stopped at: such a resume is not exact.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import lightning as L
from torch.utils.data import DataLoader

from judge.data.dataset import ClipDataset, Item
from judge.data.frame_cache import FrameCache
from judge.data.input_spec import FITS, InputSpec
from judge.data.samplers import EpochSampler, sample_weights
from judge.data.tiles import collate_tiles
from judge.data.transforms import Augment, ClipTransform
from judge.data.windows import WindowSpec
from judge.io.manifest import read_manifest, resolve_path
from judge.io.video import backend_version, resolve_backend
from judge.labels import ARTIFACT_LABELS

log = logging.getLogger(__name__)


class ClipDataModule(L.LightningDataModule):
    """Train/val/test windows from manifests.

    Args:
        manifests: paths, or `{"path": ..., "weight": ..., "splits": [...]}` dicts; in training
            each manifest is drawn by its weight's share, whatever its size (a manifest with
            no training rows takes no share). `splits` (optional) restricts which of the
            manifest's splits it contributes: `{"path": real, "splits": ["val", "test"]}`
            adds that manifest's val and test rows and leaves its train rows out (see
            `judge.training.real_data`); without it every row counts. `clean_share`
            (optional, in [0, 1]) gives that manifest's clean clips exactly this part of its
            draws (`samplers.sample_weights`).
        labels: artifact labels the model predicts (default: the whole taxonomy).
        window: `WindowSpec` fields (`num_frames`, `stride` or `fps`).
        size: side of the square frames the model reads.
        augment: `Augment` fields for training, or None for none.
        balanced: draw each class (plausible, each artifact kind) equally often in training.
        tag_weights: `{tag: factor}`: training draws clips tagged so (manifest `tags`, e.g. a
            hard negative) `factor` times as often as untagged clips (`samplers.sample_weights`).
        epoch_size: training samples per epoch (default: the training set's size).
        twin_batches: keep each group's clips (a clean scene and its artifact twins) together
            in training batches, with the same window and augmentation draws, so the pairwise
            loss has matched pairs to compare. Under DDP a group may be split between ranks.
        on_error: "skip" bad files (counted per batch as `skipped`) or "raise".
        split_seed: splits rows that carry none, by group (`judge.io.manifest_ops`).
        seed: seeds the training order and augmentation, with the epoch.
        test_all_splits: every row is a test clip (evaluating a whole manifest).
        frame_cache: a folder where small clips are kept decoded after their first read
            (`judge.data.frame_cache`), or None to decode every window from the file.
        frame_cache_mb: the largest decoded clip (MiB) the cache keeps.
        frame_cache_gb: the cache folder's budget (GiB): `prepare_data` removes the entries
            used longest ago beyond it (`FrameCache.prune`); None keeps everything.
        score_fit: how the judge trained here reads a non-square frame when it scores (stored
            in its checkpoints as `input.fit`): "tiles" (default: squares over the whole
            frame, each read as validation reads its centre square), "crop" (the centre
            square only: a 16:9 frame's sides unseen) or "pad". Validation and test read
            clips this way too, so the monitored metric, the chosen checkpoint and the
            out-of-domain statistics come from what the judge will be served on.
    """

    def __init__(
        self,
        manifests: list,
        labels: list[str] | None = None,
        window: dict | None = None,
        size: int = 64,
        augment: dict | None = None,
        batch_size: int = 16,
        num_workers: int = 0,
        pin_memory: bool = False,
        persistent_workers: bool = True,
        balanced: bool = False,
        tag_weights: dict | None = None,
        epoch_size: int | None = None,
        twin_batches: bool = False,
        backend: str = "auto",
        decode_timeout: float | None = 30.0,
        on_error: str = "skip",
        split_seed: int = 0,
        seed: int = 0,
        test_all_splits: bool = False,
        frame_cache: str | None = None,
        frame_cache_mb: float = 64.0,
        frame_cache_gb: float | None = None,
        score_fit: str = "tiles",
    ):
        super().__init__()
        # Entries are paths or mappings (dicts, or Hydra's DictConfig when instantiated).
        self.sources = [{**m} if hasattr(m, "items") else {"path": str(m)} for m in manifests]
        if not self.sources:
            raise ValueError("data.manifests is empty")
        for source in self.sources:
            if source.get("splits") is not None:
                source["splits"] = _check_splits(source["splits"], source.get("path"))
        self.label_names = tuple(labels or ARTIFACT_LABELS)
        self.window = WindowSpec(**(window or {}))
        self.size = size
        self.train_transform = ClipTransform(size, Augment(**augment) if augment else None)
        if score_fit not in FITS:
            raise ValueError(f"data.score_fit must be one of {FITS}, got {score_fit!r}")
        self.score_fit = score_fit
        # Validation and test read clips as the served judge will: tiles make a sample
        # (K, 3, T, S, S), batched by `collate_tiles` and joined by the module.
        self.eval_transform = ClipTransform(size, None, fit=score_fit)
        self.batch_size, self.num_workers = batch_size, num_workers
        self.pin_memory = pin_memory
        self.persistent_workers = persistent_workers and num_workers > 0
        self.balanced, self.epoch_size = balanced, epoch_size
        self.tag_weights = {str(k): float(v) for k, v in (tag_weights or {}).items()}
        self.twin_batches = twin_batches
        self.backend = resolve_backend(backend)
        self.decode_timeout, self.on_error = decode_timeout, on_error
        self.split_seed, self.seed = split_seed, seed
        self.test_all_splits = test_all_splits
        self.frame_cache = FrameCache(frame_cache, frame_cache_mb) if frame_cache else None
        self.frame_cache_gb = frame_cache_gb
        self.datasets: dict[str, ClipDataset] = {}
        self._weights = None
        self._resume_epoch = 0  # from a checkpoint (load_state_dict)

    @property
    def input_spec(self) -> InputSpec:
        """What the model reads (the scorer reads videos by it): this window, squares of side
        `size`, Kinetics normalisation, and `score_fit`, how the scorer covers a non-square
        frame. `eval_transform` (validation and test) is this preprocessing: with "tiles",
        each square read as the centre crop of a square frame, `(K, 3, T, S, S)` a sample."""
        w = self.window
        return InputSpec(w.num_frames, w.stride, w.fps, self.size, fit=self.score_fit)

    @property
    def decoder(self) -> dict:
        """The video backend's name and version, for checkpoints and score files."""
        return {"name": self.backend, "version": backend_version(self.backend)}

    def prepare_data(self) -> None:
        """Once per run (Lightning calls it on one process): keep the frame cache under its
        budget before this run's loaders read and fill it."""
        if self.frame_cache is None or self.frame_cache_gb is None:
            return
        removed, freed = self.frame_cache.prune(int(self.frame_cache_gb * 2**30))
        if removed:
            log.info(
                "frame cache %s: removed %d entries (%.1f GiB) used longest ago, to stay "
                "under %g GiB",
                self.frame_cache.root,
                removed,
                freed / 2**30,
                self.frame_cache_gb,
            )

    def setup(self, stage: str | None = None) -> None:
        if self.datasets:
            return
        extra = [k for k in self.label_names if k not in ARTIFACT_LABELS]
        per_split: dict[str, list[tuple[int, Item]]] = {"train": [], "val": [], "test": []}
        for s, source in enumerate(self.sources):
            manifest = Path(source["path"])
            rows = read_manifest(manifest, extra_labels=extra)
            if any("split" not in r for r in rows):
                from judge.io.manifest_ops import split_by_group

                rows = split_by_group(rows, seed=self.split_seed)
            allowed = source.get("splits")
            for r in rows:
                if allowed is not None and r["split"] not in allowed:
                    continue
                split = "test" if self.test_all_splits else r["split"]
                per_split[split].append((s, Item(resolve_path(manifest, r["path"]), r)))
        for split, members in per_split.items():
            train = split == "train"
            self.datasets[split] = ClipDataset(
                [item for _, item in members],
                self.label_names,
                self.window if train else replace(self.window, mode="center"),
                self.train_transform if train else self.eval_transform,
                train=train,
                backend=self.backend,
                timeout=self.decode_timeout,
                on_error=self.on_error,
                seed=self.seed,
                align_groups=train and self.twin_batches,
                frame_cache=self.frame_cache,
            )
        train = per_split["train"]
        if train:
            self._weights = sample_weights(
                [s for s, _ in train],
                [float(src.get("weight", 1.0)) for src in self.sources],
                [item.row for _, item in train],
                self.balanced,
                [src.get("clean_share") for src in self.sources],
                self.tag_weights,
            )
        log.info("clips per split: %s", {k: len(v) for k, v in self.datasets.items()})

    def has_split(self, split: str) -> bool:
        """Whether any clip falls in this split (sets the module up if needed)."""
        self.setup()
        return len(self.datasets[split]) > 0

    def _loader(self, split: str, sampler=None) -> DataLoader:
        tiled = split != "train" and self.eval_transform.fit == "tiles"
        return DataLoader(
            self.datasets[split],
            batch_size=self.batch_size,
            sampler=sampler,
            collate_fn=collate_tiles if tiled else None,
            num_workers=self.num_workers,
            pin_memory=self.pin_memory,
            persistent_workers=self.persistent_workers,
            drop_last=False,
        )

    def train_dataloader(self) -> DataLoader:
        ds = self.datasets["train"]
        if not len(ds):
            raise ValueError("no training clips: no manifest row has split 'train'")
        uniform = len(self.sources) == 1 and not self.balanced and not self.tag_weights
        # Under DDP, Lightning wraps this sampler (fabric DistributedSamplerWrapper) so each rank
        # draws its own share of the same stream, and forwards set_epoch to it.
        sampler = EpochSampler(
            len(ds),
            num_samples=self.epoch_size,
            weights=None if uniform else self._weights,
            seed=self.seed,
            epoch=self._next_epoch(),
            groups=ds.rng_keys if self.twin_batches else None,
        )
        return self._loader("train", sampler=sampler)

    def _next_epoch(self) -> int:
        """The epoch the next training pass is.

        Lightning builds (and starts iterating) the training loader before it restores the
        loops of a resumed run, when the scheduler asks for the run's length, and calls
        `set_epoch` only after that: so the checkpoint's own record comes first.
        """
        epoch = self._resume_epoch
        if self.trainer is not None:
            epoch = max(epoch, self.trainer.fit_loop.epoch_progress.current.processed)
        return epoch

    def state_dict(self) -> dict:
        """Saved in every checkpoint: the seed, and the epoch a run resumed from it starts."""
        epoch = self._resume_epoch
        if self.trainer is not None:
            loop = self.trainer.fit_loop
            progress = loop.epoch_progress.current
            epoch = progress.processed
            # Written at the end of validation (inside the epoch, after its last training
            # batch), a checkpoint resumes with the next epoch. Written at the end of the
            # training epoch (ModelCheckpoint's default when validation runs once an epoch),
            # it has counted that epoch as processed already.
            in_epoch = progress.started > progress.processed
            if in_epoch and loop.epoch_loop.batch_progress.is_last_batch:
                epoch += 1
        return {"seed": int(self.seed), "epoch": int(epoch)}

    def load_state_dict(self, state: dict) -> None:
        """Resume the training stream where the checkpoint left it; the checkpoint's seed wins."""
        if int(state.get("seed", self.seed)) != self.seed:
            log.warning(
                "data seed %s differs from the checkpoint's %s: resuming with the checkpoint's",
                self.seed,
                state["seed"],
            )
            self.seed = int(state["seed"])
            if "train" in self.datasets:
                self.datasets["train"].seed = self.seed
        self._resume_epoch = int(state.get("epoch", 0))

    def val_dataloader(self) -> DataLoader:
        return self._loader("val")

    def test_dataloader(self) -> DataLoader:
        return self._loader("test")


def _check_splits(splits, path) -> tuple[str, ...]:
    """A manifest entry's `splits` as a tuple of split names (a single name is one split)."""
    from judge.io.manifest import SPLITS

    names = (splits,) if isinstance(splits, str) else tuple(str(x) for x in splits)
    bad = [x for x in names if x not in SPLITS]
    if bad:
        raise ValueError(f"{path}: unknown split(s) {bad} in 'splits'; choose from {SPLITS}")
    return names
