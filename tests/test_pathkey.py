"""One path key everywhere: a clip named through a symlink matches in calibration, evaluation
and reranking alike (judge.io.pathkey)."""

from __future__ import annotations

import json
import os

import pytest

from judge.cli import calibrate as cli_calibrate
from judge.cli import rerank as cli_rerank
from judge.evaluation.scoring import judge_records
from judge.io.manifest import read_manifest, write_manifest
from judge.io.pathkey import path_key
from judge.rerank.grouping import column_groups

LABELS = {"teleport": 0, "plausible": 1}


@pytest.fixture
def linked(tmp_path):
    """``real/a.mp4`` and ``real/b.mp4``; ``linked`` -> ``real`` (a folder link) and
    ``b_link.mp4`` -> ``real/b.mp4`` (a file link). Returns (root, real a, real b)."""
    real = tmp_path / "real"
    real.mkdir()
    a, b = real / "a.mp4", real / "b.mp4"
    a.write_bytes(b"")
    b.write_bytes(b"")
    os.symlink(real, tmp_path / "linked")
    os.symlink(b, tmp_path / "b_link.mp4")
    return tmp_path, a, b


def test_path_key_resolves_links_and_relative_parts(linked, monkeypatch):
    root, a, b = linked
    assert path_key(root / "linked" / "a.mp4") == path_key(a) == str(a.resolve())
    assert path_key(root / "b_link.mp4") == path_key(b)
    monkeypatch.chdir(root / "real")
    assert path_key("../linked/./a.mp4") == path_key(a)
    assert path_key(root / "missing.mp4") == str(root.resolve() / "missing.mp4")


def _record(path, logit: float) -> dict:
    return {
        "path": str(path),
        "status": "ok",
        "error": None,
        "plausibility": 0.5,
        "scores": {"teleport": 0.5},
        "logits": {"teleport": logit, "plausible": -logit},
    }


def test_calibration_and_evaluation_both_match_a_clip_named_through_a_symlink(linked, capsys):
    root, a, b = linked
    # The manifest names the clips through links; the records carry the files' real paths.
    rows = [
        {"path": "linked/a.mp4", "labels": {"teleport": 1, "plausible": 0}},
        {"path": "b_link.mp4", "labels": LABELS},
    ]
    manifest = write_manifest(root / "m.jsonl", rows)
    scores = root / "scores.jsonl"
    scores.write_text("".join(json.dumps(_record(p, x)) + "\n" for p, x in ((a, 2.0), (b, -2.0))))

    report = root / "cal.json"
    argv = ["--scores", str(scores), "--manifest", str(manifest), "--report", str(report)]
    assert cli_calibrate.main(argv) == 0
    assert json.loads(report.read_text())["calibration"]["n"] == 2
    assert "not among the manifest rows" not in capsys.readouterr().out

    class Judge:  # scores every clip under its real path, as a resolved input would be
        def score(self, paths, **kwargs):
            return [_record(os.path.realpath(p), 0.0) for p in paths]

    got = judge_records(Judge(), manifest, read_manifest(manifest))
    assert [r["path"] for r in got] == [str(a.resolve()), str(b.resolve())]


def test_calibration_matches_records_scored_through_a_link_too(linked):
    root, a, _ = linked
    manifest = write_manifest(root / "m.jsonl", [{"path": "real/a.mp4", "labels": LABELS}])
    scores = root / "scores.jsonl"
    scores.write_text(json.dumps(_record(root / "linked" / "a.mp4", -1.0)) + "\n")
    report = root / "cal.json"
    argv = ["--scores", str(scores), "--manifest", str(manifest), "--report", str(report)]
    assert cli_calibrate.main(argv) == 0
    assert json.loads(report.read_text())["calibration"]["n"] == 1


def test_rerank_column_groups_match_through_a_link(linked):
    root, a, _ = linked
    manifest = root / "groups.jsonl"
    manifest.write_text(json.dumps({"path": "linked/a.mp4", "prompt": "cat"}) + "\n")
    rows = cli_rerank.manifest_rows([str(manifest)])
    assert column_groups([str(a)], rows, "prompt") == ["cat"]
