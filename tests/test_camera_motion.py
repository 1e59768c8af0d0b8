"""The camera-motion augmentation: smooth pans and zooms that never hide an event."""

import numpy as np

from judge.data.transforms import Augment, ClipTransform, camera_path

STILL = dict(hflip=0.0, brightness=0.0, contrast=0.0, saturation=0.0, blur_prob=0.0,
             noise_prob=0.0, reencode_prob=0.0, min_scale=0.7)  # fmt: skip


def test_path_glides_inside_the_frame_and_keeps_the_event_box():
    aug = Augment(camera_prob=1.0, camera_pan=0.03, camera_zoom=0.3, camera_shake=0.01)
    box = [40, 30, 60, 50]
    for seed in range(50):
        rng = np.random.default_rng(seed)
        path = camera_path(16, 96, 160, (20, 10, 70), aug, rng, [box])
        assert path.shape == (16, 4)
        sides = path[:, 2] - path[:, 0]
        np.testing.assert_allclose(sides, path[:, 3] - path[:, 1])  # squares
        assert (path[:, :2] >= -1e-9).all() and (path[:, 2] <= 160 + 1e-9).all()
        assert (path[:, 3] <= 96 + 1e-9).all()
        assert (path[:, 0] <= box[0]).all() and (path[:, 1] <= box[1]).all()
        assert (path[:, 2] >= box[2]).all() and (path[:, 3] >= box[3]).all()
        # No jump: from one frame to the next the box moves by a few pixels at most.
        assert np.abs(np.diff(path, axis=0)).max() < 0.1 * 70


def test_a_static_scene_seen_through_the_camera_moves_smoothly():
    rng = np.random.default_rng(0)
    scene = rng.integers(0, 255, (1, 96, 128, 3), dtype=np.uint8).repeat(16, axis=0)
    scene = np.ascontiguousarray(scene)
    moving = ClipTransform(32, Augment(**STILL, camera_prob=1.0, camera_pan=0.03), normalize=False)
    still = ClipTransform(32, Augment(**STILL, camera_prob=0.0), normalize=False)
    a = moving(scene, np.random.default_rng(1)).numpy()  # (3, T, S, S)
    b = still(scene, np.random.default_rng(1)).numpy()
    step = np.abs(np.diff(a, axis=1)).mean(axis=(0, 2, 3))  # (T - 1,)
    assert (step > 0).all()  # every frame moved a little
    assert step.max() < 3 * np.median(step) + 1e-3  # and no frame jumped
    assert np.abs(np.diff(b, axis=1)).max() == 0.0  # without it, a still scene stays still


def test_zero_probability_draws_nothing_extra():
    """camera_prob=0 leaves every other draw as it was, so existing seeds keep their windows."""
    frames = np.random.default_rng(0).integers(0, 255, (8, 40, 50, 3), dtype=np.uint8)
    base = ClipTransform(24, Augment(reencode_prob=0.0))
    off = ClipTransform(24, Augment(reencode_prob=0.0, camera_prob=0.0))
    np.testing.assert_array_equal(
        base(frames, np.random.default_rng(3)).numpy(),
        off(frames, np.random.default_rng(3)).numpy(),
    )
