"""Clip manifests: JSONL, one clip a line (format in docs/formats.md).

Rows stay plain dicts so that new optional keys pass through untouched; unknown top-level keys
are allowed for the same reason. Reading validates every line and reports all bad rows at
once, with line numbers, because a dataset is usually fixed in one pass over the whole list.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable
from pathlib import Path

from judge.io.atomic import atomic_write_text
from judge.io.jsonl import iter_lines
from judge.labels import ARTIFACT_LABELS, PLAUSIBLE

SPLITS = ("train", "val", "test")
_MAX_LISTED = 50


class ManifestError(Exception):
    """One or more manifest rows are invalid.

    Attributes:
        path: the manifest file.
        errors: every problem as ``(line_number, reason)``, 1-based, in file order.
    """

    def __init__(self, path: str | os.PathLike[str], errors: list[tuple[int, str]]):
        self.path = Path(path)
        self.errors = list(errors)
        bad_rows = len({line for line, _ in self.errors})
        lines = [f"  line {line}: {reason}" for line, reason in self.errors[:_MAX_LISTED]]
        if len(self.errors) > _MAX_LISTED:
            lines.append(f"  ... and {len(self.errors) - _MAX_LISTED} more problems")
        head = f"{self.path}: {bad_rows} bad row(s), {len(self.errors)} problem(s)"
        super().__init__("\n".join([head, *lines]))


def _is_int(x: object) -> bool:
    # JSON true/false arrive as bool, which is an int subclass; they are not valid counts.
    return isinstance(x, int) and not isinstance(x, bool)


def _is_number(x: object) -> bool:
    return (_is_int(x) or isinstance(x, float)) and math.isfinite(x)


def _check_event(i: int, ev: object, row: dict, known: set[str]) -> list[str]:
    where = f"events[{i}]"
    if not isinstance(ev, dict):
        return [f"{where} must be an object, got {type(ev).__name__}"]
    errs = []
    etype = ev.get("type")
    if etype not in known:
        errs.append(f"{where}.type {etype!r} is not an artifact label")
    frame = ev.get("frame")
    if not (_is_int(frame) and frame >= 0):
        errs.append(f"{where}.frame must be an int >= 0, got {frame!r}")
        frame = None
    end = ev.get("end")
    if end is not None and not (_is_int(end) and (frame is None or end >= frame)):
        errs.append(f"{where}.end must be null or an int >= frame ({frame}), got {end!r}")
        end = None
    if "object" in ev and not _is_int(ev["object"]):
        errs.append(f"{where}.object must be an int, got {ev['object']!r}")
    if "bbox" in ev:
        bbox = ev["bbox"]
        if not (isinstance(bbox, list) and len(bbox) == 4 and all(map(_is_number, bbox))):
            errs.append(f"{where}.bbox must be a list of 4 numbers, got {bbox!r}")
    num_frames = row.get("num_frames")
    if _is_int(num_frames):
        for key, value in (("frame", frame), ("end", end)):
            if value is not None and value >= num_frames:
                errs.append(f"{where}.{key} {value} is past the clip (num_frames={num_frames})")
    labels = row.get("labels")
    if isinstance(labels, dict) and etype in known and labels.get(etype, 1) != 1:
        errs.append(f"{where} is a {etype!r} event but labels[{etype!r}] is {labels[etype]!r}")
    return errs


def _check_labels(labels: object, known: set[str]) -> list[str]:
    if not isinstance(labels, dict):
        return [f"labels must be an object of label -> 0/1, got {type(labels).__name__}"]
    errs = []
    for key, value in labels.items():
        if key not in known and key != PLAUSIBLE:
            errs.append(f"unknown label {key!r} (known: {', '.join(sorted(known))}, {PLAUSIBLE})")
        if not (_is_int(value) and value in (0, 1)):
            errs.append(f"labels[{key!r}] must be 0 or 1, got {value!r}")
    flagged = [k for k in known if labels.get(k) == 1]
    if labels.get(PLAUSIBLE) == 1 and flagged:
        errs.append(f"labels say plausible=1 and also {', '.join(sorted(flagged))}=1")
    return errs


def validate_row(row: dict, *, extra_labels: Iterable[str] = ()) -> list[str]:
    """Return every reason ``row`` is not a valid manifest row (empty list: valid).

    Args:
        row: one parsed manifest line.
        extra_labels: artifact kinds accepted besides ``ARTIFACT_LABELS`` (configured new kinds).
    """
    if not isinstance(row, dict):
        return [f"row must be a JSON object, got {type(row).__name__}"]
    known = set(ARTIFACT_LABELS) | set(extra_labels)
    errs = []

    path = row.get("path")
    if not (isinstance(path, str) and path):
        errs.append(f"path must be a non-empty string, got {path!r}")
    if "labels" not in row:
        errs.append("missing required key 'labels'")
    else:
        errs += _check_labels(row["labels"], known)

    for key in ("group", "source", "annotations"):
        if key in row and not isinstance(row[key], str):
            errs.append(f"{key} must be a string, got {row[key]!r}")
    if "fps" in row and not (_is_number(row["fps"]) and row["fps"] > 0):
        errs.append(f"fps must be a number > 0, got {row['fps']!r}")
    for key in ("num_frames", "width", "height"):
        if key in row and not (_is_int(row[key]) and row[key] > 0):
            errs.append(f"{key} must be an int > 0, got {row[key]!r}")
    if "split" in row and row["split"] not in SPLITS:
        errs.append(f"split must be one of {', '.join(SPLITS)}, got {row['split']!r}")
    if "tags" in row:
        tags = row["tags"]
        if not (isinstance(tags, list) and all(isinstance(t, str) for t in tags)):
            errs.append(f"tags must be a list of strings, got {tags!r}")

    if "events" in row:
        events = row["events"]
        if not isinstance(events, list):
            errs.append(f"events must be a list, got {type(events).__name__}")
        else:
            for i, ev in enumerate(events):
                errs += _check_event(i, ev, row, known)
            labels = row.get("labels")
            if events and isinstance(labels, dict) and labels.get(PLAUSIBLE) == 1:
                errs.append("labels say plausible=1 but the row has artifact events")
    return errs


def read_manifest(path: str | os.PathLike[str], *, extra_labels: Iterable[str] = ()) -> list[dict]:
    """Read and validate a JSONL manifest; returns its rows with paths as written.

    Blank lines are skipped. Use ``resolve_path`` to turn a row's ``path`` into a file path.

    Raises:
        ManifestError: listing every bad line (JSON syntax errors included), by line number.
    """
    extra = tuple(extra_labels)
    rows, errors = [], []
    for line in iter_lines(path):  # the package's one JSONL rule (judge/io/jsonl.py)
        if line.error is not None:
            errors.append((line.number, line.error))
            continue
        reasons = validate_row(line.value, extra_labels=extra)
        errors += [(line.number, r) for r in reasons]
        if not reasons:
            rows.append(line.value)
    if errors:
        raise ManifestError(path, errors)
    return rows


def resolve_path(manifest_path: str | os.PathLike[str], row_path: str) -> Path:
    """Return ``row_path`` if absolute, else it joined to the manifest's folder.

    The result is absolute (not symlink-resolved), so it stays valid after a ``chdir`` such as
    the one Hydra makes into its run folder.
    """
    p = Path(row_path).expanduser()
    if p.is_absolute():
        return p
    return Path(manifest_path).absolute().parent / p


def dumps_row(row: dict) -> str:
    """One row as its canonical manifest line (no newline): sorted keys, no spaces."""
    return json.dumps(
        row, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def write_manifest(
    path: str | os.PathLike[str], rows: Iterable[dict], *, extra_labels: Iterable[str] = ()
) -> Path:
    """Validate ``rows`` and write them as JSONL, atomically and byte-deterministically.

    Raises:
        ManifestError: some rows are invalid (line numbers are the lines they would occupy);
            nothing is written then.
    """
    rows = list(rows)
    extra = tuple(extra_labels)
    errors = [
        (i, r) for i, row in enumerate(rows, start=1) for r in validate_row(row, extra_labels=extra)
    ]
    if errors:
        raise ManifestError(path, errors)
    return atomic_write_text(path, "".join(dumps_row(row) + "\n" for row in rows))
