"""Splice a folder of videos: plan windows, process them (resumable, optionally in processes),
assemble the manifest atomically at the end.

Layout of `out`:
    splice_config.json        settings + seed + source name; a mismatch refuses to mix runs
    clips/<window id>_<variant>.mp4
    rows/<window id>.json     one finished window (written last, atomically)
    manifest.jsonl            every planned window that finished, in plan order
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from judge.io.atomic import atomic_write_text
from judge.io.manifest import write_manifest
from judge.parallel import imap_jobs
from judge.splice.config import SpliceConfig, SpliceError
from judge.splice.plan import Window, collect_videos, plan_windows, probe
from judge.splice.window import process, rows_path

CONFIG_FILE = "splice_config.json"


@dataclass
class Summary:
    videos: int = 0  # readable videos used
    videos_skipped: list = field(default_factory=list)  # (path, reason)
    windows: int = 0  # planned
    resumed: int = 0  # finished before this run
    processed: int = 0  # finished by this run
    clips: int = 0  # rows in the manifest
    twins: int = 0
    moving: int = 0  # windows with a moving camera (clean clip only)
    twins_skipped: Counter = field(default_factory=Counter)  # kind -> windows where it failed
    errors: dict = field(default_factory=dict)  # window id -> reason
    seconds: float = 0.0
    stage_seconds: dict = field(default_factory=dict)  # summed over this run's windows
    new_clips: int = 0  # clips written by this run
    manifest: Path | None = None


def splice(
    videos: str | os.PathLike[str] | Sequence,
    out: str | os.PathLike[str],
    *,
    num_clips: int,
    seed: int = 0,
    config: dict | SpliceConfig | None = None,
    num_workers: int = 0,
    log: Callable[[str], None] = print,
) -> Summary:
    """Like `splice_videos`, returning the full `Summary`."""
    cfg = config if isinstance(config, SpliceConfig) else SpliceConfig.from_dict(config)
    for name, value, lo in (("num_clips", num_clips, 1), ("num_workers", num_workers, 0)):
        if not isinstance(value, int) or isinstance(value, bool) or value < lo:
            raise SpliceError(f"{name} must be an integer >= {lo}, got {value!r}")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise SpliceError(f"seed must be an integer, got {seed!r}")
    root, files = collect_videos(videos)
    source = f"spliced/{root.name}"
    out = Path(out)
    _claim(out, cfg, seed, source)
    infos, skipped = probe(files, root, cfg.num_frames, log)
    if not infos:
        raise SpliceError(f"videos={root}: none of the {len(files)} video files is usable")
    windows = plan_windows(infos, num_clips, cfg.num_frames, seed)
    summary = Summary(videos=len(infos), videos_skipped=skipped, windows=len(windows))
    todo = [w for w in windows if not rows_path(out, w).exists()]
    summary.resumed = len(windows) - len(todo)
    if summary.resumed:
        log(f"resuming: {summary.resumed} of {len(windows)} windows already finished in {out}")
    (out / "rows").mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    stages: Counter = Counter()
    jobs = [(w, cfg, seed, str(out), source) for w in todo]
    for done, result in enumerate(imap_jobs(_job, jobs, num_workers, maxtasksperchild=500), 1):
        stages.update(result["seconds"])
        if result["error"]:
            summary.errors[result["wid"]] = result["error"]
            log(f"window {result['wid']} failed (kept going): {result['error'].splitlines()[0]}")
        else:
            summary.processed += 1
            summary.new_clips += result["clips"]
        if done == len(jobs) or done % max(1, len(jobs) // 10) == 0:
            rate = summary.new_clips / max(1e-9, time.perf_counter() - start)
            log(f"windows {done}/{len(jobs)}, {summary.new_clips} clips, {rate:.2f} clips/s")
    summary.seconds = time.perf_counter() - start
    summary.stage_seconds = dict(stages)
    summary.manifest = _assemble(out, windows, summary)
    if summary.moving or summary.twins_skipped:
        skipped = dict(sorted(summary.twins_skipped.items()))
        log(
            f"{summary.moving} of {summary.windows} windows have a moving camera (clean clip "
            f"only); kinds not made visible, by window: {skipped}"
        )
    return summary


def splice_videos(
    videos,
    out,
    *,
    num_clips: int,
    seed: int = 0,
    config: dict | None = None,
    num_workers: int = 0,
    log=print,
) -> Path:
    """Cut `num_clips` windows from real videos and write clean clips plus artifact twins.

    Args:
        videos: a folder (searched recursively) or a list of video files.
        out: output folder; a stopped run resumes there (same seed and config).
        num_clips: number of source windows (groups); each gives a clean clip and up to
            `config["twins"]` twins.
        config: overrides of `SpliceConfig` (configs/splice.yaml mirrors it).
        num_workers: worker processes; 0 works in this process.
        log: called with each progress / problem line.

    Returns:
        `out/manifest.jsonl`.
    """
    return splice(
        videos,
        out,
        num_clips=num_clips,
        seed=seed,
        config=config,
        num_workers=num_workers,
        log=log,
    ).manifest


def _job(job) -> dict:
    window, cfg, seed, out, source = job
    return process(window, cfg, seed, Path(out), source)


def _claim(out: Path, cfg: SpliceConfig, seed: int, source: str) -> None:
    """Refuse to mix two configurations in one folder."""
    stamp = {"seed": seed, "source": source, "splice": cfg.to_dict()}
    text = json.dumps(stamp, sort_keys=True, indent=1)
    path = out / CONFIG_FILE
    if path.exists():
        old = json.loads(path.read_text())
        if old != json.loads(text):
            diff = sorted(
                k for k in set(old) | set(old.get("splice", {})) if _differs(old, stamp, k)
            )
            raise SpliceError(
                f"{out} was spliced with other settings ({', '.join(diff) or 'format'} differ); "
                "use another out= folder or delete it"
            )
        return
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, text + "\n")


def _differs(old: dict, new: dict, key: str) -> bool:
    if key in ("seed", "source"):
        return old.get(key) != new.get(key)
    if key == "splice":
        return False
    return old.get("splice", {}).get(key) != new["splice"].get(key)


def _assemble(out: Path, windows: list[Window], summary: Summary) -> Path:
    rows = []
    for w in windows:
        p = rows_path(out, w)
        if not p.exists():
            continue
        record = json.loads(p.read_text())
        rows += record["rows"]
        summary.moving += bool(record["moving"])
        summary.twins += len(record["rows"]) - 1
        summary.twins_skipped.update(list(record["failed"]))
    summary.clips = len(rows)
    return write_manifest(out / "manifest.jsonl", rows)
