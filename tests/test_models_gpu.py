"""The GPU judge's models: tiny3d_gpu keeps time, r3d_18's temporal skip, freezing stages,
local pretrained weights, channels-last and compile hooks (CPU, small inputs)."""

from functools import partial

import pytest
import torch
from hydra.utils import instantiate
from torchvision.models import video
from training_fixtures import compose_train

from judge.models import Tiny3D, WeightsFileError, build_model
from judge.training.module import JudgeModule


def _preset_model(experiment: str, **changes):
    cfg = compose_train([f"experiment={experiment}"])
    return instantiate(cfg.model.model, **changes), cfg


@pytest.mark.parametrize("num_frames", [16, 24])
def test_gpu_default_model_has_one_onset_logit_per_input_frame(num_frames):
    torch.manual_seed(0)
    model, cfg = _preset_model("gpu_default")
    assert cfg.data.size == 112 and cfg.trainer.precision == "bf16-mixed"
    assert model.backbone.temporal_stride == 1 and model.backbone.depth == 2
    with torch.no_grad():
        out = model.eval()(torch.randn(2, 3, num_frames, 32, 32))
    assert out["frames"].shape == (2, num_frames)
    assert out["labels"].shape == (2, len(cfg.data.labels))


def test_onset_logits_of_tiny3d_gpu_are_not_interpolated():
    # Time kept: a change at frame 24 reaches only the onset logits within the receptive field
    # (+-13 frames at depth 2); a backbone that strides by 8 and interpolates spreads it wider.
    torch.manual_seed(0)
    model = build_model("tiny3d", num_labels=7, width=0.5, depth=2).eval()
    x = torch.zeros(1, 3, 32, 32, 32)
    with torch.no_grad():
        base = model(x)["frames"]
        x[:, :, 24:, 8:16, 8:16] = 3.0  # appears at frame 24
        moved = (model(x)["frames"] - base).abs()[0]
    assert moved.shape == (32,)
    assert moved[:11].max() == 0 and moved[24] > 0


def test_tiny3d_depth_one_keeps_the_checkpoint_keys_and_depth_adds_blocks():
    flat = Tiny3D()
    assert [k for k in flat.state_dict() if k.startswith("stages.")][0] == "stages.0.conv1.0.weight"
    assert len(flat.stages) == 3 and flat.block_stage == [1, 2, 3]
    deep = Tiny3D(depth=2)
    assert len(deep.stages) == 6 and deep.block_stage == [1, 1, 2, 2, 3, 3]
    assert isinstance(deep.stages[1].shortcut, torch.nn.Identity)
    with pytest.raises(ValueError, match="depth"):
        Tiny3D(depth=0)


def test_r3d_18_temporal_skip_gives_per_frame_features_and_starts_as_without():
    torch.manual_seed(0)
    plain = build_model("r3d_18", num_labels=3).eval()
    skip = build_model("r3d_18", num_labels=3, temporal_skip=True).eval()
    skip.load_state_dict(plain.state_dict(), strict=False)  # same weights but the skip's
    x = torch.randn(1, 3, 16, 32, 32)
    with torch.no_grad():
        frames, _ = skip.backbone(x)
        a, b = plain(x), skip(x)
    assert frames.shape == (1, 512, 16) and skip.backbone.temporal_stride == 1
    # Zero-initialised skip: a pretrained model starts where it was.
    torch.testing.assert_close(a["frames"], b["frames"])
    torch.testing.assert_close(a["labels"], b["labels"])
    skip.train()
    out = skip(x)
    sum(v.sum() for v in out.values()).backward()
    assert skip.backbone.skip.weight.grad.abs().sum() > 0  # it learns
    with pytest.raises(ValueError, match="temporal_skip"):
        build_model("s3d", num_labels=3, temporal_skip=True)


def test_channels_last_computes_the_same():
    torch.manual_seed(0)
    a = build_model("r3d_18", num_labels=3).eval()
    b = build_model("r3d_18", num_labels=3, channels_last=True).eval()
    b.load_state_dict(a.state_dict())
    assert b.backbone.model.stem[0].weight.is_contiguous(memory_format=torch.channels_last_3d)
    x = torch.randn(1, 3, 8, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(a(x)["labels"], b(x)["labels"], rtol=1e-4, atol=1e-4)


def _step(model, lr=0.1):
    """One AdamW step through JudgeModule's own optimiser set-up."""
    module = JudgeModule(model, optimizer=partial(torch.optim.AdamW, lr=lr, weight_decay=0.1))
    opt = module.configure_optimizers()
    model.train()
    out = model(torch.randn(2, 3, 8, 32, 32))
    loss = sum(v.float().square().mean() for v in out.values())
    opt.zero_grad()
    loss.backward()
    opt.step()
    return opt


def _snapshot(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def test_frozen_backbone_stays_put_while_heads_learn():
    torch.manual_seed(0)
    model = build_model("tiny3d", num_labels=3, width=0.5, freeze="backbone")
    assert not any(p.requires_grad for p in model.backbone.parameters())
    assert all(p.requires_grad for p in model.heads.parameters())
    backbone, heads = _snapshot(model.backbone), _snapshot(model.heads)
    opt = _step(model)
    # Only the heads' parameters reach the optimiser.
    assert sum(len(g["params"]) for g in opt.param_groups) == len(list(model.heads.parameters()))
    # Weights and BatchNorm statistics of the backbone are untouched: it stays in eval mode.
    norms = [m for m in model.backbone.modules() if isinstance(m, torch.nn.BatchNorm3d)]
    assert norms and not any(m.training for m in norms) and model.heads.training
    for key, value in model.backbone.state_dict().items():
        assert torch.equal(value, backbone[key]), key
    assert any(not torch.equal(v, heads[k]) for k, v in model.heads.state_dict().items())


def test_partial_freeze_of_tiny3d_stages():
    torch.manual_seed(0)
    model = build_model("tiny3d", num_labels=3, width=0.5, depth=2, freeze="stages_up_to_1")
    net = model.backbone
    frozen = [net.stem, net.stages[0], net.stages[1]]  # stem and both blocks of stage 1
    training = [net.stages[2], net.stages[5]]
    before = [_snapshot(m) for m in frozen + training]
    _step(model)
    after = [_snapshot(m) for m in frozen + training]
    for b, a in zip(before[:3], after[:3], strict=True):
        assert all(torch.equal(a[k], b[k]) for k in b)
    for b, a in zip(before[3:], after[3:], strict=True):
        assert any(not torch.equal(a[k], b[k]) for k in b)
    assert all(not p.requires_grad for m in frozen for p in m.parameters())


def test_partial_freeze_of_r3d_18_names_its_layers():
    model = build_model("r3d_18", num_labels=3, freeze="stages_up_to_2", temporal_skip=True)
    m = model.backbone.model
    trainable = {n.split(".")[1] for n, p in model.backbone.named_parameters() if p.requires_grad}
    assert trainable == {"layer3", "layer4"} | {"weight", "bias"}  # skip.weight, skip.bias
    assert not any(p.requires_grad for p in m.layer2.parameters())


@pytest.mark.parametrize("freeze", ["stages_up_to_4", "layers", "stages_up_to_x"])
def test_unknown_freeze_modes_are_clear_errors(freeze):
    with pytest.raises(ValueError, match="freeze"):
        build_model("tiny3d", num_labels=3, width=0.25, freeze=freeze)


def test_kinetics_style_weights_file_loads_then_freezes(tmp_path):
    # A file laid out as torchvision's KINETICS400_V1 (with its 400-class fc), made here.
    torch.manual_seed(0)
    saved = video.r3d_18().state_dict()
    path = tmp_path / "r3d_18-kinetics.pth"
    torch.save(saved, path)
    torch.manual_seed(1)
    model, _ = _preset_model("gpu_r3d18", pretrained=str(path))
    loaded = model.backbone.model.state_dict()
    for key in ("stem.0.weight", "layer4.1.conv2.0.weight", "layer1.0.conv1.1.running_mean"):
        assert torch.equal(loaded[key], saved[key]), key
    assert not model.backbone.model.layer1[0].conv1[0].weight.requires_grad
    assert model.backbone.model.layer4[0].conv1[0].weight.requires_grad
    assert "pretrained" not in model.config and "freeze" not in model.config


def test_weights_for_another_architecture_name_the_file(tmp_path):
    path = tmp_path / "tiny3d_width1.pth"
    torch.save(Tiny3D().state_dict(), path)
    with pytest.raises(WeightsFileError, match=r"tiny3d_width1\.pth.*(shape|missing)"):
        build_model("tiny3d", num_labels=3, width=1.5, depth=2, pretrained=str(path))


def test_compile_option_keeps_checkpoint_keys():
    model = build_model("tiny3d", num_labels=3, width=0.25)
    keys = list(model.state_dict())
    module = JudgeModule(model, optimizer=partial(torch.optim.AdamW, lr=1e-3), compile=True)
    assert module.model._compiled_call_impl is not None  # compiled lazily, on first forward
    assert [k.removeprefix("model.") for k in module.state_dict()] == keys
