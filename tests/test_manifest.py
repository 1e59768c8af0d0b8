import json
from pathlib import Path

import pytest

from judge.io.manifest import (
    ManifestError,
    read_manifest,
    resolve_path,
    validate_row,
    write_manifest,
)


def good_row(**overrides):
    row = {
        "path": "clips/000123_teleport.mp4",
        "group": "scene-000123",
        "source": "synthetic/mujoco",
        "labels": {"teleport": 1, "clipping": 0, "vanish": 0, "appear": 0},
        "events": [
            {"type": "teleport", "frame": 12, "end": 12, "object": 2, "bbox": [10, 20, 30, 40]}
        ],
        "fps": 15,
        "num_frames": 24,
        "width": 96,
        "height": 96,
        "split": "train",
        "tags": ["bounce"],
        "annotations": "clips/000123_teleport.npz",
    }
    row.update(overrides)
    return row


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_round_trip(tmp_path):
    rows = [
        good_row(),
        {"path": "/abs/public.mp4", "labels": {"plausible": 0}},
        good_row(path="clips/clean.mp4", labels={"plausible": 1, "teleport": 0}, events=[]),
    ]
    out = write_manifest(tmp_path / "m.jsonl", rows)
    assert read_manifest(out) == rows


def test_design_example_is_valid():
    assert validate_row(good_row()) == []


def test_every_bad_row_is_reported_with_its_line(tmp_path):
    path = write_lines(
        tmp_path / "m.jsonl",
        [
            json.dumps(good_row()),
            json.dumps(good_row(labels={"telport": 1})),  # line 2
            "",  # blank lines are skipped but still counted
            json.dumps(good_row(fps=0, split="dev")),  # line 4: two problems
            json.dumps({"labels": {}}),  # line 5: no path
            json.dumps(good_row()),
            json.dumps(good_row(labels={"teleport": True})),  # line 7: bool is not 0/1
        ],
    )
    with pytest.raises(ManifestError) as e:
        read_manifest(path)
    lines = [line for line, _ in e.value.errors]
    assert lines == [2, 4, 4, 5, 7]
    reasons = dict(e.value.errors)
    assert "telport" in reasons[2]
    assert "path" in reasons[5]
    assert "0 or 1" in reasons[7]
    msg = str(e.value)
    assert str(path) in msg and "4 bad row(s)" in msg
    assert "line 4: fps" in msg and "line 4: split" in msg


def test_json_syntax_error_names_the_line(tmp_path):
    path = write_lines(tmp_path / "m.jsonl", [json.dumps(good_row()), '{"path": "a.mp4",'])
    with pytest.raises(ManifestError) as e:
        read_manifest(path)
    assert len(e.value.errors) == 1
    line, reason = e.value.errors[0]
    assert line == 2 and "invalid JSON" in reason


def test_non_object_row(tmp_path):
    path = write_lines(tmp_path / "m.jsonl", ["[1, 2]"])
    with pytest.raises(ManifestError, match="line 1: row must be a JSON object"):
        read_manifest(path)


def test_events_must_agree_with_labels():
    errs = validate_row(good_row(labels={"teleport": 0}))
    assert any("labels['teleport'] is 0" in e for e in errs)
    # A missing key is unknown, not a contradiction.
    assert validate_row(good_row(labels={"plausible": 0})) == []
    errs = validate_row(good_row(labels={"plausible": 1}))
    assert any("plausible=1 but the row has artifact events" in e for e in errs)
    errs = validate_row(good_row(labels={"plausible": 1, "teleport": 1}))
    assert any("plausible=1 and also teleport=1" in e for e in errs)


@pytest.mark.parametrize(
    ("event", "needle"),
    [
        ({"type": "explode", "frame": 1}, "not an artifact label"),
        ({"type": "plausible", "frame": 1}, "not an artifact label"),
        ({"type": "teleport", "frame": -1}, "frame must be an int >= 0"),
        ({"type": "teleport", "frame": 1.0}, "frame must be an int >= 0"),
        ({"type": "teleport", "frame": 24}, "past the clip"),
        ({"type": "teleport", "frame": 5, "end": 4}, "end must be null or an int >= frame"),
        ({"type": "teleport", "frame": 5, "end": 30}, "past the clip"),
        ({"type": "teleport", "frame": 5, "object": "2"}, "object must be an int"),
        ({"type": "teleport", "frame": 5, "bbox": [1, 2, 3]}, "bbox must be a list of 4"),
        ({"type": "teleport", "frame": 5, "bbox": [1, 2, 3, "4"]}, "bbox must be a list of 4"),
    ],
)
def test_bad_events(event, needle):
    errs = validate_row(good_row(events=[event]))
    assert any(needle in e for e in errs), errs


def test_open_ended_event_and_no_num_frames():
    assert validate_row(good_row(events=[{"type": "teleport", "frame": 3, "end": None}])) == []
    row = good_row(events=[{"type": "teleport", "frame": 500}])
    del row["num_frames"]
    assert validate_row(row) == []


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        ({"fps": -1}, "fps"),
        ({"fps": float("nan")}, "fps"),
        ({"num_frames": 0}, "num_frames"),
        ({"width": 9.5}, "width"),
        ({"height": "96"}, "height"),
        ({"tags": ["a", 1]}, "tags"),
        ({"group": 3}, "group"),
        ({"annotations": None}, "annotations"),
        ({"events": {}}, "events must be a list"),
        ({"labels": [1]}, "labels must be an object"),
        ({"labels": {"teleport": 2}}, "0 or 1"),
    ],
)
def test_bad_fields(overrides, needle):
    errs = validate_row(good_row(**overrides))
    assert any(needle in e for e in errs), errs


def test_extra_labels_allow_new_kinds():
    row = good_row(labels={"explode": 1}, events=[{"type": "explode", "frame": 2}])
    assert validate_row(row) != []
    assert validate_row(row, extra_labels=["explode"]) == []


def test_write_is_byte_deterministic_and_canonical(tmp_path):
    rows = [good_row(), good_row(path="b.mp4", group="g2")]
    a = write_manifest(tmp_path / "a.jsonl", rows).read_bytes()
    shuffled = [dict(reversed(list(r.items()))) for r in rows]
    b = write_manifest(tmp_path / "b.jsonl", shuffled).read_bytes()
    assert a == b
    first = a.decode().splitlines()[0]
    assert first.startswith('{"annotations":') and ", " not in first and ": " not in first
    assert a.endswith(b"\n") and a.count(b"\n") == 2


def test_write_rejects_bad_rows_and_writes_nothing(tmp_path):
    target = tmp_path / "m.jsonl"
    with pytest.raises(ManifestError) as e:
        write_manifest(target, [good_row(), good_row(fps=0)])
    assert e.value.errors[0][0] == 2
    assert not target.exists()


def test_message_caps_listed_problems_but_counts_all(tmp_path):
    path = write_lines(tmp_path / "m.jsonl", [json.dumps({"path": "x"})] * 60)
    with pytest.raises(ManifestError) as e:
        read_manifest(path)
    assert len(e.value.errors) == 60
    msg = str(e.value)
    assert "60 bad row(s)" in msg and "line 50:" in msg and "line 51:" not in msg
    assert "and 10 more" in msg


def test_resolve_path(tmp_path):
    manifest = tmp_path / "data" / "m.jsonl"
    assert resolve_path(manifest, "clips/a.mp4") == tmp_path / "data" / "clips" / "a.mp4"
    assert resolve_path(manifest, "/abs/a.mp4") == Path("/abs/a.mp4")
    assert resolve_path("rel/m.jsonl", "a.mp4").is_absolute()
