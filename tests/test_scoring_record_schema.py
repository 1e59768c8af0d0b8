"""The score-record schema (judge.inference.record) and judge.json (judge.inference.judge_json):
one owner each, and the files they write hold exactly their keys."""

from __future__ import annotations

import io
import json

import pytest

from judge.inference import loading
from judge.inference.aggregate import error_record
from judge.inference.judge_json import (
    JUDGE_JSON,
    judge_json_content,
    read_judge_json,
    update_judge_json,
    write_judge_json,
)
from judge.inference.output import ScoreWriter
from judge.inference.record import (
    OPTIONAL_KEYS,
    RECORD_KEYS,
    dumps_record,
    make_record,
    read_scores,
    write_scores,
)


def _full(**change) -> dict:
    rec = {k: None for k in RECORD_KEYS} | {"path": "a.mp4", "status": "ok"}
    return rec | change


def test_make_record_orders_by_record_keys_and_refuses_drift():
    shuffled = dict(reversed(list(_full(frame_scores=[0.1]).items())))
    assert tuple(make_record(**shuffled)) == RECORD_KEYS + OPTIONAL_KEYS
    with pytest.raises(ValueError, match="missing \\['plausibility'\\]"):
        make_record(**{k: v for k, v in _full().items() if k != "plausibility"})
    with pytest.raises(ValueError, match="unknown \\['extra'\\]"):
        make_record(**_full(extra=1))


def test_a_written_record_has_exactly_the_record_keys_in_order(tmp_path):
    buf = io.StringIO()
    ScoreWriter(buf, "jsonl", ["teleport"], header=True).write(
        dict(reversed(list(_full().items())))
    )
    (line,) = buf.getvalue().splitlines()
    assert tuple(json.loads(line)) == RECORD_KEYS
    with pytest.raises(ValueError, match="not a score record"):
        ScoreWriter(io.StringIO(), "jsonl", [], header=True).write({"path": "x"})
    # The atomic whole-file writer (judge-eval's scores.jsonl, --save-scores) and the reader.
    path = tmp_path / "s.jsonl"
    write_scores(path, [error_record("b.mp4", "broken", "m"), _full()])
    back = read_scores(path)
    assert [tuple(r) for r in back] == [RECORD_KEYS, RECORD_KEYS]
    assert back[0]["error"] == "broken" and dumps_record(back[1]) == dumps_record(_full())


def test_read_scores_keeps_the_last_record_of_a_path(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text(dumps_record(_full(plausibility=0.1)) + dumps_record(_full(plausibility=0.9)))
    (rec,) = read_scores(path)
    assert rec["plausibility"] == 0.9


def test_judge_json_has_one_constant_one_writer_one_reader(tmp_path):
    assert loading.JUDGE_JSON is JUDGE_JSON == "judge.json"
    desc = {
        "labels": ["teleport"],
        "model": {"backbone": "tiny3d"},
        "input": {"num_frames": 16},
        "temperatures": {"teleport": 2},
        "calibration": {"n": 3},
    }
    content = judge_json_content(desc)
    assert content["temperatures"] == {"teleport": 2.0} and content["calibration"] == {"n": 3}
    assert content["format"] == 1 and content["domain"] is None
    assert content["provenance"]["exported_at"]
    path = write_judge_json(tmp_path / JUDGE_JSON, content)
    text = path.read_text()
    assert text.endswith("\n") and json.loads(text) == content
    assert read_judge_json(tmp_path) == read_judge_json(path) == content
    fit = {
        "temperatures": {"plausible": 1.5},
        "thresholds": {"teleport": 0.7},
        "calibration": {"n": 9},
    }
    update_judge_json(path, fit)
    merged = read_judge_json(path)
    assert merged["temperatures"] == {"teleport": 2.0, "plausible": 1.5}
    assert merged["thresholds"] == {"teleport": 0.7} and merged["calibration"] == {"n": 9}
    assert merged["model"] == content["model"]  # other keys untouched
    with pytest.raises(ValueError):
        write_judge_json(path, {"bad": float("nan")})
    assert read_judge_json(path) == merged  # atomic: the failed write changed nothing
