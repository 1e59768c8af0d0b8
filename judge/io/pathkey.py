"""The one key under which a video's path is matched across files (score records, manifests).

Score records carry the path a video was scored under; manifests name it relative to their own
folder. ``path_key`` makes both the same string: ``~`` expanded, absolute, every symlink
resolved (a clip reached through a linked folder or a linked file is the file it points to) and
case-folded where the file system is case-insensitive (``os.path.normcase``). Calibration
(``judge-calibrate``), reranking by manifest column (``judge-rerank``) and evaluation
(``judge-eval``) all match with it, so a clip matches in one exactly when it matches in the
others.
"""

from __future__ import annotations

import os


def path_key(path: str | os.PathLike[str]) -> str:
    """``path`` (need not exist) as its matching key (module docstring)."""
    return os.path.normcase(os.path.realpath(os.path.expanduser(os.fspath(path))))
