"""JSONL, one JSON value a line: the one reader and writer of the package's line files
(manifests, score records, rankings, preference pairs).

The reading rule, the same for every file:

- blank lines are skipped;
- a line that is not valid JSON is a bad line, named by file and 1-based line number;
- ``read_jsonl`` reads the whole file and then raises ``JsonlError`` listing every bad line (a
  caller's ``check`` adds its own reasons, e.g. "no 'path'"), so one run shows all of them;
- the one exception is explicit: with ``torn_tail=True`` a bad *last* line that has no newline
  after it is skipped with a warning on stderr. That is the file of a ``judge-score`` run killed
  in the middle of a write, which ``--resume`` would cut off; nothing else is forgiven.

Readers that report bad lines their own way (a manifest's validation, the scoring inputs) walk
``iter_lines`` and get the same line numbers and messages.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from judge.io.atomic import atomic_write_text

MAX_LISTED = 10  # bad lines named in a JsonlError message; the rest are counted


class Line(NamedTuple):
    """One non-blank line: its 1-based ``number``, the parsed ``value`` (None when bad),
    ``error`` (None, or why it is not JSON) and ``ended`` (False: no newline after it)."""

    number: int
    value: Any
    error: str | None
    ended: bool


class JsonlError(ValueError):
    """Bad lines of a JSONL file: ``problems`` lists ``(line number, reason)``."""

    def __init__(self, path: str | os.PathLike[str], problems: list[tuple[int, str]]):
        self.path, self.problems = str(path), list(problems)
        named = "; ".join(f"line {n}: {why}" for n, why in self.problems[:MAX_LISTED])
        more = len(self.problems) - MAX_LISTED
        super().__init__(f"{self.path}: {named}" + (f" ... and {more} more" if more > 0 else ""))


def iter_lines(path: str | os.PathLike[str]) -> Iterator[Line]:
    """Every non-blank line of ``path``, parsed; bad lines are yielded with their ``error``."""
    with open(path, encoding="utf-8") as f:
        for number, text in enumerate(f, start=1):
            if not text.strip():
                continue
            try:
                value = json.loads(text)
            except json.JSONDecodeError as e:
                why = f"invalid JSON ({e.msg}, column {e.colno})"
                yield Line(number, None, why, text.endswith("\n"))
                continue
            yield Line(number, value, None, text.endswith("\n"))


def read_jsonl(
    path: str | os.PathLike[str],
    *,
    check: Callable[[Any], str | None] | None = None,
    torn_tail: bool = False,
) -> list:
    """The values of ``path``'s lines, in order (module docstring for the rule).

    Args:
        check: ``check(value)`` returns why a parsed value is unacceptable, or None.
        torn_tail: skip an unparsable last line without a newline (a killed writer's).

    Raises:
        JsonlError: naming every bad line.
    """
    lines = list(iter_lines(path))
    values, problems = [], []
    for i, line in enumerate(lines):
        if line.error is not None:
            if torn_tail and i == len(lines) - 1 and not line.ended:
                print(f"warning: {path}:{line.number}: torn last line skipped", file=sys.stderr)
                continue
            problems.append((line.number, line.error))
            continue
        why = check(line.value) if check is not None else None
        if why:
            problems.append((line.number, why))
            continue
        values.append(line.value)
    if problems:
        raise JsonlError(path, problems)
    return values


def dumps_line(value: Any) -> str:
    """One value as a JSONL line, newline included: UTF-8 kept, NaN refused (JSON has none)."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False) + "\n"


def write_jsonl(path: str | os.PathLike[str], rows: Iterable[Any]) -> Path:
    """All rows at once, atomically: a reader never sees half a file."""
    return atomic_write_text(path, "".join(dumps_line(r) for r in rows))
