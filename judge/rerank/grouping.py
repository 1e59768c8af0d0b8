"""Group candidate videos for best-of-N reranking: by folder, filename pattern or manifest column.

Each function maps a list of candidate paths to one group key per path, in order. They are pure
(no file is opened) so that reranking already-scored records needs neither the videos nor a model.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from judge.io.pathkey import path_key

_MAX_LISTED = 20
# `{name}` or `{name:d}`; `:d` restricts the field to digits, which disambiguates patterns such
# as `{seed:d}_{prompt}.mp4` where the greedy default would swallow part of the prompt.
_FIELD_RE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::(d))?\}")


class GroupingError(ValueError):
    """Some candidates cannot be given a group; the message lists them."""


def _listing(head: str, items: Sequence[str]) -> str:
    lines = [f"  {x}" for x in items[:_MAX_LISTED]]
    if len(items) > _MAX_LISTED:
        lines.append(f"  ... and {len(items) - _MAX_LISTED} more")
    return "\n".join([head, *lines])


def _absolute(path: str) -> str:
    """Absolute and normalised, symlinks kept: folder groups are named after the folders the
    candidates were given in, not after where links lead (matching uses ``path_key``)."""
    return os.path.normpath(os.path.abspath(os.path.expanduser(path)))


def folder_groups(paths: Sequence[str]) -> list[str]:
    """Group by parent folder, named relative to the folders' common ancestor.

    The key starts with the ancestor's own name, so one flat folder ``cands/`` gives the group
    ``cands`` and ``cands/p1/*.mp4``, ``cands/p2/*.mp4`` give ``cands/p1`` and ``cands/p2``:
    short, readable and still unique (full absolute paths would make unwieldy link names).
    """
    if not paths:
        return []
    parents = [os.path.dirname(_absolute(p)) for p in paths]
    common = os.path.commonpath(parents)
    name = os.path.basename(common)
    keys = []
    for parent in parents:
        rel = os.path.relpath(parent, common).replace(os.sep, "/")
        if rel == ".":
            keys.append(name or "/")
        else:
            keys.append(f"{name}/{rel}" if name else rel)
    return keys


@dataclass(frozen=True)
class FilenamePattern:
    """A compiled ``--pattern`` such as ``{prompt}_{seed}.mp4`` or ``{prompt}/{seed:d}.mp4``.

    A pattern with ``/`` matches that many trailing path components, so folder names can be
    fields too. Fields match greedily within one component; ``{name:d}`` matches digits only.
    """

    text: str
    fields: tuple[str, ...]
    regex: re.Pattern[str]
    depth: int

    def match(self, path: str) -> dict[str, str] | None:
        """The fields of ``path`` (its trailing components), or None if it does not match."""
        parts = path.replace(os.sep, "/").split("/")
        if len(parts) < self.depth:
            return None
        m = self.regex.fullmatch("/".join(parts[-self.depth :]))
        return m.groupdict() if m else None


def compile_pattern(pattern: str) -> FilenamePattern:
    """Compile a filename pattern; raises ValueError for no fields, duplicates or stray braces."""
    regex, fields, pos = [], [], 0
    for m in _FIELD_RE.finditer(pattern):
        regex.append(_literal(pattern, pattern[pos : m.start()]))
        name, digits = m.groups()
        if name in fields:
            raise ValueError(f"pattern {pattern!r} names field {{{name}}} twice")
        fields.append(name)
        regex.append(f"(?P<{name}>{'[0-9]+' if digits else '[^/]+'})")
        pos = m.end()
    regex.append(_literal(pattern, pattern[pos:]))
    if not fields:
        raise ValueError(f"pattern {pattern!r} has no {{field}}; e.g. '{{prompt}}_{{seed}}.mp4'")
    return FilenamePattern(
        text=pattern,
        fields=tuple(fields),
        regex=re.compile("".join(regex)),
        depth=pattern.count("/") + 1,
    )


def _literal(pattern: str, text: str) -> str:
    if "{" in text or "}" in text:
        raise ValueError(
            f"pattern {pattern!r}: stray brace in {text!r}; fields look like {{name}} or {{name:d}}"
        )
    return re.escape(text)


def pattern_groups(
    paths: Sequence[str], pattern: str, vary: str = "seed", *, fallback: str | None = None
) -> list[str]:
    """Group by every pattern field except ``vary`` (the one that differs between candidates).

    The key is the other fields' values in pattern order joined by ``/`` (``all`` when ``vary``
    is the only field). With ``fallback``, a path that does not match gets that key instead of
    raising (for records that failed to score, whose "path" may be a manifest line).

    Raises:
        ValueError: a bad pattern, or ``vary`` is not one of its fields.
        GroupingError: some paths do not match; all of them are listed.
    """
    pat = compile_pattern(pattern)
    if vary not in pat.fields:
        fields = ", ".join(pat.fields)
        raise ValueError(f"--vary {vary!r} is not a field of {pattern!r} (fields: {fields})")
    keys, bad = [], []
    for path in paths:
        found = pat.match(path)
        if found is None:
            if fallback is None:
                bad.append(path)
            else:
                keys.append(fallback)
            continue
        keys.append("/".join(found[f] for f in pat.fields if f != vary) or "all")
    if bad:
        raise GroupingError(
            _listing(f"{len(bad)} file name(s) do not match pattern {pattern!r}:", bad)
        )
    return keys


def column_groups(
    paths: Sequence[str], rows: Mapping[str, dict], column: str, *, fallback: str | None = None
) -> list[str]:
    """Group by a manifest column.

    Args:
        paths: candidate paths (as scored).
        rows: manifest rows by the ``path_key`` of their video.
        column: the row field to group by; non-string values are stringified.
        fallback: the key of a path without a row or field, instead of raising.

    Raises:
        GroupingError: listing candidates with no manifest row or no such field.
    """
    keys, missing_row, missing_col = [], [], []
    for path in paths:
        row = rows.get(path_key(path))
        if fallback is not None and (row is None or row.get(column) is None):
            keys.append(fallback)
        elif row is None:
            missing_row.append(path)
        elif row.get(column) is None:
            missing_col.append(path)
        else:
            value = row[column]
            keys.append(value if isinstance(value, str) else str(value))
    problems = []
    if missing_row:
        head = f"{len(missing_row)} candidate(s) are in no manifest:"
        problems.append(_listing(head, missing_row))
    if missing_col:
        problems.append(
            _listing(f"{len(missing_col)} manifest row(s) have no {column!r} field:", missing_col)
        )
    if problems:
        raise GroupingError("\n".join(problems))
    return keys
