"""Score a labelled manifest with a judge (and the baseline) and compute every metric.

    from judge import Judge
    from judge.evaluation.evaluate import measure_manifest
    m = measure_manifest(Judge.load("judge/"), "test/manifest.jsonl", "eval/")
    m["columns"]["judge"]["auroc"]

Writes only ``out_dir/scores.jsonl`` (the judge's records, row order); the tables, plots,
contact sheets and ``report.html`` are `judge.report.build.evaluate_manifest`'s.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from judge.evaluation.baseline import score_manifest
from judge.evaluation.clip_metrics import Predictions, Truth, compute_metrics, source_metrics
from judge.evaluation.reranking import best_of_n
from judge.evaluation.scoring import BASELINE, JUDGE, baseline_predictions, judge_records
from judge.inference.record import write_scores
from judge.io.manifest import read_manifest, resolve_path


def measure_manifest(
    judge,
    manifest: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    split: str | None = None,
    baseline: bool = True,
    batch_size: int = 16,
    num_workers: int = 2,
    log: Callable[[str], None] = print,
) -> dict:
    """Score and measure (module docstring).

    Args:
        judge: a loaded ``judge.Judge``; its thresholds are the ones measured.
        manifest: labelled manifest; ``split``: only its rows of this split (None: all rows).
        baseline: also score the frame-difference baseline on the same clips.
        log: where progress lines go.

    Returns:
        ``{"columns": {system: metrics}, "sources": {system: {family: metrics}},
        "files": {"scores": Path}, "truth": Truth, "predictions": {system: Predictions},
        "clips": [the rows' video paths]}``.

    Raises:
        ManifestError: the manifest is invalid; ValueError: no row in ``split``.
    """
    out = Path(out_dir)
    rows = read_manifest(manifest)
    if split is not None:
        rows = [r for r in rows if r.get("split") == split]
    if not rows:
        raise ValueError(f"{manifest}: no rows" + (f" in split {split!r}" if split else ""))
    labels = list(judge.labels)
    truth = Truth.from_rows(rows, labels)
    files = [str(resolve_path(manifest, r["path"])) for r in rows]

    log(f"scoring {len(rows)} clips with {judge.name}")
    step = max(1, len(rows) // 10)

    def progress(done: int, total: int) -> None:
        if done % step == 0 or done == total:
            log(f"  judge: {done}/{total} clips")

    records = judge_records(
        judge, manifest, rows, batch_size=batch_size, num_workers=num_workers, progress=progress
    )
    _log_failures(records, files, log)
    scores_path = out / "scores.jsonl"
    write_scores(scores_path, [r for r in records if r])
    systems = {JUDGE: Predictions.from_records(records, labels, judge.thresholds)}
    if baseline:
        log(f"scoring {len(rows)} clips with the {BASELINE}")
        systems[BASELINE] = baseline_predictions(score_manifest(manifest, rows=rows), labels)
    columns = {name: compute_metrics(truth, p) | best_of_n(truth, p) for name, p in systems.items()}
    sources = {name: source_metrics(truth, p) for name, p in systems.items()}
    return {
        "columns": columns,
        "sources": sources,
        "files": {"scores": scores_path},
        "truth": truth,
        "predictions": systems,
        "clips": files,
    }


def _log_failures(records: list[dict | None], files: list[str], log: Callable[[str], None]):
    """Name the clips left out of the metrics, so a broken test set is not a quiet one."""
    failed = [(f, (r or {}).get("error") or "no score record")
              for f, r in zip(files, records, strict=True)
              if not r or r.get("status") != "ok"]  # fmt: skip
    if not failed:
        return
    log(f"  {len(failed)} of {len(files)} clips could not be scored and are left out:")
    for f, reason in failed[:5]:
        log(f"    {f}: {reason}")
    if len(failed) > 5:
        log(f"    ... and {len(failed) - 5} more (their errors are in scores.jsonl)")
