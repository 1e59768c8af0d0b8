"""judge-calibrate on a mixture of synthetic twins and plain real footage (one manifest or
several), and the plausible-target rule that calibration and evaluation share
(judge/targets_rule.py)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from judge.calibration.calibration_data import collect
from judge.cli import calibrate as cli_calibrate
from judge.evaluation.clip_metrics import Truth
from judge.io.manifest import write_manifest
from judge.io.pathkey import path_key
from judge.metrics import sigmoid
from judge.targets_rule import plausible_target, row_plausible_target

LABELS = ["teleport", "vanish"]
REAL = {"plausible": 1, "teleport": 0, "vanish": 0}


def teleport_at(frame: int) -> dict:
    return {"type": "teleport", "frame": frame, "end": frame}


RULE_ROWS = [
    ({"plausible": 1}, (), 1),
    ({"plausible": 0}, (), 0),
    ({"teleport": 1}, (), 0),  # other labels missing: still an artifact clip
    ({"teleport": 0, "vanish": 0}, (), 1),
    ({"teleport": 0}, (), None),  # vanish unknown
    ({"teleport": 0, "vanish": 0, "morph": 1}, (), 0),  # a label the judge does not score
    ({}, [teleport_at(3)], 0),  # an event without labels
    ({}, (), None),
    (REAL, (), 1),
]


@pytest.mark.parametrize("labels, events, expected", RULE_ROWS)
def test_the_shared_rule(labels, events, expected):
    assert plausible_target(labels, LABELS, events) == expected
    assert row_plausible_target({"labels": labels, "events": list(events)}, LABELS) == expected


def test_calibration_and_evaluation_read_the_same_plausible_targets(tmp_path):
    rows = [
        {"path": f"{i}.mp4", "labels": labels, "events": list(events)}
        for i, (labels, events, _) in enumerate(RULE_ROWS)
    ]
    truth = Truth.from_rows(rows, LABELS)
    expected = [-1 if e is None else e for *_, e in RULE_ROWS]
    assert truth.plausible.tolist() == expected
    by_path = {path_key(str(tmp_path / r["path"])): r for r in rows}
    records = [
        {"path": str(tmp_path / r["path"]), "status": "ok", "logits": {"plausible": float(i)}}
        for i, r in enumerate(rows)
    ]
    z, y = collect(records, by_path, LABELS).samples["plausible"]
    known = [i for i, e in enumerate(expected) if e >= 0]
    assert z.tolist() == [float(i) for i in known]  # the same clips are known ...
    assert y.tolist() == [expected[i] for i in known]  # ... with the same targets


def mixture(root: Path, n: int = 900, seed: int = 0) -> tuple[list[dict], list[dict], list[dict]]:
    """Synthetic twins and real clips whose plausible logits are 4x too confident.

    Each clip's clean/artifact draw follows sigmoid(true logit); artifact clips and half the
    clean ones are synthetic (teleport or vanish), the other clean ones plain real footage. The
    label logits separate positives from negatives (real clips: strongly negative).

    Returns:
        synthetic rows, real rows, and records (paths under ``root``: synth/ and real/).
    """
    rng = np.random.default_rng(seed)
    true = rng.normal(0.0, 2.0, n)
    clean = rng.random(n) < sigmoid(true)
    synth, real, records = [], [], []
    for i in range(n):
        kind = "teleport" if i % 2 else "vanish"
        to_real = bool(clean[i]) and i % 4 < 2
        if clean[i]:
            labels = dict(REAL) if to_real else {"teleport": 0, "vanish": 0, "plausible": 1}
        else:
            labels = {"teleport": int(kind == "teleport"), "vanish": int(kind == "vanish")}
            labels["plausible"] = 0
        folder = "real" if to_real else "synth"
        row = {"path": f"clips/{i:04d}.mp4", "labels": labels, "split": "val"}
        if to_real:
            row["source"] = "real/walks"
        else:
            row |= {"source": "synthetic/mujoco", "group": f"g{i // 2}"}
        (real if to_real else synth).append(row)
        logits = {"plausible": float(4 * true[i])}
        for label in LABELS:
            logits[label] = float(rng.normal(2.0 if labels[label] else -2.0, 1.5))
        path = str(root / folder / row["path"])
        records.append({"path": path, "status": "ok", "error": None, "logits": logits})
    return synth, real, records


@pytest.fixture
def data(tmp_path):
    synth, real, records = mixture(tmp_path)
    scores = tmp_path / "scores.jsonl"
    scores.write_text("".join(json.dumps(r) + "\n" for r in records))
    return tmp_path, synth, real, scores


def _fit(tmp, scores, manifests: list[Path], *extra: str) -> dict:
    argv = ["--scores", str(scores), "--target-recall", "0.8", "--report", str(tmp / "cal.json")]
    for m in manifests:
        argv += ["--manifest", str(m)]
    assert cli_calibrate.main([*argv, *extra]) == 0
    return json.loads((tmp / "cal.json").read_text())


def test_two_manifests_with_real_clips_calibrate(data, capsys):
    tmp, synth, real, scores = data
    ms = write_manifest(tmp / "synth" / "val.jsonl", synth)
    mr = write_manifest(tmp / "real" / "val.jsonl", real)
    out = _fit(tmp, scores, [ms, mr])
    cal = out["calibration"]
    n, clean = len(synth) + len(real), len(real) + sum(r["labels"]["plausible"] for r in synth)
    assert len(real) > 100 and cal["n"] == n
    assert cal["manifests"] == [str(ms), str(mr)] and cal["manifest"] is None
    # Real clips are clean for the plausibility head ...
    assert cal["labels"]["plausible"]["n"] == n and cal["labels"]["plausible"]["positives"] == clean
    # ... and negatives for every label.
    for label in LABELS:
        positives = sum(r["labels"][label] for r in synth)
        assert cal["labels"][label]["n"] == n and cal["labels"][label]["positives"] == positives
        assert cal["labels"][label]["recall"] >= 0.8 and 0 < out["thresholds"][label] < 1
    assert out["temperatures"]["plausible"] == pytest.approx(4, rel=0.2)
    assert set(out["temperatures"]) == {*LABELS, "plausible"}
    assert cal["ece_after"] < cal["ece_before"]
    assert f"{n} clips" in capsys.readouterr().out
    # One manifest holding the same rows fits the same.
    moved = [_moved(r, "synth") for r in synth] + [_moved(r, "real") for r in real]
    mixed = write_manifest(tmp / "mixed.jsonl", moved)
    again = _fit(tmp, scores, [mixed])
    assert again["temperatures"] == out["temperatures"]
    assert again["thresholds"] == out["thresholds"]
    assert again["calibration"]["manifest"] == str(mixed)
    # Without the real manifest, fewer clips.
    assert _fit(tmp, scores, [ms])["calibration"]["n"] == len(synth)


def _moved(row: dict, folder: str) -> dict:
    return {**row, "path": f"{folder}/{row['path']}"}


def test_split_applies_to_every_manifest_and_duplicates_count_once(data):
    tmp, synth, real, scores = data
    ms = write_manifest(tmp / "synth" / "val.jsonl", synth)
    mr = write_manifest(tmp / "real" / "val.jsonl", real)
    twice = write_manifest(tmp / "real" / "again.jsonl", real[:10])
    cal = _fit(tmp, scores, [ms, mr, twice], "--split", "val")["calibration"]
    assert cal["n"] == len(synth) + len(real) and cal["split"] == "val"


def test_a_clip_labelled_differently_in_two_manifests_is_an_error(data, capsys):
    tmp, synth, real, scores = data
    mr = write_manifest(tmp / "real" / "val.jsonl", real)
    bad = {**real[0], "labels": {"teleport": 1, "vanish": 0, "plausible": 0}}
    other = write_manifest(tmp / "real" / "other.jsonl", [bad])
    argv = ["--scores", str(scores), "--manifest", str(mr), "--manifest", str(other)]
    assert cli_calibrate.main(argv) == 1
    assert f"{real[0]['path']} is labelled differently" in capsys.readouterr().err


def test_several_manifests_are_scored_as_their_clips_once(data, monkeypatch):
    tmp, synth, real, _ = data
    ms = write_manifest(tmp / "synth" / "val.jsonl", synth[:4])
    mr = write_manifest(tmp / "real" / "val.jsonl", real[:3])
    twice = write_manifest(tmp / "real" / "again.jsonl", real[:1])
    seen = {}

    def score(args, inputs, judge):
        seen["inputs"] = list(inputs)
        logits = {"teleport": -1.0, "vanish": -1.0, "plausible": 1.0}
        return [{"path": p, "status": "ok", "logits": logits} for p in inputs]

    fake = SimpleNamespace(labels=LABELS, temperatures={})
    monkeypatch.setattr(cli_calibrate, "load_judge", lambda args: fake)
    monkeypatch.setattr(cli_calibrate, "score_with_judge", score)
    argv = ["--judge", "unused.ckpt", "--report", str(tmp / "cal.json")]
    for m in (ms, mr, twice):
        argv += ["--manifest", str(m)]
    assert cli_calibrate.main(argv) == 0
    expected = [str(tmp / "synth" / r["path"]) for r in synth[:4]]
    expected += [str(tmp / "real" / r["path"]) for r in real[:3]]
    assert seen["inputs"] == expected  # scored as the manifests name them
    assert json.loads((tmp / "cal.json").read_text())["calibration"]["n"] == 7
