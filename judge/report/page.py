"""The evaluation report's HTML page: what it says, in which order (``html.py`` draws it)."""

from __future__ import annotations

import os
from pathlib import Path

from judge.evaluation.scoring import JUDGE
from judge.report.html import Figure, Section, Table, write_html_report
from judge.report.sheets_select import Sheet
from judge.report.tables import fmt, label_table, source_table, summary_table

PLOT_CAPTIONS = {
    "roc": "ROC per label: judge against the frame-difference baseline",
    "pr": "Precision-recall per label (dashed: the label's base rate)",
    "reliability": "Reliability of the judge's plausibility (ECE in the title)",
    "onset_errors": "Onset error on artifact clips: predicted minus true frame",
    "score_distributions": "P(artifact) of clean against artifact clips",
}
SOURCES_TEXT = (
    "The same figures on each source family's clips (the part of the manifest row's source "
    "before the first '/'; rows without one are 'unknown'), at the stored thresholds. "
    "A figure a family cannot have, such as the AUROC of a label with no positive clip, is '-'."
)


def headline(columns: dict[str, dict[str, float]]) -> str:
    """One paragraph of the figures people ask for first."""
    j = columns.get(JUDGE, {})
    text = (
        f"{int(j.get('clips', 0))} clips ({int(j.get('errors', 0))} unreadable). "
        f"Judge macro AUROC {fmt(j.get('auroc'))}, any-artifact AUROC "
        f"{fmt(j.get('plausible/auroc'))}, ECE {fmt(j.get('ece'))}, onset within one frame "
        f"{fmt(j.get('onset_acc'))}."
    )
    if j.get("rerank/groups"):
        text += (
            f" Best-of-N over {int(j['rerank/groups'])} groups: the judge's pick is clean in "
            f"{fmt(j.get('rerank/best_of_n_clean'))} of them, a random pick in "
            f"{fmt(j.get('rerank/random_clean'))}."
        )
    return text


def write_report_page(
    path: str | os.PathLike[str],
    manifest: str | os.PathLike[str],
    judge_name: str,
    columns: dict[str, dict[str, float]],
    labels: list[str],
    figures: dict[str, Path],
    sheets: list[Sheet],
    sources: dict[str, dict[str, dict[str, float]]] | None = None,
) -> Path:
    """Write ``report.html``: summary tables, per-source tables (``sources``: system -> family
    -> metrics), plots, worst mistakes, reranked groups."""
    sections = [
        Section(
            "Summary",
            text=headline(columns),
            tables=[
                Table(*summary_table(columns), caption="Headline figures"),
                Table(*label_table(columns, labels), caption="Per label, at stored thresholds"),
            ],
        ),
    ]
    if sources:
        tables = [
            Table(*source_table(families, labels), caption=f"{system}, per source family")
            for system, families in sources.items()
        ]
        sections.append(Section("Per source", text=SOURCES_TEXT, tables=tables))
    sections += [
        Section(
            "Plots",
            figures=[Figure(figures[k], PLOT_CAPTIONS.get(k, k)) for k in figures],
        ),
    ]
    kinds = (
        ("Worst false positives", "false positive",
         "Clean clips the judge scores most likely to hold an artifact. Frames around the "
         "predicted onset (red); below, the per-frame onset score."),
        ("Worst false negatives", "false negative",
         "Artifact clips the judge scores least likely to hold one. Green: the true onset."),
        ("Reranked groups", "group",
         "All candidates of a group in the judge's rank order; red captions are flagged."),
    )  # fmt: skip
    for title, kind, text in kinds:
        shown = [s for s in sheets if s.kind == kind]
        if shown:
            figs = [Figure(s.path, s.caption) for s in shown]
            sections.append(Section(title, text=text, figures=figs))
    return write_html_report(
        path,
        "physics-judge evaluation",
        sections,
        subtitle=f"{judge_name} on {manifest}",
    )
