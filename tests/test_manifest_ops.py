import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from judge.io.manifest import ManifestError, read_manifest, resolve_path, write_manifest
from judge.io.manifest_ops import (
    MergeError,
    assign_split,
    manifest_stats,
    merge_manifests,
    missing_files,
    path_for_manifest,
    split_by_group,
)


def row(path, **kw):
    return {"path": path, "labels": {"plausible": 1}, **kw}


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


def make_manifest(folder: Path, rows: list[dict], name="manifest.jsonl") -> Path:
    for r in rows:
        for key in ("path", "annotations"):
            if key in r and not Path(r[key]).is_absolute():
                touch(folder / r[key])
    return write_manifest(folder / name, rows)


def run_cli(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "judge.cli.data", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


# ----------------------------------------------------------------------------- paths


def test_path_for_manifest_relative_inside_and_beside(tmp_path):
    out = tmp_path / "merged" / "all.jsonl"
    assert path_for_manifest(tmp_path / "merged" / "a" / "x.mp4", out) == "a/x.mp4"
    assert path_for_manifest(tmp_path / "other" / "x.mp4", out) == "../other/x.mp4"


def test_path_for_manifest_absolute_when_only_root_is_shared(tmp_path):
    # /x.mp4 and tmp_path share only "/": a ../../.. chain would be fragile.
    assert path_for_manifest("/x.mp4", tmp_path / "m.jsonl") == "/x.mp4"


# ----------------------------------------------------------------------------- merge


def test_merge_rewrites_paths_to_resolve_to_same_files(tmp_path):
    a = make_manifest(
        tmp_path / "data" / "a",
        [
            row("clips/1.mp4", group="g1", source="synthetic/mujoco", annotations="clips/1.npz"),
            row("clips/2.mp4", group="g1", source="synthetic/mujoco", split="val"),
        ],
    )
    abs_clip = touch(tmp_path / "elsewhere" / "3.mp4")
    b = make_manifest(
        tmp_path / "data" / "b" / "deep",
        [row("../vids/4.mp4", source="real"), row(str(abs_clip), source="real")],
    )
    out = tmp_path / "data" / "merged" / "all.jsonl"

    rows = merge_manifests([a, b], out)

    on_disk = read_manifest(out)
    assert on_disk == rows
    assert [r["path"] for r in rows] == [
        "../a/clips/1.mp4",
        "../a/clips/2.mp4",
        "../b/vids/4.mp4",
        "../../elsewhere/3.mp4",
    ]
    assert rows[0]["annotations"] == "../a/clips/1.npz"
    expected = [
        resolve_path(a, "clips/1.mp4"),
        resolve_path(a, "clips/2.mp4"),
        resolve_path(b, "../vids/4.mp4"),
        abs_clip,
    ]
    assert [resolve_path(out, r["path"]).resolve() for r in rows] == [p.resolve() for p in expected]
    assert all(resolve_path(out, r["path"]).is_file() for r in rows)
    assert resolve_path(out, rows[0]["annotations"]).is_file()
    # Other keys pass through untouched.
    assert [r["source"] for r in rows] == ["synthetic/mujoco"] * 2 + ["real"] * 2
    assert rows[1]["split"] == "val" and rows[0]["group"] == "g1"


def test_merge_duplicates_name_both_manifests_and_lines(tmp_path):
    a = make_manifest(tmp_path / "a", [row("x.mp4"), row("y.mp4")])
    # Blank line first: line numbers are the file's, not the row index.
    b = tmp_path / "b" / "m.jsonl"
    b.parent.mkdir()
    b.write_text("\n" + json.dumps(row("../a/y.mp4")) + "\n" + json.dumps(row("z.mp4")) + "\n")
    out = tmp_path / "out.jsonl"

    with pytest.raises(MergeError) as info:
        merge_manifests([a, b], out)

    msg = str(info.value)
    assert f"{a} line 2" in msg and f"{b} line 2" in msg
    assert str(tmp_path / "a" / "y.mp4") in msg
    assert len(info.value.duplicates) == 1
    assert not out.exists()


def test_merge_duplicate_within_one_manifest(tmp_path):
    a = make_manifest(tmp_path, [row("x.mp4"), row("./x.mp4")])
    with pytest.raises(MergeError, match="line 1 and .* line 2"):
        merge_manifests([a], tmp_path / "out.jsonl")


def test_merge_reports_bad_input_rows(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(row("x.mp4")) + "\n" + '{"path": "y.mp4"}\n')
    with pytest.raises(ManifestError, match="line 2"):
        merge_manifests([bad], tmp_path / "out.jsonl")


# ----------------------------------------------------------------------------- split


def test_assign_split_is_pure_function_of_seed_and_group():
    ratios = {"train": 0.8, "val": 0.1, "test": 0.1}
    assert assign_split("scene-1", ratios, 0) == assign_split("scene-1", ratios, 0)
    groups = [f"scene-{i}" for i in range(200)]
    by_seed = [[assign_split(g, ratios, seed) for g in groups] for seed in (0, 1)]
    assert by_seed[0] != by_seed[1]


def test_split_keeps_groups_together_and_is_deterministic(tmp_path):
    rows = [row(f"{g}_{v}.mp4", group=f"scene-{g}") for g in range(300) for v in range(4)]
    a = split_by_group(rows, seed=3)
    b = split_by_group(list(reversed(rows)), seed=3)
    assert all("split" not in r for r in rows)  # input untouched
    by_group = {}
    for r in a:
        by_group.setdefault(r["group"], set()).add(r["split"])
    assert all(len(s) == 1 for s in by_group.values())
    # Order of rows does not matter: the same group gets the same split.
    assert {r["path"]: r["split"] for r in a} == {r["path"]: r["split"] for r in b}
    assert manifest_stats(a)["straddling_groups"] == 0


def test_split_follows_ratios_on_many_groups():
    rows = [row(f"{g}.mp4", group=f"g{g}") for g in range(1000)]
    counts = Counter(
        r["split"] for r in split_by_group(rows, {"train": 0.7, "val": 0.2, "test": 0.1})
    )
    assert abs(counts["train"] / 1000 - 0.7) < 0.04
    assert abs(counts["val"] / 1000 - 0.2) < 0.04
    assert abs(counts["test"] / 1000 - 0.1) < 0.03


def test_split_without_group_uses_path_and_zero_ratio_is_empty():
    rows = [row(f"{i}.mp4") for i in range(500)]
    out = split_by_group(rows, {"train": 0.5, "val": 0.5, "test": 0.0})
    counts = Counter(r["split"] for r in out)
    assert counts["test"] == 0 and 200 < counts["train"] < 300
    assert [r["split"] for r in out] == [
        r["split"] for r in split_by_group(rows, {"train": 1, "val": 1})
    ]


def test_split_keeps_existing_and_pulls_group_mates_along():
    rows = [
        row("a1.mp4", group="a", split="test"),
        row("a2.mp4", group="a"),  # joins its group's existing split
        row("b.mp4", group="b", split="val"),
    ] + [row(f"{i}.mp4", group=f"g{i}") for i in range(50)]
    out = split_by_group(rows, {"train": 1.0}, seed=0)
    assert [r["split"] for r in out[:3]] == ["test", "test", "val"]
    assert all(r["split"] == "train" for r in out[3:])

    reassigned = split_by_group(rows, {"train": 1.0}, keep_existing=False)
    assert all(r["split"] == "train" for r in reassigned)


@pytest.mark.parametrize("ratios", [{"train": -1, "val": 2}, {"train": 0}, {"dev": 1.0}])
def test_split_rejects_bad_ratios(ratios):
    with pytest.raises(ValueError, match="split|ratio"):
        split_by_group([row("x.mp4")], ratios)


# ----------------------------------------------------------------------------- stats


def test_manifest_stats_numbers():
    rows = [
        {
            "path": "a.mp4",
            "group": "s1",
            "source": "synthetic/mujoco",
            "labels": {"plausible": 0, "teleport": 1, "vanish": 0},
            "fps": 15,
            "num_frames": 30,
            "split": "train",
            "tags": ["bounce", "fast_throw"],
        },
        {
            "path": "b.mp4",
            "group": "s1",
            "source": "synthetic/mujoco",
            "labels": {"plausible": 1, "teleport": 0, "vanish": 0},
            "fps": 10.0,
            "num_frames": 10,
            "split": "val",
            "tags": ["bounce"],
        },
        {"path": "c.mp4", "source": "real", "labels": {"plausible": 1}, "tags": ["real"]},
        {"path": "d.mp4", "labels": {"plausible": 0, "warp": 1}},
    ]
    s = manifest_stats(rows)
    assert s["clips"] == 4
    assert s["labels"]["plausible"] == {"1": 2, "0": 2, "missing": 0}
    assert s["labels"]["teleport"] == {"1": 1, "0": 1, "missing": 2}
    assert s["labels"]["clipping"] == {"1": 0, "0": 0, "missing": 4}
    assert s["labels"]["warp"] == {"1": 1, "0": 0, "missing": 3}
    assert list(s["labels"])[0] == "plausible" and list(s["labels"])[-1] == "warp"
    assert s["sources"] == {"synthetic/mujoco": 2, "real": 1, "none": 1}
    assert s["tags"] == {"bounce": 2, "fast_throw": 1, "real": 1}
    assert s["splits"] == {"train": 1, "val": 1, "none": 2}
    assert s["groups"] == 3 and s["ungrouped"] == 2 and s["straddling_groups"] == 1
    assert s["duration_s"] == {"total": 3.0, "mean": 1.5, "clips": 2}
    json.dumps(s)  # serialisable


def test_manifest_stats_empty():
    s = manifest_stats([])
    assert s["clips"] == 0 and s["duration_s"]["mean"] is None and s["groups"] == 0


def test_missing_files_reports_line_numbers(tmp_path):
    m = make_manifest(tmp_path, [row("a.mp4"), row("b.mp4", annotations="b.npz")])
    (tmp_path / "b.npz").unlink()
    assert missing_files(m, read_manifest(m)) == [
        (2, f"annotations file not found: {tmp_path / 'b.npz'}")
    ]


# ----------------------------------------------------------------------------- CLI


def test_cli_merge_split_stats_end_to_end(tmp_path):
    a = make_manifest(
        tmp_path / "a",
        [
            row(f"c/{g}_{v}.mp4", group=f"a{g}", source="synthetic/mujoco")
            for g in range(20)
            for v in range(2)
        ],
    )
    b = make_manifest(
        tmp_path / "b", [row(f"{i}.mp4", source="real", tags=["real"]) for i in range(10)]
    )
    merged = tmp_path / "all" / "merged.jsonl"

    r = run_cli("merge", merged, a, b)
    assert r.returncode == 0, r.stderr
    assert "50 rows from 2 manifests" in r.stdout
    assert all(resolve_path(merged, x["path"]).is_file() for x in read_manifest(merged))

    r = run_cli("merge", merged, a, b)
    assert r.returncode == 1 and "already exists" in r.stderr and "Traceback" not in r.stderr

    split = tmp_path / "split" / "split.jsonl"
    r = run_cli("split", merged, "--out", split, "--ratios", "0.5", "0.25", "0.25", "--seed", "7")
    assert r.returncode == 0, r.stderr
    rows = read_manifest(split)
    assert all(resolve_path(split, x["path"]).is_file() for x in rows)
    # Same assignment as the library call (paths differ: rebased to the new folder).
    expected = split_by_group(read_manifest(merged), {"train": 0.5, "val": 0.25, "test": 0.25}, 7)
    assert [x["split"] for x in rows] == [x["split"] for x in expected]
    assert {x["split"] for x in rows} == {"train", "val", "test"}
    assert manifest_stats(rows)["straddling_groups"] == 0

    # In place (same file as input) needs no --overwrite and keeps the assignment.
    r = run_cli("split", split, "--out", split, "--ratios", "1", "0", "0")
    assert r.returncode == 0, r.stderr
    assert [x["split"] for x in read_manifest(split)] == [x["split"] for x in rows]

    r = run_cli("stats", split, "--json")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert s["clips"] == 50 and s["sources"] == {"synthetic/mujoco": 40, "real": 10}
    assert sum(s["splits"].values()) == 50 and s["manifests"] == [str(split)]

    r = run_cli("stats", a, b)
    assert r.returncode == 0, r.stderr
    assert "clips" in r.stdout and "plausible" in r.stdout and "all 2 manifests" in r.stdout


def test_cli_validate_bad_manifest_lists_lines(tmp_path):
    good = make_manifest(tmp_path, [row("a.mp4")], name="good.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        json.dumps(row("a.mp4"))
        + "\n{not json\n"
        + json.dumps({"path": "b.mp4", "labels": {"plausible": 2}})
        + "\n"
        + json.dumps(row("c.mp4", split="dev"))
        + "\n"
    )
    r = run_cli("validate", good, bad)
    assert r.returncode == 1
    assert f"{good}: ok, 1 rows" in r.stdout
    for line in (
        "line 2: invalid JSON",
        "line 3: labels['plausible'] must be 0 or 1",
        "line 4: split",
    ):
        assert line in r.stderr
    assert "Traceback" not in r.stderr

    r = run_cli("validate", good, "--check-files")
    assert r.returncode == 0, r.stderr
    (tmp_path / "a.mp4").unlink()
    r = run_cli("validate", good, "--check-files")
    assert r.returncode == 1 and "line 1: path file not found" in r.stderr


def test_cli_errors_are_one_line_without_traceback(tmp_path):
    r = run_cli("stats", tmp_path / "nope.jsonl")
    assert r.returncode == 1
    assert r.stderr.strip().count("\n") == 0 and "nope.jsonl" in r.stderr
    assert "Traceback" not in r.stderr

    m = make_manifest(tmp_path, [row("a.mp4")])
    r = run_cli("split", m, "--out", tmp_path / "o.jsonl", "--ratios", "0.5", "0.5")
    assert r.returncode == 1 and "--ratios takes 3 numbers" in r.stderr
