import os
import stat

import pytest

from judge.io.atomic import atomic_path, atomic_write_bytes, atomic_write_text


def test_write_creates_parents_and_content(tmp_path):
    target = tmp_path / "a" / "b" / "out.txt"
    assert atomic_write_text(target, "héllo\nworld\n") == target
    assert target.read_bytes() == "héllo\nworld\n".encode()
    assert os.listdir(target.parent) == ["out.txt"]
    # mkstemp's 0600 must not leak into the final file.
    assert stat.S_IMODE(target.stat().st_mode) & 0o044


def test_exception_leaves_no_partial_file_and_keeps_old(tmp_path):
    target = tmp_path / "clip.mp4"
    atomic_write_bytes(target, b"old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".mp4" and tmp != target
        tmp.write_bytes(b"half-writ")
        raise RuntimeError("killed mid-write")
    assert target.read_bytes() == b"old"
    assert sorted(os.listdir(tmp_path)) == ["clip.mp4"]


def test_exception_without_previous_file(tmp_path):
    target = tmp_path / "new.bin"
    with pytest.raises(KeyboardInterrupt), atomic_path(target) as tmp:
        tmp.write_bytes(b"x")
        raise KeyboardInterrupt
    assert os.listdir(tmp_path) == []


def test_body_that_deletes_its_temp_file_fails_loudly(tmp_path):
    target = tmp_path / "x.txt"
    with pytest.raises(FileNotFoundError, match="x.txt"), atomic_path(target) as tmp:
        tmp.unlink()
    assert not target.exists()
