import pytest
import torch

from brushwork.errors import BrushworkError
from brushwork.nn.vgg import LAYER_NAMES, VGG19Features, caffe_weights_path, load_weights


def test_layer_names_follow_the_paper():
    assert len(LAYER_NAMES) == 37
    assert LAYER_NAMES[:5] == ("conv1_1", "relu1_1", "conv1_2", "relu1_2", "pool1")
    assert LAYER_NAMES[-1] == "pool5" and "relu5_4" in LAYER_NAMES


def test_caffe_weights_load_and_give_documented_shapes():
    assert caffe_weights_path().is_file()
    layers = ["relu1_1", "relu2_1", "relu3_1", "relu4_2", "relu5_1", "pool5"]
    vgg = VGG19Features(layers)
    out = vgg(torch.rand(2, 3, 64, 96))
    expected = {
        "relu1_1": (64, 64, 96),
        "relu2_1": (128, 32, 48),
        "relu3_1": (256, 16, 24),
        "relu4_2": (512, 8, 12),
        "relu5_1": (512, 4, 6),
        "pool5": (512, 2, 3),
    }
    assert {k: tuple(v.shape[1:]) for k, v in out.items()} == expected
    assert all(v.shape[0] == 2 for v in out.values())
    assert all((v >= 0).all() for k, v in out.items() if k.startswith("relu"))


def test_truncated_after_deepest_requested_layer():
    vgg = VGG19Features(["relu2_2"])
    names = [n for n, _ in vgg.body.named_children()]
    assert names[-1] == "relu2_2" and "pool2" not in names


def test_quantized_weights_are_the_real_ones():
    state, prep = load_weights("caffe")
    assert prep == "caffe"
    w = state["conv1_1.weight"]
    assert w.shape == (64, 3, 3, 3) and state["conv5_4.weight"].shape == (512, 512, 3, 3)
    # 8-bit k-means quantization: at most 256 distinct values per layer, not random init.
    assert len(torch.unique(state["conv3_1.weight"])) <= 256
    assert w.abs().max() > 0.1 and torch.isfinite(w).all()


def test_caffe_preprocessing_is_bgr_0_255_mean_subtracted():
    vgg = VGG19Features(["relu1_1"])
    x = torch.zeros(1, 3, 2, 2)
    x[:, 0] = 1.0  # pure red
    n = vgg.normalize(x)
    # BGR order: channel 2 holds red.
    assert torch.allclose(
        n[0, :, 0, 0], torch.tensor([-103.939, -116.779, 255 - 123.68]), atol=1e-3
    )


def test_gradients_flow_to_the_image():
    vgg = VGG19Features(["relu3_1"])
    x = torch.rand(1, 3, 32, 32, requires_grad=True)
    vgg(x)["relu3_1"].square().mean().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert all(p.grad is None and not p.requires_grad for p in vgg.parameters())


def test_avg_pooling_differs_from_max():
    x = torch.rand(1, 3, 32, 32)
    a = VGG19Features(["relu2_1"], pooling="avg")(x)["relu2_1"]
    m = VGG19Features(["relu2_1"], pooling="max")(x)["relu2_1"]
    assert a.shape == m.shape and not torch.allclose(a, m)


def test_weight_file_path_round_trip(tmp_path):
    vgg = VGG19Features(["relu1_2"])
    path = tmp_path / "vgg.pth"
    torch.save({k: v for k, v in vgg.body.state_dict().items()}, path)
    x = torch.rand(1, 3, 16, 16)
    again = VGG19Features(["relu1_2"], weights=str(path))
    assert torch.allclose(again(x)["relu1_2"], vgg(x)["relu1_2"])


def test_unknown_layer_lists_valid_ones():
    with pytest.raises(BrushworkError, match="unknown VGG19 layer 'relu9_1'.*relu1_1.*pool5"):
        VGG19Features(["relu9_1"])


def test_unknown_weights_and_pooling():
    with pytest.raises(BrushworkError, match="caffe"):
        VGG19Features(["relu1_1"], weights="imagenet-foo")
    with pytest.raises(BrushworkError, match="pooling"):
        VGG19Features(["relu1_1"], pooling="min")


def test_torchvision_offline_error_says_use_caffe(monkeypatch):
    from torchvision.models import VGG19_Weights

    def offline(*args, **kwargs):
        raise OSError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(type(VGG19_Weights.IMAGENET1K_V1), "get_state_dict", offline)
    with pytest.raises(BrushworkError, match="offline.*vgg.weights=caffe"):
        VGG19Features(["relu1_1"], weights="torchvision")
