"""`judge-splice`: artifacts injected into real footage (windows of real videos and their twins).

Python API: ``splice_videos(videos, out, num_clips=..., seed=...)`` returns ``out/manifest.jsonl``;
``splice`` does the same and returns the run's ``Summary``.
"""

from judge.splice.config import SpliceConfig, SpliceError
from judge.splice.runner import Summary, splice, splice_videos

__all__ = ["SpliceConfig", "SpliceError", "Summary", "splice", "splice_videos"]
