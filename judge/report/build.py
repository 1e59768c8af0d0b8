"""Evaluate a judge on a labelled manifest and write the whole report to one folder.

    from judge import Judge
    from judge.report.build import evaluate_manifest
    out = evaluate_manifest(Judge.load("judge/"), "test/manifest.jsonl", "eval/")
    out["columns"]["judge"]["auroc"], out["html"]

Writes into ``out_dir``: ``scores.jsonl`` (the judge's records, row order), ``metrics.json``
and ``metrics.md`` (judge and baseline side by side, overall and per source family),
``plots/*.png``, ``sheets/*.png`` (worst false positives and negatives, reranked groups) and
``report.html`` (everything in one file).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from judge.io.manifest import read_manifest, resolve_path
from judge.metrics import N_BINS
from judge.report import plots
from judge.report.baseline import score_manifest
from judge.report.clip_metrics import (
    Predictions,
    Truth,
    compute_metrics,
    onset_errors,
    source_metrics,
)
from judge.report.page import write_report_page
from judge.report.reranking import best_of_n
from judge.report.scoring import BASELINE, JUDGE, baseline_predictions, judge_records
from judge.report.sheets_select import group_sheets, worst_sheets
from judge.report.tables import write_metrics
from judge.scoring.record import write_scores


def evaluate_manifest(
    judge,
    manifest: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    split: str | None = None,
    baseline: bool = True,
    html: bool = True,
    worst: int = 4,
    groups: int = 3,
    batch_size: int = 16,
    num_workers: int = 2,
    log: Callable[[str], None] = print,
) -> dict:
    """Score, measure, plot and report (module docstring).

    Args:
        judge: a loaded ``judge.Judge``; its thresholds are the ones measured.
        manifest: labelled manifest; ``split``: only its rows of this split (None: all rows).
        baseline: also score the frame-difference baseline on the same clips.
        html: write the plots, contact sheets and ``report.html`` (else only the metrics).
        worst: contact sheets for this many worst false positives and false negatives.
        groups: contact sheets for this many reranked groups.
        log: where progress lines go.

    Returns:
        ``{"columns": {system: metrics}, "sources": {system: {family: metrics}},
        "files": {name: Path}, "html": Path | None, "sheets": [Sheet], "truth": Truth,
        "predictions": {system: Predictions}}``.

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
    metrics_json, metrics_md = write_metrics(
        out / "metrics.json", out / "metrics.md", columns, labels, sources
    )
    result = {
        "columns": columns,
        "sources": sources,
        "files": {"scores": scores_path, "metrics_json": metrics_json, "metrics_md": metrics_md},
        "html": None,
        "sheets": [],
        "truth": truth,
        "predictions": systems,
    }
    if html:
        log("plotting and drawing contact sheets")
        figures = write_plots(truth, systems, out / "plots")
        sheets = worst_sheets(truth, systems[JUDGE], files, out / "sheets", worst)
        sheets += group_sheets(truth, systems[JUDGE], files, out / "sheets", groups)
        result["files"] |= figures | {s.name: s.path for s in sheets}
        result["sheets"] = sheets
        result["html"] = write_report_page(
            out / "report.html", manifest, judge.name, columns, labels, figures, sheets, sources
        )
        log(f"report: {result['html']}")
    return result


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


def write_plots(truth: Truth, systems: dict[str, Predictions], folder: Path) -> dict[str, Path]:
    """ROC and PR per label, the judge's reliability diagram and the score distributions of
    clean against artifact clips, on the clips every system scored (so the curves compare like
    with like); onset errors on each system's own scored clips, as in its metrics."""
    ok = np.logical_and.reduce([p.ok for p in systems.values()])
    y = np.where(ok[:, None], truth.y, -1)
    known = ok & (truth.plausible >= 0)
    judge = systems[JUDGE]
    roc, pr = plots.plot_roc_pr(
        y,
        {name: p.scores for name, p in systems.items()},
        truth.labels,
        folder / "roc.png",
        folder / "pr.png",
    )
    reliability = plots.plot_reliability(
        truth.plausible[known].astype(np.int64),
        1.0 - judge.artifact[known],
        folder / "reliability.png",
        bins=N_BINS,  # the binning of the metrics' ``ece``, so the title shows the same figure
        title="judge plausibility",
    )
    onsets = plots.plot_onset_errors(
        {name: onset_errors(truth, p) for name, p in systems.items()}, folder / "onset_errors.png"
    )
    distributions = plots.plot_score_distributions(
        {name: p.artifact[known] for name, p in systems.items()},
        truth.plausible[known] == 0,
        folder / "score_distributions.png",
    )
    return {
        "roc": roc,
        "pr": pr,
        "reliability": reliability,
        "onset_errors": onsets,
        "score_distributions": distributions,
    }
