"""Fit per-label temperatures and thresholds on a labelled manifest; same as `judge-calibrate`.

python scripts/calibrate.py --judge PATH --manifest val.jsonl --target-precision 0.9 --out DIR
"""

import sys

from judge.cli.calibrate import main

if __name__ == "__main__":
    sys.exit(main())
