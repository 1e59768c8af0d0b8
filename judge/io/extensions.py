"""The file extensions taken for videos when folders are searched (import and scoring alike)."""

from __future__ import annotations

# Every container the readers decode (PyAV opens them all; decord hands what it cannot open,
# such as GIF, to PyAV): the writer's MP4 plus what generators and public sets often hand out.
VIDEO_EXTENSIONS: tuple[str, ...] = (
    ".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".gif", ".mpg", ".mpeg", ".wmv", ".flv",
    ".ts",
)  # fmt: skip


def has_video_extension(name: str) -> bool:
    """True for a file name ending (any case) in one of `VIDEO_EXTENSIONS`."""
    return name.lower().endswith(VIDEO_EXTENSIONS)
