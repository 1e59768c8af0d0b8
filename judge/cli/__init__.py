"""Every command line of the package, one module each (docs/architecture.md lists them):
`synth`, `splice`, `data`, `train`, `eval`, `score`, `rerank`, `calibrate`, `export` and `demo`
(`make demo`). `errors` is the one way they report an expected error (one line, documented exit
statuses); `common` holds what the argparse tools share (the scoring flags as a parent parser).
The library packages they call parse no arguments.

Submodules are imported explicitly; importing `judge.cli` loads nothing heavy.
"""
