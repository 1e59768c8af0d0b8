"""Decoded clips kept on disk as uint8 arrays, so that training decodes each small clip once.

On the 2-core machine decoding is a third of a training step's CPU time (the loader alone:
about 150 windows/s a core from the small synthetic clips; tiny3d's step in bf16: about 70 a
core), and the same few thousand clips are decoded again every epoch. The cache decodes a
clip whole on its first read and stores its frames `(N, H, W, 3)` uint8 as `.npy`; later reads
memory-map it and take the window's frames by index, which costs next to nothing.

- The frames are the decoder's own: a cached window is equal, array for array, to the window
  `judge.io.video.read_frames` gives (tests/test_frame_cache.py, both backends).
- Only clips whose manifest row gives `width`, `height` and `num_frames` with a decoded size
  under `max_mb` are cached (the generator's and `judge-splice`'s clips); others, such as
  full-size real videos, are read as before.
- A file is keyed by its resolved path, size, modification time and the backend, so a clip
  rendered again is decoded again. Entries are written atomically (temporary file, then
  rename; the `.json` beside the frames is written last and marks an entry complete), so
  several loader workers may fill the cache at once.
- The folder is kept under a size budget (`prune`, run once when training prepares its data,
  `data.frame_cache_gb`): the entries used longest ago go first. A read marks its entry used
  (the `.json`'s modification time), so a set that is still trained on stays, and the sets of
  old experiments go. Between two prunes a run may write past the budget by what it decodes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from judge.io.video import VideoReadError, read_frames


class FrameCache:
    """A folder of decoded clips.

    Args:
        root: the folder (created on first write).
        max_mb: the largest decoded clip, in MiB, that is cached.
    """

    def __init__(self, root: str | os.PathLike[str], max_mb: float = 64.0) -> None:
        self.root = Path(root)
        self.max_bytes = int(max_mb * 2**20)

    def fits(self, row: dict) -> bool:
        """Whether a manifest row's clip is cached: its size is known and small enough."""
        try:
            size = int(row["num_frames"]) * int(row["width"]) * int(row["height"]) * 3
        except (KeyError, TypeError, ValueError):
            return False
        return 0 < size <= self.max_bytes

    def read(
        self,
        path: str | os.PathLike[str],
        indices: Sequence[int] | Callable[[int, float], Sequence[int]],
        backend: str,
        timeout: float | None = 60.0,
    ) -> tuple[np.ndarray, dict]:
        """`read_frames`'s contract from the cache: frames uint8 `(T, H, W, 3)` and
        `{"num_frames", "fps", "backend", "version", "indices"}`; decodes and stores the whole
        clip on a miss. `backend` must be a concrete name (not "auto"): it is part of the key."""
        frames_path, meta_path = self._paths(Path(path), backend)
        entry = self._load(frames_path, meta_path)
        if entry is not None:
            frames, info = entry
            _touch(meta_path)
        else:
            frames, info = read_frames(path, None, backend=backend, timeout=timeout)
            info = {k: info[k] for k in ("num_frames", "fps", "backend", "version")}
            self._write(frames_path, meta_path, frames, info)
        n = len(frames)
        idx = [int(i) for i in (indices(n, info["fps"]) if callable(indices) else indices)]
        bad = [i for i in idx if not 0 <= i < n]
        if bad:
            raise VideoReadError(path, f"frame index {bad[0]} out of range ({n} frames)")
        return np.ascontiguousarray(frames[idx]), {**info, "num_frames": n, "indices": idx}

    def prune(self, max_bytes: int, orphan_age_s: float = 3600.0) -> tuple[int, int]:
        """Delete entries, least recently used first, until the folder holds at most
        `max_bytes`; also incomplete files (frames without their `.json`, temporary files)
        older than `orphan_age_s`, which a killed writer leaves. Returns (entries removed,
        bytes freed). Entries another process reads meanwhile are decoded again, never lost.
        """
        if not self.root.is_dir():
            return 0, 0
        now, entries, total, removed, freed = time.time(), [], 0, 0, 0
        for folder in self.root.iterdir():
            if not folder.is_dir():
                continue
            for f in folder.iterdir():
                try:
                    st = f.stat()
                except OSError:  # removed meanwhile by another pruner or writer
                    continue
                complete = f.suffix == ".json" and not f.name.startswith(".")
                if complete:
                    frames = f.with_suffix(".npy")
                    size = st.st_size + (frames.stat().st_size if frames.exists() else 0)
                    entries.append((st.st_mtime, size, f, frames))
                    total += size
                elif (f.suffix != ".npy" or not f.with_suffix(".json").exists()) and (
                    now - st.st_mtime > orphan_age_s
                ):
                    f.unlink(missing_ok=True)
                    removed, freed = removed + 1, freed + st.st_size
        for _, size, meta, frames in sorted(entries, key=lambda e: e[0]):
            if total <= max_bytes:
                break
            meta.unlink(missing_ok=True)  # first: without it the entry is incomplete
            frames.unlink(missing_ok=True)
            total, removed, freed = total - size, removed + 1, freed + size
        return removed, freed

    def _paths(self, path: Path, backend: str) -> tuple[Path, Path]:
        resolved = path.resolve()
        try:
            st = resolved.stat()
        except OSError as e:
            raise VideoReadError(path, f"cannot stat: {e.strerror or e}") from e
        key = f"{resolved}|{st.st_size}|{st.st_mtime_ns}|{backend}"
        digest = hashlib.sha1(key.encode()).hexdigest()
        folder = self.root / digest[:2]
        return folder / f"{digest}.npy", folder / f"{digest}.json"

    @staticmethod
    def _load(frames_path: Path, meta_path: Path) -> tuple[np.ndarray, dict] | None:
        """A complete entry, or None: missing, or damaged (then it is decoded and written
        again; a damaged cache must cost time, never a clip)."""
        if not meta_path.exists():
            return None
        try:
            info = json.loads(meta_path.read_text())
            frames = np.load(frames_path, mmap_mode="r")
        except (OSError, ValueError):
            return None
        if frames.ndim != 4 or frames.dtype != np.uint8 or len(frames) != info.get("num_frames"):
            return None
        return frames, info

    @staticmethod
    def _write(frames_path: Path, meta_path: Path, frames: np.ndarray, info: dict) -> None:
        frames_path.parent.mkdir(parents=True, exist_ok=True)
        _atomic(frames_path, lambda f: np.save(f, np.ascontiguousarray(frames)))
        _atomic(meta_path, lambda f: f.write(json.dumps(info).encode()))


def _touch(path: Path) -> None:
    """Mark an entry used now (what `prune` orders by); a read-only cache stays readable."""
    with contextlib.suppress(OSError):
        os.utime(path)


def _atomic(path: Path, write: Callable) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
