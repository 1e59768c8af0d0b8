"""Put each group's winning candidate into one folder, as ``<group>__<filename>``.

Symlinks by default (no copy of possibly large videos), copies on request (for a folder that is
shipped elsewhere). Each entry is created under a temporary name and renamed into place, so a
reader never sees a half-written copy and a rerun replaces the previous winner atomically.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Mapping
from pathlib import Path

from judge.io.atomic import atomic_path

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
SEPARATOR = "__"


def sanitise(name: str) -> str:
    """A file-name-safe form: runs of other characters become ``_``; never empty or hidden."""
    return _UNSAFE.sub("_", name).strip("._") or "_"


def link_names(winners: Mapping[str, str]) -> dict[str, str]:
    """``{group: "<group>__<filename>"}``, sanitised, made unique.

    Two groups that sanitise alike (``a/b`` and ``a_b``) get a short hash of the group key, so
    neither winner silently overwrites the other.
    """
    base = {g: sanitise(g) for g in winners}
    counts: dict[str, int] = {}
    for safe in base.values():
        counts[safe] = counts.get(safe, 0) + 1
    names = {}
    for group, path in winners.items():
        safe = base[group]
        if counts[safe] > 1:
            safe += "-" + hashlib.sha1(group.encode()).hexdigest()[:8]
        names[group] = f"{safe}{SEPARATOR}{sanitise(os.path.basename(path))}"
    return names


def link_best(
    winners: Mapping[str, str], dest: str | os.PathLike[str], *, copy: bool = False
) -> tuple[list[Path], list[str]]:
    """Link (or copy) each group's winner into ``dest``.

    A symlink left by an earlier run for one of these groups (same ``<group>__`` prefix, another
    file name) is removed, so the folder shows one winner per group; copies are never deleted.

    Args:
        winners: ``{group: winner path}``.
        dest: the folder, created if needed.
        copy: copy the files instead of symlinking them.

    Returns:
        ``(entries written, problems)``; a missing winner file is a problem, not an exception,
        so one stale path does not cost the other groups their links.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    names = link_names(winners)
    written, problems = [], []
    for group, path in winners.items():
        src = Path(os.path.abspath(path))
        if not src.is_file():
            problems.append(f"group {group!r}: winner {path} is not a file; not linked")
            continue
        target = dest / names[group]
        if copy:
            with atomic_path(target) as tmp:
                shutil.copyfile(src, tmp)
        else:
            _atomic_symlink(src, target)
        written.append(target)
    # Each group's own prefix, taken from its link name: splitting names at "__" would cut a
    # group key that itself contains "__" short and match other groups' links.
    prefixes = {
        names[g][: len(names[g]) - len(sanitise(os.path.basename(p)))] for g, p in winners.items()
    }
    _remove_stale_links(dest, set(names.values()), tuple(prefixes))
    return written, problems


def _atomic_symlink(src: Path, target: Path) -> None:
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(src, tmp)
    try:
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _remove_stale_links(dest: Path, current: set[str], prefixes: tuple[str, ...]) -> None:
    for entry in dest.iterdir():
        if entry.name in current or not entry.is_symlink():
            continue
        if entry.name.startswith(prefixes):
            entry.unlink()
