"""`judge-export`: a training checkpoint -> an exported judge folder (safetensors + JSON).

    judge-export logs/cpu_tiny/runs/.../checkpoints/last.ckpt --out judges/tiny
    judge-export last.ckpt --out judges/tiny --onnx --overwrite
    judge-export judges/tiny --out judges/tiny-cal --temperatures teleport=1.3 plausible=0.9

Exit status 0 on success, 1 on a load, export or ONNX-check error (the message says which file
and why), 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import json
import sys

from judge.cli.errors import report_error
from judge.inference.loading import JudgeLoadError

PROG = "judge-export"


def _pairs(parser: argparse.ArgumentParser, values: list[str] | None, flag: str) -> dict:
    """["teleport=1.3", ...] -> {"teleport": 1.3, ...}; a malformed item is a usage error."""
    out = {}
    for item in values or []:
        name, _, value = item.partition("=")
        try:
            if not name:
                raise ValueError(item)
            out[name] = float(value)
        except ValueError:
            parser.error(f"{flag} takes LABEL=NUMBER items, got {item!r}")
    return out


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Export a judge checkpoint to a folder with model.safetensors and judge.json.",
    )
    p.add_argument("source", help="a Lightning .ckpt, or an exported judge folder")
    p.add_argument("--out", required=True, help="folder to write (atomically)")
    p.add_argument("--onnx", action="store_true", help="also write model.onnx and check it")
    p.add_argument(
        "--onnx-tolerance", type=float, default=1e-4, help="max abs diff allowed (default 1e-4)"
    )
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out folder")
    p.add_argument("--temperatures", nargs="*", metavar="LABEL=T", help="set temperatures")
    p.add_argument("--thresholds", nargs="*", metavar="LABEL=P", help="set thresholds")
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    temperatures = _pairs(parser, args.temperatures, "--temperatures")
    thresholds = _pairs(parser, args.thresholds, "--thresholds")
    from judge.inference.export import export_judge
    from judge.inference.onnx_export import OnnxMismatch

    try:
        summary = export_judge(
            args.source,
            args.out,
            onnx=args.onnx,
            overwrite=args.overwrite,
            temperatures=temperatures,
            thresholds=thresholds,
            onnx_tolerance=args.onnx_tolerance,
        )
    except (JudgeLoadError, FileExistsError, OnnxMismatch, ImportError) as e:
        return report_error(PROG, e)
    content = summary["judge"]
    print(f"exported {args.source} -> {summary['out']}")
    print(f"  model: {json.dumps(content['model'], sort_keys=True)}")
    print(f"  labels: {', '.join(content['labels'])}")
    print(f"  input: {json.dumps(content['input'], sort_keys=True)}")
    if "onnx_max_abs_diff" in summary:
        print(f"  onnx: model.onnx, max abs diff vs PyTorch {summary['onnx_max_abs_diff']:.3g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
