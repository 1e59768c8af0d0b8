"""Scoring: load a trained judge and score videos, without Hydra or Lightning.

- `judge.scoring.judge.Judge`: `Judge.load(path)` (a Lightning `.ckpt` or an exported folder) and
  `judge.score(inputs)`, a generator of one record per video (the score format of DESIGN.md);
- `judge.scoring.windows`: sliding windows over long videos;
- `judge.scoring.inputs`: paths, folders, globs and manifests -> a stream of video paths;
- `judge.scoring.export`: a checkpoint -> an exported folder (`model.safetensors`, `judge.json`);
- `judge-score` and `judge-export`: the command-line entry points.

Submodules are imported explicitly; importing `judge.scoring` loads nothing heavy.
"""
