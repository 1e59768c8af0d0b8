"""Import real camera footage: every clip is physically plausible, so every label is known.

Real footage shows no artifact: each row is ``{"plausible": 1}`` with every artifact label of
``judge.labels.ARTIFACT_LABELS`` at 0. The label heads thus see real negatives (a label left
out would be unknown, masked out of the loss), and the judge learns that the look of real
video is not itself a cue. Rows carry ``source`` = ``"real/<folder name>"`` (metrics are split
by the part before the "/") and the tag ``real``.
"""

from __future__ import annotations

import os
from pathlib import Path

from judge.labels import ARTIFACT_LABELS, PLAUSIBLE
from judge.sources._common import (
    SourceError,
    SourceRows,
    find_videos,
    finish,
    make_row,
    require_dir,
)

REAL_TAG = "real"
REAL_SOURCE = "real"  # the source family; rows get "real/<folder name>"

# Real footage is plausible and free of every artifact kind: all labels known.
REAL_LABELS = {PLAUSIBLE: 1, **{name: 0 for name in ARTIFACT_LABELS}}


def real_source(root: str | os.PathLike[str]) -> str:
    """The default ``source`` of footage under ``root``: ``"real/<folder name>"``."""
    name = Path(root).resolve().name  # "." or "../x" name the folder itself
    return f"{REAL_SOURCE}/{name}" if name else REAL_SOURCE


def from_real_footage(
    root: str | os.PathLike[str],
    out_manifest: str | os.PathLike[str],
    *,
    group_by_folder: bool = False,
    source: str | None = None,
    probe: bool = False,
) -> SourceRows:
    """Rows ``REAL_LABELS`` (plausible 1, every artifact label 0), tag ``real``, for every video
    under ``root`` (recursive).

    Args:
        group_by_folder: give each clip ``group`` = its folder under ``root``, so clips cut
            from one recording (kept in one folder) never straddle splits.
        source: the rows' ``source`` (default ``"real/<name of root>"``).

    Raises:
        SourceError: ``root`` is missing or holds no video.
    """
    root = require_dir(root)
    files = find_videos(root)
    if not files:
        raise SourceError(root, "no videos found")
    source = source or real_source(root)
    rows = []
    for file in files:
        group = None
        if group_by_folder:
            rel = file.parent.relative_to(root)
            group = f"{root.name}/{rel.as_posix()}" if rel.parts else root.name
        rows.append(make_row(file, out_manifest, REAL_LABELS, source, group=group, tags=[REAL_TAG]))
    return finish(rows, files, root, probe=probe)
