"""`evaluate_manifest` (judge/report/build.py) end to end on a tiny labelled set: scores, metrics
of the judge beside the frame-difference baseline, plots, contact sheets and report.html; and the
report rendered in headless Chromium.

The set is scored once per module (a random tiny judge on 12-frame 32x32 clips): three groups of
a clean clip and its artifact twin, a corrupt file and a missing one, plus rows of another split.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scoring_fixtures import make_checkpoint, make_clip

from judge.evaluation.clip_metrics import compute_metrics
from judge.evaluation.scoring import BASELINE
from judge.inference.judge import Judge
from judge.io.manifest import resolve_path, write_manifest
from judge.metrics import ece
from judge.report import plots
from judge.report.build import JUDGE, evaluate_manifest, write_plots
from judge.report.html import HEADER_BG
from judge.report.tables import metrics_markdown

LABELS = ["teleport", "vanish"]
FRAMES = 12
PLOTS = ["roc", "pr", "reliability", "onset_errors", "score_distributions"]
SHEETS = ["false_positive_0", "false_negative_0", "group_0"]
SECTIONS = ["Summary", "Per source", "Plots", "Worst false positives",
            "Worst false negatives", "Reranked groups"]  # fmt: skip
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

CLEAN = {"teleport": 0, "vanish": 0, "plausible": 1}


def artifact(kind: str, frame: int) -> dict:
    labels = {"teleport": 0, "vanish": 0, "plausible": 0, kind: 1}
    return {"labels": labels, "events": [{"type": kind, "frame": frame, "end": None}]}


def tiny_set(root: Path) -> Path:
    """Clips under ``root/clips`` and ``root/manifest.jsonl`` (8 test rows, 2 val rows)."""
    rows = []
    for g, (kind, frame) in enumerate([("teleport", 6), ("vanish", 4), ("teleport", 9)]):
        for variant, extra in (("clean", {"labels": CLEAN}), (kind, artifact(kind, frame))):
            path = f"clips/g{g}_{variant}.mp4"
            make_clip(root / path, FRAMES, fps=15, h=32, w=32, seed=len(rows))
            rows.append({"path": path, "group": f"scene-{g}", "split": "test", **extra})
    rows[0]["tags"] = ["exit_frame"]
    (root / "clips" / "corrupt.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"junk" * 64)
    rows.append({"path": "clips/corrupt.mp4", "labels": CLEAN, "split": "test"})
    rows.append({"path": "clips/missing.mp4", "labels": CLEAN, "split": "test"})
    rows.append({"path": "clips/g0_clean.mp4", "labels": CLEAN, "split": "val"})
    rows.append({"path": "clips/g1_vanish.mp4", "split": "val", **artifact("vanish", 4)})
    return write_manifest(root / "manifest.jsonl", rows)


@pytest.fixture(scope="module")
def judge(tmp_path_factory) -> Judge:
    ckpt = make_checkpoint(
        tmp_path_factory.mktemp("judge") / "tiny.ckpt",
        labels=LABELS,
        thresholds={"teleport": 0.6, "plausible": 0.4},
    )
    return Judge.load(ckpt, device="cpu")


@pytest.fixture(scope="module")
def manifest(tmp_path_factory) -> Path:
    return tiny_set(tmp_path_factory.mktemp("set"))


@pytest.fixture(scope="module")
def report(judge, manifest, tmp_path_factory) -> tuple[dict, Path, list[str]]:
    out = tmp_path_factory.mktemp("eval") / "report"
    lines: list[str] = []
    result = evaluate_manifest(
        judge, manifest, out, split="test", worst=1, groups=1, num_workers=0, log=lines.append
    )
    return result, out, lines


def test_scores_jsonl_has_the_judges_records_in_row_order(report, manifest, judge):
    result, out, lines = report
    assert result["files"]["scores"] == out / "scores.jsonl"
    records = [json.loads(line) for line in (out / "scores.jsonl").read_text().splitlines()]
    rows = [json.loads(line) for line in manifest.read_text().splitlines()][:8]
    assert [r["path"] for r in records] == [str(resolve_path(manifest, r["path"])) for r in rows]
    assert [r["status"] for r in records] == ["ok"] * 6 + ["error"] * 2
    for rec in records[:6]:
        assert len(rec["frame_scores"]) == FRAMES
        assert all(0.0 <= s <= 1.0 for s in rec["frame_scores"])
        assert set(rec["scores"]) == set(LABELS)
    assert all(rec["error"] for rec in records[6:])
    assert lines[0] == f"scoring 8 clips with {judge.name}"
    # The two clips left out of the metrics are named with their reasons.
    at = lines.index("  2 of 8 clips could not be scored and are left out:")
    for line, rec in zip(lines[at + 1 : at + 3], records[6:], strict=True):
        assert line == f"    {rec['path']}: {rec['error']}"
    assert any(line.startswith(f"scoring 8 clips with the {BASELINE}") for line in lines)
    assert lines[-1] == f"report: {out / 'report.html'}"


def test_metrics_of_both_systems_on_the_same_clips(report, judge):
    result, out, _ = report
    data = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert data["labels"] == LABELS
    assert list(data["columns"]) == [JUDGE, BASELINE]
    judged, base = data["columns"][JUDGE], data["columns"][BASELINE]
    for m in (judged, base):
        assert m["clips"] == 8 and m["errors"] == 2
        assert m["intphys/pairs"] == 3
        assert m["rerank/groups"] == 3 and m["rerank/candidates"] == 2
        assert m["rerank/oracle_clean"] == 1 and m["rerank/random_clean"] == 0.5
        assert m["teleport/positives"] == 2 and m["vanish/positives"] == 1
        assert m["fpr/exit_frame/n"] == 1 and m["fpr/untagged/n"] == 2
        assert m["onset_n"] == 3  # both systems give every clip an onset frame
        for key in ("auroc", "plausible/auroc", "ece", "intphys/relative_err"):
            assert 0.0 <= m[key] <= 1.0, key
    # The judge is measured at its stored thresholds; the baseline at 0.5.
    assert judged["teleport/threshold"] == 0.6 and judged["vanish/threshold"] == 0.5
    assert base["teleport/threshold"] == 0.5
    assert result["columns"][JUDGE]["auroc"] == pytest.approx(judged["auroc"])
    truth = result["truth"]
    assert truth.plausible.tolist() == [1, 0, 1, 0, 1, 0, 1, 1]
    assert result["predictions"][JUDGE].ok.tolist() == [True] * 6 + [False] * 2
    assert result["predictions"][BASELINE].ok.tolist() == [True] * 6 + [False] * 2
    md = (out / "metrics.md").read_text(encoding="utf-8")
    assert md == metrics_markdown(result["columns"], LABELS, result["sources"])
    # Rows without a source form the one "unknown" family: its figures are the overall ones.
    assert list(data["sources"]) == [JUDGE, BASELINE]
    assert list(data["sources"][JUDGE]) == ["unknown"]
    for name in (JUDGE, BASELINE):
        overall = {k: v for k, v in data["columns"][name].items() if not k.startswith("rerank/")}
        assert data["sources"][name]["unknown"] == overall
    assert "Per source: judge" in md
    assert f"| metric | {JUDGE} | {BASELINE} |" in md
    assert "| false positives: exit_frame (n=1) |" in md


def test_plots_and_contact_sheets_are_pngs(report):
    result, out, _ = report
    for name in PLOTS:
        assert result["files"][name] == out / "plots" / f"{name}.png"
    assert sorted(p.stem for p in (out / "plots").iterdir()) == sorted(PLOTS)
    assert sorted(p.stem for p in (out / "sheets").iterdir()) == sorted(SHEETS)
    for path in [*(out / "plots").iterdir(), *(out / "sheets").iterdir()]:
        assert path.read_bytes()[:8] == PNG_MAGIC, path
        assert min(Image.open(path).size) > 100, path
    sheets = {s.name: s for s in result["sheets"]}
    assert list(sheets) == SHEETS
    assert sheets["false_positive_0"].kind == "false positive"
    assert sheets["false_negative_0"].clip.endswith(".mp4")
    assert sheets["group_0"].clip is None
    # The worst false negative is the artifact clip with the lowest artifact score.
    pred, truth = result["predictions"][JUDGE], result["truth"]
    bad = np.flatnonzero(truth.plausible == 0)
    worst = truth.paths[bad[np.argmin(pred.artifact[bad])]]
    assert sheets["false_negative_0"].caption.startswith(f"false negative: {worst} (artifact: ")


def test_plots_show_the_metrics_ece_on_clips_every_system_scored(report, tmp_path, monkeypatch):
    result, _, _ = report
    calls = {}

    def recorder(name, returns):
        def record(*args, **kwargs):
            calls[name] = args, kwargs
            return returns

        return record

    for name in ("plot_reliability", "plot_onset_errors", "plot_score_distributions"):
        monkeypatch.setattr(plots, name, recorder(name, tmp_path / f"{name}.png"))
    monkeypatch.setattr(plots, "plot_roc_pr", recorder("plot_roc_pr", (tmp_path, tmp_path)))
    truth, systems = result["truth"], dict(result["predictions"])
    # Plausibilities 0.52 (clean) and 0.58 (artifact) share a bin of 10 but not of 15.
    artifact = np.array([0.48, 0.42, 0.1, 0.9, 0.2, 0.7, np.nan, np.nan])
    systems[JUDGE] = judged = replace(systems[JUDGE], artifact=artifact)
    write_plots(truth, systems, tmp_path)
    (y, p, _), kwargs = calls["plot_reliability"]
    assert len(y) == 6
    # The reliability diagram's title carries the ECE: the same figure as the metrics table.
    assert ece(p, y, kwargs.get("bins", 10)) == pytest.approx(compute_metrics(truth, judged)["ece"])

    # A clip only one system scored is left out of the curves of both.
    base = systems[BASELINE]
    systems[BASELINE] = replace(base, ok=base.ok & (np.arange(len(base.ok)) != 1))
    write_plots(truth, systems, tmp_path)
    y_roc = calls["plot_roc_pr"][0][0]
    assert (y_roc[1] == -1).all() and (y_roc[[0, 2]] >= 0).all() and (y_roc[6:] == -1).all()
    assert len(calls["plot_reliability"][0][0]) == 5
    # The onset histogram shows each system's own figure (the table's onset_n).
    assert [len(e) for e in calls["plot_onset_errors"][0][0].values()] == [3, 2]


def test_report_html_is_one_self_contained_page(report, manifest, judge):
    result, out, _ = report
    assert result["html"] == out / "report.html"
    page = result["html"].read_text(encoding="utf-8")
    for title in SECTIONS:
        assert f"<h2>{title}</h2>" in page, title
    srcs = re.findall(r'src="([^"]*)"', page)
    assert len(srcs) == len(PLOTS) + len(SHEETS)
    assert all(s.startswith("data:image/png;base64,") for s in srcs)
    for needle in ("http://", "https://", "<script", "<link", "url("):
        assert needle not in page
    assert f"{judge.name} on {manifest}" in page
    assert "8 clips (2 unreadable)" in page
    assert "Best-of-N over 3 groups" in page
    assert "<caption>Headline figures</caption>" in page
    assert f'<th class="num">{JUDGE} AUROC</th>' in page
    assert f"<caption>{JUDGE}, per source family</caption>" in page
    assert f"<caption>{BASELINE}, per source family</caption>" in page


def test_split_filters_rows_and_html_false_writes_metrics_only(judge, manifest, tmp_path):
    out = tmp_path / "val"
    result = evaluate_manifest(
        judge, manifest, out, split="val", html=False, num_workers=0, log=lambda _: None
    )
    assert sorted(p.name for p in out.iterdir()) == ["metrics.json", "metrics.md", "scores.jsonl"]
    assert result["html"] is None and result["sheets"] == []
    assert set(result["files"]) == {"scores", "metrics_json", "metrics_md"}
    for m in result["columns"].values():
        assert m["clips"] == 2 and m["errors"] == 0
        assert m["plausible/auroc"] in (0.0, 0.5, 1.0)
    assert len((out / "scores.jsonl").read_text().splitlines()) == 2

    result = evaluate_manifest(
        judge, manifest, tmp_path / "nobase", split="val", baseline=False, html=False,
        num_workers=0, log=lambda _: None,
    )  # fmt: skip
    assert list(result["columns"]) == [JUDGE]


def test_a_split_without_rows_names_the_manifest(judge, manifest, tmp_path):
    with pytest.raises(ValueError, match=re.escape(f"{manifest}: no rows in split 'train'")):
        evaluate_manifest(judge, manifest, tmp_path / "x", split="train", log=lambda _: None)
    assert not (tmp_path / "x").exists()


# --- the real report in headless Chromium ------------------------------------------------------


def near(img: np.ndarray, hex_rgb: str, tol: int) -> np.ndarray:
    rgb = np.array([int(hex_rgb[i : i + 2], 16) for i in (1, 3, 5)])
    return (np.abs(img.astype(int) - rgb) <= tol).all(axis=-1)


@pytest.mark.browser
def test_report_renders_tables_and_plots_in_chromium(report, tmp_path):
    from judge.report.browser import screenshot

    result, _, _ = report
    png = screenshot(result["html"], tmp_path / "report.png", width=1280, height=4800)
    img = np.asarray(Image.open(png).convert("RGB"))
    assert img.shape == (4800, 1280, 3)
    # Table headers: bands of HEADER_BG at least a few columns wide (summary, label and
    # per-source tables; the plots come after them, hence the tall page).
    header_rows = np.flatnonzero(near(img, HEADER_BG, 2).sum(axis=1) >= 200)
    assert len(header_rows) >= 15, len(header_rows)
    bands = np.split(header_rows, np.flatnonzero(np.diff(header_rows) > 1) + 1)
    assert len(bands) >= 2, [(b[0], b[-1]) for b in bands]
    # Plots: the judge's curves in matplotlib's C0 blue, the baseline's in C1 orange, below the
    # tables (the tolerance keeps the page's link blue, #2457b3, out).
    below = img[header_rows[-1] :]
    blue, orange = near(below, "#1f77b4", 15).sum(), near(below, "#ff7f0e", 15).sum()
    assert blue > 1000 and orange > 1000, (blue, orange)
    assert near(img[: header_rows[-1]], "#ff7f0e", 15).sum() == 0
    assert len(np.unique(below.reshape(-1, 3), axis=0)) > 200
