"""`judge.json`, the description half of an exported judge folder: its one reader and writer.

The keys are documented in docs/formats.md ("Exported judge"): format, labels, model (the
`build_model` config), input {num_frames, stride, fps, size, mean, std}, temperatures and
thresholds {label: value} (1.0 and 0.5 when absent), decoder {name, version}, domain (the
validation windows' feature statistics, `judge.training.domain`; null for a judge trained
without them), provenance {judge_version, exported_by, source, sha256, wandb_id, exported_at},
and any other key a source carried (e.g. judge-calibrate's "calibration").

`export.py` writes a new folder with `write_judge_json`, `judge-calibrate --in-place` merges a
fit into an existing one with `update_judge_json`, and `loading.py` reads it with
`read_judge_json`. Every write is atomic and byte-deterministic for the same content: sorted
keys, two-space indent, no NaN (JSON has none).
"""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Mapping
from pathlib import Path

import judge
from judge.io.atomic import atomic_write_text

JUDGE_JSON = "judge.json"
# The keys `judge_json_content` normalises; any other key of a description passes through.
_KNOWN = ("format", "labels", "model", "input", "temperatures", "thresholds", "decoder", "domain")


def judge_json_content(desc: Mapping) -> dict:
    """The `judge.json` content for a loaded description (module docstring): known keys
    normalised, ``provenance.exported_at`` stamped now (UTC), other keys kept."""
    provenance = dict(desc.get("provenance") or {})
    provenance.setdefault("exported_by", judge.__version__)
    provenance["exported_at"] = datetime.datetime.now(datetime.timezone.utc).isoformat(
        timespec="seconds"
    )
    # Keys this module does not know (e.g. judge-calibrate's "calibration" report) are kept, so
    # re-exporting a calibrated folder loses nothing.
    extra = {k: v for k, v in desc.items() if k not in (*_KNOWN, "provenance")}
    return {
        **extra,
        "format": desc.get("format", 1),
        "labels": list(desc["labels"]),
        "model": dict(desc["model"]),
        "input": dict(desc["input"]),
        "temperatures": {k: float(v) for k, v in (desc.get("temperatures") or {}).items()},
        "thresholds": {k: float(v) for k, v in (desc.get("thresholds") or {}).items()},
        "decoder": dict(desc.get("decoder") or {}),
        "domain": dict(desc["domain"]) if desc.get("domain") else None,
        "provenance": provenance,
    }


def read_judge_json(path: str | os.PathLike[str]) -> dict:
    """The parsed `judge.json` at ``path`` (a file, or a folder holding one); raises
    ``json.JSONDecodeError`` / ``UnicodeDecodeError`` / ``OSError`` as they come (``loading.py``
    turns them into a ``JudgeLoadError``)."""
    path = Path(path)
    if path.is_dir():
        path = path / JUDGE_JSON
    return json.loads(path.read_text(encoding="utf-8"))


def write_judge_json(path: str | os.PathLike[str], content: Mapping) -> Path:
    """Write ``content`` to ``path`` atomically (sorted keys, indent 2, newline at the end)."""
    text = json.dumps(content, indent=2, sort_keys=True, allow_nan=False) + "\n"
    return atomic_write_text(path, text)


def update_judge_json(
    path: str | os.PathLike[str], result: Mapping, fit: str | None = None
) -> Path:
    """Merge a calibration ``result`` ``{"temperatures", "thresholds", "calibration"}`` into the
    `judge.json` at ``path`` (other keys untouched), atomically. ``fit``, when given, becomes
    the judge's ``input.fit``: the way it reads frames, the one its thresholds were fitted with."""
    content = read_judge_json(path)
    content["temperatures"] = {**(content.get("temperatures") or {}), **result["temperatures"]}
    content["thresholds"] = {**(content.get("thresholds") or {}), **result["thresholds"]}
    content["calibration"] = result["calibration"]
    if fit is not None:
        content["input"] = {**(content.get("input") or {}), "fit": fit}
    return write_judge_json(path, content)
