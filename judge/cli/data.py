"""`judge-data`: inspect, validate, merge, split and import clip manifests.

judge-data stats MANIFEST... [--json]
judge-data validate MANIFEST... [--check-files]
judge-data merge OUT IN...
judge-data split MANIFEST --out OUT --ratios 0.8 0.1 0.1 --seed 0
judge-data import folder|csv|intphys|real SRC --out MANIFEST [--probe] [adapter options]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from judge.cli.errors import UsageError, run_reporting_errors
from judge.io.manifest import SPLITS, ManifestError, read_manifest, write_manifest
from judge.io.manifest_ops import (
    manifest_stats,
    merge_manifests,
    missing_files,
    rebase_rows,
    split_by_group,
)

PROG = "judge-data"


# ----------------------------------------------------------------------------- stats


def _fmt_seconds(s: float | None) -> str:
    if s is None:
        return "-"
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{int(h)}h{int(m):02d}m{sec:04.1f}s" if h else f"{int(m)}m{sec:04.1f}s"


def _counts(d: dict) -> str:
    return ", ".join(f"{k}: {v}" for k, v in d.items()) or "-"


def _print_stats(title: str, stats: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(100, Console().width), soft_wrap=False)
    dur = stats["duration_s"]
    overview = Table(title=title, show_header=False, title_justify="left")
    overview.add_column("key", style="bold")
    overview.add_column("value")
    overview.add_row("clips", str(stats["clips"]))
    overview.add_row(
        "groups",
        f"{stats['groups']} ({stats['ungrouped']} clips without a group, "
        f"{stats['straddling_groups']} groups across splits)",
    )
    overview.add_row("splits", _counts(stats["splits"]))
    overview.add_row("sources", _counts(stats["sources"]))
    overview.add_row("tags", _counts(stats["tags"]))
    overview.add_row(
        "duration",
        f"total {_fmt_seconds(dur['total'] if dur['clips'] else None)}, "
        f"mean {dur['mean'] if dur['mean'] is not None else '-'} s "
        f"({dur['clips']} clips with fps and num_frames)",
    )
    labels = Table(title="labels", title_justify="left")
    for name, justify in (("label", "left"), ("1", "right"), ("0", "right"), ("missing", "right")):
        labels.add_column(name, justify=justify)
    for name, c in stats["labels"].items():
        labels.add_row(name, str(c["1"]), str(c["0"]), str(c["missing"]))
    console.print(overview)
    console.print(labels)


def cmd_stats(args: argparse.Namespace) -> int:
    per = {str(p): read_manifest(p, extra_labels=args.extra_labels) for p in args.manifests}
    everything = [row for rows in per.values() for row in rows]
    if args.json:
        out = {"manifests": list(per), **manifest_stats(everything)}
        if len(per) > 1:
            out["per_manifest"] = {p: manifest_stats(rows) for p, rows in per.items()}
        print(json.dumps(out, indent=2))
        return 0
    for path, rows in per.items():
        _print_stats(path, manifest_stats(rows))
    if len(per) > 1:
        _print_stats(f"all {len(per)} manifests", manifest_stats(everything))
    return 0


# ----------------------------------------------------------------------------- validate


def cmd_validate(args: argparse.Namespace) -> int:
    bad = 0
    for path in args.manifests:
        try:
            rows = read_manifest(path, extra_labels=args.extra_labels)
        except ManifestError as e:
            print(str(e), file=sys.stderr)
            bad += 1
            continue
        except OSError as e:
            print(f"{path}: cannot read: {e.strerror or e}", file=sys.stderr)
            bad += 1
            continue
        problems = missing_files(path, rows) if args.check_files else []
        if problems:
            print(str(ManifestError(path, problems)), file=sys.stderr)
            bad += 1
        else:
            print(f"{path}: ok, {len(rows)} rows")
    return 1 if bad else 0


# ----------------------------------------------------------------------------- merge / split


def _refuse_overwrite(out: Path, overwrite: bool, inputs=()) -> None:
    if out.exists() and not overwrite and not any(Path(i).absolute() == out for i in inputs):
        raise UsageError(f"{out}: already exists (pass --overwrite to replace it)")


def cmd_merge(args: argparse.Namespace) -> int:
    out = Path(args.out).absolute()
    _refuse_overwrite(out, args.overwrite, inputs=args.inputs)
    rows = merge_manifests(args.inputs, out, extra_labels=args.extra_labels)
    print(f"{out}: {len(rows)} rows from {len(args.inputs)} manifests")
    return 0


def cmd_split(args: argparse.Namespace) -> int:
    out = Path(args.out).absolute()
    _refuse_overwrite(out, args.overwrite, inputs=[args.manifest])
    if len(args.ratios) != len(SPLITS):
        raise UsageError(f"--ratios takes {len(SPLITS)} numbers ({'/'.join(SPLITS)})")
    rows = read_manifest(args.manifest, extra_labels=args.extra_labels)
    rows = rebase_rows(rows, args.manifest, out)
    rows = split_by_group(
        rows,
        dict(zip(SPLITS, args.ratios, strict=True)),
        seed=args.seed,
        keep_existing=not args.reassign,
    )
    write_manifest(out, rows, extra_labels=args.extra_labels)
    stats = manifest_stats(rows)
    print(f"{out}: {len(rows)} rows, {stats['groups']} groups; splits {_counts(stats['splits'])}")
    return 0


# ----------------------------------------------------------------------------- import


def cmd_import(args: argparse.Namespace) -> int:
    from judge import sources

    out = Path(args.out).absolute()
    _refuse_overwrite(out, args.overwrite)
    common = {"probe": args.probe}
    if args.source:
        common["source"] = args.source
    if args.kind == "folder":
        rows = sources.from_labelled_folder(args.src, out, extra_labels=args.extra_labels, **common)
    elif args.kind == "csv":
        rows = sources.from_csv(
            args.src,
            out,
            video_root=args.video_root,
            path_col=args.path_col,
            label_col=args.label_col,
            positive_means_plausible=not args.label_means_artifact,
            group_col=args.group_col,
            skip_missing=args.skip_missing,
            **common,
        )
    elif args.kind == "intphys":
        rows = sources.from_intphys(args.src, out, **common)
    else:
        rows = sources.from_real_footage(
            args.src, out, group_by_folder=args.group_by_folder, **common
        )
    write_manifest(out, rows, extra_labels=getattr(args, "extra_labels", ()))
    stats = manifest_stats(rows)
    plaus = stats["labels"]["plausible"]
    msg = f"{out}: {len(rows)} rows (plausible 1: {plaus['1']}, 0: {plaus['0']})"
    if rows.skipped:
        msg += f"; skipped {len(rows.skipped)} (first: line {rows.skipped[0][0]}: "
        msg += f"{rows.skipped[0][1]})"
    print(msg)
    return 0


# ----------------------------------------------------------------------------- parser


def _add_extra_labels(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--extra-labels",
        type=lambda s: tuple(x.strip() for x in s.split(",") if x.strip()),
        default=(),
        metavar="A,B",
        help="comma-separated artifact kinds accepted besides the built-in ones",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Inspect, validate, merge, split and import clip manifests."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("stats", help="clip, label, split, source and duration counts")
    p.add_argument("manifests", nargs="+", metavar="MANIFEST")
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    _add_extra_labels(p)
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("validate", help="check manifests; exit 1 listing every bad row")
    p.add_argument("manifests", nargs="+", metavar="MANIFEST")
    p.add_argument(
        "--check-files", action="store_true", help="also check that every clip file exists"
    )
    _add_extra_labels(p)
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("merge", help="merge manifests into OUT (paths rewritten for OUT)")
    p.add_argument("out", metavar="OUT")
    p.add_argument("inputs", nargs="+", metavar="IN")
    p.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    _add_extra_labels(p)
    p.set_defaults(func=cmd_merge)

    p = sub.add_parser("split", help="assign train/val/test by group (deterministic)")
    p.add_argument("manifest", metavar="MANIFEST")
    p.add_argument("--out", required=True, help="output manifest (may be MANIFEST itself)")
    p.add_argument(
        "--ratios",
        nargs="+",
        type=float,
        default=[0.8, 0.1, 0.1],
        metavar="R",
        help="train val test shares (default 0.8 0.1 0.1)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--reassign", action="store_true", help="ignore existing splits and reassign every row"
    )
    p.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    _add_extra_labels(p)
    p.set_defaults(func=cmd_split)

    p = sub.add_parser("import", help="build a manifest from a public dataset")
    kinds = p.add_subparsers(dest="kind", required=True, metavar="KIND")
    helps = {
        "folder": "ROOT/<label>/**.mp4 (plausible/implausible, or artifact folders + clean)",
        "csv": "CSV of video paths and a 0/1 label (VideoPhy: videopath, pc)",
        "intphys": "IntPhys-style scenes: <scene>/possible|impossible or <scene>/1..4",
        "real": "real footage: every clip plausible, every artifact label 0",
    }
    for kind, text in helps.items():
        k = kinds.add_parser(kind, help=text, description=text)
        k.add_argument("src", metavar="SRC")
        k.add_argument("--out", required=True, help="manifest to write")
        k.add_argument("--probe", action="store_true", help="read fps/frames/size (PyAV)")
        k.add_argument(
            "--source",
            help="value of the rows' source key"
            + (" (default real/<name of SRC>)" if kind == "real" else ""),
        )
        k.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
        if kind == "folder":
            _add_extra_labels(k)
        if kind == "csv":
            k.add_argument("--video-root", help="folder relative paths/URL names resolve in")
            k.add_argument("--path-col", default="videopath")
            k.add_argument("--label-col", default="pc")
            k.add_argument(
                "--label-means-artifact",
                action="store_true",
                help="label 1 means implausible (default: 1 means plausible)",
            )
            k.add_argument("--group-col", help="column to use as group (e.g. caption)")
            k.add_argument(
                "--skip-missing", action="store_true", help="skip rows whose video is missing"
            )
        if kind == "real":
            k.add_argument(
                "--group-by-folder", action="store_true", help="group clips by their folder"
            )
    p.set_defaults(func=cmd_import)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_reporting_errors(PROG, lambda: args.func(args))


if __name__ == "__main__":
    sys.exit(main())
