"""Rank candidate videos within groups (best-of-N); same as the `judge-rerank` console script.

python scripts/rerank.py --judge PATH --group-by folder --out ranked.jsonl FOLDER...
"""

import sys

from judge.cli.rerank import main

if __name__ == "__main__":
    sys.exit(main())
