"""Re-encode a window through H.264 in memory: compression artifacts as an augmentation."""

from __future__ import annotations

import io

import av
import numpy as np


def reencode(frames: np.ndarray, crf: int, preset: str = "ultrafast") -> np.ndarray:
    """Frames uint8 `(T, H, W, 3)` (H, W even) -> the same frames after an H.264 round trip.

    Returns the input unchanged if the codec would not give back exactly T frames, so the
    augmentation can never drop or repeat a frame (that would look like an artifact).
    """
    t, h, w, _ = frames.shape
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.options = {"crf": str(int(crf)), "preset": preset}
        stream.codec_context.thread_count = 1  # thread start-up costs more than it saves here
        for f in frames:
            out.mux(
                stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(f), format="rgb24"))
            )
        out.mux(stream.encode())
    buf.seek(0)
    with av.open(buf) as src:
        back = [f.to_ndarray(format="rgb24") for f in src.decode(video=0)]
    if len(back) != t:
        return frames
    return np.stack(back)
