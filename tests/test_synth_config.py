"""A bad generator setting fails at once, before any rendering, with a message naming it."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from synth_fixtures import TINY, tiny, tiny_dict

from judge.synth.config import ConfigError, SynthConfig
from judge.synth.runner import generate, parse_shard

BAD = [
    ({"scene": {"num_objects": [-1, 3]}}, "num_objects"),
    ({"scene": {"num_objects": [3, 1]}}, "num_objects"),
    ({"scene": {"num_objects": [1, 9]}}, "num_objects"),
    ({"artifacts": {"labels": ["teleport", "wobble"]}}, "wobble"),
    ({"artifacts": {"labels": []}}, "labels"),
    ({"artifacts": {"labels": "teleport"}}, "labels"),
    ({"artifacts": {"labels": ["vanish", "vanish"]}}, "vanish"),
    ({"artifacts": {"weights": {"wobble": 1.0}}}, "wobble"),
    ({"artifacts": {"twins_per_scene": 8}}, "twins_per_scene"),
    ({"artifacts": {"hard_negatives": ["juggle"]}}, "juggle"),
    ({"artifacts": {"hard_negative_fraction": 1.5}}, "hard_negative_fraction"),
    ({"artifacts": {"min_visible_px": 0}}, "min_visible_px"),
    ({"render": {"sizes": [[0, 64]]}}, "sizes"),
    ({"render": {"sizes": [[63, 64]]}}, "sizes"),
    ({"render": {"sizes": []}}, "sizes"),
    ({"render": {"fps": [0]}}, "fps"),
    ({"render": {"num_frames": [4]}}, "num_frames"),
    ({"render": {"crf": [18, 60]}}, "crf"),
    (
        {"scene": {"texture_dir": "/nonexistent/textures", "floor_textures": ["image"]}},
        "/nonexistent/textures",
    ),
    ({"scene": {"wall_textures": ["image"]}}, "texture_dir"),
    ({"scene": {"shapes": ["box", "torus"]}}, "torus"),
    ({"scene": {"motions": ["fly"]}}, "fly"),
    ({"scene": {"wall_prob": 1.5}}, "wall_prob"),
    ({"scene": {"camera_fovy_deg": [35, 180]}}, "camera_fovy_deg"),
    ({"splits": {"train": 0.9, "dev": 0.1}}, "dev"),
    ({"splits": {"train": 0, "val": 0, "test": 0}}, "splits"),
    ({"colour": 1}, "colour"),
    ({"render": {"colour": 1}}, "colour"),
    ({"scene": {"num_object": [1, 3]}}, "num_object"),
    ({"artifacts": {"label": ["teleport"]}}, "label"),
]


@pytest.mark.parametrize(("settings", "named"), BAD, ids=[n for _, n in BAD])
def test_bad_setting_is_refused_naming_it(settings, named):
    with pytest.raises(ConfigError, match=re.escape(named)):
        SynthConfig.from_dict(settings)


def test_the_tiny_preset_and_defaults_are_valid():
    assert SynthConfig.from_dict(TINY).render.sizes == ((64, 64),)
    assert SynthConfig.from_dict({}) == SynthConfig()


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"render": {"preset": "warp9"}}, "preset"),  # x264 would fail in every worker
        ({"artifacts": {"max_attempts": 2.5}}, "max_attempts"),
        ({"artifacts": {"twins_per_scene": 1.5}}, "twins_per_scene"),
        ({"render": {"sizes": [64, 64]}}, "sizes"),  # a slip for [[64, 64]]
        ({"scene": {"num_objects": None}}, "num_objects"),
        ({"render": {"num_frames": [16.5]}}, "num_frames"),
        ({"render": {"shadows": "yes"}}, "shadows"),
    ],
)
def test_settings_that_would_only_fail_in_workers_are_refused(settings, named):
    with pytest.raises(ConfigError, match=named):
        SynthConfig.from_dict(tiny_dict(**settings))


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"num_scenes": -1}, "num_scenes"),
        ({"num_scenes": 2.0}, "num_scenes"),
        ({"num_workers": -2}, "num_workers"),
        ({"shard": "3/2"}, "3/2"),
        ({"shard": "1of2"}, "1of2"),
        ({"shard": "0/0"}, "0/0"),
    ],
)
def test_bad_run_arguments_fail_before_anything_is_written(tmp_path, kwargs, named):
    out = tmp_path / "out"
    args = {"num_scenes": 2, **kwargs}
    with pytest.raises(ConfigError, match=re.escape(named)):
        generate(tiny(), out, args.pop("num_scenes"), **args)
    assert not out.exists()


def test_shards_parse():
    assert parse_shard(None) == (0, 1) and parse_shard("2/3") == (2, 3)


def _cli(tmp_path, *overrides):
    cmd = [
        sys.executable,
        "-m",
        "judge.cli.synth",
        "synth=tiny",
        f"out={tmp_path / 'out'}",
        "num_scenes=2",
        "num_workers=0",
        *overrides,
    ]
    return subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ("synth.scene.num_objects=[-1,3]", "num_objects"),
        ("synth.artifacts.labels=[teleport,wobble]", "wobble"),
        ("+synth.render.colour=1", "colour"),
        ("shard=3/2", "3/2"),
    ],
)
def test_cli_refuses_a_bad_value_at_once_naming_it(tmp_path, override, named):
    done = _cli(tmp_path, override)
    assert done.returncode != 0
    assert named in done.stdout + done.stderr, done.stdout[-2000:] + done.stderr[-2000:]
    assert not (tmp_path / "out").exists()  # refused before rendering anything
