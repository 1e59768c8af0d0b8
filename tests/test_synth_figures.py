"""Articulated figures: motion, twins of each figure artifact, hard negatives, manifest, resume."""

from __future__ import annotations

import json

import numpy as np
import pytest
from synth_fixtures import dataset_digest, group, tiny

from judge.synth.checks import GRAVITY, Thresholds, find_all
from judge.synth.config import ConfigError, SynthConfig
from judge.synth.figure_checks import figure_rows, find_figure_levitate
from judge.synth.figure_motion import SINK, FigureMotion
from judge.synth.figures import FigureSpec
from judge.synth.group import first_difference, render_group
from judge.synth.output import write_group
from judge.synth.runner import generate
from judge.synth.sampling import sample_scene

KINDS = ("teleport", "clipping", "vanish", "appear", "morph", "duplicate", "levitate")
FIG = {"figure_prob": 1.0, "figure_artifact_prob": 1.0}


def _figure_twin(kind: str, indices=range(8)):
    """The first `(group, clip)` whose `kind` twin happened to a figure."""
    for index in indices:
        g = group(0, index, scene=FIG, artifacts={"labels": [kind], "twins_per_scene": 1})
        for c in g.clips[1:]:
            if c.variant == kind and c.params.get("target") == "figure":
                return g, c
    return None


# --- motion -----------------------------------------------------------------------------------
@pytest.mark.parametrize("kind,motion", [("humanoid", "walk"), ("quadruped", "run")])
def test_feet_touch_the_floor_and_the_figure_travels(kind, motion):
    fig = FigureSpec(kind, motion, 0.8, (0.0, 0.0), 0.3, speed=0.6, duration=2.0)
    mo = FigureMotion(fig)
    radii = np.array([s.radius for s in fig.skeleton()]) * fig.scale
    for t in np.linspace(0, 2, 9):
        b = mo.bones(t)
        lowest = (b[:, :, 2].min(1) - radii).min()
        assert lowest == pytest.approx(-SINK, abs=1e-9)
    travelled = np.linalg.norm(mo.bones(2.0)[0, 0, :2] - mo.bones(0.0)[0, 0, :2])
    assert travelled == pytest.approx(1.2, rel=0.05)


def test_a_jump_is_ballistic_in_the_air():
    fig = FigureSpec("humanoid", "jump", 0.8, (0.0, 0.0), 0.0, t_event=0.5, duration=2.0)
    mo = FigureMotion(fig)
    dt = 0.01
    t = 0.5 + mo.air_time / 2
    z = [mo.bones(t + k * dt)[0, 0, 2] for k in (-1, 0, 1)]
    assert (z[2] - 2 * z[1] + z[0]) / dt**2 == pytest.approx(-GRAVITY, rel=1e-3)
    assert mo.bones(t)[:, :, 2].min() > 0.05  # really airborne


# --- configuration ----------------------------------------------------------------------------
def test_config_errors_name_the_key():
    with pytest.raises(ConfigError, match=r"synth\.scene\.figure_prob"):
        SynthConfig.from_dict({"scene": {"figure_prob": 1.5}})
    with pytest.raises(ConfigError, match=r"synth\.scene\.figure_kinds.*robot"):
        SynthConfig.from_dict({"scene": {"figure_kinds": ["robot"]}})
    with pytest.raises(ConfigError, match=r"synth\.scene\.figure_motions.*moonwalk"):
        SynthConfig.from_dict({"scene": {"figure_motions": ["moonwalk"]}})


def test_defaults_draw_no_figures_and_figure_scenes_have_them():
    assert not any(sample_scene(tiny(), 0, i).figures for i in range(6))
    with_figures = [sample_scene(tiny(scene=FIG), 0, i) for i in range(6)]
    assert sum(bool(s.figures) for s in with_figures) >= 4
    for s in with_figures:
        for f, fig in enumerate(s.figures):
            assert [s.objects[k].figure for k in fig.segments] == [f] * len(fig.segments)
            assert not set(fig.segments) & set(s.real_objects())  # object twins leave them be


# --- twins ------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_figure_twin_is_identical_before_onset_and_found_at_it(kind):
    found = _figure_twin(kind)
    assert found is not None, f"no {kind} twin on a figure in 8 scenes"
    g, clip = found
    clean = g.clips[0].record
    ev = clip.events[0]
    onset = ev["frame"]
    assert np.array_equal(clip.record.frames[:onset], clean.frames[:onset])
    assert first_difference(clean.frames, clip.record.frames, 0) == onset
    th = Thresholds.for_spec(g.spec, tiny().artifacts)
    rows = set(clip.params["rows"])
    from judge.synth.injectors.figures import FIGURE_INJECTORS

    detect = FIGURE_INJECTORS[kind].detect
    slack = FIGURE_INJECTORS[kind].onset_slack
    hits = [(t, k) for t, k in detect(clip.record.ann, th) if k in rows]
    assert any(onset <= t <= onset + slack for t, _ in hits)
    assert not [(t, k) for t, k in detect(clean.ann, th) if k in rows]


def test_a_figure_scene_renders_the_same_twice():
    found = _figure_twin("teleport")
    assert found is not None
    g, _ = found
    again = render_group(
        tiny(scene=FIG, artifacts={"labels": ["teleport"], "twins_per_scene": 1}), 0, g.spec.index
    )
    assert len(again.clips) == len(g.clips)
    for a, b in zip(g.clips, again.clips, strict=True):
        assert np.array_equal(a.record.frames, b.record.frames)
        assert a.events == b.events
        for name in a.record.ann:
            assert np.array_equal(a.record.ann[name], b.record.ann[name]), name


def test_figure_rows_group_the_segments_in_annotations():
    found = _figure_twin("vanish")
    assert found is not None
    g, _ = found
    rows = figure_rows(g.clips[0].record.ann)
    for f, fig in enumerate(g.spec.figures):
        assert set(fig.segments) <= set(rows[f].tolist())
    # Clean figure scenes show no figure artifact: swinging legs are not levitation.
    th = Thresholds.for_spec(g.spec, tiny().artifacts)
    assert not find_figure_levitate(g.clips[0].record.ann, th)


# --- hard negatives ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "tag", ["figure_jump", "figure_carry", "figure_crowd", "figure_swing", "figure_exit"]
)
def test_figure_hard_negatives_happen_and_look_plausible(tag):
    art = {"hard_negatives": [tag], "hard_negative_fraction": 1.0, "twins_per_scene": 0}
    for index in range(4):
        g = group(0, index, render={"num_frames": [24]}, artifacts=art)
        if g.tags == [tag]:
            th = Thresholds.for_spec(g.spec, tiny().artifacts)
            assert not any(find_all(g.clips[0].record.ann, th).values())
            assert g.spec.figures
            return
    pytest.fail(f"{tag} was not achieved in 4 scenes")


# --- manifest, determinism and resume ----------------------------------------------------------
def test_manifest_names_the_figures_and_resume_gives_the_same_bytes(tmp_path):
    cfg = tiny(scene={"figure_prob": 1.0})
    ref, out = tmp_path / "ref", tmp_path / "out"
    generate(cfg, ref, num_scenes=3, seed=0)
    rows = [json.loads(x) for x in (ref / "manifest.jsonl").read_text().splitlines()]
    assert any(r["figures"] for r in rows)
    for r in rows:
        assert set(r["figures"]) <= {"humanoid", "quadruped"}
        sidecar = np.load(ref / r["annotations"])
        meta = json.loads(str(sidecar["meta"]))
        shown = [f["kind"] for f in meta.get("figures", []) if f["phantom"] is None]
        assert shown == r["figures"]
    generate(cfg, out, num_scenes=3, seed=0)
    (out / "rows" / "000001.json").unlink()  # as if killed before scene 1 was finished
    (out / "manifest.jsonl").unlink()
    summary = generate(cfg, out, num_scenes=3, seed=0)
    assert summary.rendered == 1 and summary.skipped == 2
    assert dataset_digest(out) == dataset_digest(ref)


def test_default_rows_say_no_figures(tmp_path):
    g = group(0, 0)
    rows = write_group(g, tmp_path, KINDS, 0, {"train": 1.0})
    assert rows and all(r["figures"] == [] for r in rows)
    assert "figure" not in g.clips[0].record.ann  # sidecars of default scenes are unchanged
