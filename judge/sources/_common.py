"""Shared pieces of the public-data adapters: errors, video discovery, row building."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from judge.io.extensions import has_video_extension
from judge.io.manifest import validate_row
from judge.io.manifest_ops import path_for_manifest

_MAX_LISTED = 50


class SourceError(ValueError):
    """A source dataset cannot be imported as it is.

    Attributes:
        path: the file or folder at fault.
        errors: every problem as ``(line_or_None, reason)``; line numbers are 1-based.
    """

    def __init__(self, path: str | os.PathLike[str], errors: str | list[tuple[int | None, str]]):
        self.path = Path(path)
        self.errors = [(None, errors)] if isinstance(errors, str) else list(errors)
        if isinstance(errors, str):
            super().__init__(f"{self.path}: {errors}")
            return
        listed = [
            f"  line {line}: {reason}" if line is not None else f"  {reason}"
            for line, reason in self.errors[:_MAX_LISTED]
        ]
        if len(self.errors) > _MAX_LISTED:
            listed.append(f"  ... and {len(self.errors) - _MAX_LISTED} more problems")
        super().__init__("\n".join([f"{self.path}: {len(self.errors)} problem(s)", *listed]))


class SourceRows(list):
    """The rows an adapter built (a plain ``list`` of manifest rows), plus what it skipped.

    Attributes:
        skipped: ``(line_or_None, reason)`` for every entry left out (e.g. a missing file
            with ``skip_missing=True``).
    """

    def __init__(self, rows: Iterable[dict] = (), skipped: Iterable = ()):
        super().__init__(rows)
        self.skipped = list(skipped)


def is_video(path: Path) -> bool:
    return has_video_extension(path.name)


def find_videos(root: str | os.PathLike[str]) -> list[Path]:
    """Every video file under ``root`` (recursive, by extension), hidden entries skipped, sorted."""
    root = Path(root)
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [
            Path(folder, f) for f in files if not f.startswith(".") and is_video(Path(folder, f))
        ]
    return sorted(found)


def require_dir(root: str | os.PathLike[str]) -> Path:
    root = Path(root)
    if not root.is_dir():
        raise SourceError(root, "not a folder" if root.exists() else "folder not found")
    return root


def make_row(
    file: Path,
    out_manifest: str | os.PathLike[str],
    labels: dict,
    source: str,
    *,
    group: str | None = None,
    tags: list[str] | None = None,
    **extra,
) -> dict:
    """One manifest row for ``file``, its path written relative to ``out_manifest``'s folder."""
    row = {"path": path_for_manifest(file, out_manifest), "labels": dict(labels), "source": source}
    if group:
        row["group"] = group
    if tags:
        row["tags"] = list(tags)
    row.update({k: v for k, v in extra.items() if v is not None})
    return row


def finish(
    rows: list[dict],
    files: list[Path],
    where: str | os.PathLike[str],
    *,
    probe: bool,
    extra_labels: Iterable[str] = (),
    skipped: Iterable = (),
) -> SourceRows:
    """Probe (optionally) and validate the built rows; ``files[i]`` is ``rows[i]``'s video."""
    if probe:
        from judge.sources.probe import probe_video

        errors = []
        for row, file in zip(rows, files, strict=True):
            try:
                row.update(probe_video(file))
            except (OSError, ValueError) as e:
                errors.append((None, f"{file}: cannot probe: {e}"))
        if errors:
            raise SourceError(where, errors)
    extra = tuple(extra_labels)
    errors = [
        (None, f"{file}: {reason}")
        for row, file in zip(rows, files, strict=True)
        for reason in validate_row(row, extra_labels=extra)
    ]
    if errors:
        raise SourceError(where, errors)
    return SourceRows(rows, skipped)
