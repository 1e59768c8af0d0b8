"""The score record: its keys, how one is built and checked, and score files as JSONL or CSV.

The format is documented in docs/formats.md ("Score record"); this module is its owner. The
values are computed in ``aggregate.py`` (``VideoScore.record``, ``error_record``) and streamed
to disk by ``output.py`` (resumable ``judge-score`` output), both through this module, and every
reader of score files (``judge-rerank``, ``judge-calibrate``, evaluation) reads them here.

- ``RECORD_KEYS``: every record's keys, in this order; ``OPTIONAL_KEYS`` may follow
  (``frame_scores``, when asked for). ``make_record`` builds a record in that order and refuses
  a missing or unknown key, and ``dumps_record`` writes only such records.
- JSONL: one record a line (``judge.io.jsonl``'s rule; a torn last line, a killed writer's, is
  skipped with a warning).
- CSV: ``csv_columns(labels)``: ``CSV_BASE`` (the record's keys but the per-label dicts and
  ``shots``, which follows from ``cuts`` and ``num_frames``), then ``score_<label>``,
  ``onset_<label>``, ``logit_<label>`` per label and ``logit_plausible``; ``decoder`` is
  "name version", ``cuts`` the cut frames separated by spaces, booleans (``flagged``,
  ``out_of_domain``) ``true``/``false``, a null an empty cell. Reading a CSV back gives the
  fields the readers use (``path``, ``status``, ``error``, ``plausibility``, ``scores``,
  ``onsets``, ``logits``, ``flagged``, ``ood_distance``, ``out_of_domain``).
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Sequence
from pathlib import Path

from judge.io.atomic import atomic_write_text
from judge.io.jsonl import read_jsonl
from judge.labels import PLAUSIBLE

RECORD_KEYS = (
    "path", "status", "error", "plausibility", "scores", "onsets", "windows", "model", "decoder",
    "logits", "num_frames", "fps", "onset_frames", "flagged", "shots", "cuts", "ood_distance",
    "out_of_domain",
)  # fmt: skip
OPTIONAL_KEYS = ("frame_scores",)
# Record keys with no one-cell form: per-label dicts (flattened below) and `shots`.
_NOT_IN_CSV = ("scores", "onsets", "logits", "onset_frames", "shots")
CSV_BASE = tuple(k for k in RECORD_KEYS if k not in _NOT_IN_CSV)
_PER_LABEL = {"score": "scores", "onset": "onsets", "logit": "logits"}


def make_record(**fields) -> dict:
    """A record from its fields, keys in ``RECORD_KEYS`` order, then any ``OPTIONAL_KEYS``.

    Raises:
        ValueError: a key of ``RECORD_KEYS`` is missing, or a key is neither required nor
            optional (the schema of docs/formats.md would silently drift otherwise).
    """
    missing = [k for k in RECORD_KEYS if k not in fields]
    unknown = [k for k in fields if k not in RECORD_KEYS and k not in OPTIONAL_KEYS]
    if missing or unknown:
        raise ValueError(f"not a score record: missing {missing}, unknown {unknown}")
    return {k: fields[k] for k in (*RECORD_KEYS, *OPTIONAL_KEYS) if k in fields}


def dumps_record(record: dict) -> str:
    """One record as its JSONL line (newline included), keys in schema order."""
    return json.dumps(make_record(**record), ensure_ascii=False) + "\n"


def write_scores(path: str | os.PathLike[str], records: Sequence[dict]) -> Path:
    """A whole JSONL score file at once, atomically (``output.py`` streams ``judge-score``'s)."""
    return atomic_write_text(path, "".join(dumps_record(r) for r in records))


def csv_columns(labels: Sequence[str]) -> list[str]:
    """The CSV header for a judge with these artifact labels (module docstring)."""
    cols = list(CSV_BASE)
    for prefix in _PER_LABEL:
        cols += [f"{prefix}_{name}" for name in labels]
    return [*cols, f"logit_{PLAUSIBLE}"]


def csv_row(record: dict, labels: Sequence[str]) -> dict:
    """A score record flattened to ``csv_columns(labels)``; missing values are empty cells."""
    dec = record.get("decoder") or {}
    row = {k: record.get(k) for k in CSV_BASE}
    # One record a physical line, so a torn tail can be cut as in JSONL.
    row["error"] = " ".join(str(record["error"]).split()) if record.get("error") else None
    row["decoder"] = f"{dec.get('name', '')} {dec.get('version', '')}".strip() or None
    cuts = record.get("cuts")
    row["cuts"] = None if cuts is None else " ".join(str(int(c)) for c in cuts)
    for key in ("flagged", "out_of_domain"):
        if isinstance(row.get(key), bool):
            row[key] = "true" if row[key] else "false"
    for name in labels:
        for prefix, key in _PER_LABEL.items():
            row[f"{prefix}_{name}"] = (record.get(key) or {}).get(name)
    row[f"logit_{PLAUSIBLE}"] = (record.get("logits") or {}).get(PLAUSIBLE)
    return {k: "" if v is None else v for k, v in row.items()}


def _number(text: str | None) -> float | None:
    return float(text) if text not in ("", None) else None


def _flag(text: str | None) -> bool | None:
    """A boolean cell ("true"/"false"; empty: null)."""
    text = (text or "").strip().lower()
    return None if not text else text in ("true", "1", "yes")


def record_from_csv(row: dict) -> dict:
    """The fields readers use (module docstring), from one ``csv.DictReader`` row."""
    rec = {
        "path": row["path"],
        "status": row.get("status") or "error",
        "error": row.get("error") or None,
        "plausibility": _number(row.get("plausibility", "")),
        "scores": {},
        "onsets": {},
        "logits": {},
        "flagged": _flag(row.get("flagged")),
        "ood_distance": _number(row.get("ood_distance", "")),
        "out_of_domain": _flag(row.get("out_of_domain")),
    }
    for column, value in row.items():
        prefix, _, label = (column or "").partition("_")
        if prefix in _PER_LABEL and label:
            rec[_PER_LABEL[prefix]][label] = _number(value)
    if rec["status"] == "ok":
        rec["scores"][PLAUSIBLE] = rec["plausibility"]
    return rec


def read_csv_records(text: str) -> list[dict]:
    """Records from the text of a ``judge-score --format csv`` file (rows without a path are
    skipped)."""
    return [record_from_csv(row) for row in csv.DictReader(text.splitlines()) if row.get("path")]


def _no_path(value) -> str | None:
    if isinstance(value, dict) and isinstance(value.get("path"), str):
        return None
    return "not a score record (no 'path')"


def read_scores(path: str | os.PathLike[str]) -> list[dict]:
    """Score records from a ``judge-score`` file, JSONL or CSV (by extension).

    A torn last line (the file of a killed ``judge-score`` run, before ``--resume`` cut it) is
    skipped with a warning; any other bad line is a ``JsonlError`` naming every such line.
    Records repeated for one path keep the last one.
    """
    path = Path(path)
    if path.suffix.lower() == ".csv":
        with open(path, encoding="utf-8", newline="") as f:
            records = read_csv_records(f.read())
    else:
        records = read_jsonl(path, check=_no_path, torn_tail=True)
    unique = {r["path"]: r for r in records}
    return list(unique.values())
