"""Per-source figures of judge-eval (clip_metrics.source_metrics, tables.source_table) on
hand-made labels and scores whose figures are worked out by hand; the record's own ``flagged``
decision; metrics.json's ``sources``; the per-source table at the end of judge-eval's log."""

from __future__ import annotations

import json
import logging
import math

import numpy as np
import pytest
from omegaconf import OmegaConf

from judge.evaluation.clip_metrics import (
    Predictions,
    Truth,
    compute_metrics,
    source_family,
    source_metrics,
)
from judge.report.tables import (
    SUMMARY_ROWS,
    markdown_table,
    metrics_markdown,
    source_markdown,
    source_table,
    write_metrics,
)

LABELS = ["teleport", "vanish"]
CLEAN = {"teleport": 0, "vanish": 0, "plausible": 1}
TELEPORT = {"teleport": 1, "vanish": 0, "plausible": 0}
VANISH = {"teleport": 0, "vanish": 1, "plausible": 0}


def row(source, labels, group=None, tags=()) -> dict:
    out = {"path": "clip.mp4", "labels": dict(labels)}
    for key, value in (("source", source), ("group", group), ("tags", list(tags))):
        if value:
            out[key] = value
    return out


def rec(plausibility: float, teleport: float, vanish: float, **extra) -> dict:
    scores = {"teleport": teleport, "vanish": vanish}
    return {"path": "x.mp4", "status": "ok", "plausibility": plausibility, "scores": scores} | extra


SYNTH, SPLICED, REAL = "synthetic/mujoco", "spliced/ssv2", "real/walks"
ood = {"ood_distance": 1.0, "out_of_domain": False}
# Plausibility threshold 0.5: a clip is flagged at plausibility < 0.5 unless its record says.
CASE = [
    # synthetic twins: both pairs ranked right; clean row 2 (bounce) is a false positive
    (row(SYNTH, CLEAN, "s1"), rec(0.9, 0.1, 0.1, **ood)),
    (row(SYNTH, TELEPORT, "s1"), rec(0.2, 0.8, 0.2, **ood)),
    (row(SYNTH, CLEAN, "s2", ["bounce"]), rec(0.4, 0.3, 0.2, **ood)),
    (row(SYNTH, VANISH, "s2"), rec(0.3, 0.2, 0.9, **ood)),
    # spliced group: one clean window (tag "real"), two artifact twins, one ranked right
    # (P(artifact) 0.6 > 0.3) and one wrong (0.2 < 0.3); no vanish positive
    (row(SPLICED, CLEAN, "g", ["real"]), rec(0.7, 0.3, 0.1)),
    (row(SPLICED, TELEPORT, "g"), rec(0.4, 0.7, 0.1)),
    (row(SPLICED, TELEPORT, "g"), rec(0.8, 0.2, 0.1)),
    # plain real footage: two clean clips; the first one's record flags it although its
    # plausibility is high, the second carries no decision and is not flagged by the rule
    (row(REAL, CLEAN), rec(0.9, 0.1, 0.1, flagged=True, ood_distance=3.0, out_of_domain=True)),
    (row(REAL, CLEAN), rec(0.95, 0.1, 0.1, ood_distance=5.0, out_of_domain=False)),
    # no source: one clean clip, one unreadable
    (row(None, CLEAN), rec(0.9, 0.1, 0.1)),
    (row(None, CLEAN), {"path": "bad.mp4", "status": "error", "error": "boom", "flagged": None}),
]
THRESHOLDS = {"plausible": 0.5}


def case() -> tuple[Truth, Predictions]:
    rows, records = zip(*CASE, strict=True)
    truth = Truth.from_rows(list(rows), LABELS)
    return truth, Predictions.from_records(list(records), LABELS, THRESHOLDS)


def same(a: dict[str, float], b: dict[str, float]) -> bool:
    return a.keys() == b.keys() and all(
        (math.isnan(a[k]) and math.isnan(b[k])) or a[k] == b[k] for k in a
    )


def test_source_family_is_the_part_before_the_first_slash():
    assert source_family("spliced/ssv2/kitchen") == "spliced"
    assert source_family("synthetic") == "synthetic"
    assert source_family(None) == source_family("") == "unknown"


def test_record_flagged_decides_where_present_else_the_threshold_rule():
    records = [
        rec(0.9, 0, 0, flagged=True),  # the rule would not flag it
        rec(0.2, 0, 0, flagged=False),  # the rule would
        rec(0.2, 0, 0),  # no decision: the rule
        rec(0.9, 0, 0, flagged=None),
        {"path": "bad.mp4", "status": "error", "flagged": True},  # unscored: never flagged
    ]
    pred = Predictions.from_records(records, LABELS, THRESHOLDS)
    assert pred.flagged().tolist() == [True, False, True, False, False]
    assert np.isnan(pred.record_flagged[2:]).all()
    # The baseline's Predictions carry no decisions at all.
    base = Predictions(pred.ok, pred.scores, pred.artifact, pred.onset)
    assert base.flagged().tolist() == [False, True, True, False, False]


def test_per_source_figures_by_hand():
    truth, pred = case()
    sources = source_metrics(truth, pred)
    assert list(sources) == ["synthetic", "spliced", "real", "unknown"]
    syn, spl, real, unk = (sources[k] for k in ("synthetic", "spliced", "real", "unknown"))
    assert [m["clips"] for m in (syn, spl, real, unk)] == [4, 3, 2, 2]
    assert [m["errors"] for m in (syn, spl, real, unk)] == [0, 0, 0, 1]
    # False positives at the stored thresholds.
    assert syn["fpr"] == 0.5 and syn["clean_clips"] == 2 and syn["artifact_clips"] == 2
    assert syn["fpr/bounce"] == 1.0 and syn["fpr/bounce/n"] == 1
    assert syn["fpr/untagged"] == 0.0 and syn["fpr/untagged/n"] == 1
    assert spl["fpr"] == 0.0 and spl["fpr/real"] == 0.0 and spl["fpr/real/n"] == 1
    assert real["fpr"] == 0.5 and real["clean_clips"] == 2  # the record's own flag counts
    assert unk["fpr"] == 0.0 and unk["clean_clips"] == 1
    # Ranking figures.
    assert syn["teleport/auroc"] == syn["vanish/auroc"] == syn["auroc"] == 1.0
    assert syn["plausible/auroc"] == 1.0 and syn["plausible/recall"] == 1.0
    assert spl["teleport/auroc"] == 0.5 and math.isnan(spl["vanish/auroc"])  # no positive
    assert spl["auroc"] == 0.5 and spl["plausible/auroc"] == 0.5
    assert spl["plausible/recall"] == 0.5  # row 5 flagged, row 6 not
    for key in ("teleport/auroc", "vanish/auroc", "auroc", "plausible/auroc", "plausible/recall"):
        assert math.isnan(real[key]), key  # clean clips only: missing, never 0
    # Pair accuracy on matched groups = 1 - IntPhys relative error.
    assert syn["pair_acc"] == 1.0 and syn["intphys/pairs"] == 2
    assert spl["pair_acc"] == 0.5 and spl["intphys/pairs"] == 2
    assert math.isnan(real["pair_acc"]) and real["intphys/pairs"] == 0
    # Out of domain, where the records carry it.
    assert syn["ood/share"] == 0.0 and syn["ood/median_distance"] == 1.0 and syn["ood/n"] == 4
    assert real["ood/share"] == 0.5 and real["ood/median_distance"] == 4.0
    assert spl["ood/n"] == 0 and math.isnan(spl["ood/share"])
    assert math.isnan(spl["ood/median_distance"])
    # Each family's figures are compute_metrics on its clips.
    assert same(spl, compute_metrics(truth.subset([4, 5, 6]), pred.subset([4, 5, 6])))


def test_overall_figures_gain_pair_accuracy_fpr_and_ood():
    truth, pred = case()
    m = compute_metrics(truth, pred)
    assert m["intphys/pairs"] == 4 and m["pair_acc"] == 0.75
    assert m["pair_acc"] == 1 - m["intphys/relative_err"]
    assert m["clean_clips"] == 6 and m["fpr"] == pytest.approx(2 / 6)
    assert m["ood/n"] == 6 and m["ood/share"] == pytest.approx(1 / 6)
    assert ("pair accuracy (matched groups)", "pair_acc") in SUMMARY_ROWS


def test_source_table_families_as_columns_with_dashes():
    truth, pred = case()
    header, rows = source_table(source_metrics(truth, pred), LABELS)
    assert header == ["figure", "synthetic", "spliced", "real", "unknown"]
    by_title = {r[0]: r[1:] for r in rows}
    assert by_title["clips"] == ["4", "3", "2", "2"]
    assert by_title["unreadable"] == ["0", "0", "0", "1"]
    assert by_title["false-positive rate (clean clips flagged)"] == [
        "0.500", "0.000", "0.500", "0.000"
    ]  # fmt: skip
    assert by_title["false positives: bounce"] == ["1.000", "-", "-", "-"]
    assert by_title["clean clips: bounce"] == ["1", "-", "-", "-"]
    assert by_title["false positives: real"] == ["-", "0.000", "-", "-"]
    assert by_title["teleport AUROC"] == ["1.000", "0.500", "-", "-"]
    assert by_title["vanish AUROC"] == ["1.000", "-", "-", "-"]
    assert by_title["macro AUROC"] == ["1.000", "0.500", "-", "-"]
    assert by_title["artifact recall (at threshold)"] == ["1.000", "0.500", "-", "-"]
    assert by_title["pair accuracy (matched groups)"] == ["1.000", "0.500", "-", "-"]
    assert by_title["out-of-domain share"] == ["0.000", "-", "0.500", "-"]
    assert by_title["median OOD distance"] == ["1.000", "-", "4.000", "-"]
    md = markdown_table(header, rows)
    assert "| vanish AUROC | 1.000 | - | - | - |" in md.splitlines()
    # Records without out-of-domain figures (older files, the baseline): no such rows.
    plain = source_metrics(truth, Predictions(pred.ok, pred.scores, pred.artifact, pred.onset))
    titles = [r[0] for r in source_table(plain, LABELS)[1]]
    assert "out-of-domain share" not in titles and "median OOD distance" not in titles


def test_metrics_json_and_markdown_carry_the_sources(tmp_path):
    truth, pred = case()
    columns = {"judge": compute_metrics(truth, pred)}
    sources = {"judge": source_metrics(truth, pred)}
    pj, pm = write_metrics(tmp_path / "m.json", tmp_path / "m.md", columns, LABELS, sources)
    data = json.loads(pj.read_text(encoding="utf-8"))
    assert list(data["sources"]["judge"]) == ["synthetic", "spliced", "real", "unknown"]
    real = data["sources"]["judge"]["real"]
    assert real["fpr"] == 0.5 and real["teleport/auroc"] is None  # NaN -> null
    assert data["sources"]["judge"]["spliced"]["pair_acc"] == 0.5
    assert data["columns"]["judge"]["pair_acc"] == 0.75
    md = pm.read_text(encoding="utf-8")
    assert md == metrics_markdown(columns, LABELS, sources)
    assert md.startswith(metrics_markdown(columns, LABELS))
    assert "Per source: judge\n\n| figure | synthetic | spliced | real | unknown |" in md
    # Without sources: no "sources" key, as before.
    write_metrics(pj, pm, columns, LABELS)
    assert "sources" not in json.loads(pj.read_text(encoding="utf-8"))


def test_judge_eval_logs_the_per_source_table_last(monkeypatch, caplog, tmp_path):
    import judge.inference.judge as judge_module
    import judge.report.build as build
    from judge.report.build import evaluate

    truth, pred = case()
    sources = {"judge": source_metrics(truth, pred)}

    class FakeJudge:
        labels = LABELS

    def fake_evaluate(judge, manifest, out_dir, **kwargs):
        return {
            "columns": {"judge": compute_metrics(truth, pred)},
            "sources": sources,
            "files": {"metrics_md": tmp_path / "metrics.md"},
            "sheets": [],
        }

    monkeypatch.setattr(judge_module.Judge, "load", staticmethod(lambda *a, **k: FakeJudge()))
    monkeypatch.setattr(build, "evaluate_manifest", fake_evaluate)
    cfg = OmegaConf.create(
        {
            "seed": 0,
            "ckpt_path": "judge/",
            "device": "cpu",
            "logger": None,
            "data": {"manifest": "m.jsonl", "split": None, "batch_size": 1, "num_workers": 0},
            "report": {
                "dir": str(tmp_path),
                "baseline": False,
                "html": False,
                "worst": 0,
                "groups": 0,
            },
        }
    )
    with caplog.at_level(logging.INFO, logger="judge.eval"):
        metrics = evaluate(cfg)
    assert metrics["pair_acc"] == 0.75
    lines = [r.getMessage() for r in caplog.records if r.name == "judge.eval"]
    table = source_markdown(sources, LABELS).rstrip("\n").splitlines()
    assert lines[-len(table) :] == table
    assert table[0] == "Per source: judge"
    assert "| clips | 4 | 3 | 2 | 2 |" in table


def test_held_out_family_rows_are_a_source_of_their_own_after_synthetic():
    rows = [
        row(SYNTH, CLEAN, "a"),
        row(SYNTH, TELEPORT, "a"),
        {**row(SYNTH, CLEAN, "b"), "holdout": True},
        {**row(SYNTH, TELEPORT, "b"), "holdout": True},
        row(REAL, CLEAN),
    ]
    records = [
        rec(0.9, 0.1, 0.1),
        rec(0.2, 0.8, 0.1),
        rec(0.6, 0.5, 0.1),  # held-out pair ranked wrong: 0.5 > 0.3
        rec(0.7, 0.3, 0.1),
        rec(0.9, 0.1, 0.1),
    ]
    truth = Truth.from_rows(rows, LABELS)
    per = source_metrics(truth, Predictions.from_records(records, LABELS, THRESHOLDS))
    assert list(per) == ["synthetic", "held-out", "real"]
    assert per["synthetic"]["pair_acc"] == 1.0
    assert per["held-out"]["pair_acc"] == 0.0
    assert truth.sources[2] == "held-out/synthetic/mujoco"
