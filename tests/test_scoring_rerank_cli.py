"""`judge-rerank` on already-scored records (--scores): no model, fast."""

import json
import os

import pytest

from judge.cli.rerank import main


def _rec(path, plaus, status="ok", **scores):
    if status != "ok":
        return {"path": str(path), "status": "error", "error": "truncated file"}
    scores = scores or {"teleport": round(1 - plaus, 3), "vanish": 0.05}
    return {
        "path": str(path),
        "status": "ok",
        "error": None,
        "plausibility": plaus,
        "scores": scores,
        "onsets": {k: (0.4 if v >= 0.5 else None) for k, v in scores.items()},
        "logits": {},
    }


def _jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


def _read(path):
    return [json.loads(line) for line in open(path)]


@pytest.fixture
def cands(tmp_path):
    """Two prompts' folders of candidates, with real (dummy) files for link-best."""
    recs = []
    for prompt, plaus in (("p1", [0.9, 0.3, 0.6]), ("p2", [0.2, 0.95])):
        folder = tmp_path / "cands" / prompt
        folder.mkdir(parents=True)
        for seed, p in enumerate(plaus):
            f = folder / f"{prompt}_{seed}.mp4"
            f.write_bytes(b"x")
            recs.append(_rec(f, p))
    bad = tmp_path / "cands" / "p2" / "p2_9.mp4"
    recs.append(_rec(bad, 0, status="error"))
    return tmp_path, _jsonl(tmp_path / "scores.jsonl", recs)


def test_rerank_folder_links_pairs_and_summary(cands, capsys):
    tmp, scores = cands
    out, pairs, best = tmp / "ranked.jsonl", tmp / "pairs.jsonl", tmp / "best"
    argv = ["--scores", scores, "--out", str(out), "--link-best", str(best)]
    argv += ["--pairs", str(pairs), "--pair-margin", "0.2"]
    assert main(argv) == 0
    rows = _read(out)
    assert [(r["group"], os.path.basename(r["path"]), r["rank"]) for r in rows] == [
        ("cands/p1", "p1_0.mp4", 1),
        ("cands/p1", "p1_2.mp4", 2),
        ("cands/p1", "p1_1.mp4", 3),
        ("cands/p2", "p2_1.mp4", 1),
        ("cands/p2", "p2_0.mp4", 2),
        ("cands/p2", "p2_9.mp4", None),
    ]
    assert rows[0]["margin"] == pytest.approx(0.3) and rows[2]["margin"] is None
    assert rows[2]["worst_label"] == "teleport" and rows[2]["worst_onset"] == 0.4
    assert rows[-1]["status"] == "error" and rows[-1]["error"] == "truncated file"
    links = sorted(os.listdir(best))
    assert links == ["cands_p1__p1_0.mp4", "cands_p2__p2_1.mp4"]
    assert os.readlink(best / links[0]) == str(tmp / "cands" / "p1" / "p1_0.mp4")
    assert [
        (os.path.basename(p["chosen"]), os.path.basename(p["rejected"])) for p in _read(pairs)
    ] == [
        ("p1_0.mp4", "p1_2.mp4"),
        ("p1_0.mp4", "p1_1.mp4"),
        ("p2_1.mp4", "p2_0.mp4"),
    ]
    printed = capsys.readouterr().out
    for key, value in (("groups", 2), ("candidates", 6), ("errors", 1), ("pairs", 3)):
        assert any(
            line.strip().startswith(key) and line.rstrip().endswith(str(value))
            for line in printed.splitlines()
        ), (key, printed)


def test_rerank_pattern_top_k_min_plausibility_weights(cands):
    tmp, scores = cands
    out = tmp / "ranked.jsonl"
    argv = ["--scores", scores, "--out", str(out), "--group-by", "pattern"]
    argv += ["--pattern", "{prompt}_{seed:d}.mp4", "--top-k", "1", "--min-plausibility", "0.5"]
    assert main(argv) == 0
    rows = _read(out)
    # The failed record still matches the pattern, so it stays in its group.
    assert [(r["group"], r["rank"], r["status"]) for r in rows] == [
        ("p1", 1, "ok"),
        ("p2", 1, "ok"),
        ("p2", None, "error"),
    ]
    assert main(["--scores", scores, "--out", str(out), "--weights", "vanish=1"]) == 0
    assert all(r["score"] == pytest.approx(0.95) for r in _read(out) if r["status"] == "ok")


def test_pattern_mismatch_is_an_error_listing_the_file_and_keeps_old_output(cands, capsys):
    tmp, scores = cands
    out = tmp / "ranked.jsonl"
    out.write_text("previous\n")
    argv = ["--scores", scores, "--out", str(out), "--group-by", "pattern"]
    assert main([*argv, "--pattern", "{prompt}-{seed}.mp4"]) == 1
    err = capsys.readouterr().err
    assert "judge-rerank: error: 5 file name(s) do not match pattern" in err
    assert "p1_0.mp4" in err
    # Atomic writes: the old output is untouched and no temporary file is left behind.
    assert out.read_text() == "previous\n"
    assert sorted(p.name for p in tmp.iterdir()) == ["cands", "ranked.jsonl", "scores.jsonl"]


def test_rerank_by_manifest_column(tmp_path):
    rows = [{"path": f"clips/{i}.mp4", "labels": {}, "prompt": f"q{i % 2}"} for i in range(4)]
    manifest = _jsonl(tmp_path / "m.jsonl", rows)
    recs = [_rec(tmp_path / "clips" / f"{i}.mp4", 0.1 * (i + 1)) for i in range(4)]
    scores = _jsonl(tmp_path / "s.jsonl", recs)
    out = tmp_path / "r.jsonl"
    argv = ["--scores", scores, "--group-by", "column", "--column", "prompt", "--out", str(out)]
    assert main([*argv, "--manifest", manifest]) == 0
    assert [(r["group"], os.path.basename(r["path"])) for r in _read(out)] == [
        ("q0", "2.mp4"),
        ("q0", "0.mp4"),
        ("q1", "3.mp4"),
        ("q1", "1.mp4"),
    ]
    assert main(argv) == 1  # no manifest to read the column from


@pytest.mark.parametrize(
    "extra, message",
    [
        (["clip.mp4"], "--scores reranks scored records"),
        (["--copy"], "--copy goes with --link-best"),
        (["--group-by", "pattern"], "needs --pattern"),
        (["--group-by", "column"], "needs --column"),
        (["--top-k", "0"], "--top-k must be >= 1"),
    ],
)
def test_flags_that_do_not_go_together_are_usage_errors(cands, capsys, extra, message):
    tmp, scores = cands
    with pytest.raises(SystemExit) as e:
        main(["--scores", scores, "--out", str(tmp / "r.jsonl"), *extra])
    assert e.value.code == 2 and message in capsys.readouterr().err


def test_bad_weights_are_an_error(cands, capsys):
    tmp, scores = cands
    assert main(["--scores", scores, "--out", str(tmp / "r.jsonl"), "--weights", "x"]) == 1
    assert "judge-rerank: error: bad weight 'x'" in capsys.readouterr().err


def test_bad_scores_file_names_the_line(tmp_path, capsys):
    scores = tmp_path / "s.jsonl"
    scores.write_text('{"path": "a.mp4", "status": "error"}\nnot json\n{"path": "b.mp4"}\n')
    assert main(["--scores", str(scores), "--out", str(tmp_path / "r.jsonl")]) == 1
    assert "line 2: invalid JSON" in capsys.readouterr().err


def test_torn_last_line_of_a_killed_scoring_run_is_skipped(tmp_path, capsys):
    good = json.dumps(_rec(tmp_path / "a.mp4", 0.5))
    scores = tmp_path / "s.jsonl"
    scores.write_text(good + "\n" + good[:20])
    assert main(["--scores", str(scores), "--out", str(tmp_path / "r.jsonl")]) == 0
    assert "torn last line skipped" in capsys.readouterr().err
    assert len(_read(tmp_path / "r.jsonl")) == 1


def test_csv_scores_from_judge_score(tmp_path):
    header = "path,status,error,plausibility,score_teleport,onset_teleport,logit_teleport,"
    header += "logit_plausible"
    lines = [header, f"{tmp_path}/a.mp4,ok,,0.8,0.3,,-1.0,1.2"]
    lines += [f"{tmp_path}/b.mp4,ok,,0.4,0.7,1.5,0.9,-0.4", f"{tmp_path}/c.mp4,error,bad file,,,,,"]
    scores = tmp_path / "s.csv"
    scores.write_text("\n".join(lines) + "\n")
    out = tmp_path / "r.jsonl"
    assert main(["--scores", str(scores), "--out", str(out)]) == 0
    rows = _read(out)
    assert [(os.path.basename(r["path"]), r["rank"]) for r in rows] == [
        ("a.mp4", 1),
        ("b.mp4", 2),
        ("c.mp4", None),
    ]
    assert (rows[1]["worst_label"], rows[1]["worst_onset"]) == ("teleport", 1.5)
    assert rows[2]["error"] == "bad file"


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_ood_skip_and_flag_from_score_files(tmp_path, capsys, fmt):
    from judge.inference.output import ScoreWriter

    folder = tmp_path / "cands" / "p1"
    folder.mkdir(parents=True)
    recs = [_rec(folder / f"p1_{i}.mp4", p) for i, p in enumerate([0.9, 0.5, 0.7])]
    recs[0] |= {"out_of_domain": True, "ood_distance": 3.5}  # the best, but out of domain
    recs[1] |= {"out_of_domain": False, "ood_distance": 0.8}  # recs[2]: no field (old file)
    scores = tmp_path / f"scores.{fmt}"
    with open(scores, "w", newline="") as f:
        if fmt == "csv":  # judge-score's CSV of these partial records
            writer = ScoreWriter(f, fmt, ["teleport", "vanish"], header=True)
            for r in recs:
                writer.write(r)
        else:  # ScoreWriter refuses records without every key: these mimic an older file
            f.writelines(json.dumps(r) + "\n" for r in recs)
    out = tmp_path / "r.jsonl"
    assert main(["--scores", str(scores), "--out", str(out), "--ood", "skip"]) == 0
    rows = _read(out)
    assert [(os.path.basename(r["path"]), r["rank"], r["status"]) for r in rows] == [
        ("p1_2.mp4", 1, "ok"),
        ("p1_1.mp4", 2, "ok"),
        ("p1_0.mp4", None, "skipped"),
    ]
    assert rows[2]["error"] == "out of domain (ood_distance 3.5)"
    assert "out of domain (skipped)" in capsys.readouterr().out
    assert main(["--scores", str(scores), "--out", str(out), "--ood", "flag"]) == 0
    rows = _read(out)
    assert [(os.path.basename(r["path"]), r["out_of_domain"]) for r in rows] == [
        ("p1_0.mp4", True),
        ("p1_2.mp4", False),
        ("p1_1.mp4", False),
    ]
    printed = capsys.readouterr().out
    assert any(
        line.strip().startswith("out of domain (flagged)") and line.rstrip().endswith(" 1")
        for line in printed.splitlines()
    ), printed
