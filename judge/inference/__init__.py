"""Inference: load a trained judge and score videos, without Hydra or Lightning.

- `judge`: `Judge.load(path)` (a Lightning `.ckpt` or an exported folder) and
  `judge.score(inputs)`, a generator of one record per video (docs/formats.md, "Score record");
- `loading`: reading checkpoints (`weights_only`) and exported folders, never running code;
- `judge_json`: the exported folder's `judge.json` (docs/formats.md);
- `inputs`: paths, folders, globs and manifests -> a lazy stream of video paths;
- `stream`: decoding in DataLoader workers into pieces of windows, with bounded memory;
- `windows`: sliding windows over long videos, resampling to the model's fps, crop or pad;
- `aggregate`: window logits -> a video's record (length-aware max/min, onsets, temperatures);
- `cuts`: hard scene cuts found while decoding (each shot is scored on its own);
- `record`: the score record (keys, reading and writing score files);
- `output`: JSONL/CSV score files, flushed per record, resumable;
- `export`, `onnx_export`: a checkpoint -> `model.safetensors` + `judge.json` (+ `model.onnx`).

The out-of-domain statistics are fitted in training and measured here: `judge.training.domain`.
Command lines live in `judge.cli`. Submodules are imported explicitly; importing
`judge.inference` loads nothing heavy.
"""
