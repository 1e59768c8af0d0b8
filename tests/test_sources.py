import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from judge.io.manifest import read_manifest, resolve_path, validate_row, write_manifest
from judge.io.writer import write_video
from judge.labels import ARTIFACT_LABELS
from judge.sources import (
    SourceError,
    from_csv,
    from_intphys,
    from_labelled_folder,
    from_real_footage,
)
from judge.sources.probe import probe_video


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


def tiny_video(path: Path, frames=5, fps=10, h=16, w=24) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    rgb = np.zeros((frames, h, w, 3), np.uint8)
    rgb[:, :, :, 0] = np.arange(frames, dtype=np.uint8)[:, None, None] * 40
    return write_video(path, rgb, fps)


def by_name(rows):
    return {Path(r["path"]).name: r for r in rows}


def assert_rows_resolve(rows, out_manifest, files, extra_labels=()):
    assert all(validate_row(r, extra_labels=extra_labels) == [] for r in rows)
    resolved = sorted(resolve_path(out_manifest, r["path"]).resolve() for r in rows)
    assert resolved == sorted(Path(f).resolve() for f in files)


# ----------------------------------------------------------------------------- folder


def test_folder_binary_layout(tmp_path):
    root = tmp_path / "ds"
    files = [
        touch(root / "plausible" / "a.mp4"),
        touch(root / "plausible" / "sub" / "b.MOV"),
        touch(root / "implausible" / "c.webm"),
    ]
    touch(root / "plausible" / "notes.txt")
    touch(root / "plausible" / ".hidden.mp4")
    out = tmp_path / "manifests" / "m.jsonl"

    rows = from_labelled_folder(root, out)

    assert_rows_resolve(rows, out, files)
    named = by_name(rows)
    assert named["a.mp4"]["labels"] == {"plausible": 1}
    assert named["b.MOV"]["labels"] == {"plausible": 1}
    assert named["c.webm"]["labels"] == {"plausible": 0}
    assert named["a.mp4"]["path"] == "../ds/plausible/a.mp4"
    assert all(r["source"] == "folder/ds" for r in rows)
    assert rows.skipped == []


def test_folder_per_label_layout(tmp_path):
    root = tmp_path / "ds"
    files = [
        touch(root / "teleport" / "t.mp4"),
        touch(root / "Vanish" / "v.mp4"),
        touch(root / "clean" / "c.mp4"),
        touch(root / "warp" / "w.mp4"),
    ]
    out = root / "manifest.jsonl"

    rows = from_labelled_folder(root, out, extra_labels=["warp"], source="mine")

    assert_rows_resolve(rows, out, files, extra_labels=["warp"])
    named = by_name(rows)
    assert named["t.mp4"]["labels"] == {"teleport": 1, "plausible": 0}
    assert named["v.mp4"]["labels"] == {"vanish": 1, "plausible": 0}
    assert named["w.mp4"]["labels"] == {"warp": 1, "plausible": 0}
    # Clean clips are negatives for the artifact kinds present; the rest stay unknown.
    assert named["c.mp4"]["labels"] == {"plausible": 1, "teleport": 0, "vanish": 0, "warp": 0}
    assert named["c.mp4"]["path"] == "clean/c.mp4"
    assert {r["source"] for r in rows} == {"mine"}


def test_folder_unknown_label_names_folder_and_known_labels(tmp_path):
    touch(tmp_path / "ds" / "teleport" / "t.mp4")
    touch(tmp_path / "ds" / "wobble" / "w.mp4")
    with pytest.raises(SourceError) as info:
        from_labelled_folder(tmp_path / "ds", tmp_path / "m.jsonl")
    msg = str(info.value)
    assert "wobble" in msg and str(tmp_path / "ds" / "wobble") in msg
    assert "teleport" in msg and "clean" in msg and "implausible" in msg


def test_folder_errors_loose_videos_empty_and_missing(tmp_path):
    touch(tmp_path / "ds" / "loose.mp4")
    touch(tmp_path / "ds" / "clean" / "c.mp4")
    with pytest.raises(SourceError, match="directly in the folder"):
        from_labelled_folder(tmp_path / "ds", tmp_path / "m.jsonl")
    (tmp_path / "empty" / "clean").mkdir(parents=True)
    with pytest.raises(SourceError, match="no videos"):
        from_labelled_folder(tmp_path / "empty", tmp_path / "m.jsonl")
    with pytest.raises(SourceError, match="folder not found"):
        from_labelled_folder(tmp_path / "nope", tmp_path / "m.jsonl")


# ----------------------------------------------------------------------------- csv


def write_csv(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_videophy_style(tmp_path):
    vids = tmp_path / "videos"
    files = [touch(vids / "a.mp4"), touch(vids / "b.mp4"), touch(vids / "sub" / "c.mp4")]
    csv_path = write_csv(
        tmp_path / "meta" / "videophy_test.csv",
        "videopath,caption,sa,pc\n"
        "https://storage.example.com/videophy/a.mp4,a ball rolls,1,1\n"
        'b.mp4,"a cup, tipping over",0,0\n'
        "sub/c.mp4,water pours,1,1.0\n",
    )
    out = tmp_path / "m.jsonl"

    rows = from_csv(csv_path, out, video_root=vids, group_col="caption")

    assert_rows_resolve(rows, out, files)
    named = by_name(rows)
    assert named["a.mp4"]["labels"] == {"plausible": 1}
    assert named["b.mp4"]["labels"] == {"plausible": 0}
    assert named["c.mp4"]["labels"] == {"plausible": 1}
    assert named["b.mp4"]["caption"] == "a cup, tipping over"
    assert named["b.mp4"]["group"] == "a cup, tipping over"
    assert named["a.mp4"]["path"] == "videos/a.mp4"
    assert {r["source"] for r in rows} == {"csv/videophy_test"}

    flipped = from_csv(csv_path, out, video_root=vids, positive_means_plausible=False)
    assert by_name(flipped)["a.mp4"]["labels"] == {"plausible": 0}
    assert "group" not in flipped[0]


def test_csv_paths_relative_to_csv_folder_by_default(tmp_path):
    touch(tmp_path / "d" / "clips" / "x.mp4")
    csv_path = write_csv(tmp_path / "d" / "l.csv", "file,bad\nclips/x.mp4,1\n")
    out = tmp_path / "d" / "m.jsonl"
    rows = from_csv(csv_path, out, path_col="file", label_col="bad", positive_means_plausible=False)
    assert rows == [{"path": "clips/x.mp4", "labels": {"plausible": 0}, "source": "csv/l"}]


def test_csv_bad_rows_all_reported_with_line_numbers(tmp_path):
    touch(tmp_path / "ok.mp4")
    csv_path = write_csv(
        tmp_path / "l.csv",
        "videopath,caption,pc\n"
        "ok.mp4,fine,1\n"
        "missing.mp4,gone,1\n"
        'ok.mp4,"multi\nline caption",yes\n'
        ",no path,0\n"
        "ok.mp4,again,0\n",
    )
    with pytest.raises(SourceError) as info:
        from_csv(csv_path, tmp_path / "m.jsonl")
    msg = str(info.value)
    assert msg.startswith(str(csv_path))
    lines = {line for line, _ in info.value.errors}
    assert lines == {3, 4, 6, 7}
    assert "line 3: video not found" in msg
    assert "line 4: 'pc' must be 0 or 1, got 'yes'" in msg
    assert "line 6: empty 'videopath'" in msg
    assert "line 7: same video as line 2" in msg


def test_csv_missing_columns(tmp_path):
    csv_path = write_csv(tmp_path / "l.csv", "path,caption\nx.mp4,hi\n")
    with pytest.raises(SourceError) as info:
        from_csv(csv_path, tmp_path / "m.jsonl")
    msg = str(info.value)
    assert str(csv_path) in msg and "line 1" in msg
    assert "'videopath'" in msg and "'pc'" in msg and "header has 'path', 'caption'" in msg
    with pytest.raises(SourceError, match="empty CSV"):
        from_csv(write_csv(tmp_path / "e.csv", ""), tmp_path / "m.jsonl")


def test_csv_skip_missing_counts_and_returns(tmp_path):
    touch(tmp_path / "a.mp4")
    csv_path = write_csv(tmp_path / "l.csv", "videopath,pc\na.mp4,1\ngone1.mp4,0\ngone2.mp4,1\n")
    rows = from_csv(csv_path, tmp_path / "m.jsonl", skip_missing=True)
    assert [r["path"] for r in rows] == ["a.mp4"]
    assert [line for line, _ in rows.skipped] == [3, 4]
    assert "gone1.mp4" in rows.skipped[0][1]
    # A bad label is still an error, even with skip_missing.
    write_csv(csv_path, "videopath,pc\na.mp4,2\n")
    with pytest.raises(SourceError, match="line 2"):
        from_csv(csv_path, tmp_path / "m.jsonl", skip_missing=True)


# ----------------------------------------------------------------------------- intphys


def test_intphys_possible_impossible_folders(tmp_path):
    root = tmp_path / "intphys"
    files = [
        touch(root / "scene_a" / "possible" / "1.mp4"),
        touch(root / "scene_a" / "possible" / "2.mp4"),
        touch(root / "scene_a" / "impossible" / "3.mp4"),
        touch(root / "scene_b" / "possible" / "x.mp4"),
        touch(root / "scene_b" / "impossible" / "y.mp4"),
    ]
    out = tmp_path / "m.jsonl"
    rows = from_intphys(root, out)
    assert_rows_resolve(rows, out, files)
    got = {(r["group"], Path(r["path"]).name, r["labels"]["plausible"]) for r in rows}
    assert got == {
        ("scene_a", "1.mp4", 1),
        ("scene_a", "2.mp4", 1),
        ("scene_a", "3.mp4", 0),
        ("scene_b", "x.mp4", 1),
        ("scene_b", "y.mp4", 0),
    }
    assert {r["source"] for r in rows} == {"intphys"}
    assert all(set(r["labels"]) == {"plausible"} for r in rows)


def test_intphys_numbered_dev_layout_with_status_json(tmp_path):
    root = tmp_path / "dev"
    for run in "1234":
        # Dev-set layout: block/quadruplet/run/{status.json, scene.mp4, depth, masks}.
        touch(root / "O1" / "0001" / run / "scene.mp4")
        touch(root / "O1" / "0001" / run / "depth" / "depth.mp4")
        touch(root / "O1" / "0001" / run / "masks.mp4")
        touch(root / "O3" / "7" / run / "scene" / "video.mp4")
    # status.json overrides the 1,2 / 3,4 rule where present.
    for run, possible in (("1", True), ("2", False), ("3", True), ("4", False)):
        status = root / "O3" / "7" / run / "status.json"
        status.write_text(json.dumps({"header": {"is_possible": possible}}))
    # Numbered run videos straight in the scene folder.
    for run in "1234":
        touch(root / "flat" / f"{run}.mp4")
    # A quadruplet folder itself named "1": the innermost numbered folder is the scene.
    for run in "1234":
        touch(root / "O2" / "1" / run / "scene.mp4")

    rows = from_intphys(root, tmp_path / "m.jsonl")

    got = {(r["group"], Path(r["path"]).parent.name, Path(r["path"]).name): r for r in rows}
    assert len(rows) == 16
    assert sorted(r["labels"]["plausible"] for r in rows if r["group"] == "O2/1") == [0, 0, 1, 1]
    assert [got[("O1/0001", k, "scene.mp4")]["labels"]["plausible"] for k in "1234"] == [1, 1, 0, 0]
    o3 = sorted((r["path"], r["labels"]["plausible"]) for r in rows if r["group"] == "O3/7")
    assert [p for _, p in o3] == [1, 0, 1, 0]
    assert [got[("flat", "flat", f"{k}.mp4")]["labels"]["plausible"] for k in "1234"] == [
        1,
        1,
        0,
        0,
    ]
    assert {r.get("tags", [None])[0] for r in rows if r["group"].startswith("O1")} == {"intphys:O1"}
    assert "tags" not in got[("flat", "flat", "1.mp4")]
    assert not any("depth" in r["path"] or "masks" in r["path"] for r in rows)


def test_intphys_png_runs_and_bad_status_reported(tmp_path):
    root = tmp_path / "dev" / "O2" / "0001"
    for run in "1234":
        touch(root / run / "scene" / "scene_001.png")
    touch(tmp_path / "dev" / "O2" / "0002" / "1" / "scene.mp4")
    (tmp_path / "dev" / "O2" / "0002" / "1" / "status.json").write_text("{}")
    with pytest.raises(SourceError) as info:
        from_intphys(tmp_path / "dev", tmp_path / "m.jsonl")
    msg = str(info.value)
    assert msg.count("PNG frames but no video") == 4
    assert "header.is_possible" in msg


def test_intphys_no_scenes(tmp_path):
    touch(tmp_path / "x" / "a.mp4")
    with pytest.raises(SourceError, match="no IntPhys scenes"):
        from_intphys(tmp_path / "x", tmp_path / "m.jsonl")


# ----------------------------------------------------------------------------- real


def test_real_footage(tmp_path):
    root = tmp_path / "real"
    files = [
        touch(root / "a.mp4"),
        touch(root / "trip1" / "b.mkv"),
        touch(root / "trip1" / "c.mp4"),
    ]
    out = tmp_path / "m.jsonl"
    rows = from_real_footage(root, out)
    assert_rows_resolve(rows, out, files)
    # Real footage shows no artifact: every label is known, plausible 1 and each kind 0.
    expected = {"plausible": 1, **{name: 0 for name in ARTIFACT_LABELS}}
    assert all(r["labels"] == expected for r in rows)
    assert len(rows[0]["labels"]) == len(ARTIFACT_LABELS) + 1
    assert all(r["source"] == "real/real" and r["tags"] == ["real"] for r in rows)
    assert {r["source"] for r in from_real_footage(root, out, source="mine")} == {"mine"}
    assert all("group" not in r for r in rows)
    grouped = by_name(from_real_footage(root, out, group_by_folder=True))
    assert grouped["a.mp4"]["group"] == "real"
    assert grouped["b.mkv"]["group"] == grouped["c.mp4"]["group"] == "real/trip1"
    touch(tmp_path / "empty" / "notes.txt")
    with pytest.raises(SourceError, match="no videos"):
        from_real_footage(tmp_path / "empty", out)


# ----------------------------------------------------------------------------- probe


def test_probe_video_reads_real_file(tmp_path):
    path = tiny_video(tmp_path / "v.mp4", frames=7, fps=12, h=16, w=24)
    assert probe_video(path) == {"fps": 12.0, "num_frames": 7, "width": 24, "height": 16}
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video" * 10)
    with pytest.raises(ValueError, match="bad.mp4"):
        probe_video(bad)


def test_adapters_probe_fill_fields_and_report_bad_files(tmp_path):
    root = tmp_path / "real"
    tiny_video(root / "a.mp4", frames=5, fps=10)
    tiny_video(root / "b.mp4", frames=3, fps=25, h=8, w=8)
    out = tmp_path / "m.jsonl"
    rows = by_name(from_real_footage(root, out, probe=True))
    probed = {k: rows["a.mp4"][k] for k in ("fps", "num_frames", "width", "height")}
    assert probed == {"fps": 10.0, "num_frames": 5, "width": 24, "height": 16}
    assert rows["b.mp4"]["num_frames"] == 3 and rows["b.mp4"]["fps"] == 25.0
    write_manifest(out, rows.values())  # valid rows
    (root / "c.mp4").write_bytes(b"\0" * 100)
    with pytest.raises(SourceError, match="c.mp4: cannot probe"):
        from_real_footage(root, out, probe=True)


# ----------------------------------------------------------------------------- CLI


def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "judge.cli.data", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_import_each_kind(tmp_path):
    touch(tmp_path / "f" / "teleport" / "t.mp4")
    touch(tmp_path / "f" / "clean" / "c.mp4")
    out = tmp_path / "out" / "folder.jsonl"
    r = run_cli("import", "folder", tmp_path / "f", "--out", out)
    assert r.returncode == 0, r.stderr
    assert "2 rows (plausible 1: 1, 0: 1)" in r.stdout
    rows = read_manifest(out)
    assert all(resolve_path(out, x["path"]).is_file() for x in rows)

    r = run_cli("import", "folder", tmp_path / "f", "--out", out)
    assert r.returncode == 1 and "already exists" in r.stderr

    touch(tmp_path / "v" / "a.mp4")
    csv_path = write_csv(tmp_path / "l.csv", "videopath,pc\na.mp4,1\ngone.mp4,0\n")
    out = tmp_path / "out" / "csv.jsonl"
    r = run_cli("import", "csv", csv_path, "--out", out, "--video-root", tmp_path / "v")
    assert r.returncode == 1 and "line 3: video not found" in r.stderr
    assert "Traceback" not in r.stderr and not out.exists()
    r = run_cli(
        "import", "csv", csv_path, "--out", out, "--video-root", tmp_path / "v", "--skip-missing"
    )
    assert r.returncode == 0, r.stderr
    assert "1 rows" in r.stdout and "skipped 1 (first: line 3" in r.stdout
    assert read_manifest(out)[0]["path"] == "../v/a.mp4"

    touch(tmp_path / "ip" / "s" / "possible" / "a.mp4")
    touch(tmp_path / "ip" / "s" / "impossible" / "b.mp4")
    out = tmp_path / "out" / "ip.jsonl"
    r = run_cli("import", "intphys", tmp_path / "ip", "--out", out)
    assert r.returncode == 0, r.stderr
    assert {x["group"] for x in read_manifest(out)} == {"s"}

    tiny_video(tmp_path / "real" / "r.mp4")
    out = tmp_path / "out" / "real.jsonl"
    r = run_cli("import", "real", tmp_path / "real", "--out", out, "--probe")
    assert r.returncode == 0, r.stderr
    (row,) = read_manifest(out)
    assert row["tags"] == ["real"] and row["num_frames"] == 5
    assert row["source"] == "real/real" and row["labels"]["teleport"] == 0
    assert "0 rows" not in r.stdout and "plausible 1: 1, 0: 0" in r.stdout

    r = run_cli("import", "folder", tmp_path / "ip", "--out", tmp_path / "x.jsonl")
    assert r.returncode == 1 and "'s' is not a label" in r.stderr and "Traceback" not in r.stderr
