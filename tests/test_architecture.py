"""The package's layers (docs/architecture.md): no import runs back up the layer order.

Every module of `judge` is parsed (ast, nothing is imported) and each of its imports of another
`judge` module, at the top or inside a function, must name a module of its own layer or of a
lower one. The order is written out here; a new top-level package must be placed in it.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "judge"

# Lowest first. A module may import modules of its own layer and of the layers before it.
LAYERS: list[tuple[str, ...]] = [
    # Base: usable by all. `judge` itself (the package: version, the lazy `judge.Judge`, whose
    # target is named in a string, not imported), the taxonomy, paths, shared metrics, I/O.
    (
        "judge",
        "judge.labels",
        "judge.paths",
        "judge.config_resolvers",
        "judge.metrics",
        "judge.targets_rule",
        "judge.parallel",
        "judge.io",
    ),
    ("judge.synth",),  # the renderer of the synthetic clips
    ("judge.sources", "judge.splice"),  # public data adapters; artifacts spliced into footage
    ("judge.data",),  # windows, targets, transforms, the DataModule
    ("judge.models",),
    ("judge.training",),  # Lightning; the out-of-domain statistics (training.domain)
    ("judge.inference",),  # Judge.load, scoring videos, score records, export
    ("judge.rerank", "judge.calibration"),  # both read score records
    ("judge.evaluation",),  # metrics on a labelled manifest, the baseline
    ("judge.report",),  # rendering: tables, plots, sheets, HTML, W&B; build = evaluate + render
    ("judge.workflow",),  # helpers that chain the tools (the demo, bench scripts)
    ("judge.cli",),  # every command line
]

# Imports that run up the order on purpose: (importer, imported) -> why. Empty: none today.
EXCEPTIONS: dict[tuple[str, str], str] = {}


def _layer_of(module: str) -> int:
    """The index in LAYERS of the longest entry that is `module` or a package above it."""
    best, index = "", None
    for i, names in enumerate(LAYERS):
        for name in names:
            if (module == name or module.startswith(name + ".")) and len(name) > len(best):
                best, index = name, i
    if index is None:
        raise AssertionError(f"{module} has no layer in tests/test_architecture.py LAYERS")
    return index


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """`(line, module)` for every import of a `judge` module in `path`; `from X import y` counts
    as `X.y` when `X.y` is a module, else as `X`."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for a in node.names:
                sub = f"{source}.{a.name}"
                is_module = _exists(sub)
                found.append((node.lineno, sub if is_module else source))
    return [(line, m) for line, m in found if m == "judge" or m.startswith("judge.")]


def _exists(module: str) -> bool:
    path = ROOT.parent.joinpath(*module.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


MODULES = sorted(ROOT.rglob("*.py"))


def test_every_module_has_a_layer():
    for path in MODULES:
        _layer_of(_module_name(path))


def test_every_imported_module_exists():
    missing = [
        f"{path.relative_to(ROOT.parent)}:{line}: {m}"
        for path in MODULES
        for line, m in _imports(path)
        if not _exists(m)
    ]
    assert not missing, "imports of modules that do not exist:\n" + "\n".join(missing)


def test_no_import_runs_up_the_layers():
    upward = []
    for path in MODULES:
        importer = _module_name(path)
        for line, imported in _imports(path):
            if _layer_of(imported) > _layer_of(importer) and (
                (importer, imported) not in EXCEPTIONS
            ):
                upward.append(f"{path.relative_to(ROOT.parent)}:{line}: imports {imported}")
    assert not upward, "imports running up the layer order:\n" + "\n".join(upward)


def test_command_lines_live_in_judge_cli():
    """Library modules parse no arguments: argparse and `hydra.main` are `judge.cli`'s."""
    for path in MODULES:
        if _module_name(path).startswith("judge.cli"):
            continue
        text = path.read_text(encoding="utf-8")
        assert "import argparse" not in text, f"{path}: argparse outside judge/cli"
        assert "hydra.main" not in text, f"{path}: hydra.main outside judge/cli"


def test_no_package_is_left_without_modules():
    assert not (ROOT / "scoring").exists(), "judge/scoring was split up (docs/architecture.md)"


def test_every_package_folder_has_an_init():
    """setuptools' package discovery (pyproject.toml) installs only folders with one."""
    for folder in sorted({p.parent for p in MODULES}):
        assert (folder / "__init__.py").is_file(), f"{folder} has no __init__.py"


def test_inference_rerank_and_calibration_load_without_lightning_or_hydra():
    code = (
        "import sys, judge.inference.judge, judge.inference.export, judge.rerank.rerank, "
        "judge.calibration.calibration, judge.cli.score, judge.cli.rerank; "
        "print(sorted({'lightning', 'hydra', 'pytorch_lightning'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_checker_sees_imports_and_orders_layers():
    """The checks above are not vacuous: imports inside functions count, relative imports
    resolve, and the order is the one docs/architecture.md draws."""
    found = {m for _, m in _imports(ROOT / "report" / "build.py")}
    assert {"judge.evaluation.evaluate", "judge.inference.judge", "judge.report.plots"} <= found
    order = ["judge.io.jsonl", "judge.synth.runner", "judge.splice.runner", "judge.data.dataset",
             "judge.models.heads", "judge.training.module", "judge.inference.judge",
             "judge.rerank.rerank", "judge.evaluation.clip_metrics", "judge.report.html",
             "judge.workflow", "judge.cli.score"]  # fmt: skip
    layers = [_layer_of(m) for m in order]
    assert layers == sorted(layers) and len(set(layers)) == len(layers)
    assert _layer_of("judge.rerank.pairs") == _layer_of("judge.calibration.calibration")
