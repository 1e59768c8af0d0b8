"""Window sampling, labels recomputed per window, and label-preserving transforms."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from judge.data.targets import window_targets
from judge.data.transforms import Augment, ClipTransform
from judge.data.windows import ClipTooShort, UnknownFrameRate, WindowSpec, window_indices

LABELS = ("teleport", "clipping", "vanish")


def test_stride_and_fps_windows_cover_the_same_time():
    rng = np.random.default_rng(0)
    at_stride = window_indices(WindowSpec(8, stride=2, mode="center"), 40, 30.0, rng)
    assert np.array_equal(np.diff(at_stride), np.full(7, 2))
    # 8 frames at 15 fps span the same 0.47 s in a 30 fps and in a 60 fps clip.
    spec = WindowSpec(8, fps=15.0, mode="center")
    at30, at60 = window_indices(spec, 100, 30.0, rng), window_indices(spec, 200, 60.0, rng)
    assert np.array_equal(np.diff(at30), np.full(7, 2)) and np.array_equal(
        np.diff(at60), np.full(7, 4)
    )


def test_random_windows_vary_and_stay_inside():
    spec = WindowSpec(16, stride=1)
    starts = {int(window_indices(spec, 24, 15.0, np.random.default_rng(s))[0]) for s in range(50)}
    assert starts == set(range(9))  # every start from 0 to 24-16
    centre = window_indices(WindowSpec(16, mode="center"), 24, 15.0, None)
    assert centre[0] == 4 and centre[-1] == 19


def test_unknown_fps_is_refused_when_the_window_has_an_fps():
    # A guessed time scale would show motion at the wrong speed (windows.frame_step).
    with pytest.raises(UnknownFrameRate, match="frame rate is unknown"):
        window_indices(WindowSpec(8, fps=15.0), 40, 0.0, None)
    # Without a window fps the file's rate is not needed.
    assert window_indices(WindowSpec(8, stride=2, mode="center"), 40, 0.0, None)[0] == 12


def test_too_short_clip_is_refused_with_the_numbers():
    with pytest.raises(ClipTooShort, match="10 frames, the window needs 16"):
        window_indices(WindowSpec(16), 10, 15.0, None)


def _row(events, **labels):
    base = {"teleport": 0, "clipping": 0, "vanish": 0, "plausible": int(not events)}
    return {"labels": {**base, **labels}, "events": events}


TELEPORT = [{"type": "teleport", "frame": 12, "end": 12, "object": 0}]


@pytest.mark.parametrize(
    ("idx", "expect"),
    [
        (range(0, 12), 0),  # ends before the onset: plausible
        (range(4, 20), 1),  # straddles it
        (range(13, 24), 0),  # starts after a one-frame teleport: the object is just elsewhere
        (range(11, 27, 2)[:8], 1),  # frame 12 not sampled, but 11 -> 13 shows the jump
        (range(12, 24), 0),  # starts at the onset: no before, so no jump is seen
    ],
)
def test_one_frame_event_labels_follow_the_window(idx, expect):
    t = window_targets(_row(TELEPORT, teleport=1), np.array(idx), 40, LABELS)
    assert t["labels"][0] == expect and t["label_mask"].all()
    assert t["plausible"] == 1 - expect and t["plausible_mask"]
    assert t["onset"].sum() == expect
    if expect:
        assert np.array(idx)[t["onset"].argmax()] >= 12 > np.array(idx)[t["onset"].argmax() - 1]


def test_lasting_event_is_seen_inside_its_span():
    clip = [{"type": "clipping", "frame": 10, "end": 20}]
    inside = window_targets(_row(clip, clipping=1), np.arange(14, 18), 40, LABELS)
    after = window_targets(_row(clip, clipping=1), np.arange(22, 30), 40, LABELS)
    assert inside["labels"][1] == 1 and inside["onset"][0] == 1
    assert after["labels"][1] == 0 and after["plausible"] == 1


def test_unknown_labels_are_masked_and_unlocalised_positives_need_the_whole_clip():
    row = {"labels": {"plausible": 0}}  # public data: implausible somewhere, no frames
    part = window_targets(row, np.arange(0, 8), 40, LABELS)
    whole = window_targets(row, np.arange(0, 40), 40, LABELS)
    assert not part["label_mask"].any() and not part["plausible_mask"]
    assert whole["plausible_mask"] and whole["plausible"] == 0 and not whole["onset_mask"]


def test_a_window_showing_an_event_is_implausible_even_with_other_labels_unknown():
    """The clip rule of judge.targets_rule (calibration and evaluation) per window: a row
    {"teleport": 1} with an event and the other labels missing is an artifact clip."""
    from judge.targets_rule import row_plausible_target

    event = {"type": "teleport", "frame": 20, "end": 20, "object": 0, "bbox": [0, 0, 4, 4]}
    row = {"labels": {"teleport": 1}, "events": [event]}
    assert row_plausible_target(row, LABELS) == 0
    showing = window_targets(row, np.arange(16, 24), 40, LABELS)
    before = window_targets(row, np.arange(0, 8), 40, LABELS)
    assert showing["plausible_mask"] and showing["plausible"] == 0
    assert not before["plausible_mask"]  # the missing labels might hide another artifact
    no_frame = {"labels": {"teleport": 1}}  # a positive without a frame: only the whole clip
    assert window_targets(no_frame, np.arange(0, 40), 40, LABELS)["plausible_mask"]
    assert not window_targets(no_frame, np.arange(0, 8), 40, LABELS)["plausible_mask"]


def _frames(t=6, h=40, w=56):
    rng = np.random.default_rng(1)
    return rng.integers(0, 255, (t, h, w, 3), dtype=np.uint8)


def test_eval_transform_is_deterministic_and_shaped():
    tf = ClipTransform(size=32)
    a, b = tf(_frames()), tf(_frames())
    assert a.shape == (3, 6, 32, 32) and a.dtype == torch.float32 and torch.equal(a, b)


def test_train_transform_treats_every_frame_alike():
    # Identical frames must stay identical: nothing per-frame but noise (turned off here).
    frames = np.repeat(_frames(1), 8, axis=0)
    aug = Augment(noise_prob=0.0, reencode_prob=0.0, blur_prob=1.0)
    for seed in range(5):
        out = ClipTransform(24, aug)(frames, np.random.default_rng(seed))
        assert torch.allclose(out[:, :1].expand_as(out), out, atol=1e-6)


def test_crops_keep_the_event_box():
    frames = np.zeros((4, 96, 96, 3), np.uint8)
    frames[:, 80:90, 2:12] = 255  # the artifact sits in a corner
    aug = Augment(
        min_scale=0.3,
        hflip=0.0,
        brightness=0,
        contrast=0,
        saturation=0,
        blur_prob=0,
        noise_prob=0,
        reencode_prob=0,
    )
    tf = ClipTransform(32, aug, normalize=False)
    for seed in range(20):
        out = tf(frames, np.random.default_rng(seed), keep_boxes=[[2, 80, 12, 90]])
        assert out.max() > 0.9  # the white box made it into every crop
    missed = sum(tf(frames, np.random.default_rng(s)).max() < 0.5 for s in range(20))
    assert missed > 0  # without the box constraint, small crops do miss it


def test_channel_shuffle_permutes_the_colours_of_the_whole_clip_alike():
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 255, (6, 40, 40, 3), dtype=np.uint8)
    still = dict(min_scale=1.0, hflip=0.0, brightness=0, contrast=0, saturation=0,
                 blur_prob=0, noise_prob=0, reencode_prob=0)  # fmt: skip
    plain = ClipTransform(40, Augment(**still), normalize=False)
    shuffled = ClipTransform(40, Augment(**still, channel_shuffle=1.0), normalize=False)
    base = plain(frames, np.random.default_rng(1)).numpy()  # (3, T, S, S)
    orders = set()
    for seed in range(12):
        out = shuffled(frames, np.random.default_rng(seed)).numpy()
        # Each output channel is one input channel, over every frame: a clip-wide permutation.
        order = tuple(
            int(np.argmin([np.abs(out[c] - base[k]).max() for k in range(3)])) for c in range(3)
        )
        np.testing.assert_allclose(out, base[list(order)], atol=1e-6)
        orders.add(order)
    assert len(orders) > 2 and all(sorted(o) == [0, 1, 2] for o in orders)
