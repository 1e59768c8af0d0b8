"""Import real camera footage: every clip is physically plausible.

Real footage trains the overall head only (``{"plausible": 1}``; artifact labels stay missing,
i.e. unknown), and teaches the judge that the look of real video is not itself a cue.
"""

from __future__ import annotations

import os

from judge.labels import PLAUSIBLE
from judge.sources._common import (
    SourceError,
    SourceRows,
    find_videos,
    finish,
    make_row,
    require_dir,
)

REAL_TAG = "real"


def from_real_footage(
    root: str | os.PathLike[str],
    out_manifest: str | os.PathLike[str],
    *,
    group_by_folder: bool = False,
    source: str = "real",
    probe: bool = False,
) -> SourceRows:
    """Rows ``{"plausible": 1}``, tag ``real``, for every video under ``root`` (recursive).

    Args:
        group_by_folder: give each clip ``group`` = its folder under ``root``, so clips cut
            from one recording (kept in one folder) never straddle splits.

    Raises:
        SourceError: ``root`` is missing or holds no video.
    """
    root = require_dir(root)
    files = find_videos(root)
    if not files:
        raise SourceError(root, "no videos found")
    rows = []
    for file in files:
        group = None
        if group_by_folder:
            rel = file.parent.relative_to(root)
            group = f"{root.name}/{rel.as_posix()}" if rel.parts else root.name
        rows.append(
            make_row(file, out_manifest, {PLAUSIBLE: 1}, source, group=group, tags=[REAL_TAG])
        )
    return finish(rows, files, root, probe=probe)
