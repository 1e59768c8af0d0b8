"""Score files on disk: JSONL or CSV, one video a line, flushed per record, resumable.

Each record is written and flushed as soon as its video is scored, so a killed run loses only
the videos in flight. On resume (`open_scores(..., resume=True)`) a torn last line (a kill in
the middle of a write) is cut off, the paths already present are read, and new records are
appended. CSV writes one record per physical line (newlines in error messages become spaces),
so the same cut works for it. What a line holds (the record's keys, in order, and its CSV
columns) is `record.py`'s: the owner of the score-record format.
"""

from __future__ import annotations

import csv
import io
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from judge.inference.record import csv_columns, csv_row, dumps_record
from judge.io.jsonl import read_jsonl

FORMATS = ("jsonl", "csv")


def infer_format(out: str, fmt: str | None) -> str:
    """`fmt` if given, else from `out`'s extension (.csv -> csv, anything else -> jsonl)."""
    if fmt:
        if fmt not in FORMATS:
            raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")
        return fmt
    return "csv" if str(out).lower().endswith(".csv") else "jsonl"


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
    """Paths already recorded in a score file (any status); a line that is not a record is an
    error (`JsonlError`, naming it): resuming into a file we cannot read would lose it."""
    if fmt == "csv":
        with open(path, encoding="utf-8", newline="") as f:
            return {row["path"] for row in csv.DictReader(f) if row.get("path")}
    records = read_jsonl(path, check=_no_path)
    return {r["path"] for r in records}


def _no_path(value) -> str | None:
    ok = isinstance(value, dict) and "path" in value
    return None if ok else "not a score record; cannot resume"


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
            self.stream.write(dumps_record(record))
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
