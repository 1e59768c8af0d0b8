"""Helpers for scripts that chain the command-line tools (the demo, the quality benchmark).

spec = preset_synth("cpu_tiny", ["synth_if_missing.num_scenes=800"])
render(spec["out"], spec["num_scenes"], spec["seed"], spec["synth"], workers=2)
render(test_set_dir(spec["out"], seed=1), 100, 1, spec["synth"], workers=2)
run_logged(["judge-train", "experiment=cpu_tiny"], Path("train.log"), show=is_progress)
best_checkpoint(Path("outputs/run"))
served_judge(Path("outputs/run"))              # <run>/judge (calibrated), else the best .ckpt
merged_test_set([synth_test, *real_test_sets(cfg)], Path("bench/test.jsonl"))
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

BIN = Path(sys.executable).parent


class StepFailed(RuntimeError):
    """A chained command failed; the message names it and ends with its log's last lines."""


def train_config(preset: str, overrides: list[str] = ()):
    """The composed config (DictConfig) of ``judge-train experiment=<preset> <overrides>``."""
    from hydra import compose, initialize_config_dir

    from judge.paths import config_dir

    with initialize_config_dir(config_dir(), version_base="1.3"):
        return compose("train", overrides=[f"experiment={preset}", *overrides])


def preset_synth(preset: str, overrides: list[str] = ()) -> dict:
    """The resolved ``synth_if_missing`` block of ``judge-train experiment=<preset>``:
    ``{"out": Path, "num_scenes", "seed", "synth": dict}``."""
    from omegaconf import OmegaConf

    spec = train_config(preset, overrides).synth_if_missing
    return {
        "out": Path(spec.out),
        "num_scenes": int(spec.num_scenes),
        "seed": int(spec.seed),
        "synth": OmegaConf.to_container(spec.synth, resolve=True) or {},
    }


def test_set_dir(train_out: Path, seed: int) -> Path:
    """Where the test set of other scenes (rendered with ``seed``) beside ``train_out`` goes;
    the demo and the quality benchmark share it."""
    return train_out.with_name(f"{train_out.name}_test_seed{seed}")


def render(out: Path, num_scenes: int, seed: int, synth: dict, workers: int) -> float | None:
    """Render a synthetic set unless its manifest exists; seconds taken, or None if it did.
    A stopped render resumes where it stopped (``judge.synth.runner.generate``); a set there
    rendered with other settings is refused (``ConfigError``), never reused."""
    from judge.synth.config import SynthConfig
    from judge.synth.runner import generate_if_missing

    start = time.perf_counter()
    summary = generate_if_missing(SynthConfig.from_dict(synth), out, num_scenes, seed, workers)
    return None if summary is None else time.perf_counter() - start


def run_logged(
    cmd: list[str],
    log: Path,
    show: Callable[[str], bool] | None = None,
    heartbeat: float = 30.0,
) -> float:
    """Run ``cmd`` with its output (stdout and stderr) going to ``log``; wall seconds.

    With ``show``, the lines it accepts are echoed as they come, and when nothing was echoed
    for ``heartbeat`` seconds the latest line is (progress bars rewrite one line with ``\\r``;
    each rewrite counts as a line here), so a long step never looks stuck.

    Raises:
        StepFailed: non-zero exit, with the end of the log.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    print("$", " ".join(str(c) for c in cmd), flush=True)
    start = last = time.perf_counter()
    with open(log, "w") as f:
        if show is None:
            code = subprocess.call(cmd, stdout=f, stderr=subprocess.STDOUT)
        else:
            # Text mode reads "\r" as a line end too: each progress-bar refresh is a line.
            # Unbuffered, so the child's lines arrive as it writes them, not in 8 KiB blocks.
            env = {**os.environ, "PYTHONUNBUFFERED": "1"}
            proc = subprocess.Popen(
                cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
            )
            for line in proc.stdout:
                f.write(line)
                line = line.rstrip()
                now = time.perf_counter()
                if line and (show(line) or now - last > heartbeat):
                    print("   ", _tidy(line), flush=True)
                    last = now
            code = proc.wait()
    if code:
        tail = log.read_text(errors="replace")[-3000:]
        raise StepFailed(f"{cmd[0]} failed (exit {code}); end of {log}:\n{tail}")
    return time.perf_counter() - start


_LOG_PREFIX = re.compile(r"^\[[\d\- :,]+\]\[[\w.]+\]\[\w+\] - ")


def _tidy(line: str, width: int = 160) -> str:
    """A log line without Hydra's timestamp prefix, cut to ``width``."""
    line = _LOG_PREFIX.sub("", line)
    return line if len(line) <= width else line[: width - 3] + "..."


def best_checkpoint(run_dir: Path) -> Path:
    """The ModelCheckpoint's best file (the newest one that is not last.ckpt).

    Raises:
        FileNotFoundError: none in ``run_dir/checkpoints``.
    """
    found = [p for p in (Path(run_dir) / "checkpoints").glob("*.ckpt") if p.name != "last.ckpt"]
    if not found:
        raise FileNotFoundError(f"no best checkpoint in {Path(run_dir) / 'checkpoints'}")
    return max(found, key=lambda p: p.stat().st_mtime)


def served_judge(run_dir: Path) -> Path:
    """The judge a ``judge-train`` run serves: the folder it exported calibrated on its
    validation split (``<run_dir>/judge``, configs/train.yaml ``calibrate``), else its best
    checkpoint (thresholds 0.5: calibration was off or had no validation clips).

    Raises:
        FileNotFoundError: neither exists.
    """
    folder = Path(run_dir) / "judge"
    return folder if (folder / "judge.json").is_file() else best_checkpoint(run_dir)


def real_test_sets(cfg, splice_clips: int = 150, workers: int = 2) -> list[Path]:
    """Held-out real test sets of a run trained with ``real_footage=DIR``: the plain manifest's
    test-split videos, whole (``<real.out>/<name>_test/``), and windows of those same videos
    with artifacts spliced in (``<real.out>/<name>_spliced_test/``, split test). Both come from
    videos the run never trained or validated on; each is made once and reused. Returns []
    when the config has no real footage.
    """
    from judge.io.manifest import read_manifest, resolve_path, write_manifest
    from judge.io.manifest_ops import rebase_rows
    from judge.splice import splice_videos
    from judge.training.real_data import apply_real_footage, real_paths, real_settings

    if not cfg.get("real_footage"):
        return []
    apply_real_footage(cfg)  # prepares the plain manifest (and the training splice) if missing
    settings = real_settings(cfg)
    plain, _ = real_paths(settings["out"], cfg.real_footage)
    rows = [r for r in read_manifest(plain) if r.get("split") == "test"]
    if not rows:
        return []
    whole = plain.parent.with_name(plain.parent.name + "_test") / "manifest.jsonl"
    if not whole.exists():
        write_manifest(whole, rebase_rows(rows, plain, whole))
    spliced = plain.parent.with_name(plain.parent.name + "_spliced_test") / "manifest.jsonl"
    if not spliced.exists():
        videos = [resolve_path(plain, r["path"]) for r in rows]
        config = {**settings["splice"], "split": "test"}
        splice_videos(videos, spliced.parent, num_clips=splice_clips, seed=settings["seed"] + 1,
                      config=config, num_workers=workers)  # fmt: skip
    return [whole, spliced]


def moving_camera_set(clean_windows: Path, out: Path, seed: int = 0) -> Path:
    """Real footage through a moving camera: each clean window of the manifest
    ``clean_windows`` (a spliced set's ``variant: clean`` rows) seen through a camera that pans,
    zooms and shakes, at twice the training augmentation's pan and shake (a smooth path of crop
    boxes, `judge.data.transforms.camera_path`), written to ``out`` as plausible clips of the
    family ``real-moving``. Natural moving-camera shots were the footage the judge flagged most
    (4 of 5); the held-out real videos here are all filmed from a tripod. Made once; returns
    the manifest."""
    import numpy as np
    from PIL import Image

    from judge.data.transforms import Augment, camera_path
    from judge.io.manifest import read_manifest, resolve_path, write_manifest
    from judge.io.video import read_frames
    from judge.io.writer import write_video

    manifest = Path(out) / "manifest.jsonl"
    if manifest.exists():
        return manifest
    aug = Augment(camera_pan=0.03, camera_zoom=0.3, camera_shake=0.016)
    rows = []
    for i, row in enumerate(r for r in read_manifest(clean_windows) if r["variant"] == "clean"):
        frames, info = read_frames(resolve_path(clean_windows, row["path"]), None)
        t, h, w, _ = frames.shape
        side = int(0.75 * min(h, w))
        start = ((w - side) // 2, (h - side) // 2, side)
        rng = np.random.default_rng([seed, i])
        boxes = camera_path(t, h, w, start, aug, rng, [])
        size = min(h, w) // 2 * 2
        moved = np.stack(
            [
                np.asarray(Image.fromarray(f).resize((size, size), Image.BILINEAR, box=tuple(b)))
                for f, b in zip(frames, boxes, strict=True)
            ]
        )
        name = f"clips/{i:05d}_moving.mp4"
        write_video(Path(out) / name, moved, fps=info["fps"], crf=row.get("crf") or 23)
        source = row["source"].split("/", 1)[-1]
        rows.append(
            {
                **{k: row[k] for k in ("labels", "fps", "group")},
                "path": name,
                "source": f"real-moving/{source}",
                "split": "test",
                "variant": "clean",
                "tags": [],
                "events": [],
                "num_frames": t,
                "width": size,
                "height": size,
            }
        )
    return write_manifest(manifest, rows)


HARD_NEGATIVES = "hard-negatives"  # the test family of scenes each staged as a plausible motion


def hard_negative_set(
    synth: dict, out: Path, num_scenes: int, seed: int, workers: int
) -> tuple[Path, float | None]:
    """Plausible motion in bulk, for false-positive rates per tag that mean something: the
    look ``synth`` with every scene staged as one of its hard negatives (drawn uniformly; a
    scene whose staging fails its check stays plain and untagged), ``num_scenes`` scenes of
    ``seed`` rendered under ``out/render`` with their artifact twins. ``out/manifest.jsonl``
    lists them as the family ``hard-negatives`` (``held-out`` floors included: the family is
    the staging, not the look). A general test set of 600 scenes has 7-23 clean clips a tag;
    this one about ``num_scenes`` / (number of tags). Made once; returns the manifest and the
    seconds rendering took (None when it was there)."""
    from judge.io.manifest import read_manifest, write_manifest
    from judge.io.manifest_ops import rebase_rows

    artifacts = {
        **(synth.get("artifacts") or {}),
        "hard_negative_fraction": 1.0,
        "hard_negative_weights": {},
    }
    rendered = Path(out) / "render"
    seconds = render(rendered, num_scenes, seed, {**synth, "artifacts": artifacts}, workers)
    manifest = Path(out) / "manifest.jsonl"
    if not manifest.exists():
        source = rendered / "manifest.jsonl"
        rows = rebase_rows(read_manifest(source), source, manifest)
        for row in rows:
            row.pop("holdout", None)
            row["source"] = f"{HARD_NEGATIVES}/{row.get('source') or 'synthetic'}"
        write_manifest(manifest, rows)
    return manifest, seconds


def merged_test_set(parts: list[Path], out: Path) -> Path:
    """One manifest of every row of ``parts`` (paths rebased), rewritten each time: the test
    set ``judge-eval`` measures, its rows' ``source`` telling the families apart."""
    from judge.io.manifest_ops import merge_manifests

    merge_manifests(parts, out)
    return out
