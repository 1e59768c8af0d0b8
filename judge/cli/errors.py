"""How every command line reports an expected error: one line, no traceback.

The contract, the same for every `judge-*` tool:

- an expected failure prints ``judge-<cmd>: error: <file>: <reason>`` on stderr (``<file>: ``
  when the error names a file: an ``OSError``'s ``filename``, or a message that already
  starts with it, as the package's ``ValueError`` subclasses do) and exits ``EXIT_ERROR`` (1);
- bad arguments are argparse's: usage and ``judge-<cmd>: error: <reason>``, exit
  ``EXIT_USAGE`` (2);
- success is ``EXIT_OK`` (0); `judge-score` goes on past videos it cannot read (they are
  error records) and still exits 0;
- ``EXIT_ENVIRONMENT`` (3): the machine lacks what the tool needs (`judge-synth`: no OpenGL
  backend for MuJoCo);
- anything else is a bug, and keeps its traceback.

The Hydra tools (`judge-synth`, `judge-splice`, `judge-train`, `judge-eval`) report through
their run log (``log.error``), so the message lands in the run's log file too, with the same
exit statuses: a bad configuration is ``EXIT_USAGE``, scenes or windows that failed (the rest
are kept; rerun to retry) ``EXIT_ERROR``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from judge.io.manifest import ManifestError

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_ENVIRONMENT = 3

# Expected failures: the package's own input errors all derive from ValueError (bad manifests'
# rows, groupings, judge files, split ratios, JudgeLoadError, ...); OSError covers files that
# cannot be read or written, FileExistsError an output that needs --overwrite.
EXPECTED: tuple[type[BaseException], ...] = (ManifestError, ValueError, OSError)


class UsageError(Exception):
    """An expected problem with the command's input; printed as one line, no traceback."""


def error_message(e: BaseException) -> str:
    """``<file>: <reason>`` for an OSError that names its file, else the exception's text."""
    if isinstance(e, OSError):
        where = f"{e.filename}: " if e.filename else ""
        return f"{where}{e.strerror or e}"
    return str(e)


def report_error(prog: str, e: BaseException | str) -> int:
    """Print ``prog: error: ...`` on stderr; returns ``EXIT_ERROR`` for ``return``."""
    text = e if isinstance(e, str) else error_message(e)
    print(f"{prog}: error: {text}", file=sys.stderr)
    return EXIT_ERROR


def run_reporting_errors(
    prog: str, fn: Callable[[], int], expected: tuple[type[BaseException], ...] = ()
) -> int:
    """``fn()``, with expected failures (`UsageError`, `EXPECTED` and ``expected``) printed as
    ``prog: error: ...`` and exit status ``EXIT_ERROR``."""
    try:
        return fn()
    except (UsageError, *EXPECTED, *expected) as e:
        return report_error(prog, e)
