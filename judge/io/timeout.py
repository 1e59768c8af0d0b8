"""Decoding within a time limit: the one place that runs a decoder call on a watched thread.

Used by `video.read_frames` (training, reports) and by the scorer's stream (opening a file and
each chunk of frames), so a hung decoder is handled the same way everywhere.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from judge.io.base import DecodeTimeout

T = TypeVar("T")


def call_with_timeout(fn: Callable[[], T], timeout: float | None, path: str | os.PathLike) -> T:
    """`fn()`, abandoned (DecodeTimeout naming `path`) if it runs past `timeout` seconds.

    `timeout=None` calls `fn` on this thread. Otherwise `fn` runs on a daemon thread and any
    exception it raises is re-raised here. A decoder stuck in native code cannot be
    interrupted: its thread is left behind and the caller moves on (to the next video).
    """
    if timeout is None:
        return fn()
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["value"] = fn()
        except BaseException as e:  # re-raised in the caller's thread
            box["error"] = e

    name = f"judge-decode:{os.path.basename(os.fspath(path))}"
    thread = threading.Thread(target=work, daemon=True, name=name)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise DecodeTimeout(path, f"decoding did not finish within {timeout:g} s")
    if "error" in box:
        raise box["error"]
    return box["value"]
