"""judge.io.jsonl: the one JSONL rule (blank lines, bad lines by number, the torn tail)."""

from __future__ import annotations

import json

import pytest

from judge.io.jsonl import JsonlError, iter_lines, read_jsonl, write_jsonl


def test_blank_lines_are_skipped_and_line_numbers_kept(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text('{"a": 1}\n\n   \n[2]\n')
    assert read_jsonl(path) == [{"a": 1}, [2]]
    assert [line.number for line in iter_lines(path)] == [1, 4]


def test_every_bad_line_is_named_with_file_and_number(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"a": 1}\nnot json\n{"b": 2}\n{oops\n')
    with pytest.raises(JsonlError) as err:
        read_jsonl(path)
    assert [n for n, _ in err.value.problems] == [2, 4]
    text = str(err.value)
    assert text.startswith(f"{path}: line 2: invalid JSON") and "line 4: invalid JSON" in text


def test_check_adds_its_own_reasons(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text('{"path": "a"}\n{"nope": 1}\n')
    check = lambda v: None if "path" in v else "no 'path'"  # noqa: E731
    with pytest.raises(JsonlError, match="line 2: no 'path'"):
        read_jsonl(path, check=check)


def test_a_torn_last_line_is_forgiven_only_when_asked_and_only_at_the_end(tmp_path, capsys):
    good = json.dumps({"path": "a.mp4", "status": "ok"})
    torn = tmp_path / "torn.jsonl"
    torn.write_text(good + "\n" + good[:15])  # a writer killed mid-line: no newline after it
    with pytest.raises(JsonlError, match="line 2"):
        read_jsonl(torn)
    assert read_jsonl(torn, torn_tail=True) == [json.loads(good)]
    assert "torn last line skipped" in capsys.readouterr().err
    # The same bad line with a newline after it, or in the middle, is not a torn write.
    ended = tmp_path / "ended.jsonl"
    ended.write_text(good + "\n" + good[:15] + "\n")
    with pytest.raises(JsonlError, match="line 2"):
        read_jsonl(ended, torn_tail=True)
    middle = tmp_path / "middle.jsonl"
    middle.write_text(good[:15] + "\n" + good)
    with pytest.raises(JsonlError, match="line 1"):
        read_jsonl(middle, torn_tail=True)


def test_many_bad_lines_are_counted_not_all_listed(tmp_path):
    path = tmp_path / "many.jsonl"
    path.write_text("x\n" * 13)
    with pytest.raises(JsonlError, match=r"\.\.\. and 3 more") as err:
        read_jsonl(path)
    assert len(err.value.problems) == 13


def test_write_then_read_round_trips_unicode_and_refuses_nan(tmp_path):
    path = tmp_path / "out" / "w.jsonl"
    rows = [{"path": "vidéo.mp4", "x": 1.5}, {"y": None}]
    write_jsonl(path, rows)
    assert "vidéo" in path.read_text(encoding="utf-8")  # UTF-8 kept, not \\u-escaped
    assert read_jsonl(path) == rows
    with pytest.raises(ValueError):
        write_jsonl(path, [{"x": float("nan")}])
    assert read_jsonl(path) == rows  # atomic: the failed write left the old file
