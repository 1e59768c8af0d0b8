"""`judge-score`: score videos with a judge, one record a line (JSONL or CSV).

    judge-score --judge judges/tiny --out scores.jsonl clips/ more/*.mp4 set/manifest.jsonl
    judge-score --judge last.ckpt --out scores.csv --workers 4 --batch-size 32 clips/
    judge-score --judge judges/tiny --out scores.jsonl --resume clips/     # after a kill
    judge-score --judge judges/tiny --out - clip.mp4                       # JSONL to stdout
    judge-score --judge judges/tiny --out scores.jsonl --cuts artifact clips/  # a cut is flagged

Bad files are rows with `status: "error"` and the run goes on. Exit status: 0 when the run
finished (whatever the files), 1 when the judge or the output cannot be opened, 2 on bad
arguments.
"""

from __future__ import annotations

import argparse
import sys
import time
from contextlib import nullcontext

from judge.cli.common import scoring_parent
from judge.cli.errors import EXPECTED, report_error
from judge.inference.output import FORMATS, infer_format, open_scores

PROG = "judge-score"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Score videos for physical plausibility; one JSONL/CSV record per video.",
        parents=[scoring_parent()],
    )
    p.add_argument("inputs", nargs="+", metavar="VIDEO_OR_FOLDER_OR_GLOB_OR_MANIFEST")
    p.add_argument("--judge", required=True, help="a .ckpt or an exported judge folder")
    p.add_argument("--out", required=True, help="score file (.jsonl or .csv), or - for stdout")
    p.add_argument("--format", choices=FORMATS, help="default: from --out's extension")
    p.add_argument("--resume", action="store_true", help="append, skipping paths in --out")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    p.add_argument("--backend", choices=("decord", "pyav"), help="video reader")
    p.add_argument("--min-frames", type=int, default=2, help="shorter videos are errors")
    p.add_argument(
        "--threads", type=int, help="torch threads on a CPU (default: cores not used by workers)"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    return p


def _progress(enabled: bool):
    """A rich progress display on stderr (count, rate, errors; the total is not known in
    advance because inputs are streamed)."""
    if not enabled:
        return nullcontext(None)
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    return Progress(
        SpinnerColumn(),
        TextColumn("{task.completed} videos"),
        TextColumn("{task.fields[rate]:.1f}/s"),
        TextColumn("errors {task.fields[errors]}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=False,
    )


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.resume and args.overwrite:
        parser.error("--resume and --overwrite exclude each other")
    if args.batch_size < 1 or (args.stride is not None and args.stride < 1):
        parser.error("--batch-size and --stride must be >= 1")
    if args.workers < 0 or (args.threads is not None and args.threads < 0):
        parser.error("--workers and --threads must be >= 0")
    fmt = infer_format(args.out, args.format)

    from judge.inference.judge import Judge

    try:
        judge = Judge.load(args.judge, device=args.device)
        writer, done = open_scores(args.out, fmt, judge.labels, args.resume, args.overwrite)
    except EXPECTED as e:  # JudgeLoadError is a ValueError, FileExistsError an OSError
        return report_error(PROG, e)
    if done:
        print(f"judge-score: resuming, {len(done)} videos already in {args.out}", file=sys.stderr)
    records = judge.score(
        args.inputs,
        batch_size=args.batch_size,
        num_workers=args.workers,
        stride=args.stride,
        timeout=args.timeout,
        fit=args.fit,
        backend=args.backend,
        skip=done,
        min_frames=args.min_frames,
        threads=args.threads or "auto",
        cuts=args.cuts,
    )
    counts = {"ok": 0, "error": 0}
    start = time.perf_counter()
    show = not args.no_progress and args.out != "-"
    try:
        with _progress(show) as progress:
            task = progress.add_task("scoring", total=None, rate=0.0, errors=0) if progress else 0
            for record in records:
                writer.write(record)
                counts[record["status"]] += 1
                if progress is not None:
                    rate = sum(counts.values()) / max(time.perf_counter() - start, 1e-9)
                    progress.update(task, advance=1, rate=rate, errors=counts["error"])
    finally:
        writer.close()
    seconds = time.perf_counter() - start
    total = sum(counts.values())
    print(
        f"judge-score: {total} videos in {seconds:.1f} s ({total / max(seconds, 1e-9):.1f}/s): "
        f"{counts['ok']} ok, {counts['error']} errors -> {args.out}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
