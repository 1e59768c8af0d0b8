"""Clip-level evaluation figures (judge/evaluation/clip_metrics.py) and best-of-N on labelled
groups (judge/evaluation/reranking.py), on hand-made labels and scores whose figures are worked
out by hand.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from judge.evaluation.clip_metrics import (
    Predictions,
    Truth,
    compute_metrics,
    intphys,
    matched_pairs,
    onset_errors,
)
from judge.evaluation.reranking import best_of_n, clean_shares, rank_groups, ranked_rows

LABELS = ["teleport", "vanish"]


def row(group=None, tags=(), events=(), **labels) -> dict:
    out = {"path": "clip.mp4", "labels": labels, "events": list(events)}
    if group is not None:
        out["group"] = group
    if tags:
        out["tags"] = list(tags)
    return out


def ok(plausibility: float, teleport: float, vanish: float, onsets: tuple = ()) -> dict:
    """A score record; ``onsets``: predicted (teleport, vanish) onset frames."""
    return {
        "path": "x.mp4",
        "status": "ok",
        "plausibility": plausibility,
        "scores": {"teleport": teleport, "vanish": vanish},
        "onset_frames": dict(zip(LABELS, onsets, strict=False)),
    }


def teleport_at(frame: int) -> dict:
    return {"type": "teleport", "frame": frame, "end": frame}


# Eight clips. Row 4 has no vanish label, row 5 no label at all, row 6 could not be scored.
ROWS = [
    row("g1", ["exit_frame"], teleport=0, vanish=0, plausible=1),
    row("g1", events=[teleport_at(5)], teleport=1, vanish=0, plausible=0),
    row(
        "g1",
        events=[{"type": "vanish", "frame": 7, "end": None}, {"type": "vanish", "frame": 3}],
        teleport=0,
        vanish=1,
        plausible=0,
    ),
    row("g2", teleport=0, vanish=0, plausible=1),
    row("g2", events=[teleport_at(8)], teleport=1, plausible=0),
    row(),
    row("g2", ["bounce"], teleport=0, vanish=0, plausible=1),
    row(teleport=0, vanish=0, plausible=1),
]
RECORDS = [
    ok(0.92, 0.2, 0.1, (0, 0)),
    ok(0.1, 0.8, 0.3, (6, 0)),
    ok(0.92, 0.6, 0.4, (9, 3)),
    ok(0.6, 0.78, 0.5, (1, 1)),
    ok(0.7, 0.75, 0.99, (4, 20)),
    ok(0.2, 0.9, 0.9, (2, 2)),
    {"path": "bad.mp4", "status": "error", "error": "boom"},
    ok(0.95, 0.05, 0.05),
]
THRESHOLDS = {"teleport": 0.7, "plausible": 0.65}


def metrics(thresholds: dict[str, float] = THRESHOLDS) -> dict[str, float]:
    truth = Truth.from_rows(ROWS, LABELS)
    return compute_metrics(truth, Predictions.from_records(RECORDS, LABELS, thresholds))


def close(value: float, expected: float) -> bool:
    return math.isclose(value, expected, rel_tol=1e-9, abs_tol=1e-12)


def test_truth_from_rows_first_event_by_frame_and_unknown_labels():
    truth = Truth.from_rows(ROWS, LABELS)
    assert truth.labels == LABELS
    assert truth.y.tolist() == [
        [0, 0], [1, 0], [0, 1], [0, 0], [1, -1], [-1, -1], [0, 0], [0, 0]
    ]  # fmt: skip
    assert truth.plausible.tolist() == [1, 0, 0, 1, 0, -1, 1, 1]
    assert truth.onset.tolist() == [-1, 5, 3, -1, 8, -1, -1, -1]  # row 2: earliest event, not first
    assert truth.onset_label == [None, "teleport", "vanish", None, "teleport", None, None, None]
    assert truth.tags == [["exit_frame"], [], [], [], [], [], ["bounce"], []]
    assert truth.groups == ["g1", "g1", "g1", "g2", "g2", None, "g2", None]
    assert truth.paths[0] == ROWS[0]["path"]


def test_truth_without_a_plausible_key_follows_the_artifact_labels():
    # Manifest rows (docs/formats.md) may carry artifact labels only: a clip with one is an
    # artifact clip; one with every judged label known and 0 is clean (as in training);
    # otherwise unknown.
    rows = [
        row(events=[teleport_at(4)], teleport=1, vanish=0),
        row(teleport=0, vanish=0),
        row(teleport=0),
        row(vanish=1),
        row(teleport=0, vanish=0, morph=1),
        row(plausible=0),
    ]
    truth = Truth.from_rows(rows, LABELS)
    assert truth.plausible.tolist() == [0, 1, -1, 0, 0, 0]
    assert truth.onset.tolist() == [4, -1, -1, -1, -1, -1]


def test_predictions_from_records_error_and_none_are_not_ok():
    records = [RECORDS[1], None, RECORDS[6], {**RECORDS[0], "frame_scores": [0.0, 0.5, 1.0]}]
    pred = Predictions.from_records(records, LABELS, {"vanish": 0.3})
    assert pred.ok.tolist() == [True, False, False, True]
    assert pred.scores[0].tolist() == [0.8, 0.3]
    assert np.isnan(pred.scores[1:3]).all() and np.isnan(pred.artifact[1:3]).all()
    assert close(pred.artifact[0], 0.9) and close(pred.artifact[3], 0.08)
    assert pred.onset.tolist() == [[6, 0], [-1, -1], [-1, -1], [0, 0]]
    assert pred.curves[0] is None and pred.curves[3].tolist() == [0.0, 0.5, 1.0]
    assert pred.threshold("vanish") == 0.3 and pred.threshold("teleport") == 0.5
    # Not ok clips are never flagged (NaN plausibility compares False).
    assert pred.flagged().tolist() == [True, False, False, False]


def test_counts_per_label_auroc_ap_and_macro_means():
    m = metrics()
    assert m["clips"] == 8 and m["errors"] == 1
    # teleport over rows 0-4 and 7 (5: unknown, 6: unscored): positives 0.8 and 0.75 against
    # 0.2, 0.6, 0.78, 0.05 -> 7 of 8 pairs; AP = 1/2 * 1 + 1/2 * 2/3.
    assert close(m["teleport/auroc"], 7 / 8)
    assert close(m["teleport/ap"], 5 / 6)
    assert m["teleport/positives"] == 2
    # vanish: row 4 (vanish unknown, score 0.99) is left out; with it AUROC would be 3/5.
    assert close(m["vanish/auroc"], 3 / 4)
    assert close(m["vanish/ap"], 1 / 2)
    assert close(m["auroc"], (7 / 8 + 3 / 4) / 2)
    assert close(m["ap"], (5 / 6 + 1 / 2) / 2)
    assert m["labels_scored"] == 2


def test_precision_recall_f1_at_the_stored_threshold():
    m = metrics()
    assert m["teleport/threshold"] == 0.7 and m["vanish/threshold"] == 0.5
    # At 0.7: rows 1, 3, 4 are flagged; 1 and 4 are teleports.
    assert close(m["teleport/precision"], 2 / 3) and m["teleport/recall"] == 1
    assert close(m["teleport/f1"], 0.8)
    # At vanish's default 0.5 only row 3 (clean) reaches it.
    assert (m["vanish/precision"], m["vanish/recall"], m["vanish/f1"]) == (0, 0, 0)
    assert close(m["f1"], 0.4)
    # The threshold matters: at teleport's default 0.5 row 2 is flagged too.
    default = metrics({"plausible": 0.65})
    assert default["teleport/threshold"] == 0.5
    assert close(default["teleport/precision"], 0.5) and close(default["teleport/f1"], 2 / 3)
    assert default["teleport/auroc"] == m["teleport/auroc"]


def test_label_without_both_classes_is_nan_and_left_out_of_the_means():
    rows = [row(teleport=1, vanish=0, plausible=0), row(teleport=1, vanish=0, plausible=0)]
    pred = Predictions.from_records([ok(0.1, 0.9, 0.2), ok(0.3, 0.4, 0.6)], LABELS, {})
    m = compute_metrics(Truth.from_rows(rows, LABELS), pred)
    nan_keys = ("auroc", "ap", "f1", "teleport/auroc", "vanish/auroc", "vanish/f1")
    for key in (*nan_keys, "plausible/auroc"):
        assert math.isnan(m[key]), key
    assert m["labels_scored"] == 0
    assert m["teleport/positives"] == 2 and m["vanish/positives"] == 0
    assert m["teleport/recall"] == 0.5  # defined with positives only: 0.9 flagged, 0.4 not
    assert close(m["teleport/precision"], 1.0)


def test_any_artifact_figures_and_ece():
    m = metrics()
    # P(artifact) of rows 0-4, 7: artifacts 0.9, 0.08, 0.3 against clean 0.08, 0.4, 0.05; the
    # tie (0.08 vs 0.08) counts half: (3 + 1.5 + 2) / 9.
    assert close(m["plausible/auroc"], 13 / 18)
    assert close(m["plausible/ap"], 1 / 3 + 1 / 3 * 2 / 3 + 1 / 3 * 3 / 5)
    # Flagged at plausibility < 0.65: rows 1 (artifact) and 3 (clean); rows 2 and 4 missed.
    assert close(m["plausible/precision"], 0.5) and close(m["plausible/recall"], 1 / 3)
    assert close(m["plausible/f1"], 0.4)
    # 15 bins of plausibility: {0.92, 0.92} holding 1 clean -> 0.84; 0.95 -> 0.05; 0.1 -> 0.1;
    # 0.6 -> 0.4; 0.7 -> 0.7.
    assert close(m["ece"], (0.84 + 0.05 + 0.1 + 0.4 + 0.7) / 6)
    assert 0 <= m["label_ece"] <= 1
    at_half = metrics({"teleport": 0.7})
    assert at_half["plausible/precision"] == 1 and close(at_half["plausible/f1"], 0.5)


def test_onset_errors_use_the_true_events_label():
    truth = Truth.from_rows(ROWS, LABELS)
    pred = Predictions.from_records(RECORDS, LABELS, THRESHOLDS)
    # Row 1: teleport 6 - 5; row 2: vanish 3 - 3 (its teleport column says 9); row 4: 4 - 8.
    assert onset_errors(truth, pred).tolist() == [1, 0, -4]
    m = metrics()
    assert m["onset_n"] == 3
    assert close(m["onset_mae"], 5 / 3) and close(m["onset_acc"], 2 / 3)
    # No prediction (-1) or no known frame: left out.
    pred.onset[1] = -1
    truth.onset[4] = -1
    assert onset_errors(truth, pred).tolist() == [0]


def test_false_positive_rate_per_hard_negative_tag():
    m = metrics()
    assert m["fpr/exit_frame"] == 0 and m["fpr/exit_frame/n"] == 1
    assert m["fpr/untagged"] == 0.5 and m["fpr/untagged/n"] == 2  # row 3 flagged, row 7 not
    # No fpr/bounce: its only clip was not scored. Artifact clips never count.
    assert sorted(k for k in m if k.startswith("fpr/")) == [
        "fpr/exit_frame", "fpr/exit_frame/n", "fpr/untagged", "fpr/untagged/n"
    ]  # fmt: skip


def test_intphys_relative_and_absolute_error():
    truth = Truth.from_rows(ROWS, LABELS)
    pred = Predictions.from_records(RECORDS, LABELS, THRESHOLDS)
    assert matched_pairs(truth, pred.ok) == [(0, 1), (0, 2), (3, 4)]
    res = intphys(truth, pred)
    assert res["intphys/pairs"] == 3
    # Pairs: 0.9 > 0.08 right, 0.08 = 0.08 half, 0.3 < 0.4 wrong.
    assert close(res["intphys/relative_err"], 0.5)
    # Clips 0-4 without pairing: artifacts 0.9, 0.08, 0.3 vs clean 0.08, 0.4 -> AUROC 3.5 / 6.
    assert close(res["intphys/absolute_err"], 1 - 3.5 / 6)
    assert {k: v for k, v in metrics().items() if k.startswith("intphys/")} == res


def test_intphys_without_groups_is_nan():
    rows = [{**r, "group": None} for r in ROWS]
    pred = Predictions.from_records(RECORDS, LABELS, THRESHOLDS)
    res = intphys(Truth.from_rows(rows, LABELS), pred)
    assert res["intphys/pairs"] == 0
    assert math.isnan(res["intphys/relative_err"]) and math.isnan(res["intphys/absolute_err"])
    # A group of clean clips only has no pairs either.
    rows = [row("g", teleport=0, vanish=0, plausible=1) for _ in range(2)]
    pred = Predictions.from_records([ok(0.9, 0.1, 0.1), ok(0.8, 0.1, 0.1)], LABELS, {})
    assert intphys(Truth.from_rows(rows, LABELS), pred)["intphys/pairs"] == 0


# --- best-of-N ---------------------------------------------------------------------------------


def rerank_case() -> tuple[Truth, Predictions]:
    """Group a: the artifact clip wins. Group b: 2 of 3 clean, a clean one wins (plus a clip of
    unknown label and an unscored one, both ignored). Group c: one clip, ignored."""
    clean, bad = {"teleport": 0, "plausible": 1}, {"teleport": 1, "plausible": 0}
    spec = [
        ("a", clean, 0.4),
        ("a", bad, 0.8),
        ("b", clean, 0.9),
        ("b", bad, 0.5),
        ("b", clean, 0.3),
        ("b", {}, 0.99),
        ("b", clean, None),
        ("c", clean, 0.7),
        (None, bad, 0.95),
    ]
    rows = [{"path": f"{i}.mp4", "group": g, "labels": lab} for i, (g, lab, _) in enumerate(spec)]
    rows = [{k: v for k, v in r.items() if v is not None} for r in rows]
    records = [ok(p, 1 - p, 0.0) if p is not None else None for _, _, p in spec]
    return Truth.from_rows(rows, LABELS), Predictions.from_records(records, LABELS, {})


def test_best_of_n_against_random_and_oracle():
    truth, pred = rerank_case()
    res = best_of_n(truth, pred)
    assert res["rerank/groups"] == 2
    assert res["rerank/candidates"] == 2.5  # (2 + 3) / 2
    assert res["rerank/best_of_n_clean"] == 0.5  # a: artifact wins, b: clean wins
    assert close(res["rerank/random_clean"], (1 / 2 + 2 / 3) / 2)
    assert res["rerank/oracle_clean"] == 1


def test_ranked_rows_best_first_and_no_groups_is_nan():
    truth, pred = rerank_case()
    ranking = rank_groups(truth, pred)
    assert sorted(ranking.ranked) == ["a", "b", "c"]
    assert ranked_rows(ranking, "a") == [1, 0]
    assert ranked_rows(ranking, "b") == [2, 3, 4]
    assert ranked_rows(ranking, "c") == [7]
    truth.groups = [None] * len(truth.groups)
    res = best_of_n(truth, pred)
    assert res["rerank/groups"] == 0
    nan_keys = ("candidates", "best_of_n_clean", "random_clean", "oracle_clean")
    assert all(math.isnan(res[f"rerank/{k}"]) for k in nan_keys)


@pytest.mark.parametrize("winner_clean", [True, False])
def test_best_of_n_group_without_clean_candidates(winner_clean):
    rows = [
        {"path": "0.mp4", "group": "g", "labels": {"teleport": 1, "plausible": 0}},
        {"path": "1.mp4", "group": "g", "labels": {"teleport": 1, "plausible": 0}},
    ]
    if winner_clean:
        rows[1]["labels"] = {"teleport": 0, "plausible": 1}
    pred = Predictions.from_records([ok(0.2, 0.8, 0), ok(0.6, 0.4, 0)], LABELS, {})
    res = best_of_n(Truth.from_rows(rows, LABELS), pred)
    assert res["rerank/best_of_n_clean"] == res["rerank/oracle_clean"] == float(winner_clean)
    assert res["rerank/random_clean"] == (0.5 if winner_clean else 0.0)


def test_clean_shares_split_a_tie_at_the_top():
    groups = [
        [(0.9, False), (0.9, True), (0.9, True), (0.1, True)],  # 2 of the 3 tied at the top
        [(0.2, True), (0.8, False)],
        [(0.5, True)],  # one candidate: no choice to make, left out
    ]
    res = clean_shares(groups)
    assert res["groups"] == 2 and res["candidates"] == 3
    assert close(res["best_of_n_clean"], (2 / 3 + 0) / 2)
    assert close(res["random_clean"], (3 / 4 + 1 / 2) / 2)
    assert res["oracle_clean"] == 1
