"""Fingerprint what a fixed seed produces end to end, to show a refactor changed no behaviour.

Renders a small synthetic set, trains a judge for a few steps on it, and scores its test clips,
all through the public commands (judge-synth, judge-train, judge-score), so the same script runs
on any commit. Writes a JSON fingerprint: sha256 of the trained weights, of each tensor, and of
the score records (paths relative, timing fields dropped).

    python scripts/check_same_behaviour.py --out bench/behaviour_before.json   # on the old commit
    python scripts/check_same_behaviour.py --out bench/behaviour_after.json \
        --compare bench/behaviour_before.json                                   # on the new one

`--compare` prints what differs and exits 1 if anything does. The rendered clips are kept under
--work and reused, so both runs train on the same bytes even if the renderer changed in between.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent
# Settings pinned here rather than taken from presets, so a preset edit does not count as a
# behaviour change: the model, window, optimiser and data are all named.
TRAIN_OVERRIDES = [
    "model=tiny3d",
    "trainer=cpu",
    "logger=none",
    "callbacks=none",
    "seed=0",
    "data.window.num_frames=16",
    "data.window.stride=1",
    "data.size=64",
    "data.batch_size=8",
    "data.num_workers=0",
    "data.persistent_workers=false",
    "+trainer.limit_train_batches=6",
    "+trainer.limit_val_batches=2",
    "trainer.max_epochs=2",
    "trainer.deterministic=true",
    "test=false",
]
# Score-record fields that depend on timing or the machine, not on the model.
VOLATILE = {"seconds", "elapsed_s", "time_s", "wall_s"}


def run(cmd: list[str], **env: str) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, env={**os.environ, **env})


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def fingerprint(work: Path) -> dict:
    import torch

    synth = work / "synth"
    if not (synth / "manifest.jsonl").exists():
        run(
            [
                str(BIN / "judge-synth"),
                f"out={synth}",
                "num_scenes=24",
                "seed=0",
                "synth=tiny",
                "num_workers=0",
                "contact_sheet=false",
            ]
        )
    run_dir = work / "train"
    shutil.rmtree(run_dir, ignore_errors=True)  # a stale checkpoint would be picked up
    run(
        [
            str(BIN / "judge-train"),
            *TRAIN_OVERRIDES,
            f"data.manifests=[{{path: {synth}/manifest.jsonl, weight: 1.0}}]",
            f"hydra.run.dir={run_dir}",
        ]
    )
    ckpt = sorted(run_dir.rglob("*.ckpt"), key=lambda p: p.stat().st_mtime)
    state = torch.load(ckpt[-1], map_location="cpu", weights_only=False)["state_dict"]
    tensors = {k: sha(v.detach().cpu().numpy().tobytes()) for k, v in sorted(state.items())}
    scores = work / "scores.jsonl"
    run(
        [
            str(BIN / "judge-score"),
            str(synth / "manifest.jsonl"),
            "--judge",
            str(ckpt[-1]),
            "--out",
            str(scores),
            "--overwrite",
            "--workers",
            "0",
            "--device",
            "cpu",
            "--no-progress",
        ],
        OMP_NUM_THREADS="1",
    )
    records = []
    for line in scores.read_text().splitlines():
        r = json.loads(line)
        r = {k: v for k, v in r.items() if k not in VOLATILE}
        r["path"] = Path(r["path"]).name
        records.append(r)
    records.sort(key=lambda r: r["path"])
    return {
        "weights": sha(b"".join(t.encode() for t in tensors.values())),
        "tensors": tensors,
        "scores": sha(json.dumps(records, sort_keys=True).encode()),
        "records": {r["path"]: sha(json.dumps(r, sort_keys=True).encode()) for r in records},
        "plausibility": {r["path"]: r.get("plausibility") for r in records},
        "full_records": records,
    }


def _leaves(value, prefix: str = "") -> dict:
    """A record's values flattened to `{"scores.teleport": 0.1, ...}`."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            out.update(_leaves(v, f"{prefix}{k}."))
        return out
    return {prefix.rstrip("."): value}


def compare(new: dict, old: dict) -> list[str]:
    """What differs: weight tensors by name, then score-record fields with how many clips differ
    in each and, for numbers, the largest relative difference."""
    diffs = [
        f"tensor {name}"
        for name in sorted(set(new["tensors"]) | set(old["tensors"]))
        if new["tensors"].get(name) != old["tensors"].get(name)
    ]
    if "full_records" not in old or "full_records" not in new:
        changed = [n for n in sorted(new["records"]) if new["records"][n] != old["records"].get(n)]
        return diffs + [f"record {n}" for n in changed]
    fields: dict[str, list[float]] = {}
    old_by = {r["path"]: r for r in old["full_records"]}
    for r in new["full_records"]:
        a, b = _leaves(r), _leaves(old_by.get(r["path"], {}))
        for key in sorted(set(a) | set(b)):
            x, y = a.get(key), b.get(key)
            if x == y:
                continue
            numbers = all(isinstance(v, float | int) and not isinstance(v, bool) for v in (x, y))
            rel = abs(x - y) / max(abs(x), abs(y), 1e-12) if numbers else float("nan")
            fields.setdefault(key.split(".")[0], []).append(rel)
    for key, rels in sorted(fields.items()):
        nums = [v for v in rels if v == v]
        worst = f", largest relative difference {max(nums):.1e}" if nums else ""
        diffs.append(f"record field {key}: {len(rels)} values differ{worst}")
    return diffs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True, help="fingerprint JSON to write")
    ap.add_argument("--work", type=Path, default=Path("bench/behaviour"), help="scratch folder")
    ap.add_argument("--compare", type=Path, help="an earlier fingerprint to compare with")
    args = ap.parse_args()
    result = fingerprint(args.work)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    n = len(result["records"])
    print(f"weights {result['weights']}  scores {result['scores']}  ({n} clips)")
    if args.compare:
        diffs = compare(result, json.loads(args.compare.read_text()))
        print("identical" if not diffs else f"{len(diffs)} differences:\n  " + "\n  ".join(diffs))
        return 1 if diffs else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
