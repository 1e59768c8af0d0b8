"""Helpers for scripts that chain the command-line tools (the demo, the quality benchmark).

spec = preset_synth("cpu_tiny", ["synth_if_missing.num_scenes=800"])
render(spec["out"], spec["num_scenes"], spec["seed"], spec["synth"], workers=2)
render(test_set_dir(spec["out"], seed=1), 100, 1, spec["synth"], workers=2)
run_logged(["judge-train", "experiment=cpu_tiny"], Path("train.log"), show=is_progress)
best_checkpoint(Path("outputs/run"))
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
    A stopped render resumes where it stopped (``judge.synth.runner.generate``)."""
    from judge.synth.config import SynthConfig
    from judge.synth.runner import generate

    if (Path(out) / "manifest.jsonl").exists():
        return None
    start = time.perf_counter()
    generate(SynthConfig.from_dict(synth), out, num_scenes, seed=seed, num_workers=workers)
    return time.perf_counter() - start


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
