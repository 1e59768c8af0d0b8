import subprocess
import sys

import pytest

import judge
from judge import paths


def test_import_is_light():
    # A fresh interpreter: this test process may already have torch loaded.
    code = (
        "import sys, judge, judge.labels, judge.io, judge.io.manifest, judge.io.atomic, "
        "judge.paths; heavy = {'torch', 'mujoco', 'av', 'decord', 'lightning'} & set(sys.modules); "
        "print(sorted(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_unknown_attribute_raises_attribute_error():
    assert judge.__version__ == "0.1.0"
    with pytest.raises(AttributeError, match="no_such_thing"):
        judge.no_such_thing  # noqa: B018


def test_config_dir_names_missing_path(monkeypatch, tmp_path):
    missing = tmp_path / "configs"
    monkeypatch.setattr(paths, "CONFIG_DIR", missing)
    with pytest.raises(FileNotFoundError, match=str(missing)):
        paths.config_dir()
    missing.mkdir()
    assert paths.config_dir() == str(missing)
    assert paths.CONFIG_DIR.is_absolute()
