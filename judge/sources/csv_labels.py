"""Import a CSV of video paths with a binary physics label, e.g. VideoPhy.

VideoPhy's CSVs have ``videopath,caption,sa,pc`` (``sa``: semantic adherence, ``pc``: physical
commonsense, both 0/1); ``pc`` becomes ``{"plausible": pc}``. Its ``videopath`` values are
URLs: point ``video_root`` at the folder the videos were downloaded to and each URL is looked
up there by file name.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from urllib.parse import unquote, urlparse

from judge.labels import PLAUSIBLE
from judge.sources._common import SourceError, SourceRows, finish, make_row

CAPTION_COLUMN = "caption"


def _parse_label(text: str) -> int | None:
    try:
        value = float(text.strip())
    except (AttributeError, ValueError):
        return None
    return int(value) if value in (0.0, 1.0) else None


def _local_path(value: str, csv_path: Path, video_root: Path | None) -> Path:
    url = urlparse(value)
    if url.scheme in ("http", "https", "gs", "s3", "ftp"):
        name = Path(unquote(url.path)).name
        return (video_root or csv_path.parent) / name
    p = Path(value).expanduser()
    return p if p.is_absolute() else (video_root or csv_path.parent) / p


def from_csv(
    csv_path: str | os.PathLike[str],
    out_manifest: str | os.PathLike[str],
    video_root: str | os.PathLike[str] | None = None,
    path_col: str = "videopath",
    label_col: str = "pc",
    positive_means_plausible: bool = True,
    *,
    group_col: str | None = None,
    skip_missing: bool = False,
    source: str | None = None,
    probe: bool = False,
) -> SourceRows:
    """Rows for every line of ``csv_path``.

    Args:
        csv_path: CSV with a header line.
        out_manifest: the manifest these rows are for; paths are written relative to its folder.
        video_root: folder that relative paths (and URL file names) are looked up in; default
            the CSV's folder.
        path_col, label_col: the columns holding the video path and its 0/1 label.
        positive_means_plausible: label 1 means plausible (VideoPhy ``pc``); ``False`` when 1
            means "has an artifact".
        group_col: column whose value becomes ``group`` (e.g. ``caption``: videos of the same
            prompt then never straddle splits).
        skip_missing: leave out rows whose video file does not exist instead of failing; they
            are listed in the result's ``skipped`` as ``(line, reason)``.
        source: the rows' ``source`` (default ``"csv/<csv file stem>"``).
        probe: fill ``fps``, ``num_frames``, ``width``, ``height`` from the files (PyAV).

    Returns:
        The rows (a list), with ``.skipped``. A ``caption`` column is kept as ``"caption"``.

    Raises:
        SourceError: the CSV is missing or empty, lacks a column, or has bad rows (missing
            file, label not 0/1, empty path, duplicate video); every problem is listed at once
            with its CSV line number.
    """
    csv_path = Path(csv_path)
    root = Path(video_root).expanduser() if video_root is not None else None
    if not csv_path.is_file():
        raise SourceError(csv_path, "CSV file not found")
    if root is not None and not root.is_dir():
        raise SourceError(root, "video_root folder not found")
    source = source or f"csv/{csv_path.stem}"

    rows, files, errors, skipped = [], [], [], []
    seen: dict[Path, int] = {}
    with open(csv_path, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        header = reader.fieldnames
        if not header:
            raise SourceError(csv_path, "empty CSV (no header line)")
        wanted = [path_col, label_col] + ([group_col] if group_col else [])
        missing = [c for c in wanted if c not in header]
        if missing:
            cols = ", ".join(map(repr, missing))
            have = ", ".join(map(repr, header))
            raise SourceError(csv_path, [(1, f"missing column(s) {cols}; header has {have}")])
        line = reader.line_num  # a record may span lines; report the line it starts on
        for record in reader:
            start, line = line + 1, reader.line_num
            value = (record.get(path_col) or "").strip()
            label = _parse_label(record.get(label_col) or "")
            problems = []
            if not value:
                problems.append(f"empty {path_col!r}")
            if label is None:
                problems.append(f"{label_col!r} must be 0 or 1, got {record.get(label_col)!r}")
            file = _local_path(value, csv_path, root) if value else None
            if file is not None and not file.is_file():
                if skip_missing and not problems:
                    skipped.append((start, f"video not found: {file}"))
                    continue
                problems.append(f"video not found: {file}")
            if file is not None and file in seen:
                problems.append(f"same video as line {seen[file]}: {file}")
            if problems:
                errors += [(start, p) for p in problems]
                continue
            seen[file] = start
            plausible = label if positive_means_plausible else 1 - label
            caption = record.get(CAPTION_COLUMN)
            group = (record.get(group_col) or "").strip() if group_col else None
            labels = {PLAUSIBLE: plausible}
            rows.append(
                make_row(file, out_manifest, labels, source, group=group, caption=caption or None)
            )
            files.append(file)
    if errors:
        raise SourceError(csv_path, errors)
    return finish(rows, files, csv_path, probe=probe, skipped=skipped)
