"""Metrics tables (judge/report/tables.py): summary (metric x system) and per-label tables as
Markdown, and metrics.json."""

from __future__ import annotations

import json
import math
import os

import numpy as np

from judge.report.tables import (
    LABEL_METRICS,
    SUMMARY_ROWS,
    fmt,
    fpr_tags,
    label_table,
    markdown_table,
    metrics_markdown,
    summary_table,
    write_metrics,
)

BASELINE = "frame-difference baseline"
COLUMNS = {
    "judge": {
        "auroc": 0.91,
        "ap": None,
        "teleport/auroc": 0.95,
        "teleport/ap": 0.9,
        "teleport/f1": 0.5,
        "vanish/auroc": 0.87,
        "vanish/ap": float("nan"),
        "ece": 0.04,
        "onset_acc": 0.8,
        "intphys/relative_err": float("nan"),
        "fpr/exit_frame": 0.125,
        "fpr/exit_frame/n": 8.0,
        "fpr/untagged": 0.0,
        "fpr/untagged/n": 3.0,
    },
    BASELINE: {
        "auroc": np.float32(0.6),
        "teleport/auroc": np.float32(0.7),
        "onset_acc": np.int64(1),
        "fpr/bounce": 0.5,
        "fpr/bounce/n": 2.0,
        "ece": float("inf"),
    },
}
LABELS = ["teleport", "vanish"]


def test_fmt_three_decimals_and_dash_for_everything_else():
    assert fmt(0.91) == "0.910" and fmt(np.float32(0.7)) == "0.700" and fmt(np.int64(2)) == "2.000"
    assert fmt(-0.0004) == "-0.000"
    for value in (None, float("nan"), float("inf"), "0.5", True, np.nan):
        assert fmt(value) == "-", value


def test_fpr_tags_are_the_tags_of_any_column_sorted():
    assert fpr_tags(COLUMNS) == ["bounce", "exit_frame", "untagged"]
    assert fpr_tags({"judge": {"auroc": 0.5, "fpr/x/n": 3.0}}) == []
    # A tag holding a slash (a public set's "source/kind" tag) keeps its row.
    assert fpr_tags({"judge": {"fpr/ssv2/occluded": 0.2, "fpr/ssv2/occluded/n": 5.0}}) == [
        "ssv2/occluded"
    ]


def test_summary_table_rows_in_order_with_fpr_rows_for_present_tags():
    header, rows = summary_table(COLUMNS)
    assert header == ["metric", "judge", BASELINE]
    titles = [r[0] for r in rows]
    assert titles == [t for t, _ in SUMMARY_ROWS] + [
        "false positives: bounce (n=2)",
        "false positives: exit_frame (n=8)",
        "false positives: untagged (n=3)",
    ]
    assert titles[:3] == ["macro AUROC", "macro AP", "macro F1 (at thresholds)"]
    by_title = {r[0]: r[1:] for r in rows}
    assert by_title["macro AUROC"] == ["0.910", "0.600"]
    assert by_title["macro AP"] == ["-", "-"]  # None, absent
    assert by_title["calibration error (ECE)"] == ["0.040", "-"]  # inf
    assert by_title["onset accuracy (±1 frame)"] == ["0.800", "1.000"]
    assert by_title["IntPhys relative error"] == ["-", "-"]  # NaN, absent
    assert by_title["false positives: bounce (n=2)"] == ["-", "0.500"]
    assert by_title["false positives: exit_frame (n=8)"] == ["0.125", "-"]
    assert all(len(r) == 3 for r in rows)
    # Without hard-negative figures: no fpr rows at all.
    _, rows = summary_table({"judge": {"auroc": 0.5}})
    assert len(rows) == len(SUMMARY_ROWS)


def test_label_table_columns_per_system():
    header, rows = label_table(COLUMNS, LABELS)
    metrics = [t for t, _ in LABEL_METRICS]
    assert metrics == ["AUROC", "AP", "precision", "recall", "F1"]
    assert header == [
        "label",
        *(f"judge {m}" for m in metrics),
        *(f"{BASELINE} {m}" for m in metrics),
    ]
    assert rows == [
        ["teleport", "0.950", "0.900", "-", "-", "0.500", "0.700", "-", "-", "-", "-"],
        ["vanish", "0.870", "-", "-", "-", "-", "-", "-", "-", "-", "-"],
    ]
    assert label_table(COLUMNS, []) == (header, [])


def test_markdown_table_alignment_and_escaping():
    md = markdown_table(["name", "a|b"], [["x|y", "1.000"], ["two\nlines", "-"]])
    assert md.splitlines() == [
        "| name | a\\|b |",
        "|---|---:|",
        "| x\\|y | 1.000 |",
        "| two lines | - |",
    ]
    assert md.endswith("|\n")


def test_metrics_markdown_is_summary_then_blank_line_then_label_table():
    columns = {"judge": COLUMNS["judge"], "base|line": COLUMNS[BASELINE]}
    md = metrics_markdown(columns, LABELS)
    first, second = md.split("\n\n")
    assert first + "\n" == markdown_table(*summary_table(columns))
    assert second == markdown_table(*label_table(columns, LABELS))
    lines = md.splitlines()
    assert lines[0] == "| metric | judge | base\\|line |"
    assert lines[1] == "|---|---:|---:|"
    assert "| macro AUROC | 0.910 | 0.600 |" in lines
    assert "| false positives: bounce (n=2) | - | 0.500 |" in lines
    assert lines[2 + len(SUMMARY_ROWS) + 3 + 1].startswith("| label | judge AUROC | judge AP |")
    assert "| teleport | 0.950 | 0.900 | - | - | 0.500 | 0.700 | - | - | - | - |" in lines
    assert len(lines) == (2 + len(SUMMARY_ROWS) + 3) + 1 + (2 + len(LABELS))


def test_write_metrics_json_with_nulls_and_markdown_atomically(tmp_path):
    folder = tmp_path / "eval"
    pj, pm = write_metrics(folder / "metrics.json", folder / "metrics.md", COLUMNS, LABELS)
    assert (pj, pm) == (folder / "metrics.json", folder / "metrics.md")
    assert sorted(os.listdir(folder)) == ["metrics.json", "metrics.md"]  # no temporary files
    text = pj.read_text(encoding="utf-8")
    assert "NaN" not in text and "Infinity" not in text
    data = json.loads(text)
    assert data["labels"] == LABELS
    assert list(data["columns"]) == ["judge", BASELINE]
    judge, base = data["columns"]["judge"], data["columns"][BASELINE]
    assert judge["vanish/ap"] is None and judge["ap"] is None
    assert judge["intphys/relative_err"] is None and base["ece"] is None
    assert judge["auroc"] == 0.91 and judge["fpr/exit_frame/n"] == 8.0
    assert math.isclose(base["teleport/auroc"], 0.7, rel_tol=1e-6)
    assert base["onset_acc"] == 1
    assert list(judge) == list(COLUMNS["judge"])  # metric order kept
    assert pm.read_text(encoding="utf-8") == metrics_markdown(COLUMNS, LABELS)

    # Rewriting replaces both files in place, still without leftovers.
    write_metrics(pj, pm, {"judge": {"auroc": 0.5}}, ["teleport"])
    assert json.loads(pj.read_text(encoding="utf-8"))["columns"] == {"judge": {"auroc": 0.5}}
    assert sorted(os.listdir(folder)) == ["metrics.json", "metrics.md"]
