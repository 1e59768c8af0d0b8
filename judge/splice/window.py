"""One window: decode it once (with its plate context), inject twins, write clips and rows.

The rows file `rows/<window id>.json` is written last, atomically: it marks the window as
finished, so a resumed run skips it and a killed one never leaves half a window counted.
"""

from __future__ import annotations

import json
import time
import traceback
from pathlib import Path

import numpy as np
from PIL import Image

from judge.io.atomic import atomic_write_text
from judge.io.manifest_ops import assign_split
from judge.io.video import open_video
from judge.io.writer import write_video
from judge.labels import ARTIFACT_LABELS, PLAUSIBLE
from judge.splice.config import SpliceConfig
from judge.splice.inject import Scene, make_twin
from judge.splice.motion import camera_moves
from judge.splice.plan import Window, output_size
from judge.splice.plate import Layers, make_plate


def rows_path(out: Path, window: Window) -> Path:
    return out / "rows" / f"{window.wid}.json"


def frame_plan(window: Window, cfg: SpliceConfig) -> tuple[list[int], list[int]]:
    """(window frame indices, plate frame indices spread over `plate_seconds` around it)."""
    v, T = window.video, cfg.num_frames
    win = list(range(window.start, window.start + T))
    centre = window.start + (T - 1) / 2
    half = max(cfg.plate_seconds * v.fps / 2, (T - 1) / 2)
    lo = max(0, int(round(centre - half)))
    hi = min(v.num_frames - 1, int(round(centre + half)))
    plate = sorted({int(round(x)) for x in np.linspace(lo, hi, cfg.plate_frames)})
    return win, plate


def _resize(frames: np.ndarray, w: int, h: int) -> np.ndarray:
    if frames.shape[1:3] == (h, w):
        return frames
    return np.stack([np.asarray(Image.fromarray(f).resize((w, h), Image.BILINEAR)) for f in frames])


def decode(window: Window, cfg: SpliceConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(window frames, plate-context frames, the context frames outside the window)."""
    win, plate_idx = frame_plan(window, cfg)
    wanted = sorted(set(win) | set(plate_idx))
    w, h = output_size(window.video.width, window.video.height, cfg.size)
    with open_video(window.video.path, backend=cfg.backend, short_side=cfg.size) as reader:
        frames = reader.get(wanted)
    if window.video.width == 0:  # size unknown from the header: take it from the frames
        w, h = output_size(frames.shape[2], frames.shape[1], cfg.size)
    frames = _resize(frames, w, h)
    pos = {f: i for i, f in enumerate(wanted)}
    inside = set(win)
    outside = [pos[f] for f in plate_idx if f not in inside]
    return (
        frames[[pos[f] for f in win]],
        frames[[pos[f] for f in plate_idx]],
        frames[outside] if outside else frames[:0],
    )


def _labels(kind: str | None) -> dict:
    labels = {k: int(k == kind) for k in ARTIFACT_LABELS}
    labels[PLAUSIBLE] = int(kind is None)
    return labels


def process(window: Window, cfg: SpliceConfig, seed: int, out: Path, source: str) -> dict:
    """Make and write one window's clips; returns rows and what happened (never raises)."""
    times = dict.fromkeys(("decode", "analyse", "inject", "encode"), 0.0)
    try:
        t0 = time.perf_counter()
        clean, context, others = decode(window, cfg)
        t1 = time.perf_counter()
        times["decode"] = t1 - t0
        rng = np.random.default_rng([seed, window.video.key_hash, window.start, 2])
        twins, failed, moving, why = [], {}, False, ""
        if cfg.twins:
            plate = make_plate(context)
            layers = Layers.of(clean, plate, cfg.fg_threshold, cfg.drop_shadows)
            moving, why = camera_moves(
                clean, layers.share(), cfg.camera_shift_px, cfg.max_foreground
            )
            t2 = time.perf_counter()
            times["analyse"] = t2 - t1
            if not moving:
                other_layers = (
                    Layers.of(others, plate, cfg.fg_threshold, cfg.drop_shadows)
                    if "appear" in cfg.kinds and len(others)
                    else None
                )
                scene = Scene(clean, plate, layers, others, other_layers, cfg)
                for kind in rng.permutation(list(cfg.kinds)):
                    if len(twins) == cfg.twins:
                        break
                    twin, reason = make_twin(str(kind), scene, rng)
                    if twin is None:
                        failed[str(kind)] = reason
                    else:
                        twins.append(twin)
            times["inject"] = time.perf_counter() - t2
        t3 = time.perf_counter()
        rows = _write(window, cfg, seed, out, source, clean, twins)
        times["encode"] = time.perf_counter() - t3
        record = {"rows": rows, "moving": moving, "motion": why, "failed": failed}
        atomic_write_text(rows_path(out, window), json.dumps(record, sort_keys=True) + "\n")
        return {"wid": window.wid, "clips": len(rows), "seconds": times, "error": None, **record}
    except Exception as e:  # one bad window must not end a long run
        tb = traceback.format_exc(limit=3)
        return {
            "wid": window.wid,
            "clips": 0,
            "seconds": times,
            "error": f"{window.video.path} @ {window.start}: {type(e).__name__}: {e}\n{tb}",
        }


def _write(window, cfg, seed, out, source, clean, twins) -> list[dict]:
    v = window.video
    T, h, w = clean.shape[:3]
    split = cfg.split if cfg.split != "auto" else assign_split(v.key, cfg.splits, seed)
    common = {
        "group": window.group,
        "source": source,
        "split": split,
        "fps": v.fps,
        "num_frames": T,
        "width": w,
        "height": h,
        "crf": cfg.crf,
        "origin": {"video": v.key, "start": window.start},
    }
    rows = []
    for twin in [None, *twins]:
        variant = "clean" if twin is None else twin.kind
        rel = f"clips/{window.wid}_{variant}.mp4"
        frames = clean if twin is None else twin.frames
        write_video(out / rel, frames, fps=v.fps, crf=cfg.crf, preset=cfg.preset)
        row = {"path": rel, "labels": _labels(None if twin is None else twin.kind), **common}
        row["variant"] = variant
        if twin is None:
            row["events"], row["tags"] = [], ["real"]
        else:
            end = twin.onset if twin.kind == "teleport" else T - 1
            event = {"type": twin.kind, "frame": twin.onset, "end": end, "bbox": list(twin.box)}
            row["events"], row["params"] = [event], twin.params
        rows.append(row)
    return rows
