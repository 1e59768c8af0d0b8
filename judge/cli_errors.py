"""How the plain-flag command lines report expected errors: one line, no traceback, exit 1."""

from __future__ import annotations

import sys
from collections.abc import Callable

from judge.io.manifest import ManifestError


class UsageError(Exception):
    """An expected problem with the command's input; printed as one line, no traceback."""


def run_reporting_errors(prog: str, fn: Callable[[], int]) -> int:
    """``fn()``, with expected failures printed as ``prog: error: ...`` and exit status 1.

    ValueError covers the package's own input errors (bad manifests' rows, groupings, judge
    files, split ratios, ...), which all derive from it.
    """
    try:
        return fn()
    except (ManifestError, UsageError, ValueError) as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
    except OSError as e:
        where = f"{e.filename}: " if e.filename else ""
        print(f"{prog}: error: {where}{e.strerror or e}", file=sys.stderr)
    return 1
