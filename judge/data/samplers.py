"""Sampling weights for mixtures of manifests and class balance, and the seeded per-epoch
training sampler."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence

import numpy as np
import torch
from torch.utils.data import Sampler

from judge.labels import PLAUSIBLE


def clip_class(row: dict) -> str:
    """The class a clip is balanced under: its first positive artifact label, else plausible."""
    labels = row.get("labels", {})
    for name, value in sorted(labels.items()):
        if name != PLAUSIBLE and value:
            return name
    if labels.get(PLAUSIBLE) == 0:
        return "implausible"
    return PLAUSIBLE if PLAUSIBLE in labels or labels else "unknown"


def sample_weights(
    sources: list[int],
    source_weights: list[float],
    rows: list[dict],
    balanced: bool,
    clean_shares: Sequence[float | None] | None = None,
    tag_weights: Mapping[str, float] | None = None,
) -> np.ndarray:
    """Per-clip weights `(N,)` summing to 1.

    Each manifest gets its weight's share whatever its size; with `balanced`, within each
    manifest every class (see `clip_class`) gets an equal share. `clean_shares[s]`, when set,
    gives manifest s's clean clips (class plausible) exactly that part of its share and its
    other clips the rest: mixing sources whose clean shares differ would otherwise teach the
    model that a source's look predicts the label. `tag_weights` (`{tag: factor}`) draws a
    clip whose manifest `tags` name one of them `factor` times as often as an untagged clip of
    its class (the largest factor when several match), within the shares above: a scene's clean
    clip and its twins carry the same tags, so its pairs stay matched.
    """
    sources = np.asarray(sources)
    factors = tag_factors(rows, tag_weights or {})
    w = np.zeros(len(rows))
    for s, share in enumerate(source_weights):
        members = np.nonzero(sources == s)[0]
        if not len(members) or share <= 0:
            continue
        classes = [clip_class(rows[i]) for i in members]
        clean_share = clean_shares[s] if clean_shares is not None else None
        clean = np.array([c == PLAUSIBLE for c in classes])
        f = factors[members]
        if clean_share is not None and clean.any() and (~clean).any():
            per = np.zeros(len(members))
            per[clean] = clean_share * _within(
                [c for c, k in zip(classes, clean, strict=True) if k], balanced, f[clean]
            )
            per[~clean] = (1.0 - clean_share) * _within(
                [c for c, k in zip(classes, clean, strict=True) if not k], balanced, f[~clean]
            )
        else:
            per = _within(classes, balanced, f)
        w[members] = share * per
    total = w.sum()
    if total <= 0:
        raise ValueError("every manifest in the mixture has weight 0 or no clips")
    return w / total


def tag_factors(rows: list[dict], tag_weights: Mapping[str, float]) -> np.ndarray:
    """`(N,)` the largest `tag_weights` factor among each row's `tags`, 1.0 where none match."""
    for tag, factor in tag_weights.items():
        if not factor > 0:
            raise ValueError(f"tag_weights[{tag!r}] must be positive, got {factor}")
    return np.array(
        [
            max(
                (float(tag_weights[t]) for t in row.get("tags") or () if t in tag_weights),
                default=1.0,
            )
            for row in rows
        ]
    )


def _within(classes: list[str], balanced: bool, factors: np.ndarray) -> np.ndarray:
    """Weights summing to 1 over clips of these classes: equal per class, or per clip, each
    clip's part scaled by its factor `(n,)` (`tag_factors`) within its class."""
    if balanced:
        counts = Counter(classes)
        w = np.array([1.0 / (len(counts) * counts[c]) for c in classes]) * factors
        totals = Counter()
        for c, x in zip(classes, w, strict=True):
            totals[c] += x
        # Each class keeps its equal share: the factors move weight within it, not between.
        return np.array([x / (len(counts) * totals[c]) for c, x in zip(classes, w, strict=True)])
    w = np.asarray(factors, dtype=float)
    return w / w.sum()


# Stream tags for derive_seed, so the streams of one seed never coincide.
SAMPLER_STREAM, AUGMENT_STREAM, DROPOUT_STREAM = 1, 2, 3


def derive_seed(seed: int, *keys: int) -> int:
    """A 63-bit seed (for `torch.manual_seed` or a Generator) that is a function of `seed` and
    `keys` (a stream tag, epoch, index, ...) only."""
    entropy = [seed % 2**64, *(int(k) for k in keys)]
    state = np.random.SeedSequence(entropy).generate_state(1, np.uint64)
    return int(state[0] >> np.uint64(1))


class EpochIndex(int):
    """A dataset index that carries the epoch it was drawn for.

    DataLoader workers (persistent or not) never see `set_epoch`, and which worker loads which
    index depends on scheduling; the epoch travels with the index instead, so a sample's
    augmentation is a function of (seed, epoch, index) whatever worker loads it. It is still
    an int: `items[i]`, `Counter`, and Lightning's DDP sampler wrapper treat it as one.
    """

    epoch: int

    def __new__(cls, index: int, epoch: int) -> EpochIndex:
        obj = super().__new__(cls, index)
        obj.epoch = int(epoch)
        return obj

    def __reduce__(self):  # to worker processes with its epoch
        return EpochIndex, (int(self), self.epoch)


class EpochSampler(Sampler[int]):
    """Training order as a function of (seed, epoch) only, so a resumed run draws what an
    uninterrupted one would have drawn.

    `weights (N,)` given (mixtures, class balance): each index appears about `num_samples *
    weight` times, by randomised rounding (`balanced_counts`), in a shuffled order: a draw
    without replacement in spirit, so a clip whose expected count is 0.75 appears once or not
    at all, never twice while others wait; with `groups`, a group's clips share the rounding
    draw, so matched twins come in together. Otherwise a permutation of the N indices per
    pass, repeated up to `num_samples`. With
    `groups (N,)` (an id per item), the draws are then reordered so that the clips of a group
    come one after another, groups in the order they were first drawn: matched twins land in
    the same batch, where the pairwise loss compares them. Lightning
    calls `set_epoch` before each epoch (under DDP through `DistributedSamplerWrapper`, which
    forwards it); `ClipDataModule` sets the epoch of a resumed run from its checkpoint.
    Yields `EpochIndex`es.
    """

    def __init__(
        self,
        num_items: int,
        num_samples: int | None = None,
        weights: np.ndarray | None = None,
        seed: int = 0,
        epoch: int = 0,
        groups: Sequence[int] | None = None,
    ):
        if num_items < 1:
            raise ValueError("EpochSampler needs at least one item")
        if groups is not None and len(groups) != num_items:
            raise ValueError(f"groups has {len(groups)} entries for {num_items} items")
        self.groups = groups
        self.num_items = num_items
        self.num_samples = num_samples or num_items
        self.weights = None if weights is None else torch.as_tensor(weights, dtype=torch.double)
        self.seed, self.epoch = seed, epoch
        self.generator = torch.Generator()  # reseeded from (seed, epoch) by every __iter__

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return self.num_samples

    def __iter__(self) -> Iterator[EpochIndex]:
        epoch = self.epoch
        g = self.generator
        g.manual_seed(derive_seed(self.seed, SAMPLER_STREAM, epoch))
        if self.weights is not None:
            counts = balanced_counts(self.weights, self.num_samples, g, self.groups)
            order = torch.repeat_interleave(torch.arange(self.num_items), counts)
            order = order[torch.randperm(len(order), generator=g)]
        else:
            passes = -(-self.num_samples // self.num_items)
            order = torch.cat([torch.randperm(self.num_items, generator=g) for _ in range(passes)])
        order = order[: self.num_samples].tolist()
        if self.groups is not None:
            order = group_adjacent(order, self.groups)
        return iter([EpochIndex(i, epoch) for i in order])


def balanced_counts(
    weights: torch.Tensor,
    num_samples: int,
    generator: torch.Generator,
    groups: Sequence[int] | None = None,
) -> torch.Tensor:
    """int64 `(N,)` draws per item summing to `num_samples`: `floor(num_samples * w)` plus one
    more with probability equal to the remainder (one uniform per group when `groups` is
    given), then trimmed or topped up by weight to the exact total. Each count's expectation
    is `num_samples * w`, with the least spread a draw can have."""
    expected = weights.double() / weights.double().sum() * num_samples
    base = torch.floor(expected)
    u = torch.rand(len(weights), generator=generator, dtype=torch.double)
    if groups is not None:
        ids = torch.as_tensor(list(groups), dtype=torch.long)
        _, inverse = torch.unique(ids, return_inverse=True)
        u = torch.rand(int(inverse.max()) + 1, generator=generator, dtype=torch.double)[inverse]
    counts = (base + (u < expected - base).double()).long()
    if groups is not None:
        _whole_groups_to_total(counts, inverse, num_samples, generator)
    extra = int(counts.sum()) - num_samples
    if extra > 0:  # drop draws from items chosen by weight among those drawn
        drop = torch.multinomial(counts.double(), extra, False, generator=generator)
        counts[drop] -= 1
    elif extra < 0:
        add = torch.multinomial(weights.double(), -extra, True, generator=generator)
        counts += torch.bincount(add, minlength=len(weights))
    return counts


def _whole_groups_to_total(
    counts: torch.Tensor, group_of: torch.Tensor, total: int, generator: torch.Generator
) -> None:
    """Move `counts` towards `total` a whole group at a time (one draw off each member of a
    drawn group, or one draw onto each member of a group left out), so twins stay together;
    stops before overshooting (the caller settles the last few draws one by one)."""
    order = torch.randperm(int(group_of.max()) + 1, generator=generator).tolist()
    members = [[] for _ in order]
    for item, g in enumerate(group_of.tolist()):
        members[g].append(item)
    for g in order:
        gap = int(counts.sum()) - total
        idx = members[g]
        if gap > 0 and len(idx) <= gap and bool((counts[idx] > 0).all()):
            counts[idx] -= 1
        elif gap < 0 and len(idx) <= -gap and bool((counts[idx] == 0).all()):
            counts[idx] += 1
        elif gap == 0:
            return


def group_adjacent(order: list[int], groups: Sequence[int]) -> list[int]:
    """`order` with each group's items together, groups in order of their first draw."""
    members: dict[int, list[int]] = {}
    for i in order:
        members.setdefault(groups[i], []).append(i)
    return [i for group in members.values() for i in group]
