"""Exact-index video reading with PyAV: a packet index built once, then seek-and-decode.

On open, the packets of the first video stream are demuxed once WITHOUT decoding. Their
timestamps give the true frame count (never the header's `nb_frames`, never duration x fps) and,
sorted, the display order: with B-frames the decode (packet) order differs from the display
order, so frame `i` is the packet with the i-th smallest pts. Packets that the container marks
"discard" (frames before an MP4 edit list's start, as `ffmpeg -ss ... -c copy` writes them) are
decoded as references but never shown, so they are not frames.

When reading, a frame is identified by its pts, never by counting after a seek. PyAVReader seeks
(to the last keyframe at or before the wanted frame, then decodes forward) only when:

  1. every packet has a pts and no two share one, and
  2. the container is MP4/MOV or Matroska/WebM (real per-packet presentation timestamps), or the
     stream is intra-only (every packet a keyframe, pts rising in decode order, e.g. MJPEG AVI).

Anything else (GIF, AVI with B-frames whose "pts" are decode-order counters, streams without
pts) is decoded sequentially from the start. A seek is also checked when it happens: the first
packet after it must be a keyframe at or before the one asked for, and every decoded frame must
carry a pts from the index. Otherwise seeking is switched off for that file and the read is
redone sequentially, so a bad seek costs time, never a wrong frame.

Both the index and the seeking rule are shared with DecordReader (see `PacketIndex`).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from judge.io.base import VideoReader, VideoReadError

# Demuxer names (`container.format.name`, split on commas) whose packets carry real
# presentation timestamps and whose seeking lands on indexed keyframes.
TIMESTAMPED_FORMATS = frozenset({"mov", "mp4", "matroska", "webm"})


@dataclass(frozen=True)
class PacketIndex:
    """What one demux pass (no decoding) tells about a file's first video stream.

    `pts`, `keyframe` and `discard` list every non-empty packet in decode (file) order.
    """

    format_name: str
    codec: str
    time_base: Fraction | None
    average_rate: Fraction | None
    pts: tuple[int | None, ...]
    keyframe: tuple[bool, ...]
    discard: tuple[bool, ...]
    width: int = 0  # coded frame size from the stream header (0 when unknown)
    height: int = 0

    @property
    def num_frames(self) -> int:
        """Frames that a decoder shows: packets not marked discard."""
        return sum(not d for d in self.discard)

    @property
    def timestamps_ok(self) -> bool:
        """Every packet has a pts and no two packets share one."""
        known = [p for p in self.pts if p is not None]
        return len(known) == len(self.pts) and len(set(known)) == len(known)

    @property
    def intra_only(self) -> bool:
        """Every packet is a keyframe and pts rise in decode order (no reordering possible)."""
        rising = all(a < b for a, b in zip(self.pts, self.pts[1:], strict=False))
        return all(self.keyframe) and self.timestamps_ok and rising

    @property
    def seekable(self) -> bool:
        """The rule for seeking (module docstring): trusted timestamps, or intra-only."""
        names = set(self.format_name.split(","))
        return self.timestamps_ok and (bool(names & TIMESTAMPED_FORMATS) or self.intra_only)

    @property
    def display_pts(self) -> list[int]:
        """pts of shown frames in display order; index i -> frame i. Needs `timestamps_ok`."""
        return sorted(p for p, d in zip(self.pts, self.discard, strict=True) if not d)

    @property
    def keyframe_pts(self) -> list[int]:
        """Sorted pts of keyframe packets, discarded ones included (they start a decode too)."""
        return sorted(p for p, k in zip(self.pts, self.keyframe, strict=True) if k)

    @property
    def keyframes_in_display_position(self) -> bool:
        """Each keyframe's decode-order position equals its display-order position.

        True for closed GOPs. False with open GOPs (B-frames after a keyframe in decode order
        but shown before it) or discarded packets: then "the k-th packet is a keyframe" does
        not mean "frame k is a keyframe", which is what decord's seeking assumes.
        """
        if not self.timestamps_ok:
            return False
        rank = {p: i for i, p in enumerate(sorted(self.pts))}
        return all(
            rank[p] == i for i, (p, k) in enumerate(zip(self.pts, self.keyframe, strict=True)) if k
        )

    def fps(self) -> float:
        """Average frame rate, measured from the pts of the shown frames where possible.

        (n - 1) frame intervals over the pts span of n frames. The container's `average_rate`
        is returned instead when it agrees within 1% (it keeps exact rates like 30000/1001),
        or when timestamps are missing; Matroska's is a guess from the first frames and is
        wrong for variable-frame-rate video.
        """
        rate = float(self.average_rate) if self.average_rate and self.average_rate > 0 else 0.0
        shown = [p for p, d in zip(self.pts, self.discard, strict=True) if not d and p is not None]
        if self.timestamps_ok and self.time_base and len(shown) > 1:
            span = float((max(shown) - min(shown)) * self.time_base)
            if span > 0:
                measured = (len(shown) - 1) / span
                return rate if rate and abs(measured / rate - 1) < 0.01 else measured
        return rate


def _open_container(path: Path) -> av.container.InputContainer:
    try:
        container = av.open(str(path), mode="r", metadata_errors="ignore")
    except av.FFmpegError as e:
        raise VideoReadError(
            path, f"cannot open as a video: not a video file, or truncated/corrupt ({_msg(e)})"
        ) from e
    except (OSError, UnicodeDecodeError) as e:
        raise VideoReadError(path, f"cannot open: {type(e).__name__}: {e}") from e
    if not container.streams.video:
        kinds = sorted({s.type for s in container.streams}) or ["none"]
        container.close()
        raise VideoReadError(path, f"no video stream (streams found: {', '.join(kinds)})")
    return container


def _rgb(frame: av.VideoFrame) -> np.ndarray:
    """A decoded frame as uint8 `(H, W, 3)` RGB, turned upright by its display rotation.

    Phone videos store e.g. landscape pixels with a "rotate 90" display matrix. Players and
    decord apply it; doing the same here keeps both backends' frames identical in shape.
    """
    rgb = frame.to_ndarray(format="rgb24")
    # Degrees counter-clockwise, from the display matrix (VideoFrame.rotation: PyAV >= 14).
    rotation = getattr(frame, "rotation", 0) or 0
    if rotation % 90 == 0 and (k := int(rotation // 90) % 4):
        rgb = np.ascontiguousarray(np.rot90(rgb, k))
    return rgb


def _msg(e: BaseException) -> str:
    # FFmpegError's str() repeats the file name; its strerror is the reason alone.
    return getattr(e, "strerror", None) or str(e)


def scan_packets(path: str | os.PathLike[str]) -> PacketIndex:
    """Demux (without decoding) the first video stream of `path` and index its packets.

    Indexes are kept per process (last 4096 files), keyed by path, size and modification
    time, so a training epoch that visits a file again skips the demux pass (about 1 ms of
    the 5 a 96x96 window costs) and a rewritten file is indexed anew.

    Raises VideoReadError: not openable, no video stream, demuxing fails part-way (truncated
    or corrupt), or no frames at all.
    """
    path = Path(path)
    try:
        st = path.stat()
    except OSError as e:
        raise VideoReadError(path, f"cannot stat: {e.strerror or e}") from e
    return _scan_packets(str(path), st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=4096)
def _scan_packets(path_str: str, size: int, mtime_ns: int) -> PacketIndex:
    """The demux pass itself; `size` and `mtime_ns` only key the cache."""
    path = Path(path_str)
    container = _open_container(path)
    try:
        stream = container.streams.video[0]
        pts, keyframe, discard = [], [], []
        try:
            for packet in container.demux(stream):
                if packet.size == 0:  # the flush packet at EOF, or an empty (dropped) frame
                    continue
                pts.append(packet.pts)
                keyframe.append(bool(packet.is_keyframe))
                discard.append(bool(packet.is_discard))
        except av.FFmpegError as e:
            raise VideoReadError(
                path, f"truncated or corrupt: demuxing failed after {len(pts)} packets ({_msg(e)})"
            ) from e
        index = PacketIndex(
            format_name=container.format.name,
            codec=stream.codec_context.name,
            time_base=stream.time_base,
            average_rate=stream.average_rate,
            pts=tuple(pts),
            keyframe=tuple(keyframe),
            discard=tuple(discard),
            width=int(stream.codec_context.width or 0),
            height=int(stream.codec_context.height or 0),
        )
    finally:
        container.close()
    if index.num_frames == 0:
        raise VideoReadError(path, "video stream has no frames")
    return index


class _SeekUnreliable(Exception):
    """A seek or a decoded timestamp disagreed with the packet index: decode sequentially."""


class PyAVReader(VideoReader):
    """Frames of the first video stream by exact index, decoded with PyAV (FFmpeg).

    `seeking` tells whether random access seeks (see the module docstring for the rule) or
    decodes from the start; it turns False for good if a seek is caught misbehaving.
    """

    backend = "pyav"

    def __init__(
        self, path: str | os.PathLike[str], threads: int = 1, index: PacketIndex | None = None
    ):
        """`threads`: decoder threads; `index`: this file's `scan_packets`, if already made."""
        super().__init__(path)
        self._threads = threads
        self.index = index if index is not None else scan_packets(self.path)
        self.seeking = self.index.seekable
        if self.seeking:
            self._display_pts = self.index.display_pts
            self._pts_set = set(self.index.pts)
            self._keys = self.index.keyframe_pts
        self._container: av.container.InputContainer | None = None
        self._stream = None
        self._seq: Iterator | None = None  # sequential decoder, kept between calls
        self._seq_pos = 0  # index of the next frame `_seq` yields

    @property
    def num_frames(self) -> int:
        return self.index.num_frames

    @property
    def fps(self) -> float:
        return self.index.fps()

    def close(self) -> None:
        self._seq = None
        if self._container is not None:
            self._container.close()
            self._container = None

    def get(self, indices: Sequence[int]) -> np.ndarray:
        """Frames at `indices` (any order, repeats allowed) as uint8 `(len(indices), H, W, 3)`."""
        idx = self._check_indices(indices)
        if not idx:
            raise VideoReadError(self.path, "no frame indices requested")
        wanted = sorted(set(idx))
        try:
            got = None
            if self.seeking:
                try:
                    got = self._get_seeking(wanted)
                except (_SeekUnreliable, av.FFmpegError):
                    # Timestamps or seeking are not what the index promised (a decode error
                    # right after a seek counts: the decoder may have started mid-GOP). Never
                    # seek again in this file; redo the request from the start. A real decode
                    # error then shows up there.
                    self.seeking = False
            if got is None:
                got = self._get_sequential(wanted)
        except av.FFmpegError as e:
            self.close()  # the decoder's state is unknown now: start afresh on the next call
            raise VideoReadError(self.path, f"decode error: {_msg(e)}") from e
        frames = [got[i] for i in idx]
        if len({f.shape for f in frames}) > 1:
            raise VideoReadError(self.path, "frame size changes mid-stream")
        return np.stack(frames)

    # -- decoding ------------------------------------------------------------------------------

    def _open(self) -> None:
        self.close()
        self._container = _open_container(self.path)
        self._stream = self._container.streams.video[0]
        self._stream.codec_context.thread_count = self._threads

    def _get_seeking(self, wanted: list[int]) -> dict[int, np.ndarray]:
        """Seek to the keyframe before each run of wanted frames and decode forward, by pts."""
        if self._container is None or self._seq is not None:
            self._open()  # the sequential decoder's container is not reused for seeking
        by_pts = {self._display_pts[i]: i for i in wanted}
        targets = sorted(by_pts)
        got: dict[int, np.ndarray] = {}
        t = 0  # next target not yet decoded
        seeks = 0
        while t < len(targets):
            # Each seek should get at least one target; more seeks than targets means the
            # decoder and the index disagree in some way not caught below.
            seeks += 1
            if seeks > len(targets) + 1:
                raise _SeekUnreliable(f"{seeks} seeks for {len(targets)} frames")
            key = self._keyframe_before(targets[t])
            for frame in self._decode_from(key):
                pts = frame.pts
                if pts is None or pts not in self._pts_set:
                    raise _SeekUnreliable(f"decoded a frame with pts {pts} not in the index")
                if pts < key:
                    continue  # leading frames of an open GOP: their references were skipped
                if pts in by_pts and by_pts[pts] not in got:
                    got[by_pts[pts]] = _rgb(frame)
                while t < len(targets) and by_pts[targets[t]] in got:
                    t += 1
                # Done, or the next target lies past a later keyframe: seeking there is cheaper
                # than decoding the frames in between.
                if t == len(targets) or self._keyframe_before(targets[t]) > pts:
                    break
            else:
                # EOF without the target: the index promised a frame that never came.
                raise _SeekUnreliable(f"pts {targets[t]} not decoded after seeking to {key}")
        return got

    def _keyframe_before(self, pts: int) -> int:
        """pts of the last keyframe at or before `pts` (the first keyframe if none is)."""
        lo, hi = 0, len(self._keys)
        while lo < hi:  # bisect_right
            mid = (lo + hi) // 2
            if self._keys[mid] <= pts:
                lo = mid + 1
            else:
                hi = mid
        return self._keys[max(lo - 1, 0)]

    def _decode_from(self, key: int) -> Iterator[av.VideoFrame]:
        container, stream = self._container, self._stream
        container.seek(key, stream=stream, backward=True, any_frame=False)
        stream.codec_context.flush_buffers()  # no frames from before the seek
        first = True
        for packet in container.demux(stream):
            if first and packet.size:
                # The demuxer must land on a keyframe at or before the one asked for, or
                # frames decoded from here may be missing references.
                if not packet.is_keyframe or packet.pts is None or packet.pts > key:
                    raise _SeekUnreliable(
                        f"seek to pts {key} landed on packet pts {packet.pts} "
                        f"(keyframe: {packet.is_keyframe})"
                    )
                first = False
            yield from stream.decode(packet)

    def _get_sequential(self, wanted: list[int]) -> dict[int, np.ndarray]:
        """Decode from the start (or from where the last call stopped), counting frames."""
        if self._seq is None or wanted[0] < self._seq_pos:
            self._open()  # reopened rather than seeked back: seeking is what we distrust here
            self._seq, self._seq_pos = self._all_frames(), 0
        todo = set(wanted)
        got: dict[int, np.ndarray] = {}
        for frame in self._seq:
            i = self._seq_pos
            self._seq_pos += 1
            if i in todo:
                got[i] = _rgb(frame)
                todo.discard(i)
                if not todo:
                    return got
        self._seq = None
        raise VideoReadError(
            self.path,
            f"frame {min(todo)} not decodable: the decoder gave only {self._seq_pos} frames "
            f"though the stream has {self.num_frames} packets (corrupt or truncated stream?)",
        )

    def _all_frames(self) -> Iterator[av.VideoFrame]:
        container, stream = self._container, self._stream
        for packet in container.demux(stream):
            yield from stream.decode(packet)
