"""Read a video's frame rate, frame count and size with PyAV, without decoding frames."""

from __future__ import annotations

import os
from pathlib import Path

import av


def probe_video(path: str | os.PathLike[str]) -> dict:
    """Return ``{"fps", "num_frames", "width", "height"}`` of the first video stream.

    Frames are counted by demuxing packets (exact for the usual one-frame-per-packet codecs,
    and much faster than decoding); the stream header's frame count is not trusted.

    Raises:
        ValueError: not a readable video (FFmpeg cannot open or demux it), no video stream, no
            frames, or no usable frame rate; the message names ``path``.
        OSError: the file cannot be opened at all (missing, permissions).
    """
    path = Path(path)
    try:
        return _probe(path)
    except av.error.FFmpegError as e:
        if isinstance(e, OSError) and not isinstance(e, ValueError):
            raise
        raise ValueError(f"{path}: cannot read: {e.strerror or e}") from e


def _probe(path: Path) -> dict:
    with av.open(str(path)) as container:
        if not container.streams.video:
            raise ValueError(f"{path}: no video stream")
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        width, height = stream.codec_context.width, stream.codec_context.height
        num_frames = sum(1 for packet in container.demux(stream) if packet.size)
    if not rate or rate <= 0:
        raise ValueError(f"{path}: no frame rate in the stream header")
    if num_frames == 0:
        raise ValueError(f"{path}: no video frames")
    if not (width and height):
        raise ValueError(f"{path}: unknown frame size")
    return {
        "fps": round(float(rate), 6),
        "num_frames": num_frames,
        "width": int(width),
        "height": int(height),
    }
