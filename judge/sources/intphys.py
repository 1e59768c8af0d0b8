"""Import IntPhys-style matched scenes: possible and impossible runs of one scene.

Accepted layouts (a *scene* folder is any folder holding runs; scenes may sit at any depth)::

    root/<scene>/possible/*.mp4   root/<scene>/impossible/*.mp4
    root/<scene>/1.mp4 ... 4.mp4                    1, 2 possible; 3, 4 impossible
    root/<block>/<scene>/1/ ... 4/                  the IntPhys dev-set layout (O1/O2/O3 blocks)
        status.json                                 {"header": {"is_possible": bool}}, if present,
                                                    overrides the 1, 2 / 3, 4 rule
        scene.mp4 or scene/*.mp4                    the run's video; depth and masks videos
                                                    are ignored

The IntPhys release ships each run as ``scene/*.png`` frames; such runs are reported (encode the
frames to a video first, e.g. ``ffmpeg -i scene/scene_%03d.png scene.mp4``).

Every clip of a scene gets ``group`` = the scene folder's path under ``root`` (so matched clips
never straddle splits), ``labels`` = ``{"plausible": 1}`` (possible) or ``{"plausible": 0}``
(impossible), ``source`` = ``"intphys"``, and a tag ``intphys:<block>`` when a folder on the
way is named like a block (``O1``).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from judge.labels import PLAUSIBLE
from judge.sources._common import (
    SourceError,
    SourceRows,
    find_videos,
    finish,
    is_video,
    make_row,
    require_dir,
)

NAMED_RUNS = {"possible": 1, "impossible": 0}
NUMBERED_RUNS = {"1": 1, "2": 1, "3": 0, "4": 0}
IGNORED_PARTS = {"depth", "masks", "mask"}  # IntPhys meta-data renders, not the scene
_BLOCK_RE = re.compile(r"^O\d+$")


def _run_name(entry: Path) -> str | None:
    """``possible``/``impossible``/``1``..``4`` when ``entry`` is a run folder or run video."""
    if entry.is_dir():
        key = entry.name.lower()
    elif is_video(entry):
        key = entry.stem.lower()
    else:
        return None
    return key if key in NAMED_RUNS or key in NUMBERED_RUNS else None


def _find_scenes(root: Path) -> list[Path]:
    """Folders that hold runs.

    A folder with ``possible``/``impossible`` runs is a scene, whatever its runs hold (even
    videos named ``1.mp4``). Among folders with numbered runs only the innermost count, so a
    block of quadruplets that happen to be named ``1``, ``2``... is not taken for a scene.
    """
    named, numbered = [], []
    for folder, dirs, _ in os.walk(root):
        folder = Path(folder)
        runs = {_run_name(e) for e in folder.iterdir() if not e.name.startswith(".")} - {None}
        if runs & set(NAMED_RUNS):
            named.append(folder)
            dirs[:] = []  # its runs are not scenes
            continue
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        if runs:
            numbered.append(folder)
    innermost = [c for c in numbered if not any(o != c and c in o.parents for o in numbered)]
    return sorted(named + innermost)


def _run_label(run: Path, name: str, errors: list) -> int | None:
    if name in NAMED_RUNS:
        return NAMED_RUNS[name]
    status = run / "status.json"
    if run.is_dir() and status.is_file():
        try:
            value = json.loads(status.read_text(encoding="utf-8"))["header"]["is_possible"]
        except (OSError, ValueError, KeyError, TypeError) as e:
            errors.append((None, f"{status}: cannot read header.is_possible ({e!r})"))
            return None
        if not isinstance(value, bool):
            errors.append((None, f"{status}: header.is_possible must be true/false, got {value!r}"))
            return None
        return int(value)
    return NUMBERED_RUNS[name]


def _run_videos(run: Path) -> list[Path]:
    if not run.is_dir():
        return [run]
    return [
        v
        for v in find_videos(run)
        if not ({p.lower() for p in v.relative_to(run).parent.parts} | {v.stem.lower()})
        & IGNORED_PARTS
    ]


def from_intphys(
    root: str | os.PathLike[str],
    out_manifest: str | os.PathLike[str],
    *,
    source: str = "intphys",
    probe: bool = False,
) -> SourceRows:
    """Rows for every run video of every scene under ``root`` (layouts in the module doc).

    Raises:
        SourceError: ``root`` is missing, holds no scenes, or some runs have no video or an
            unreadable ``status.json``; every problem is listed at once.
    """
    root = require_dir(root)
    scenes = _find_scenes(root)
    if not scenes:
        raise SourceError(
            root,
            "no IntPhys scenes found: expected <scene>/possible/ and <scene>/impossible/ "
            "folders, or numbered runs <scene>/1 ... <scene>/4",
        )
    rows, files, errors = [], [], []
    for scene in scenes:
        rel = scene.relative_to(root)
        group = rel.as_posix() if rel.parts else root.name
        blocks = [p for p in (root.name, *rel.parts) if _BLOCK_RE.match(p)]
        tags = [f"intphys:{blocks[-1]}"] if blocks else None
        for run in sorted(e for e in scene.iterdir() if not e.name.startswith(".")):
            name = _run_name(run)
            if name is None:
                continue
            label = _run_label(run, name, errors)
            videos = _run_videos(run)
            if not videos:
                has_png = any(run.glob("scene/*.png"))
                why = "PNG frames but no video (encode them first)" if has_png else "no video"
                errors.append((None, f"{run}: {why}"))
            if label is None:
                continue
            labels = {PLAUSIBLE: label}
            for video in videos:
                rows.append(make_row(video, out_manifest, labels, source, group=group, tags=tags))
                files.append(video)
    if errors:
        raise SourceError(root, errors)
    return finish(rows, files, root, probe=probe)
