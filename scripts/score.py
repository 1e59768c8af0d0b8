"""Score videos with a judge: the same as the `judge-score` command.

python scripts/score.py --judge PATH --out scores.jsonl VIDEO_OR_FOLDER_OR_GLOB_OR_MANIFEST...
"""

import sys

from judge.cli.score import main

if __name__ == "__main__":
    sys.exit(main())
