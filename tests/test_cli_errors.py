"""The one error reporter of the command lines (judge/cli/errors.py) and their shared flags."""

from __future__ import annotations

import errno

import pytest

from judge.cli import errors
from judge.cli.errors import EXIT_ERROR, EXIT_OK, UsageError, run_reporting_errors


def _raise(e: BaseException):
    def fn() -> int:
        raise e

    return fn


@pytest.mark.parametrize(
    ("exc", "line"),
    [
        (FileNotFoundError(errno.ENOENT, "No such file or directory", "x.jsonl"),
         "judge-x: error: x.jsonl: No such file or directory"),
        (ValueError("m.jsonl: line 3: no 'path'"), "judge-x: error: m.jsonl: line 3: no 'path'"),
        (UsageError("--group-by column needs manifest inputs"),
         "judge-x: error: --group-by column needs manifest inputs"),
        (FileExistsError("out.jsonl exists (pass --overwrite)"),
         "judge-x: error: out.jsonl exists (pass --overwrite)"),
    ],
)  # fmt: skip
def test_expected_errors_are_one_line_and_exit_1(capsys, exc, line):
    assert run_reporting_errors("judge-x", _raise(exc)) == EXIT_ERROR
    assert capsys.readouterr().err == line + "\n"


def test_success_passes_through_and_bugs_keep_their_traceback():
    assert run_reporting_errors("judge-x", lambda: EXIT_OK) == EXIT_OK
    with pytest.raises(KeyError):
        run_reporting_errors("judge-x", _raise(KeyError("bug")))


def test_a_tool_may_name_more_expected_errors(capsys):
    class Mismatch(RuntimeError):
        pass

    assert run_reporting_errors("judge-x", _raise(Mismatch("onnx differs")), (Mismatch,)) == 1
    assert capsys.readouterr().err == "judge-x: error: onnx differs\n"
    assert errors.EXIT_USAGE == 2 and errors.EXIT_ENVIRONMENT == 3


def test_scoring_flags_are_shared_and_fit_defaults_to_the_judges_own():
    from judge.cli import calibrate, rerank, score

    for module in (score, rerank, calibrate):
        dests = {a.dest for a in module.build_parser()._actions}
        assert {"device", "batch_size", "workers", "stride", "timeout", "cuts"} <= dests
    args = score.build_parser().parse_args(["--judge", "j", "--out", "o.jsonl", "v.mp4"])
    assert args.fit is None and args.cuts == "split" and args.batch_size == 16
