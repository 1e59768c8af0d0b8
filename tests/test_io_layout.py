"""One list of video extensions for import and scoring, and readers free of the `video.py` cycle."""

from __future__ import annotations

import subprocess
import sys

import pytest

from judge.inference.inputs import iter_entries
from judge.io.extensions import VIDEO_EXTENSIONS, has_video_extension
from judge.sources import find_videos


@pytest.mark.parametrize("name", ["a.gif", "b.ts", "c.MP4", "d.webm", "e.mpeg"])
def test_import_and_scoring_list_the_same_videos(tmp_path, name):
    (tmp_path / "sub").mkdir()
    video = tmp_path / "sub" / name
    video.write_bytes(b"not decoded when listing")
    (tmp_path / "notes.txt").write_text("not a video")
    (tmp_path / ".hidden.mp4").write_bytes(b"")  # an atomic writer's temporary file
    imported = find_videos(tmp_path)  # what `judge-data import` walks
    scored = [e.path for e in iter_entries(tmp_path)]  # what `judge-score DIR` walks
    assert imported == [video]
    assert scored == [str(video)]


def test_the_extension_list_is_the_union_both_used_to_have():
    writer_list = (".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi")
    assert set(writer_list) < set(VIDEO_EXTENSIONS)
    assert {".gif", ".ts", ".mpg", ".mpeg", ".wmv", ".flv"} <= set(VIDEO_EXTENSIONS)
    assert not has_video_extension("clip.jsonl") and has_video_extension("CLIP.GIF")


def test_readers_do_not_import_the_module_that_imports_them():
    # judge.io.video imports the readers; the readers take the interface from judge.io.base.
    code = (
        "import sys, judge.io.pyav_reader, judge.io.decord_reader;"
        "assert 'judge.io.video' not in sys.modules, 'reader imported judge.io.video'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_public_names_still_import_from_video():
    from judge.io import base, video

    assert video.VideoReader is base.VideoReader
    assert video.VideoReadError is base.VideoReadError
    assert issubclass(video.DecodeTimeout, video.VideoReadError)


def test_one_decode_timeout_for_training_and_scoring():
    from judge.inference import stream
    from judge.io import timeout, video

    assert stream.call_with_timeout is timeout.call_with_timeout
    assert video.call_with_timeout is timeout.call_with_timeout


def test_scoring_inputs_match_paths_as_every_file_does(tmp_path):
    """A video reached through a linked folder is the same video (`path_key`), and a
    manifest's bad lines are named as `judge.io.jsonl` names them."""
    real = tmp_path / "real"
    real.mkdir()
    (real / "a.mp4").write_bytes(b"")
    (tmp_path / "link").symlink_to(real)
    manifest = tmp_path / "m.jsonl"
    manifest.write_text('{"path": "real/a.mp4"}\n\n{"nopath": 1}\n{not json\n')
    entries = list(iter_entries([real, tmp_path / "link", manifest]))
    assert [e.path for e in entries if e.error is None] == [str(real / "a.mp4")]
    errors = {e.path: e.error for e in entries if e.error}
    assert errors[f"{manifest}:3"].endswith("manifest row has no 'path' string")
    assert errors[f"{manifest}:4"].startswith(f"{manifest}:4: invalid JSON (")
