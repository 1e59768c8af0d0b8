"""Score a labelled manifest with the judge and the frame-difference baseline, row-aligned.

rows = read_manifest("test/manifest.jsonl")
records = judge_records(judge, "test/manifest.jsonl", rows)    # one record (or None) a row
pred = Predictions.from_records(records, judge.labels, judge.thresholds)
base = baseline_predictions(score_manifest("test/manifest.jsonl"), judge.labels)
"""

from __future__ import annotations

import os

import numpy as np

from judge.evaluation.clip_metrics import Predictions
from judge.io.manifest import resolve_path
from judge.io.pathkey import path_key

# Column names of the two systems in metrics.json, the tables and the W&B keys.
JUDGE = "judge"
BASELINE = "frame-difference baseline"


def judge_records(
    judge,
    manifest: str | os.PathLike[str],
    rows: list[dict],
    *,
    batch_size: int = 16,
    num_workers: int = 2,
    progress=None,
) -> list[dict | None]:
    """Score every row's clip with ``judge.score(..., frame_scores=True)``.

    Returns:
        one score record per row, in row order (error records for unreadable clips); the
        record's ``path`` is the resolved file path, matched to rows by ``path_key`` (symlinks
        resolved, as calibration matches). ``progress(done, total)`` is called after each clip
        when given.
    """
    paths = [str(resolve_path(manifest, r["path"])) for r in rows]
    index: dict[str, list[int]] = {}
    for i, p in enumerate(paths):
        index.setdefault(path_key(p), []).append(i)
    out: list[dict | None] = [None] * len(rows)
    records = judge.score(
        list(dict.fromkeys(paths)),
        batch_size=batch_size,
        num_workers=num_workers,
        frame_scores=True,
    )
    done = 0
    for rec in records:
        for i in index.get(path_key(rec["path"]), []):
            out[i] = rec
            done += 1
        if progress is not None:
            progress(done, len(rows))
    return out


def baseline_predictions(results: list[dict], labels: list[str]) -> Predictions:
    """``Predictions`` of the label-agnostic baseline (``baseline.score_manifest`` output, one
    per row): its one jump score stands for every label and for "any artifact", its jump frame
    for every label's onset; thresholds stay at 0.5."""
    n, num = len(results), len(labels)
    ok = np.array([r["status"] == "ok" for r in results], bool)
    score = np.array([r["score"] if r["status"] == "ok" else np.nan for r in results], float)
    onset = np.array([r["onset"] if r["status"] == "ok" else -1 for r in results], np.int64)
    return Predictions(
        ok=ok,
        scores=np.repeat(score[:, None], num, axis=1),
        artifact=score,
        onset=np.repeat(onset[:, None], num, axis=1),
        thresholds={},
        curves=[None] * n,
    )
