"""Small test videos whose frame index is drawn into the pixels, and bad files.

Each frame carries its own 0-based index as an 8-bit binary code: 8 large blocks across the top
band (white = 1, black = 0) and, below it, the same 8 blocks inverted. The blocks are 16 px wide
and the code is read from their centres only, so it survives lossy coding (H.264, VP9, JPEG,
GIF's palette); the inverted copy makes a garbled frame (a half-decoded or blended one) fail to
decode instead of reading as some other valid index. A bright square moves 3 px per frame below
the code, so neighbouring frames also differ in content, as in real video.

Import what you need: `from video_fixtures import make_video, decode_index, ...` (pytest puts
tests/ on sys.path).
"""

from __future__ import annotations

import struct
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

H, W = 64, 128  # frame size (even, for yuv420p); 8 code blocks of 16 px across W
BITS = 8
BLOCK = W // BITS
BAND = 16  # rows per code band: code in [0, BAND), inverted code in [BAND, 2 * BAND)
NUM_FRAMES = 40
FPS = 30

# Name -> (file suffix, what it stresses).
FORMATS = {
    "h264_mp4": (".mp4", "H.264 with B-frames (decode order != display order), GOP 8"),
    "vp9_webm": (".webm", "VP9 in Matroska/WebM: no frame count in the header"),
    "mjpeg_avi": (".avi", "MJPEG in AVI: every frame a keyframe"),
    "gif": (".gif", "GIF: palette frames, no keyframe index"),
    "vfr_mp4": (".mp4", "H.264, variable frame rate: durations alternate 1/30 s and 1/10 s"),
    # Found while testing decord: files whose packet order, timestamps or count mislead it.
    "open_gop_mp4": (".mp4", "H.264 open GOPs: B-frames after a keyframe shown before it"),
    "trimmed_mp4": (".mp4", "H.264 with an edit list hiding 3 leading 'discard' packets"),
    "bframes_avi": (".avi", "MPEG-4 Part 2 with B-frames in AVI: pts are decode-order counters"),
}
TRIMMED = 3  # frames before the edit list's start in trimmed_mp4 (drawn with index 200 + k)


def draw_frame(index: int, h: int = H, w: int = W) -> np.ndarray:
    """The RGB uint8 `(h, w, 3)` frame showing `index` (0..255) as a block code."""
    if not 0 <= index < 2**BITS:
        raise ValueError(f"index {index} does not fit in {BITS} bits")
    frame = np.full((h, w, 3), 96, dtype=np.uint8)  # mid grey background
    block = w // BITS
    for bit in range(BITS):
        on = (index >> (BITS - 1 - bit)) & 1  # most significant bit on the left
        x = slice(bit * block, (bit + 1) * block)
        frame[:BAND, x] = 255 if on else 0
        frame[BAND : 2 * BAND, x] = 0 if on else 255
    size = 12
    x0 = (index * 3) % (w - size)
    y0 = 2 * BAND + (h - 2 * BAND - size) // 2
    frame[y0 : y0 + size, x0 : x0 + size] = (255, 230, 40)
    return frame


def decode_index(frame: np.ndarray) -> int:
    """Read back the index drawn by `draw_frame` from an RGB `(H, W, 3)` frame.

    Raises ValueError when the code and its inverted copy disagree (not a clean frame).
    """
    frame = np.asarray(frame)
    h, w = frame.shape[:2]
    block = w // BITS
    band = BAND * h // H  # the layout scales with the frame (e.g. an upscaled copy)
    inset = block // 4  # read block centres only: codecs blur edges

    def bits(rows: slice) -> list[int]:
        out = []
        for bit in range(BITS):
            x0, x1 = bit * block + inset, (bit + 1) * block - inset
            patch = frame[rows, x0:x1].astype(np.float32)
            out.append(int(patch.mean() > 128))
        return out

    code = bits(slice(band // 4, band - band // 4))
    inverse = bits(slice(band + band // 4, 2 * band - band // 4))
    if any(a == b for a, b in zip(code, inverse, strict=True)):
        raise ValueError(f"no clean index code in frame (code {code}, inverse {inverse})")
    return int("".join(map(str, code)), 2)


def decode_indices(frames: np.ndarray) -> list[int]:
    """`decode_index` of each frame of uint8 `(T, H, W, 3)` frames."""
    return [decode_index(f) for f in frames]


def _encode(path: Path, container_format: str, codec: str, frames_pts, **kw) -> Path:
    """Encode `(index, pts)` pairs with `codec`; `kw`: rate, time_base, pix_fmt, options."""
    time_base = kw.get("time_base", Fraction(1, FPS))
    with av.open(str(path), mode="w", format=container_format) as container:
        stream = container.add_stream(codec, rate=kw.get("rate", FPS))
        stream.width, stream.height = W, H
        stream.pix_fmt = kw.get("pix_fmt", "yuv420p")
        stream.time_base = time_base
        stream.codec_context.time_base = time_base
        stream.options = kw.get("options", {})
        for index, pts in frames_pts:
            frame = av.VideoFrame.from_ndarray(draw_frame(index), format="rgb24")
            frame.pts, frame.time_base = pts, time_base
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))  # flush delayed (B-)frames
    return path


def make_video(directory: str | Path, fmt: str, num_frames: int = NUM_FRAMES) -> Path:
    """Write a `num_frames` clip of format `fmt` (a key of FORMATS) into `directory`."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    suffix = FORMATS[fmt][0]
    path = directory / f"{fmt}_{num_frames}{suffix}"
    cfr = [(i, i) for i in range(num_frames)]
    # GOP 8 with up to 3 B-frames and no scene-cut keyframes: seeking has to go back to a
    # keyframe and decode forward, and decode order differs from display order.
    x264 = {"preset": "medium", "x264-params": "keyint=8:min-keyint=8:scenecut=0:bframes=3"}
    if fmt == "h264_mp4":
        return _encode(path, "mp4", "libx264", cfr, options=x264)
    if fmt == "vp9_webm":
        # A keyframe every 8 frames, so random access has to seek.
        vp9 = {"g": "8", "deadline": "realtime", "cpu-used": "8", "crf": "30", "b": "0"}
        return _encode(path, "webm", "libvpx-vp9", cfr, options=vp9)
    if fmt == "mjpeg_avi":
        return _encode(path, "avi", "mjpeg", cfr, pix_fmt="yuvj420p", options={"q:v": "3"})
    if fmt == "gif":
        # 10 fps in GIF's 1/100 s ticks. rgb8 is a fixed 3-3-2 palette that keeps black and
        # white exact, so the code survives.
        gif = [(i, 10 * i) for i in range(num_frames)]
        return _encode(path, "gif", "gif", gif, pix_fmt="rgb8", rate=10, time_base=Fraction(1, 100))
    if fmt == "vfr_mp4":
        # Durations alternate 1 and 3 ticks of 1/30 s: pts 0, 1, 4, 5, 8, ...
        pts = np.cumsum([0] + [1 if i % 2 == 0 else 3 for i in range(num_frames - 1)])
        vfr = list(zip(range(num_frames), (int(p) for p in pts), strict=True))
        return _encode(path, "mp4", "libx264", vfr, options=x264)
    if fmt == "open_gop_mp4":
        opts = {"preset": "medium", "x264-params": "keyint=8:min-keyint=8:scenecut=0:open-gop=1"}
        return _encode(path, "mp4", "libx264", cfr, options=opts)
    if fmt == "trimmed_mp4":
        # Negative pts before 0 make the MP4 muxer write an edit list starting at pts 0; the
        # demuxer then flags those packets "discard": decoded as references, never shown.
        hidden = [(200 + k, k - TRIMMED) for k in range(TRIMMED)]
        return _encode(path, "mp4", "libx264", hidden + cfr, options=x264)
    if fmt == "bframes_avi":
        return _encode(path, "avi", "mpeg4", cfr, options={"g": "8", "bf": "2", "q:v": "4"})
    raise ValueError(f"unknown fixture format {fmt!r}; use one of {list(FORMATS)}")


def make_bad_files(directory: str | Path, good_mp4: str | Path) -> dict[str, Path]:
    """Files no reader may accept, by name; `good_mp4` is a valid clip to truncate.

    `too_short` is a valid 2-frame clip: readers must read it, but asking for frame 2+ fails.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    out = {}
    out["empty"] = directory / "empty.mp4"
    out["empty"].write_bytes(b"")
    out["text"] = directory / "notes.mp4"
    out["text"].write_text("this is not a video, just text renamed to .mp4\n" * 20)
    data = Path(good_mp4).read_bytes()
    out["truncated"] = directory / "truncated.mp4"
    out["truncated"].write_bytes(data[: int(len(data) * 0.3)])
    out["missing"] = directory / "does_not_exist.mp4"
    out["audio_only"] = _audio_only(directory / "audio_only.mp4")
    out["directory"] = directory / "a_directory.mp4"
    out["directory"].mkdir(exist_ok=True)
    return out


def _audio_only(path: Path) -> Path:
    """One second of a 440 Hz tone as AAC in MP4: a valid file with no video stream."""
    rate = 16000
    with av.open(str(path), mode="w", format="mp4") as container:
        stream = container.add_stream("aac", rate=rate)
        stream.layout = "mono"
        t = np.arange(rate, dtype=np.float32) / rate
        samples = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None, :]
        chunk = 1024
        for start in range(0, rate, chunk):
            frame = av.AudioFrame.from_ndarray(
                samples[:, start : start + chunk], format="fltp", layout="mono"
            )
            frame.sample_rate = rate
            frame.pts = start
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def lie_about_avi_frame_count(src: str | Path, dst: str | Path, claimed: int) -> Path:
    """Copy an AVI, changing the frame counts its headers claim to `claimed`.

    Patches `dwTotalFrames` in the main header (avih) and `dwLength` in the video stream
    header (strh): the frames themselves are untouched, so a reader that counts packets still
    finds the true number, and one that trusts the header does not.
    """
    data = bytearray(Path(src).read_bytes())
    avih = data.find(b"avih")
    strh = data.find(b"strh")
    if avih < 0 or strh < 0 or data[strh + 8 : strh + 12] != b"vids":
        raise ValueError(f"{src}: not an AVI with a video stream header first")
    # avih payload (after 'avih' + size): dwTotalFrames is the 5th DWORD (offset 16).
    data[avih + 8 + 16 : avih + 8 + 20] = claimed.to_bytes(4, "little")
    # strh payload: fccType, fccHandler, flags, priority+language, initialFrames, scale, rate,
    # start, then dwLength at offset 32.
    data[strh + 8 + 32 : strh + 8 + 36] = claimed.to_bytes(4, "little")
    Path(dst).write_bytes(bytes(data))
    return Path(dst)


def rotate_mp4(src: str | Path, dst: str | Path, degrees: int) -> Path:
    """Copy an MP4, setting its track's display matrix to turn the picture by `degrees`.

    `degrees` is clockwise as a viewer sees it: 90, 180 or 270. Pixels are untouched, so a
    reader that honours the display matrix returns `np.rot90(frame, -degrees // 90)`.
    """
    cos, sin = {90: (0, 1), 180: (-1, 0), 270: (0, -1)}[degrees]
    data = bytearray(Path(src).read_bytes())
    tkhd = data.find(b"tkhd")
    if tkhd < 0 or data[tkhd + 4] != 0:
        raise ValueError(f"{src}: no version-0 tkhd box")
    # Version-0 tkhd: the 3x3 matrix (a, b, u, c, d, v, x, y, w) starts 44 bytes after 'tkhd';
    # a, b, c, d are 16.16 fixed point; w is 2.30.
    one = 0x10000
    matrix = [cos * one, sin * one, 0, -sin * one, cos * one, 0, 0, 0, 0x40000000]
    data[tkhd + 44 : tkhd + 80] = struct.pack(">9i", *matrix)
    Path(dst).write_bytes(bytes(data))
    return Path(dst)
