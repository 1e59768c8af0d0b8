"""What a model reads: one description shared by training, checkpoints and scoring.

Training builds it from its data config (`ClipDataModule.input_spec`), checkpoints and exported
judges store it as plain data (`judge.json`'s `input`, via `to_dict`), and the scorer rebuilds it
(`from_dict`) to read videos the way the model was trained to see them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from judge.data.windows import frame_step

# Kinetics statistics, so pretrained video backbones see what they were trained on.
MEAN = (0.432, 0.394, 0.377)
STD = (0.228, 0.221, 0.217)
# How a non-square frame becomes the model's square: the centred square of side min(H, W)
# ("crop", what training's evaluation transform does), the whole frame padded ("pad"), or
# squares of side min(H, W) side by side over the whole frame ("tiles", `preprocess.tile_boxes`:
# each read as a crop is, so every part of a 16:9 frame is seen at the scale training saw).
FITS = ("crop", "pad", "tiles")


@dataclass(frozen=True)
class InputSpec:
    """Windows of `num_frames` (T) frames, `stride` source frames apart or resampled to `fps`
    (None: use `stride`), each frame fitted to `size` x `size` (S) by `fit` and normalised
    per RGB channel with `mean` and `std` after scaling to [0, 1].
    """

    num_frames: int = 16
    stride: int = 1
    fps: float | None = None
    size: int = 64
    mean: tuple[float, float, float] = MEAN
    std: tuple[float, float, float] = STD
    fit: str = "crop"

    def __post_init__(self) -> None:
        if self.num_frames < 1 or self.stride < 1 or self.size < 1:
            raise ValueError(f"input needs num_frames, stride and size >= 1, got {self}")
        if self.fps is not None and self.fps <= 0:
            raise ValueError(f"input fps must be > 0 or null, got {self.fps}")
        if self.fit not in FITS:
            raise ValueError(f"input fit must be one of {FITS}, got {self.fit!r}")
        if len(self.mean) != 3 or len(self.std) != 3:
            raise ValueError(f"input mean and std need 3 values (RGB), got {self.mean}, {self.std}")

    def step(self, source_fps: float | None) -> float:
        """Source frames per model frame for a video at `source_fps` (`windows.frame_step`,
        the rule training's windows follow too)."""
        return frame_step(source_fps, self.fps, self.stride)

    @classmethod
    def from_dict(cls, spec: Mapping | None) -> InputSpec:
        """From a checkpoint's or `judge.json`'s `input` mapping; a missing or null key takes
        its default (judges stored before `fit` existed were all trained with "crop"); keys
        this class does not know are ignored."""
        spec = spec or {}

        def get(key: str, default):
            value = spec.get(key)
            return default if value is None else value

        return cls(
            num_frames=int(get("num_frames", cls.num_frames)),
            stride=int(get("stride", cls.stride)),
            fps=spec.get("fps") or None,  # as stored (15 stays an int in re-exported JSON)
            size=int(get("size", cls.size)),
            mean=tuple(float(m) for m in get("mean", MEAN)),
            std=tuple(float(s) for s in get("std", STD)),
            fit=str(get("fit", cls.fit)),
        )

    def to_dict(self) -> dict:
        """Plain JSON data: `{num_frames, stride, fps, size, mean, std, fit}`."""
        return {
            "num_frames": self.num_frames,
            "stride": self.stride,
            "fps": self.fps,
            "size": self.size,
            "mean": list(self.mean),
            "std": list(self.std),
            "fit": self.fit,
        }
