"""What to score: paths, folders, globs and manifests, expanded lazily into video paths.

Scoring runs over 100k-video folders, so nothing here builds a list of every video: folders are
walked one directory at a time (each directory's entries sorted, so the order is the same on
every run), globs are iterated, and manifests are read line by line.

- a `.jsonl` file is a manifest: each line's `"path"`, relative to the manifest's folder;
- a folder is searched recursively for files with a video extension
  (`judge.io.extensions.VIDEO_EXTENSIONS`, the list `judge-data import` searches with too);
- a string with `*`, `?` or `[` that is not an existing path is a glob (`**` recurses);
- anything else is a video path, whatever its extension; a missing one gives an error entry.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from judge.io.extensions import VIDEO_EXTENSIONS, has_video_extension  # noqa: F401 - re-exported
from judge.io.jsonl import iter_lines
from judge.io.manifest import resolve_path
from judge.io.pathkey import path_key

MANIFEST_EXTENSIONS: tuple[str, ...] = (".jsonl",)
_GLOB_CHARS = set("*?[")

PathLike = str | os.PathLike


@dataclass(frozen=True)
class Entry:
    """One video to score: its path as given or resolved, or why it cannot even be tried."""

    path: str
    error: str | None = None


def as_input_list(inputs: PathLike | Iterable[PathLike]) -> Iterable[PathLike]:
    """A single path or glob -> a one-element list; any other iterable passes through."""
    if isinstance(inputs, str | os.PathLike):
        return [inputs]
    return inputs


def iter_entries(inputs: PathLike | Iterable[PathLike], unique: bool = True) -> Iterator[Entry]:
    """Expand `inputs` lazily into one `Entry` per video, in a deterministic order.

    With `unique`, a video named twice (a folder and a glob over it, or a link to it) comes
    once, at its first mention: entries are matched by `judge.io.pathkey.path_key`, as every
    other file matches paths. This keeps one key per video seen, the only memory that grows
    with the number of videos (about 100 bytes each).
    """
    seen: set[str] = set()
    for entry in _expand(inputs):
        if unique:
            key = path_key(entry.path)
            if key in seen:
                continue
            seen.add(key)
        yield entry


def _expand(inputs: PathLike | Iterable[PathLike]) -> Iterator[Entry]:
    for item in as_input_list(inputs):
        text = os.fspath(item)
        path = Path(text)
        if path.is_dir():
            yield from _walk(path)
        elif path.suffix.lower() in MANIFEST_EXTENSIONS and path.is_file():
            yield from _manifest(path)
        elif path.exists():
            yield Entry(text)
        elif _GLOB_CHARS & set(text):
            yield from _glob(text)
        else:
            yield Entry(text, f"{text}: file not found")


def _walk(root: Path) -> Iterator[Entry]:
    """Video files under `root`, depth first, entries of each folder sorted by name."""
    try:
        with os.scandir(root) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as e:
        yield Entry(str(root), f"{root}: cannot list folder ({e.strerror or e})")
        return
    for e in entries:
        if e.is_dir():
            yield from _walk(Path(e.path))
        elif has_video_extension(e.name) and not e.name.startswith("."):
            # Hidden files are skipped: the atomic writer's temporary files start with '.'.
            yield Entry(e.path)


def _glob(pattern: str) -> Iterator[Entry]:
    matched = False
    for hit in glob.iglob(pattern, recursive=True):
        matched = True
        if os.path.isdir(hit):
            yield from _walk(Path(hit))
        elif hit.lower().endswith(MANIFEST_EXTENSIONS):
            yield from _manifest(Path(hit))
        else:
            yield Entry(hit)
    if not matched:
        yield Entry(pattern, f"{pattern}: no file matches this pattern")


def _manifest(path: Path) -> Iterator[Entry]:
    """Each row's video, resolved against the manifest's folder; a bad line is an error entry
    (named by manifest and line number, as `judge.io.jsonl` names it) and the rest of the
    manifest is still read."""
    for line in iter_lines(path):
        where = f"{path}:{line.number}"
        if line.error is not None:
            yield Entry(where, f"{where}: {line.error}")
        elif not isinstance(line.value, dict) or not isinstance(line.value.get("path"), str):
            yield Entry(where, f"{where}: manifest row has no 'path' string")
        else:
            yield Entry(str(resolve_path(path, line.value["path"])))
