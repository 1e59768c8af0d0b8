"""Which windows to cut: find and probe the videos, spread windows over each whole file.

A video of length L gets a share of `num_clips` proportional to L (at least one window each
when `num_clips` allows), and its window starts are stratified: the possible starts are cut into
as many equal strata as it has windows and one start is drawn uniformly in each. Everything
depends only on (seed, video key, lengths), so a resumed run plans the same windows.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from judge.io.pyav_reader import scan_packets
from judge.io.video import VideoReadError
from judge.sources._common import find_videos, is_video
from judge.splice.config import SpliceError


@dataclass(frozen=True)
class VideoInfo:
    path: str  # absolute
    key: str  # path relative to the videos folder, POSIX style
    num_frames: int
    fps: float
    width: int
    height: int

    @property
    def key_hash(self) -> int:
        return int.from_bytes(hashlib.sha256(self.key.encode()).digest()[:8], "big")


@dataclass(frozen=True)
class Window:
    video: VideoInfo
    start: int

    @property
    def group(self) -> str:
        return f"{self.video.key}@{self.start}"

    @property
    def wid(self) -> str:
        """File-name-safe, unique id: readable tail of the key, its hash, the start frame."""
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", self.video.key)[-60:]
        digest = hashlib.sha1(self.video.key.encode()).hexdigest()[:8]
        return f"{safe}-{digest}-{self.start:07d}"


def collect_videos(videos: str | os.PathLike[str] | Sequence) -> tuple[Path, list[Path]]:
    """(the videos folder, its video files); a list of files gets their common folder."""
    if isinstance(videos, str | os.PathLike):
        root = Path(videos)
        if not root.is_dir():
            what = "is not a folder" if root.exists() else "folder not found"
            raise SpliceError(f"videos={root}: {what}")
        files = find_videos(root)
        if not files:
            raise SpliceError(f"videos={root}: no video files found (searched recursively)")
        return root.absolute(), [f.absolute() for f in files]
    files = [Path(f).absolute() for f in videos]
    if not files:
        raise SpliceError("videos: the list of video files is empty")
    missing = [str(f) for f in files if not f.is_file() or not is_video(f)]
    if missing:
        raise SpliceError(f"videos: not video files: {missing[:5]}")
    root = Path(os.path.commonpath([f.parent for f in files]))
    return root, sorted(set(files))


def probe(
    files: list[Path], root: Path, num_frames: int, log: Callable[[str], None]
) -> tuple[list[VideoInfo], list[tuple[str, str]]]:
    """Readable videos long enough for one window; the rest as (path, reason), logged."""
    infos, skipped = [], []
    for f in files:
        key = f.relative_to(root).as_posix()
        try:
            index = scan_packets(f)
            fps = index.fps()
            if not fps or not np.isfinite(fps) or fps <= 0:
                raise VideoReadError(f, f"no usable frame rate ({fps!r})")
        except (VideoReadError, OSError, ValueError) as e:
            reason = e.reason if isinstance(e, VideoReadError) else str(e)
            skipped.append((str(f), reason))
            log(f"skipping unreadable video {f}: {reason}")
            continue
        if index.num_frames < num_frames:
            reason = f"{index.num_frames} frames, shorter than one window ({num_frames})"
            skipped.append((str(f), reason))
            log(f"skipping video {f}: {reason}")
            continue
        infos.append(
            VideoInfo(str(f), key, index.num_frames, float(fps), index.width, index.height)
        )
    return infos, skipped


def allocate(lengths: list[int], num_clips: int, seed: int) -> list[int]:
    """Windows per video: proportional to length, at least one each when num_clips allows."""
    n = len(lengths)
    total = float(sum(lengths))
    if num_clips < n:  # fewer windows than videos: a seeded, length-weighted choice
        p = np.asarray(lengths, dtype=np.float64) / total
        chosen = np.random.default_rng([seed, 11]).choice(n, num_clips, replace=False, p=p)
        out = [0] * n
        for i in chosen:
            out[int(i)] = 1
        return out
    # Largest remainder on the exact quotas, with a floor of one window per video.
    quota = [num_clips * L / total for L in lengths]
    out = [max(1, int(q)) for q in quota]
    while sum(out) < num_clips:
        out[max(range(n), key=lambda i: (quota[i] - out[i], -i))] += 1
    while sum(out) > num_clips:
        out[min((i for i in range(n) if out[i] > 1), key=lambda i: (quota[i] - out[i], i))] -= 1
    return out


def window_starts(video: VideoInfo, k: int, num_frames: int, seed: int) -> list[int]:
    """`k` stratified starts over the video's possible starts (fewer if it has fewer)."""
    S = video.num_frames - num_frames + 1
    k = min(k, S)
    if k <= 0:
        return []
    u = np.random.default_rng([seed, video.key_hash, 1]).random(k)
    edges = [(i * S) // k for i in range(k + 1)]
    return [edges[i] + int(u[i] * (edges[i + 1] - edges[i])) for i in range(k)]


def plan_windows(
    infos: list[VideoInfo], num_clips: int, num_frames: int, seed: int
) -> list[Window]:
    """Every window of the run, in (video key, start) order."""
    counts = allocate([v.num_frames for v in infos], num_clips, seed)
    return [
        Window(v, s)
        for v, k in zip(infos, counts, strict=True)
        for s in window_starts(v, k, num_frames, seed)
    ]


def output_size(width: int, height: int, size: int) -> tuple[int, int]:
    """(w, h) with the short side `size` (or the source's, if smaller), aspect kept, both even."""
    short = min(width, height)
    scale = min(1.0, size / short)
    w = max(2, int(round(width * scale / 2)) * 2)
    h = max(2, int(round(height * scale / 2)) * 2)
    return w, h
