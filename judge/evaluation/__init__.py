"""Evaluating a judge on a labelled manifest: scores, a baseline and the metrics.

- `evaluate`: `measure_manifest`, which scores a manifest's clips with a judge (and the
  baseline) and computes every metric, overall and per source family;
- `clip_metrics`: `Truth`, `Predictions`, the clip-level metrics and per-source tables' figures;
- `scoring`: a judge's records for a manifest's rows, the baseline's predictions;
- `baseline`: the training-free frame-difference baseline judge;
- `reranking`: best-of-N figures on a manifest's groups;
- `label_breakdown`: a weak label's AUROC broken down by how its positive clips were made.

Rendering (tables, plots, contact sheets, the HTML page) is `judge.report`, which builds on
this package; `judge-eval` is `judge.cli.eval`.
"""
