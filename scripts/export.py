"""Export a judge checkpoint to a folder: the same as the `judge-export` command.

python scripts/export.py CHECKPOINT --out FOLDER [--onnx] [--overwrite]
"""

import sys

from judge.cli.export import main

if __name__ == "__main__":
    sys.exit(main())
