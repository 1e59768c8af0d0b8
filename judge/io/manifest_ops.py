"""Operations on whole manifests: merge, rebase, group-aware split, statistics.

Rows stay plain dicts (see ``judge.io.manifest``); reading and writing go through
``read_manifest`` / ``write_manifest`` so every row is validated in one place.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from judge.io.manifest import SPLITS, read_manifest, resolve_path, write_manifest
from judge.labels import ARTIFACT_LABELS, PLAUSIBLE

# Row keys that hold file paths relative to the manifest's folder.
PATH_KEYS = ("path", "annotations")
DEFAULT_RATIOS: Mapping[str, float] = {"train": 0.8, "val": 0.1, "test": 0.1}
NONE = "none"  # stats key for rows without a split / source


class MergeError(ValueError):
    """The same clip file appears more than once among the merged manifests.

    Attributes:
        duplicates: ``(file, first_manifest, first_line, other_manifest, other_line)`` each.
    """

    def __init__(self, duplicates: list[tuple[Path, Path, int, Path, int]]):
        self.duplicates = list(duplicates)
        lines = [
            f"  {f}: {m1} line {l1} and {m2} line {l2}" for f, m1, l1, m2, l2 in self.duplicates
        ]
        head = f"{len(self.duplicates)} duplicate clip path(s) across the merged manifests"
        super().__init__("\n".join([head, *lines]))


def _abs(path: str | os.PathLike[str]) -> Path:
    # Lexically normalised absolute path (no symlink resolution, like resolve_path).
    return Path(os.path.abspath(os.path.expanduser(path)))


def path_for_manifest(file: str | os.PathLike[str], manifest_path: str | os.PathLike[str]) -> str:
    """How ``file`` should be written in the manifest at ``manifest_path``.

    Relative to the manifest's folder (``../`` allowed) when the two share a top-level folder;
    absolute when they only share the filesystem root or lie on different drives, where a
    relative path would be a fragile chain of ``..``.
    """
    target, folder = _abs(file), _abs(manifest_path).parent
    try:
        common = Path(os.path.commonpath([target, folder]))
    except ValueError:  # different drives (Windows)
        return str(target)
    if common == Path(common.anchor):
        return str(target)
    return Path(os.path.relpath(target, folder)).as_posix()


def rebase_rows(
    rows: Iterable[dict], from_manifest: str | os.PathLike[str], to_manifest: str | os.PathLike[str]
) -> list[dict]:
    """Copies of ``rows`` (read from ``from_manifest``) with paths valid from ``to_manifest``."""
    out = []
    for row in rows:
        row = dict(row)
        for key in PATH_KEYS:
            if isinstance(row.get(key), str):
                row[key] = path_for_manifest(resolve_path(from_manifest, row[key]), to_manifest)
        out.append(row)
    return out


def row_line_numbers(manifest_path: str | os.PathLike[str]) -> list[int]:
    """1-based line numbers of the non-blank lines, i.e. of ``read_manifest``'s rows, in order."""
    with open(manifest_path, encoding="utf-8") as f:
        return [n for n, line in enumerate(f, start=1) if line.strip()]


def merge_manifests(
    paths: Sequence[str | os.PathLike[str]],
    out_path: str | os.PathLike[str],
    *,
    extra_labels: Iterable[str] = (),
) -> list[dict]:
    """Merge several manifests into ``out_path`` and return the merged rows.

    Rows keep every key (``source``, ``split``, ...); ``path`` and ``annotations`` are rewritten
    so that they resolve from ``out_path``'s folder to the same files as before.

    Raises:
        ManifestError: an input manifest has bad rows (all listed, by line).
        MergeError: a clip file appears twice (in one manifest or across two); names both
            manifests and lines. Nothing is written then.
    """
    extra = tuple(extra_labels)
    merged: list[dict] = []
    seen: dict[Path, tuple[Path, int]] = {}
    duplicates = []
    for manifest in paths:
        rows = read_manifest(manifest, extra_labels=extra)
        for row, line in zip(rows, row_line_numbers(manifest), strict=True):
            file = _abs(resolve_path(manifest, row["path"]))
            if file in seen:
                duplicates.append((file, *seen[file], Path(manifest), line))
            else:
                seen[file] = (Path(manifest), line)
        merged += rebase_rows(rows, manifest, out_path)
    if duplicates:
        raise MergeError(duplicates)
    write_manifest(out_path, merged, extra_labels=extra)
    return merged


def _check_ratios(ratios: Mapping[str, float]) -> dict[str, float]:
    bad = [k for k in ratios if k not in SPLITS]
    if bad:
        raise ValueError(f"unknown split(s) {bad} in ratios; choose from {', '.join(SPLITS)}")
    values = [float(v) for v in ratios.values()]
    if any(v < 0 or v != v for v in values) or sum(values) <= 0:
        raise ValueError(f"split ratios must be >= 0 with a positive sum, got {dict(ratios)}")
    total = sum(values)
    # Fixed order (train, val, test) so the same ratios give the same assignment.
    return {k: float(ratios[k]) / total for k in SPLITS if k in ratios}


def group_key(row: Mapping) -> str:
    """The group a row belongs to: ``row["group"]``, or its path when it has none."""
    group = row.get("group")
    return group if isinstance(group, str) and group else str(row["path"])


def assign_split(group: str, ratios: Mapping[str, float], seed: int = 0) -> str:
    """Split for one group: a pure function of ``(seed, group)`` and the (normalised) ratios."""
    norm = _check_ratios(ratios)
    digest = hashlib.sha256(f"{seed}:{group}".encode()).digest()
    u = int.from_bytes(digest[:8], "big") / 2.0**64  # uniform in [0, 1)
    acc = 0.0
    last = next(k for k in reversed(norm) if norm[k] > 0)
    for name, share in norm.items():
        acc += share
        if share > 0 and u < acc:
            return name
    return last  # float round-off at u close to 1


def split_by_group(
    rows: Iterable[dict],
    ratios: Mapping[str, float] = DEFAULT_RATIOS,
    seed: int = 0,
    keep_existing: bool = True,
) -> list[dict]:
    """Return copies of ``rows`` with a ``split``; a group's rows always share one split.

    Args:
        ratios: target share per split (``train``/``val``/``test``; normalised to sum 1).
        seed: changes the assignment; the same seed and group always give the same split.
        keep_existing: rows that already carry a split keep it, and rows without one in the
            same group join that split (the most common one in the group, ties in
            train/val/test order). Otherwise every row is reassigned.
    """
    norm = _check_ratios(ratios)
    rows = [dict(r) for r in rows]
    existing: dict[str, Counter] = {}
    if keep_existing:
        for row in rows:
            if row.get("split") in SPLITS:
                existing.setdefault(group_key(row), Counter())[row["split"]] += 1
    chosen: dict[str, str] = {}
    for row in rows:
        group = group_key(row)
        if keep_existing and row.get("split") in SPLITS:
            continue
        if group not in chosen:
            counts = existing.get(group)
            if counts:
                chosen[group] = max(SPLITS, key=lambda s: (counts[s], -SPLITS.index(s)))
            else:
                chosen[group] = assign_split(group, norm, seed)
        row["split"] = chosen[group]
    return rows


def _duration(row: Mapping) -> float | None:
    fps, n = row.get("fps"), row.get("num_frames")
    if isinstance(fps, (int, float)) and fps > 0 and isinstance(n, int) and n > 0:
        return n / fps
    return None


def manifest_stats(rows: Iterable[Mapping]) -> dict:
    """Summary counts of a manifest's rows (JSON-serialisable).

    Returns a dict with ``clips``; ``labels`` (label -> ``{"1": n, "0": n, "missing": n}``,
    ``plausible`` and every artifact label first, then other labels seen); ``sources``,
    ``tags``, ``splits`` (rows without a split under ``"none"``) as counts; ``groups``
    (distinct groups, a row without one counting as its own), ``ungrouped`` and
    ``straddling_groups`` (groups whose rows sit in more than one split); ``duration_s`` with
    ``total``, ``mean`` and ``clips`` (how many rows have both ``fps`` and ``num_frames``).
    """
    rows = list(rows)
    names = [PLAUSIBLE, *ARTIFACT_LABELS]
    for row in rows:
        for key in row.get("labels", {}):
            if key not in names:
                names.append(key)
    labels = {name: {"1": 0, "0": 0, "missing": 0} for name in names}
    sources, tags, splits = Counter(), Counter(), Counter()
    group_splits: dict[str, set] = {}
    ungrouped = 0
    durations = []
    for row in rows:
        row_labels = row.get("labels", {})
        for name in names:
            value = row_labels.get(name)
            key = "missing" if value is None else str(value)
            labels[name][key] = labels[name].get(key, 0) + 1
        sources[row.get("source", NONE)] += 1
        tags.update(row.get("tags", []))
        splits[row.get("split", NONE)] += 1
        ungrouped += not row.get("group")
        group_splits.setdefault(group_key(row), set()).add(row.get("split", NONE))
        d = _duration(row)
        if d is not None:
            durations.append(d)
    total = sum(durations)
    return {
        "clips": len(rows),
        "labels": labels,
        "sources": dict(sources.most_common()),
        "tags": dict(tags.most_common()),
        "splits": {k: splits[k] for k in (*SPLITS, NONE) if splits[k]},
        "groups": len(group_splits),
        "ungrouped": ungrouped,
        "straddling_groups": sum(len(s) > 1 for s in group_splits.values()),
        "duration_s": {
            "total": round(total, 3),
            "mean": round(total / len(durations), 3) if durations else None,
            "clips": len(durations),
        },
    }


def missing_files(manifest_path: str | os.PathLike[str], rows: Sequence[Mapping]) -> list:
    """``(line, reason)`` for every row whose ``path`` or ``annotations`` file does not exist.

    ``rows`` are ``read_manifest(manifest_path)``'s rows (line numbers are recovered from the
    file, so they match what an editor shows).
    """
    errors = []
    for row, line in zip(rows, row_line_numbers(manifest_path), strict=True):
        for key in PATH_KEYS:
            if isinstance(row.get(key), str):
                file = resolve_path(manifest_path, row[key])
                if not file.is_file():
                    errors.append((line, f"{key} file not found: {file}"))
    return errors
