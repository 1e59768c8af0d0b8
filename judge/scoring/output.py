"""Score files: JSONL or CSV, one video a line, flushed per record, resumable.

Each record is written and flushed as soon as its video is scored, so a killed run loses only
the videos in flight. On resume (`open_scores(..., resume=True)`) a torn last line (a kill in
the middle of a write) is cut off, the paths already present are read, and new records are
appended. CSV writes one record per physical line (newlines in error messages become spaces),
so the same cut works for it.

CSV columns: `CSV_BASE` (the record's keys, `aggregate.RECORD_KEYS`, but those holding a dict
per label and `shots`, which follows from `cuts` and `num_frames`), then `score_<label>`,
`onset_<label>`, `logit_<label>` per label and `logit_plausible`; `decoder` is "name version",
`cuts` the cut frames separated by spaces, booleans (`flagged`, `out_of_domain`) `true`/`false`,
and a null an empty cell.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from judge.scoring.aggregate import RECORD_KEYS

FORMATS = ("jsonl", "csv")
# Record keys with no one-cell form: per-label dicts (flattened below) and `shots`.
_NOT_IN_CSV = ("scores", "onsets", "logits", "onset_frames", "shots")
CSV_BASE = tuple(k for k in RECORD_KEYS if k not in _NOT_IN_CSV)


def infer_format(out: str, fmt: str | None) -> str:
    """`fmt` if given, else from `out`'s extension (.csv -> csv, anything else -> jsonl)."""
    if fmt:
        if fmt not in FORMATS:
            raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")
        return fmt
    return "csv" if str(out).lower().endswith(".csv") else "jsonl"


def csv_columns(labels: Sequence[str]) -> list[str]:
    cols = list(CSV_BASE)
    for prefix in ("score", "onset", "logit"):
        cols += [f"{prefix}_{name}" for name in labels]
    return [*cols, "logit_plausible"]


def csv_row(record: dict, labels: Sequence[str]) -> dict:
    """A score record flattened to `csv_columns(labels)`; missing values are empty cells."""
    dec = record.get("decoder") or {}
    row = {k: record.get(k) for k in CSV_BASE}
    row["error"] = " ".join(str(record["error"]).split()) if record.get("error") else None
    row["decoder"] = f"{dec.get('name', '')} {dec.get('version', '')}".strip() or None
    cuts = record.get("cuts")
    row["cuts"] = None if cuts is None else " ".join(str(int(c)) for c in cuts)
    for key in ("flagged", "out_of_domain"):
        if isinstance(row.get(key), bool):
            row[key] = "true" if row[key] else "false"
    for name in labels:
        row[f"score_{name}"] = (record.get("scores") or {}).get(name)
        row[f"onset_{name}"] = (record.get("onsets") or {}).get(name)
        row[f"logit_{name}"] = (record.get("logits") or {}).get(name)
    row["logit_plausible"] = (record.get("logits") or {}).get("plausible")
    return {k: "" if v is None else v for k, v in row.items()}


def cut_torn_tail(path: Path) -> int:
    """Truncate `path` after its last newline; returns the bytes removed (a torn record)."""
    size = path.stat().st_size
    if size == 0:
        return 0
    with open(path, "rb+") as f:
        pos = size
        while pos > 0:
            start = max(0, pos - 65536)
            f.seek(start)
            block = f.read(pos - start)
            nl = block.rfind(b"\n")
            if nl >= 0:
                keep = start + nl + 1
                break
            pos = start
        else:
            keep = 0
        if keep < size:
            f.truncate(keep)
        return size - keep


def done_paths(path: Path, fmt: str) -> set[str]:
    """Paths already recorded in a score file (any status)."""
    done: set[str] = set()
    with open(path, encoding="utf-8", newline="") as f:
        if fmt == "csv":
            for row in csv.DictReader(f):
                if row.get("path"):
                    done.add(row["path"])
            return done
        for line_no, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                done.add(json.loads(line)["path"])
            except (json.JSONDecodeError, KeyError, TypeError):
                raise ValueError(f"{path}:{line_no}: not a score record; cannot resume") from None
    return done


class ScoreWriter:
    """Appends records to an open text stream in one format, flushing after each."""

    def __init__(self, stream: TextIO, fmt: str, labels: Sequence[str], header: bool):
        self.stream, self.fmt, self.labels = stream, fmt, list(labels)
        self._csv = None
        if fmt == "csv":
            self._csv = csv.DictWriter(stream, fieldnames=csv_columns(labels), lineterminator="\n")
            if header:
                self._csv.writeheader()
                stream.flush()

    def write(self, record: dict) -> None:
        if self._csv is not None:
            self._csv.writerow(csv_row(record, self.labels))
        else:
            self.stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.stream is not sys.stdout:
            self.stream.close()


def open_scores(
    out: str | os.PathLike[str],
    fmt: str,
    labels: Sequence[str],
    resume: bool = False,
    overwrite: bool = False,
) -> tuple[ScoreWriter, set[str]]:
    """Open a score file for writing; returns the writer and the paths to skip.

    "-" writes to stdout. An existing file is an error unless `resume` (append, skipping its
    paths) or `overwrite` (start afresh).
    """
    if str(out) == "-":
        return ScoreWriter(sys.stdout, fmt, labels, header=True), set()
    path = Path(out)
    exists = path.exists() and path.stat().st_size > 0
    if exists and not (resume or overwrite):
        raise FileExistsError(f"{path} exists: pass --resume to continue it or --overwrite")
    done: set[str] = set()
    if exists and resume:
        cut_torn_tail(path)
        if fmt == "csv":
            _check_header(path, labels)
        done = done_paths(path, fmt)
    path.parent.mkdir(parents=True, exist_ok=True)
    append = resume and exists
    # Held open for the whole run and closed by ScoreWriter.close.
    stream = open(path, "a" if append else "w", encoding="utf-8", newline="")  # noqa: SIM115
    header = not (append and path.stat().st_size > 0)
    return ScoreWriter(stream, fmt, labels, header=header), done


def _check_header(path: Path, labels: Sequence[str]) -> None:
    with open(path, encoding="utf-8", newline="") as f:
        first = f.readline()
    if not first:
        return
    found = next(csv.reader(io.StringIO(first)))
    if found != csv_columns(labels):
        raise ValueError(f"{path}: its CSV columns are not this judge's; cannot resume into it")
