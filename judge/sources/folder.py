"""Import a folder whose subfolder names are the labels.

Two layouts, which may be mixed::

    root/plausible/*.mp4    -> {"plausible": 1}
    root/implausible/*.mp4  -> {"plausible": 0}

    root/teleport/**.mp4    -> {"teleport": 1, "plausible": 0}   (other artifacts unknown)
    root/clean/**.mp4       -> {"plausible": 1, "teleport": 0}   (``plausible/`` works too)

A clean clip has no artifact at all, so in the second layout it is also written as a negative
(0) for every artifact label that has its own folder in ``root``: the artifact heads then get
negatives from the same footage as their positives. Labels without a folder stay missing
(unknown, masked in the loss), as does every artifact label in the first layout.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from judge.labels import ARTIFACT_LABELS, PLAUSIBLE
from judge.sources._common import (
    SourceError,
    SourceRows,
    find_videos,
    finish,
    is_video,
    make_row,
    require_dir,
)

CLEAN_FOLDERS = ("plausible", "clean")
IMPLAUSIBLE_FOLDERS = ("implausible",)


def _folder_label(name: str, artifacts: tuple[str, ...]) -> str:
    """The label a folder stands for: ``plausible``, ``implausible`` or an artifact label."""
    key = name.lower()
    if key in CLEAN_FOLDERS:
        return PLAUSIBLE
    if key in IMPLAUSIBLE_FOLDERS:
        return "implausible"
    if key in artifacts:
        return key
    raise KeyError(name)


def from_labelled_folder(
    root: str | os.PathLike[str],
    out_manifest: str | os.PathLike[str],
    *,
    extra_labels: Iterable[str] = (),
    source: str | None = None,
    probe: bool = False,
) -> SourceRows:
    """Rows for every video under ``root``'s label folders (videos found recursively).

    Args:
        root: folder holding one subfolder per label (names are case-insensitive).
        out_manifest: the manifest these rows are for; paths are written relative to its folder.
        extra_labels: artifact kinds accepted as folder names besides ``ARTIFACT_LABELS``.
        source: the rows' ``source`` (default ``"folder/<root name>"``).
        probe: fill ``fps``, ``num_frames``, ``width``, ``height`` from the files (PyAV).

    Raises:
        SourceError: ``root`` is missing, a subfolder name is not a label (names the folder
            and lists the known ones), a video lies directly in ``root``, or no video is found.
    """
    root = require_dir(root)
    extra = tuple(extra_labels)
    artifacts = (*ARTIFACT_LABELS, *extra)
    known = ", ".join([*CLEAN_FOLDERS, *IMPLAUSIBLE_FOLDERS, *artifacts])

    folders: list[tuple[Path, str]] = []
    loose = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            try:
                folders.append((entry, _folder_label(entry.name, artifacts)))
            except KeyError:
                raise SourceError(
                    entry, f"folder name {entry.name!r} is not a label; known: {known}"
                ) from None
        elif is_video(entry):
            loose.append(entry)
    if loose:
        raise SourceError(
            root,
            f"{len(loose)} video(s) directly in the folder (e.g. {loose[0].name}); put each "
            f"in a label subfolder ({known})",
        )
    present = [label for _, label in folders if label in artifacts]
    source = source or f"folder/{root.name}"

    rows, files = [], []
    for folder, label in folders:
        if label == PLAUSIBLE:
            labels = {PLAUSIBLE: 1, **{a: 0 for a in present}}
        elif label == "implausible":
            labels = {PLAUSIBLE: 0}
        else:
            labels = {label: 1, PLAUSIBLE: 0}
        for file in find_videos(folder):
            rows.append(make_row(file, out_manifest, labels, source))
            files.append(file)
    if not rows:
        raise SourceError(root, f"no videos found in label subfolders ({known})")
    return finish(rows, files, root, probe=probe, extra_labels=extra)
