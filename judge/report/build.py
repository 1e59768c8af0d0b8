"""Evaluate a judge on a labelled manifest and write the whole report to one folder.

    from judge import Judge
    from judge.report.build import evaluate_manifest
    out = evaluate_manifest(Judge.load("judge/"), "test/manifest.jsonl", "eval/")
    out["columns"]["judge"]["auroc"], out["html"]

Writes into ``out_dir``: ``scores.jsonl`` (the judge's records, row order), ``metrics.json``
and ``metrics.md`` (judge and baseline side by side, overall and per source family),
``plots/*.png``, ``sheets/*.png`` (worst false positives and negatives, reranked groups) and
``report.html`` (everything in one file). The scoring and the metrics are
`judge.evaluation.evaluate.measure_manifest`'s; this module renders them. `evaluate(cfg)` is
the same run driven by a Hydra config (`configs/eval.yaml`; the command line is `judge-eval`,
`judge.cli.eval`), which also logs to W&B.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
from omegaconf import DictConfig

from judge.evaluation.clip_metrics import Predictions, Truth, onset_errors
from judge.evaluation.evaluate import measure_manifest
from judge.evaluation.scoring import JUDGE
from judge.metrics import N_BINS
from judge.report import plots
from judge.report.page import write_report_page
from judge.report.sheets_select import group_sheets, worst_sheets
from judge.report.tables import source_markdown, write_metrics
from judge.report.wandb_log import log_to_wandb

log = logging.getLogger("judge.eval")


def evaluate(cfg: DictConfig) -> dict[str, float]:
    """Run the evaluation of `cfg` (`configs/eval.yaml`); returns the judge's metrics
    (`clip_metrics` names). With `logger=wandb`, or when a W&B run is already active, the
    report is logged to it too. The judge's per-source table (figures per source family)
    ends the log, so a bench script's output shows it (`report.log_sources: false` leaves it
    out)."""
    import lightning as L
    from hydra.utils import instantiate

    from judge.inference.judge import Judge

    L.seed_everything(cfg.seed, workers=True)
    judge = Judge.load(cfg.ckpt_path, device=cfg.get("device"))
    # A logger config starts its run here, so that `log_to_wandb` finds it active.
    loggers = [instantiate(c) for c in (cfg.get("logger") or {}).values()]
    runs = [lg.experiment for lg in loggers if type(lg).__name__ == "WandbLogger"]
    report = cfg.report
    result = evaluate_manifest(
        judge,
        cfg.data.manifest,
        report.dir,
        split=cfg.data.get("split"),
        baseline=report.baseline,
        html=report.html,
        worst=report.worst,
        groups=report.groups,
        batch_size=cfg.data.batch_size,
        num_workers=cfg.data.num_workers,
        log=log.info,
    )
    for run in runs or [None]:
        log_to_wandb(result, run)
    log.info("metrics: %s", result["files"]["metrics_md"])
    if report.get("log_sources", True):
        table = source_markdown({JUDGE: result["sources"][JUDGE]}, list(judge.labels))
        for line in table.rstrip("\n").splitlines():
            log.info("%s", line)
    return result["columns"][JUDGE]


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
    measured = measure_manifest(
        judge,
        manifest,
        out,
        split=split,
        baseline=baseline,
        batch_size=batch_size,
        num_workers=num_workers,
        log=log,
    )
    files = measured.pop("clips")
    columns, sources, truth = measured["columns"], measured["sources"], measured["truth"]
    systems, labels = measured["predictions"], list(judge.labels)
    metrics_json, metrics_md = write_metrics(
        out / "metrics.json", out / "metrics.md", columns, labels, sources
    )
    result = {
        "columns": columns,
        "sources": sources,
        "files": measured["files"] | {"metrics_json": metrics_json, "metrics_md": metrics_md},
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
