"""Real footage in training (`judge-train real_footage=DIR`): import, split by video, splice, mix.

A folder of real videos (any: Kinetics clips, your own camera footage) joins a run in three
steps, each written under `real.out` (default `${paths.data_dir}/real`) and skipped when its
manifest already exists, so an interrupted preparation resumes where it stopped:

1. import: every video under DIR (recursive) becomes a row that is plausible with every
   artifact label 0 (`judge.sources.from_real_footage`), in `<out>/<name>/manifest.jsonl`
   (`<name>` = DIR's folder name);
2. split by video, never by window: the videos are ordered by a hash of `(real.seed, the
   video's path under DIR)` and dealt out in that order, `round(ratio * n)` videos to each split
   of `real.splits` (at least one to each split with a positive ratio while there are videos
   enough; ties lose from test first). A long video and a short one count as one video each;
   with `real.group_by_folder` the unit is a folder under DIR instead (clips cut from one
   recording). The same folder, seed and ratios always give the same split;
3. splice: the train-split videos go through `judge.splice.splice_videos` into
   `<out>/<name>_spliced/manifest.jsonl`: `real.splice_clips` small clips, clean real windows
   (every label 0) and their artifact twins, all in split train.

The mix (`real_mixture`) then gives `data.manifests`: the spliced manifest trains with the
share `real.weight`, the run's own manifests keep the rest (their weights scaled to sum to
1 - weight), and the plain manifest contributes only its val and test rows (DataModule option
`splits`): validation measures held-out real videos, read at full size, while training never
decodes the full-size files. Unless `data.epoch_size` is set, an epoch keeps the length of the
preset's own training set: real clips replace a share of its draws instead of lengthening
every epoch, so a schedule sized to a time budget still fits it. With `real.match_clean_share`
the spliced clips are drawn with the same share of clean clips as the preset's own training
set, so that the real clips, mostly clean (a still window often offers no region to inject
into), cannot teach the judge that the real look means "plausible". It is off by default: it
did not lower the false positives on rendered clean clips that mixing real footage raised
(README, "Quality"). Without `real_footage`
nothing here runs and `data.manifests` is what the preset says.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from omegaconf import DictConfig, OmegaConf, open_dict

from judge.data.samplers import clip_class
from judge.io.manifest import SPLITS, read_manifest, resolve_path, write_manifest
from judge.labels import PLAUSIBLE

log = logging.getLogger("judge.train")

MANIFEST = "manifest.jsonl"
RECIPE = "real.json"  # beside the plain manifest: what it was prepared from
SPLICED_SUFFIX = "_spliced"
DEFAULT_SPLITS = {"train": 0.6, "val": 0.2, "test": 0.2}


def _ratios(ratios: Mapping[str, float] | None) -> dict[str, float]:
    """`ratios` normalised to sum 1, in train/val/test order (missing splits get 0)."""
    ratios = dict(DEFAULT_SPLITS if ratios is None else ratios)
    bad = [k for k in ratios if k not in SPLITS]
    if bad:
        raise ValueError(f"unknown split(s) {bad} in real.splits; choose from {', '.join(SPLITS)}")
    values = {k: float(ratios.get(k, 0.0)) for k in SPLITS}
    if any(v < 0 or math.isnan(v) for v in values.values()) or sum(values.values()) <= 0:
        raise ValueError(f"real.splits must be >= 0 with a positive sum, got {ratios}")
    total = sum(values.values())
    return {k: v / total for k, v in values.items()}


def split_counts(n: int, ratios: Mapping[str, float] | None = None) -> dict[str, int]:
    """How many of `n` videos each split gets: `round(ratio * n)`, at least 1 for every split
    with a positive ratio, summing to `n`. With fewer videos than such splits, train is served
    first, then val, then test."""
    norm = _ratios(ratios)
    positive = [s for s in SPLITS if norm[s] > 0]
    counts = {s: 0 for s in SPLITS}
    if n <= 0:
        return counts
    if n < len(positive):
        for s in positive[:n]:
            counts[s] = 1
        return counts
    for s in positive:
        counts[s] = max(1, round(norm[s] * n))
    # Too many: take from the split furthest above its share (ties: test, then val, then
    # train); too few: give to the one furthest below (ties: train first).
    while sum(counts.values()) > n:
        over = [s for s in positive if counts[s] > 1]
        s = max(over, key=lambda s: (counts[s] - norm[s] * n, SPLITS.index(s)))
        counts[s] -= 1
    while sum(counts.values()) < n:
        s = max(positive, key=lambda s: (norm[s] * n - counts[s], -SPLITS.index(s)))
        counts[s] += 1
    return counts


def _hash(seed: int, unit: str) -> str:
    return hashlib.sha256(f"{seed}:{unit}".encode()).hexdigest()


def split_units(
    units: Sequence[str], ratios: Mapping[str, float] | None = None, seed: int = 0
) -> dict[str, str]:
    """`{unit: split}` for distinct units (videos, or folders): ordered by a seeded hash, then
    dealt out `split_counts` at a time in train/val/test order. A pure function of the set of
    units, the ratios and the seed."""
    distinct = sorted(set(units))
    counts = split_counts(len(distinct), ratios)
    order = sorted(distinct, key=lambda u: (_hash(seed, u), u))
    out, start = {}, 0
    for split in SPLITS:
        for unit in order[start : start + counts[split]]:
            out[unit] = split
        start += counts[split]
    return out


def video_unit(rel_path: str, group_by_folder: bool = False) -> str:
    """The split unit of a video at `rel_path` (posix, under the real folder): the video
    itself, or with `group_by_folder` its folder ("." for videos directly in it)."""
    if not group_by_folder:
        return rel_path
    parent = Path(rel_path).parent.as_posix()
    return parent or "."


def folder_name(folder: str | os.PathLike[str]) -> str:
    """The name the real folder's manifests are written under (`<out>/<name>/`)."""
    return _abs(folder).name or "real"


def real_paths(out: str | os.PathLike[str], folder: str | os.PathLike[str]) -> tuple[Path, Path]:
    """(plain manifest, spliced manifest) for `folder` under `out`."""
    name = folder_name(folder)
    return Path(out) / name / MANIFEST, Path(out) / f"{name}{SPLICED_SUFFIX}" / MANIFEST


def import_and_split(
    folder: str | os.PathLike[str],
    manifest: str | os.PathLike[str],
    *,
    ratios: Mapping[str, float] | None = None,
    seed: int = 0,
    group_by_folder: bool = False,
) -> list[dict]:
    """Import `folder` (every label known, see `judge.sources.real_footage`) and split it by
    video (module docstring) into `manifest`; returns its rows."""
    from judge.sources import from_real_footage

    folder = _abs(folder)
    manifest = Path(manifest)
    rows = from_real_footage(folder, manifest, group_by_folder=group_by_folder)
    rels = _videos_under(folder)  # the adapter's rows come in this (sorted) order
    units = [video_unit(rel, group_by_folder) for rel in rels]
    assigned = split_units(units, ratios, seed)
    for row, unit in zip(rows, units, strict=True):
        row["split"] = assigned[unit]
    write_manifest(manifest, rows)
    recipe = {
        "folder": str(folder),
        "videos": rels,
        "splits": _ratios(ratios),
        "seed": int(seed),
        "group_by_folder": bool(group_by_folder),
    }
    _write_recipe(manifest.parent, recipe)
    counts = {s: sum(r["split"] == s for r in rows) for s in SPLITS}
    log.info(
        "real footage %s: %d videos, split by video %s -> %s", folder, len(rows), counts, manifest
    )
    return list(rows)


def _write_recipe(folder: Path, recipe: dict) -> None:
    text = json.dumps(recipe, indent=2, sort_keys=True) + "\n"
    (folder / RECIPE).write_text(text, encoding="utf-8")


def _check_recipe(folder: Path, want: dict) -> None:
    """Warn when the manifest in `folder` was prepared from other videos or settings than
    asked now (its `real.json`); it is used as it is."""
    try:
        had = json.loads((folder / RECIPE).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return
    differ = [k for k, v in want.items() if had.get(k) != v]
    if differ:
        log.warning(
            "%s was prepared with other %s than asked now; it is used as it is (delete the "
            "folder to prepare it again)",
            folder / MANIFEST,
            ", ".join(differ),
        )


def _abs(path: str | os.PathLike[str]) -> Path:
    """Absolute, lexically normalised (symlinks kept, like manifest paths)."""
    return Path(os.path.abspath(os.path.expanduser(path)))


def _videos_under(folder: Path) -> list[str]:
    """Every video under `folder` as its posix path relative to it, sorted."""
    from judge.sources import find_videos

    return [p.relative_to(folder).as_posix() for p in find_videos(folder)]


def prepare_real_footage(
    folder: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    splice_clips: int = 600,
    weight: float = 0.25,
    splits: Mapping[str, float] | None = None,
    seed: int = 0,
    group_by_folder: bool = False,
    splice: Mapping | None = None,
    num_workers: int = 0,
) -> tuple[Path, Path | None]:
    """Import, split and splice `folder` under `out` (module docstring), skipping each step
    whose manifest exists. Returns (plain manifest, spliced manifest or None when nothing is
    spliced: `weight` or `splice_clips` is 0, or no video is in train)."""
    folder = _abs(folder)
    plain, spliced = real_paths(out, folder)
    if plain.exists():
        want = {
            "folder": str(folder),
            "videos": _videos_under(folder),
            "splits": _ratios(splits),
            "seed": int(seed),
            "group_by_folder": bool(group_by_folder),
        }
        _check_recipe(plain.parent, want)
        rows = read_manifest(plain)
    else:
        rows = import_and_split(
            folder, plain, ratios=splits, seed=seed, group_by_folder=group_by_folder
        )
    if weight <= 0 or splice_clips <= 0:
        return plain, None
    train = [resolve_path(plain, r["path"]) for r in rows if r.get("split") == "train"]
    recipe = {
        "videos": sorted(str(p) for p in train),
        "splice_clips": int(splice_clips),
        "seed": int(seed),
        "splice": {**dict(splice or {}), "split": "train"},
    }
    if spliced.exists():
        _check_recipe(spliced.parent, recipe)
        return plain, spliced
    if not train:
        log.warning("real footage %s: no video in split train, nothing to splice", folder)
        return plain, None
    from judge.splice import splice_videos

    config = recipe["splice"]  # split "train": every spliced clip trains
    log.info(
        "splicing %d clips from the %d train-split videos of %s -> %s",
        splice_clips,
        len(train),
        folder,
        spliced.parent,
    )
    written = splice_videos(
        train,
        spliced.parent,
        num_clips=int(splice_clips),
        seed=int(seed),
        config=config,
        num_workers=int(num_workers),
        log=log.info,
    )
    _write_recipe(Path(written).parent, recipe)
    return plain, Path(written)


def real_mixture(
    manifests: Sequence,
    plain: str | os.PathLike[str],
    spliced: str | os.PathLike[str] | None,
    weight: float = 0.25,
    clean_share: float | None = None,
) -> list[dict]:
    """`data.manifests` with the real footage mixed in (module docstring).

    The given manifests keep their relative weights, scaled to sum to `1 - weight`; the spliced
    manifest trains with `weight` (its clean clips drawn `clean_share` of its draws when set);
    the plain one adds its val and test rows only.
    """
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"real.weight is a share of training, in [0, 1]; got {weight}")
    entries = [
        _plain(m) if isinstance(m, Mapping) or OmegaConf.is_dict(m) else {"path": str(m)}
        for m in manifests
    ]
    if spliced is not None and weight > 0:
        total = sum(float(e.get("weight", 1.0)) for e in entries)
        scale = (1.0 - weight) / total if total > 0 else 0.0
        entries = [{**e, "weight": float(e.get("weight", 1.0)) * scale} for e in entries]
        entry = {"path": str(spliced), "weight": float(weight), "splits": ["train"]}
        if clean_share is not None:
            entry["clean_share"] = round(float(clean_share), 4)
        entries.append(entry)
    entries.append({"path": str(plain), "weight": 0.0, "splits": ["val", "test"]})
    return entries


def _plain(node) -> dict:
    if OmegaConf.is_config(node):
        return OmegaConf.to_container(node, resolve=True)
    return dict(node)


def real_settings(cfg: DictConfig) -> dict:
    """The `real` block of a composed train config, resolved, with defaults."""
    real = OmegaConf.to_container(cfg.real, resolve=True) if cfg.get("real") else {}
    return {
        "out": real.get("out") or str(Path(cfg.paths.data_dir) / "real"),
        "splice_clips": int(real.get("splice_clips", 600)),
        "weight": float(real.get("weight", 0.25)),
        "splits": dict(real.get("splits") or DEFAULT_SPLITS),
        "seed": int(real.get("seed", 0)),
        "group_by_folder": bool(real.get("group_by_folder", False)),
        "splice": dict(real.get("splice") or {}),
        "num_workers": int(real.get("num_workers", 0)),
        "match_clean_share": bool(real.get("match_clean_share", False)),
    }


def apply_real_footage(cfg: DictConfig, prepare: bool = True) -> list[dict] | None:
    """With `real_footage` set: prepare the folder (unless `prepare` is False: paths only) and
    set `cfg.data.manifests` to the mix; returns the new list. Without it: None, cfg as is."""
    folder = cfg.get("real_footage")
    if not folder:
        return None
    s = real_settings(cfg)
    if not 0.0 <= s["weight"] <= 1.0:
        raise ValueError(f"real.weight is a share of training, in [0, 1]; got {s['weight']}")
    if prepare:
        plain, spliced = prepare_real_footage(
            folder,
            s["out"],
            splice_clips=s["splice_clips"],
            weight=s["weight"],
            splits=s["splits"],
            seed=s["seed"],
            group_by_folder=s["group_by_folder"],
            splice=s["splice"],
            num_workers=s["num_workers"],
        )
    else:
        plain, spliced = real_paths(s["out"], folder)
        if s["weight"] <= 0 or s["splice_clips"] <= 0:
            spliced = None
    own = train_rows(cfg.data.manifests, cfg.data.get("split_seed", 0)) if prepare else []
    clean_share = None
    if own and s["match_clean_share"]:
        clean_share = sum(clip_class(r) == PLAUSIBLE for r in own) / len(own)
    manifests = real_mixture(cfg.data.manifests, plain, spliced, s["weight"], clean_share)
    with open_dict(cfg):
        if cfg.data.get("epoch_size") is None and own:
            # Real clips take a share of the preset's draws rather than adding to them: the
            # epoch keeps its length, so the schedule (and cpu_tiny's time budget) still fits.
            cfg.data.epoch_size = len(own)
        cfg.data.manifests = manifests
    return manifests


def train_rows(manifests: Sequence, split_seed: int = 0) -> list[dict]:
    """Training rows of the given `data.manifests` entries (paths, or mappings with `path`
    and an optional `splits` filter) whose files exist; rows without a split are split by
    group as the DataModule splits them."""
    from judge.io.manifest_ops import split_by_group

    out = []
    for m in manifests:
        entry = _plain(m) if isinstance(m, Mapping) or OmegaConf.is_dict(m) else {"path": str(m)}
        keep = entry.get("splits")
        keep = [keep] if isinstance(keep, str) else keep
        if keep is not None and "train" not in keep:
            continue
        path = Path(entry["path"])
        if path.exists():
            rows = read_manifest(path)
            if any("split" not in r for r in rows):
                rows = split_by_group(rows, seed=split_seed)
            out += [r for r in rows if r["split"] == "train"]
    return out
