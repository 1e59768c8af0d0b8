"""judge.models: backbone shapes, weights loading, config round trip, and that Tiny3D learns
one-frame teleports on synthetic clips (fast, CPU, deterministic)."""

import json
import math

import pytest
import torch
import torch.nn.functional as F
from torchvision.models import video

from judge.models import BACKBONES, JudgeModel, Tiny3D, WeightsFileError, build_model
from judge.models.backbones import build_backbone
from judge.models.heads import JudgeHeads, to_input_frames
from judge.models.keypoints import time_differences
from judge.models.pooling import pool_time
from judge.models.video_backbones import VIDEO_SPECS, TorchvisionVideoBackbone

# Small inputs each torchvision backbone runs on quickly; s3d's is the smallest it accepts.
SMALL_SIZES = {
    "r3d_18": (8, 64, 64),
    "r2plus1d_18": (8, 64, 64),
    "mc3_18": (8, 64, 64),
    "s3d": (5, 17, 17),
    "mvit_v2_s": (8, 64, 64),
    "swin3d_t": (8, 64, 64),
}


def n_params(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


# ---------------------------------------------------------------------------------------------
# Shapes


def test_tiny3d_parameter_count_and_shapes():
    torch.manual_seed(0)
    net = Tiny3D()
    assert 700_000 <= n_params(net) <= 1_500_000
    assert n_params(net) == 890_240  # documented in Tiny3D's docstring
    frames, clip = net(torch.randn(2, 3, 16, 64, 64))
    assert frames.shape == (2, net.out_channels, 16)  # time kept to the end
    assert clip.shape == (2, net.out_channels)
    assert net.temporal_stride == 1


def test_tiny3d_options():
    torch.manual_seed(0)
    plain = Tiny3D(width=0.5, diff_input=False, clip_pool="maxmean")
    assert plain.stem[0].in_channels == 3
    assert plain.out_channels == 64 and plain.clip_channels == 128
    frames, clip = plain(torch.randn(1, 3, 5, 20, 24))
    assert frames.shape == (1, 64, 5) and clip.shape == (1, 128)
    with pytest.raises(ValueError, match="expects"):
        plain(torch.randn(1, 1, 5, 20, 24))
    with pytest.raises(ValueError, match="clip_pool"):
        Tiny3D(clip_pool="median")


def test_tiny3d_stage2_features_are_the_pooled_stage_2_map_after_the_other_channels():
    torch.manual_seed(0)
    plain = Tiny3D()
    net = Tiny3D(stage2_features=True, keypoints=2, track_channels=4)
    # No new weights: the option only reads a map the network already computes.
    assert set(net.state_dict()) - set(plain.state_dict()) == {
        k for k in net.state_dict() if k.startswith("tracks.")
    }
    assert net.out_channels == net.clip_channels == 128 + 4 + 64
    seen = {}
    net.stages[net._stage_2_end].register_forward_hook(lambda m, i, o: seen.update(map=o))
    x = torch.randn(2, 3, 16, 32, 40)
    frames, clip = net(x)
    assert frames.shape == (2, 196, 16) and clip.shape == (2, 196)
    assert seen["map"].shape == (2, 64, 16, 4, 5)
    torch.testing.assert_close(frames[:, 132:], seen["map"].amax(dim=(3, 4)))
    torch.testing.assert_close(frames[:, :128], net.feature_map(x).amax(dim=(3, 4)))
    # With the plain model's weights, the option keeps its features and only appends channels.
    pooled = Tiny3D(stage2_features=True)
    pooled.load_state_dict(plain.state_dict())  # strict: the same weights
    torch.testing.assert_close(pooled(x)[0][:, :128], plain(x)[0])
    model = build_model("tiny3d", num_labels=3, stage2_features=True, event_pool=True)
    out = model(torch.randn(2, 3, 8, 32, 32))
    sum(v.sum() for v in out.values()).backward()
    assert [n for n, p in model.named_parameters() if p.grad is None] == []
    build_model(**model.config).load_state_dict(model.state_dict())  # rebuilds from its config


def test_time_differences_land_on_the_changed_frame():
    x = torch.zeros(1, 1, 5, 1, 1)
    x[:, :, 3:] = 1.0  # the change is first visible at frame 3
    d = time_differences(x)
    assert d.shape == x.shape
    assert d.flatten().tolist() == [0.0, 0.0, 0.0, 1.0, 0.0]


def test_max_clip_pooling_keeps_a_one_frame_event():
    frames = torch.zeros(1, 1, 16)
    frames[0, 0, 7] = 1.0
    assert pool_time(frames, "max").item() == 1.0
    assert pool_time(frames, "mean").item() == pytest.approx(1 / 16)
    assert pool_time(frames, "maxmean").shape == (1, 2)


def test_judge_model_tiny3d_outputs():
    torch.manual_seed(0)
    model = build_model("tiny3d", num_labels=7).eval()
    with torch.no_grad():
        out = model(torch.randn(2, 3, 16, 64, 64))
    assert set(out) == {"labels", "plausible", "frames", "features"}
    assert out["labels"].shape == (2, 7)
    assert out["plausible"].shape == (2,)
    assert out["frames"].shape == (2, 16)
    assert out["features"].shape == (2, model.heads.labels.in_features)


@pytest.mark.parametrize("name", sorted(SMALL_SIZES))
def test_torchvision_backbones_through_judge_model(name):
    torch.manual_seed(0)
    t, h, w = SMALL_SIZES[name]
    model = build_model(name, num_labels=3).eval()
    net = model.backbone
    x = torch.randn(1, 3, t, h, w)
    frames, clip = net(x)
    out = model(x)
    assert frames.shape == (1, net.out_channels, math.ceil(t / net.temporal_stride))
    assert clip.shape == (1, net.clip_channels)
    assert out["labels"].shape == (1, 3)
    assert out["plausible"].shape == (1,)
    assert out["frames"].shape == (1, t)  # at the input's T, whatever the backbone's stride
    # The classifier is gone and every remaining parameter is used (DDP rejects unused ones).
    assert not set(dict(net.model.named_children())) & set(net.spec.head)
    sum(v.sum() for v in out.values()).backward()
    unused = [n for n, p in model.named_parameters() if p.grad is None]
    assert unused == []


def test_channels_and_strides_of_every_backbone():
    expected = {
        "tiny3d": (128, 1),
        "r3d_18": (512, 8),
        "r2plus1d_18": (512, 8),
        "mc3_18": (512, 1),
        "s3d": (1024, 8),
        "mvit_v2_s": (768, 2),
        "swin3d_t": (768, 2),
    }
    assert set(BACKBONES) == set(expected)
    for name, (channels, stride) in expected.items():
        if name == "tiny3d":
            assert (Tiny3D().out_channels, Tiny3D.temporal_stride) == (channels, stride)
        else:
            spec = VIDEO_SPECS[name]
            assert (spec.out_channels, spec.temporal_stride) == (channels, stride)


@pytest.mark.parametrize("name", ["r3d_18", "swin3d_t"])
def test_features_are_what_torchvision_classifies(name):
    # The wrapper's feature map, pooled and classified by the original head, must give
    # torchvision's own logits: proof that the features are taken at the right point.
    torch.manual_seed(0)
    tv = getattr(video, name)().eval()
    head = tv.fc if name == "r3d_18" else tv.head  # kept before the wrapper deletes it
    x = torch.randn(1, 3, 8, 64, 64)
    with torch.no_grad():
        reference = tv(x)
        fmap = TorchvisionVideoBackbone(name, tv).feature_map(x)
        logits = head(fmap.mean(dim=(2, 3, 4)))
    torch.testing.assert_close(logits, reference, rtol=1e-4, atol=1e-4)


def test_too_small_input_is_a_clear_error():
    net = build_backbone("s3d")
    with pytest.raises(ValueError, match=r"s3d needs T x H x W of at least \(5, 17, 17\)"):
        net(torch.randn(1, 3, 4, 32, 32))


def test_onset_logits_interpolate_to_input_frames():
    coarse = torch.tensor([[[0.0, 8.0]]])  # (B, 1, T'=2): the event is in the second half
    fine = to_input_frames(coarse, 16)
    assert fine.shape == (1, 1, 16)
    assert fine[0, 0, :8].max() < fine[0, 0, 8:].min()
    assert to_input_frames(coarse, 2) is coarse


def test_mvit_v2_s_at_its_pretraining_size_matches_torchvision():
    # 16 x 224 x 224 is the size mvit_v2_s is built for (and its Kinetics weights); the wrapper
    # takes the token grid from the patch embedding, which must agree with torchvision there.
    torch.manual_seed(0)
    tv = video.mvit_v2_s().eval()
    captured = {}
    tv.norm.register_forward_hook(lambda m, i, o: captured.setdefault("norm", o))
    x = torch.randn(1, 3, 16, 224, 224)
    with torch.no_grad():
        tv(x)
        fmap = TorchvisionVideoBackbone("mvit_v2_s", tv).feature_map(x)
    assert fmap.shape == (1, 768, 8, 7, 7)
    grid = captured["norm"][:, 1:].reshape(1, 8, 7, 7, 768).permute(0, 4, 1, 2, 3)
    torch.testing.assert_close(fmap, grid)


@pytest.mark.parametrize("name", ["s3d", "swin3d_t", "r2plus1d_18"])
def test_backbones_at_pretraining_size(name):
    torch.manual_seed(0)
    t, size = (16, 112) if name == "r2plus1d_18" else (16, 224)
    model = build_model(name, num_labels=7).eval()
    with torch.no_grad():
        out = model(torch.randn(1, 3, t, size, size))
    assert out["labels"].shape == (1, 7) and out["frames"].shape == (1, t)


# ---------------------------------------------------------------------------------------------
# Weights and config


def test_local_pretrained_weights_load(tmp_path):
    torch.manual_seed(0)
    saved = video.r3d_18().state_dict()
    path = tmp_path / "r3d_18.pth"
    torch.save(saved, path)

    torch.manual_seed(123)
    model = build_model("r3d_18", num_labels=7, pretrained=str(path))
    loaded = model.backbone.model.state_dict()
    assert set(loaded) == {k for k in saved if not k.startswith("fc.")}
    for key, value in loaded.items():
        torch.testing.assert_close(value, saved[key], rtol=0, atol=0, msg=key)

    torch.manual_seed(1)
    other = build_backbone("r3d_18").model.state_dict()
    key = "layer1.0.conv1.0.weight"
    assert not torch.equal(other[key], saved[key])
    assert "pretrained" not in model.config  # the checkpoint's weights replace these


def test_pretrained_true_asks_torchvision_for_default_weights(monkeypatch):
    # The download itself is never run in tests: the builder is replaced by a recorder.
    calls = []
    real = video.mc3_18

    def recorder(**kwargs):
        calls.append(kwargs)
        return real(weights=None)

    monkeypatch.setattr(video, "mc3_18", recorder)
    net = build_backbone("mc3_18", pretrained=True)
    assert calls == [{"weights": "DEFAULT"}]
    assert net.out_channels == 512


def test_bad_weights_files_are_named(tmp_path):
    corrupt = tmp_path / "corrupt.pth"
    corrupt.write_bytes(b"not a zip and not a pickle" * 10)
    with pytest.raises(WeightsFileError, match="corrupt.pth"):
        build_backbone("tiny3d", pretrained=corrupt)

    with pytest.raises(FileNotFoundError, match="missing.pth"):
        build_backbone("tiny3d", pretrained=tmp_path / "missing.pth")

    not_a_state_dict = tmp_path / "list.pth"
    torch.save([torch.zeros(1)], not_a_state_dict)
    with pytest.raises(WeightsFileError, match="list.pth.*not a state dict"):
        build_backbone("tiny3d", pretrained=not_a_state_dict)

    torch.manual_seed(0)
    state = Tiny3D().state_dict()
    narrower = tmp_path / "narrow.pth"
    torch.save(Tiny3D(width=0.5).state_dict(), narrower)
    with pytest.raises(WeightsFileError, match=r"narrow.pth.*shape mismatches.*stem\.0\.weight"):
        build_backbone("tiny3d", pretrained=narrower)

    state.pop("stem.0.weight")
    state["extra.weight"] = torch.zeros(1)
    partial = tmp_path / "partial.pth"
    torch.save(state, partial)
    with pytest.raises(WeightsFileError, match=r"partial.pth.*missing keys: stem\.0\.weight"):
        build_backbone("tiny3d", pretrained=partial)
    with pytest.raises(WeightsFileError, match=r"unexpected keys: extra\.weight"):
        build_backbone("tiny3d", pretrained=partial)


def test_torchvision_weights_of_another_model_are_refused(tmp_path):
    path = tmp_path / "s3d.pth"
    torch.save(video.s3d().state_dict(), path)
    with pytest.raises(WeightsFileError, match=r"s3d.pth does not match VideoResNet.*missing keys"):
        build_backbone("r3d_18", pretrained=path)


UNPICKLED = []


def _unpickle_hook():
    UNPICKLED.append(True)
    return "ran"


class Payload:
    """Unpickling this would call `_unpickle_hook`: arbitrary code, which must never run."""

    def __reduce__(self):
        return (_unpickle_hook, ())


def test_weights_only_refuses_pickled_objects(tmp_path):
    path = tmp_path / "evil.pth"
    torch.save({"stem.0.weight": torch.zeros(1), "payload": Payload()}, path)
    with pytest.raises(WeightsFileError, match="evil.pth.*weights_only"):
        build_backbone("tiny3d", pretrained=path)
    assert UNPICKLED == []


def test_pretrained_argument_errors():
    with pytest.raises(ValueError, match="no published weights"):
        build_backbone("tiny3d", pretrained=True)
    with pytest.raises(ValueError, match="unknown backbone 'resnet50'.*tiny3d"):
        build_backbone("resnet50")
    with pytest.raises(TypeError, match="pretrained"):
        build_backbone("tiny3d", pretrained=3.5)


def test_config_rebuilds_the_model():
    torch.manual_seed(0)
    model = build_model(
        "tiny3d", num_labels=3, dropout=0.1, event_pool=True, width=0.5, diff_input=False
    )
    config = json.loads(json.dumps(model.config))  # plain, JSON-able
    assert config == {
        "backbone": "tiny3d",
        "num_labels": 3,
        "dropout": 0.1,
        "event_pool": True,
        "width": 0.5,
        "diff_input": False,
    }
    rebuilt = build_model(**config)
    assert isinstance(rebuilt, JudgeModel)
    rebuilt.load_state_dict(model.state_dict())  # strict: same architecture
    x = torch.randn(1, 3, 6, 32, 32)
    with torch.no_grad():
        a, b = model.eval()(x), rebuilt.eval()(x)
    torch.testing.assert_close(a["labels"], b["labels"])


# ---------------------------------------------------------------------------------------------
# Learning: one-frame teleports vs smooth motion


def make_clips(n: int, seed: int, t: int = 16, size: int = 32, square: int = 6):
    """`n` clips `(n, 3, t, size, size)`: a bright square on a dark, noisy background moving
    ~1 px per frame. The first half teleports once (jumps >= 8 px at a random frame `k` >= 2
    and moves on smoothly from there), the second half moves smoothly throughout.

    Returns clips, teleport labels `(n,)` and one-hot onset targets `(n, t)`.
    """
    g = torch.Generator().manual_seed(seed)
    clips = torch.full((n, 3, t, size, size), -1.0)
    clips += 0.1 * torch.randn(clips.shape, generator=g)
    labels = torch.zeros(n)
    onsets = torch.zeros(n, t)
    hi = size - square
    for i in range(n):
        pos = torch.randint(4, hi - 4, (2,), generator=g).float()
        vel = torch.rand(2, generator=g) * 2 - 1  # up to 1 px per frame in each axis
        jump_at = -1
        if i < n // 2:
            jump_at = int(torch.randint(2, t - 1, (1,), generator=g))
            labels[i] = 1.0
            onsets[i, jump_at] = 1.0
        colour = 0.5 + torch.rand(3, generator=g)
        for f in range(t):
            if f == jump_at:
                # Jump at least 8 px along a random direction, reflected to stay in frame.
                angle = float(torch.rand(1, generator=g)) * 2 * math.pi
                step = 8 + 4 * float(torch.rand(1, generator=g))
                pos = pos + step * torch.tensor([math.cos(angle), math.sin(angle)])
                pos = torch.where(pos > hi, 2 * hi - pos, pos).abs()
            y, x = (int(v) for v in pos.clamp(0, hi).round())
            clips[i, :, f, y : y + square, x : x + square] = colour[:, None, None]
            pos = pos + vel
            vel = torch.where((pos < 0) | (pos > hi), -vel, vel)
    return clips, labels, onsets


def train_steps(model, clips, labels, onsets, steps: int, batch: int, augment: bool = False):
    """Adam (lr 3e-3) on BCE for the teleport label (index 0) plus the per-frame onset BCE.

    The onset positives are weighted by T - 1, as `judge.training.losses.onset_loss` does: the
    one onset frame then counts as much as all the others, and this dense, frame-aligned signal
    is what steers the net to the rule (a large one-frame difference) instead of memorising
    clips by colour and position; without it, held-out AUROC on 64 clips varied from 0.55 to
    1.0 with the seed. `augment` flips H and W and permutes colour channels at random.
    """
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    pos_weight = torch.tensor(float(onsets.shape[1] - 1))
    g = torch.Generator().manual_seed(0)
    model.train()
    for _ in range(steps):
        idx = torch.randperm(len(clips), generator=g)[:batch]
        x = clips[idx]
        if augment:
            flips = [d for d in (3, 4) if torch.rand(1, generator=g) < 0.5]
            x = x.flip(flips)[:, torch.randperm(3, generator=g)]
        out = model(x)
        loss = F.binary_cross_entropy_with_logits(out["labels"][:, 0], labels[idx])
        loss = loss + F.binary_cross_entropy_with_logits(
            out["frames"], onsets[idx], pos_weight=pos_weight
        )
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval()


def auroc(scores: torch.Tensor, labels: torch.Tensor) -> float:
    """Mann-Whitney AUROC: the chance that a random positive outscores a random negative."""
    ranks = torch.empty_like(scores)
    ranks[scores.argsort()] = torch.arange(1, len(scores) + 1, dtype=scores.dtype)
    pos = labels > 0.5
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def test_auroc_helper():
    assert auroc(torch.tensor([0.1, 0.2, 0.8, 0.9]), torch.tensor([0, 0, 1, 1])) == 1.0
    assert auroc(torch.tensor([0.9, 0.8, 0.2, 0.1]), torch.tensor([0, 0, 1, 1])) == 0.0


def test_tiny3d_overfits_one_batch_and_finds_the_jump_frame():
    torch.manual_seed(0)
    clips, labels, onsets = make_clips(8, seed=1)
    model = train_steps(build_model("tiny3d"), clips, labels, onsets, steps=60, batch=8)
    with torch.no_grad():
        out = model(clips)
    loss = F.binary_cross_entropy_with_logits(out["labels"][:, 0], labels)
    assert loss.item() < 0.05
    teleports = labels > 0.5
    assert torch.equal(out["frames"][teleports].argmax(1), onsets[teleports].argmax(1))


def test_tiny3d_separates_held_out_teleports():
    torch.manual_seed(0)
    train = make_clips(64, seed=2)
    model = train_steps(build_model("tiny3d"), *train, steps=50, batch=16, augment=True)
    clips, labels, _ = make_clips(64, seed=3)
    with torch.no_grad():
        scores = model(clips)["labels"][:, 0]
    assert auroc(scores, labels) > 0.9


def test_event_pool_reads_the_features_where_the_onset_head_points():
    heads = JudgeHeads(clip_channels=4, frame_channels=3, num_labels=2, event_pool=True)
    frames = torch.randn(2, 3, 5)
    clip = torch.randn(2, 4)
    with torch.no_grad():  # an onset head that fires on feature 0 alone, very sharply
        heads.frames.weight.zero_()
        heads.frames.bias.zero_()
        heads.frames.weight[0, 0, 0] = 100.0
        frames[:, 0] = -1.0
        frames[0, 0, 3], frames[1, 0, 1] = 1.0, 1.0  # the event: frame 3, then frame 1
        out = heads(frames, clip, num_frames=5)
        event = torch.stack([frames[0, :, 3], frames[1, :, 1]])
        expected = heads.labels(torch.cat([clip, event], dim=1))
    torch.testing.assert_close(out["labels"], expected)
    assert out["plausible"].shape == (2,) and out["frames"].shape == (2, 5)
    assert heads.labels.in_features == 7
