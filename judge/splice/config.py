"""Validated settings of `judge-splice` (configs/splice.yaml mirrors `SpliceConfig`).

Everything here decides the bytes of the spliced clips; where they go and how many worker
processes make them are arguments of `splice_videos`, not settings.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from judge.io.manifest import SPLITS
from judge.synth.config import X264_PRESETS

KINDS = ("teleport", "vanish", "appear", "duplicate", "morph")
SPLIT_CHOICES = ("auto", *SPLITS)
BACKENDS = ("auto", "decord", "pyav")


class SpliceError(ValueError):
    """A splice setting or input is invalid; the message names the key, value or path."""


def _num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


@dataclass(frozen=True)
class SpliceConfig:
    """How windows are cut, written, checked for camera motion and given artifact twins."""

    # Windows and output.
    num_frames: int = 24  # consecutive source frames per clip (the synthetic clips' length)
    size: int = 128  # short side of the written clips (even); sources smaller stay as they are
    crf: int = 23
    preset: str = "medium"
    backend: str = "auto"  # video reader: auto | decord | pyav
    # Background plate: temporal median of `plate_frames` frames spread over `plate_seconds`
    # centred on the window.
    plate_frames: int = 32
    plate_seconds: float = 4.0
    # Foreground: max-channel difference to the plate above `fg_threshold` (0-255), cleaned by a
    # 3x3 open and close; regions are 4-connected components covering this share of the frame.
    fg_threshold: int = 30
    drop_shadows: bool = True  # shadow pixels (darker plate, same hue) are not foreground
    min_region: float = 0.003
    max_region: float = 0.25
    # Camera motion: phase-correlation shift (pixels at the written size) between the window's
    # first frame and its middle / last frame, or the mean share of foreground pixels.
    camera_shift_px: float = 2.0
    max_foreground: float = 0.35
    # Twins.
    twins: int = 2
    kinds: tuple = KINDS
    onset_margin: int = 4  # frames kept clean before the onset, and shown after it
    max_attempts: int = 4  # tries (region, onset, offset) per kind before giving it up
    min_diff: float = 20.0  # mean |twin - clean| (0-255) inside the event box at the onset
    teleport_min_frac: float = 0.15  # a teleport jumps at least this share of the long side
    feather: int = 1  # soft edge of pasted masks, pixels
    # Splits: "auto" = by source video (assign_split of its key); or force train / val / test.
    split: str = "auto"
    splits: dict = field(default_factory=lambda: {"train": 0.8, "val": 0.1, "test": 0.1})

    def __post_init__(self) -> None:
        p = "splice."
        for name, lo in (
            ("num_frames", 2 * self.onset_margin + 2),
            ("size", 16),
            ("plate_frames", 3),
            ("max_attempts", 1),
        ):
            v = getattr(self, name)
            if not _int(v) or v < lo:
                raise SpliceError(f"{p}{name} must be an integer >= {lo}, got {v!r}")
        if self.size % 2:
            raise SpliceError(f"{p}size must be even (yuv420p), got {self.size!r}")
        if not _int(self.crf) or not 0 <= self.crf <= 51:
            raise SpliceError(f"{p}crf must be an integer in [0, 51], got {self.crf!r}")
        if self.preset not in X264_PRESETS:
            raise SpliceError(f"{p}preset: unknown x264 preset {self.preset!r}")
        if self.backend not in BACKENDS:
            raise SpliceError(f"{p}backend must be one of {list(BACKENDS)}, got {self.backend!r}")
        if not _int(self.onset_margin) or self.onset_margin < 1:
            raise SpliceError(f"{p}onset_margin must be an integer >= 1, got {self.onset_margin!r}")
        if not isinstance(self.drop_shadows, bool):
            raise SpliceError(f"{p}drop_shadows must be true or false, got {self.drop_shadows!r}")
        if not _int(self.fg_threshold) or not 1 <= self.fg_threshold <= 254:
            raise SpliceError(f"{p}fg_threshold must be in [1, 254], got {self.fg_threshold!r}")
        for name in ("plate_seconds", "camera_shift_px", "min_diff", "teleport_min_frac"):
            v = getattr(self, name)
            if not _num(v) or v <= 0:
                raise SpliceError(f"{p}{name} must be a number > 0, got {v!r}")
        for name in ("min_region", "max_region", "max_foreground"):
            v = getattr(self, name)
            if not _num(v) or not 0 < v <= 1:
                raise SpliceError(f"{p}{name} must be a share in (0, 1], got {v!r}")
        if self.min_region >= self.max_region:
            raise SpliceError(f"{p}min_region must be < max_region, got {self.min_region!r}")
        if not _int(self.feather) or not 0 <= self.feather <= 4:
            raise SpliceError(f"{p}feather must be an integer in [0, 4], got {self.feather!r}")
        if isinstance(self.kinds, str) or not self.kinds:
            raise SpliceError(f"{p}kinds must be a non-empty list, got {self.kinds!r}")
        bad = [k for k in self.kinds if k not in KINDS]
        if bad or len(set(self.kinds)) != len(self.kinds):
            raise SpliceError(f"{p}kinds: unknown or repeated {bad or list(self.kinds)}; {KINDS}")
        if not _int(self.twins) or not 0 <= self.twins <= len(self.kinds):
            raise SpliceError(
                f"{p}twins must be an integer in [0, {len(self.kinds)}] (len(kinds)), "
                f"got {self.twins!r}"
            )
        if self.split not in SPLIT_CHOICES:
            raise SpliceError(f"{p}split must be one of {list(SPLIT_CHOICES)}, got {self.split!r}")
        bad = sorted(set(self.splits) - set(SPLITS))
        if bad or not all(_num(v) and v >= 0 for v in self.splits.values()):
            raise SpliceError(f"{p}splits: want train/val/test ratios >= 0, got {self.splits!r}")
        if sum(self.splits.values()) <= 0:
            raise SpliceError(f"{p}splits must have a positive ratio, got {self.splits!r}")

    @classmethod
    def from_dict(cls, d: dict | None) -> SpliceConfig:
        """Defaults overridden by `d` (plain values, e.g. `OmegaConf.to_container(cfg.splice)`)."""
        d = dict(d or {})
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise SpliceError(f"splice: unknown key(s) {unknown}; known: {sorted(names)}")
        if "kinds" in d and not isinstance(d["kinds"], str):
            d["kinds"] = tuple(d["kinds"])
        if "splits" in d:
            d["splits"] = dict(d["splits"])
        return cls(**d)

    def to_dict(self) -> dict:
        out = dataclasses.asdict(self)
        out["kinds"] = list(self.kinds)
        return out
