"""Video stability: clips with known motion, the warping error, stable inference (grid lock,
running instance-norm statistics, temporal filter, scene cuts) and the training stability term."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch
from measures import make_clip, warp_previous, warping_error

from brushwork.errors import BrushworkError
from brushwork.infer.flow import estimate_motion, frame_change, gray, warp
from brushwork.infer.stable import StableVideo
from brushwork.io.images import pil_to_tensor
from brushwork.io.synthetic import photo
from brushwork.nn.losses import PerceptualLoss
from brushwork.nn.nets import ShuffleNet
from brushwork.train.module import StyleTransferModule
from brushwork.train.photos import shifted_pair


@pytest.fixture(scope="module")
def picture() -> torch.Tensor:
    return pil_to_tensor(photo("video", 160, 120))


@pytest.fixture(scope="module")
def net() -> ShuffleNet:
    torch.manual_seed(0)
    return ShuffleNet(width=4, n_residual=1).eval()


@pytest.mark.parametrize("motion", ["pan", "zoom", "static"])
def test_known_motion_maps_each_frame_onto_the_next(picture, motion: str) -> None:
    clip = make_clip(picture, frames=6, size=(64, 80), motion=motion, step=2)
    assert clip.frames.shape == (6, 3, 64, 80)
    for t in range(5):
        rows, cols = (clip.rows[t], clip.rows[t + 1]), (clip.cols[t], clip.cols[t + 1])
        warped, mask = warp_previous(clip.frames[t], rows, cols)
        assert torch.equal(warped[:, mask], clip.frames[t + 1][:, mask])
        if motion == "pan":  # (1, 2) px a frame: the rest of the frame is new content
            assert int(mask.sum()) == (64 - 1) * (80 - 2)
        else:  # a zoom in (or no motion) shows nothing new
            assert bool(mask.all())
    assert warping_error(clip.frames, clip) == 0.0


def test_motion_really_moves_the_picture(picture) -> None:
    pan = make_clip(picture, frames=3, size=(64, 80), motion="pan", step=4)
    assert torch.equal(pan.frames[1, :, :-2, :-4], pan.frames[0, :, 2:, 4:])  # 2 down, 4 right
    zoom = make_clip(picture, frames=3, size=(64, 80), motion="zoom", step=2)
    assert not torch.equal(zoom.frames[0], zoom.frames[1])
    # Against frames that do not follow the motion, the error is far from 0.
    assert warping_error(pan.frames.flip(0), pan) > 0.02


def test_noise_and_brightness_show_in_the_inputs_error() -> None:
    grey = torch.full((1, 3, 120, 160), 0.5)
    sigma = 0.02
    noisy = make_clip(grey, frames=4, size=(64, 64), noise=sigma, seed=1)
    # |n1 - n2| of two N(0, σ²) draws has mean 2σ/√π.
    assert warping_error(noisy.frames, noisy) == pytest.approx(2 * sigma / torch.pi**0.5, rel=0.05)
    ramp = make_clip(grey, frames=5, size=(64, 64), brightness=0.2)
    assert ramp.frames[-1].mean() == pytest.approx(0.6, abs=1e-5)
    assert warping_error(ramp.frames, ramp) == pytest.approx(0.1 / 4 * 1, rel=1e-4)


def test_warping_error_is_the_mean_absolute_difference(picture) -> None:
    clip = make_clip(picture, frames=4, size=(32, 32), motion="static")
    frames = clip.frames.clone()
    frames[1::2] += 0.1
    assert warping_error(frames, clip) == pytest.approx(0.1, rel=1e-5)
    with pytest.raises(BrushworkError, match="do not match"):
        warping_error(frames[:3], clip)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"size": (200, 200)}, "needs a photo of at least"),
        ({"motion": "spin"}, "motion"),
        ({"frames": 1}, "frames >= 2"),
        ({"motion": "zoom", "step": 10, "frames": 8, "size": (64, 64)}, "larger frame"),
    ],
)
def test_bad_clips_are_refused(picture, kwargs: dict, message: str) -> None:
    with pytest.raises(BrushworkError, match=message):
        make_clip(picture, **kwargs)


def test_estimated_motion_is_the_known_one(picture) -> None:
    big = torch.nn.functional.interpolate(picture, size=(300, 400), mode="bilinear")
    clip = make_clip(big, frames=2, size=(192, 256), motion="pan", step=6)
    shift, flow = estimate_motion(clip.frames[:1], clip.frames[1:])
    assert shift == (3, 6)
    assert torch.allclose(flow, torch.tensor([3.0, 6.0]).view(2, 1, 1))
    moved, valid = warp(clip.frames[:1], flow)
    assert torch.allclose(moved[0][:, valid], clip.frames[1][:, valid], atol=1e-5)


def test_every_other_block_finds_the_same_motion_and_a_smooth_field(picture) -> None:
    """Blocks sampled every 2nd row and column (what a clip uses) agree with all of them on a
    pan; on a zoom the flow is the blocks' shifts at their centres and in between, a blend."""
    big = torch.nn.functional.interpolate(picture, size=(700, 900), mode="bilinear")
    pan = make_clip(big, frames=2, size=(448, 640), motion="pan", step=4)
    a, b = pan.frames[:1], pan.frames[1:]
    assert estimate_motion(a, b, every=2)[0] == estimate_motion(a, b)[0] == (2, 4)
    assert torch.equal(
        estimate_motion(gray(a), gray(b), every=2)[1], estimate_motion(a, b, every=2)[1]
    )
    zoom = make_clip(big, frames=2, size=(448, 640), motion="zoom", step=8)
    _, flow = estimate_motion(zoom.frames[:1], zoom.frames[1:], every=2)
    _, full = estimate_motion(zoom.frames[:1], zoom.frames[1:])
    # Sampled blocks: rows 0, 2, 4, 6 and columns 0, 2, ..., 8 of the 7 x 10 grid of 64² blocks;
    # pixel 32 + 128 i is half a pixel past a sampled block's centre (and a block too flat to
    # tell takes the median of the blocks used, which differs a little between the two).
    centres = 32 + 128 * torch.arange(4), 32 + 128 * torch.arange(5)
    at, want = (f[:, centres[0]][:, :, centres[1]] for f in (flow, full))
    torch.testing.assert_close(at, want, atol=0.2, rtol=0)
    between = flow[:, 96, 96]  # halfway between the centres (32, 32) and (160, 160)
    corners = flow[:, 32, 32], flow[:, 160, 160], flow[:, 32, 160], flow[:, 160, 32]
    torch.testing.assert_close(between, sum(corners) / 4, atol=0.05, rtol=0)
    assert flow[0].amin() < -1 and flow[0].amax() > 1  # a zoom: rows move apart


def test_warping_a_region_is_the_same_part_of_the_whole_warp(picture) -> None:
    x = picture[None] if picture.dim() == 3 else picture
    h, w = x.shape[-2:]
    ys, xs = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    smooth = torch.stack([0.3 + ys / h, -1.7 + xs / w])  # a zoom-like, fractional flow
    for flow, exact in ((smooth, False), (torch.full((2, h, w), 2.0), True)):
        whole, valid = warp(x, flow)
        for region in ((0, 3, 0, w), (5, h, w - 4, w)):
            y0, y1, x0, x1 = region
            part, inside = warp(x, flow, region)
            assert torch.equal(inside, valid[y0:y1, x0:x1])
            want = whole[..., y0:y1, x0:x1]
            if exact:  # whole pixels are copies, bit for bit
                assert torch.equal(part[..., inside], want[..., inside])
            else:
                torch.testing.assert_close(part, want, rtol=0, atol=1e-5)


def test_the_cut_test_sees_cuts_not_noise_or_motion(picture) -> None:
    x = picture[None] if picture.dim() == 3 else picture
    still = torch.zeros(2, *x.shape[-2:])
    assert frame_change(x, x, still) == 0
    g = torch.Generator().manual_seed(0)
    noisy = (x + 0.05 * torch.randn(x.shape, generator=g)).clamp(0, 1)
    moved = torch.roll(x, (2, 3), dims=(-2, -1))  # cur[y, x] = prev[y - 2, x - 3]
    flow = torch.tensor([-2.0, -3.0])[:, None, None].expand_as(still)
    other = torch.flip(x, dims=(-1, -2))  # another picture
    assert frame_change(x, noisy, still) < 0.02  # σ 0.05 per pixel, averaged over 4x4 cells
    assert frame_change(x, moved, flow) < 0.02  # the motion undone
    assert frame_change(x, other, still) > 0.12  # the default cut threshold


def test_a_static_clip_gives_identical_frames_equal_to_the_net(picture, net) -> None:
    clip = make_clip(picture, frames=4, size=(64, 64), motion="static")
    stable = StableVideo(net)
    out = [stable(f[None]) for f in clip.frames]
    with torch.inference_mode():
        alone = net(clip.frames[:1])
    for y in out:
        assert torch.equal(y, out[0])
    assert torch.allclose(out[0], alone, atol=1e-5)


def test_without_its_fixes_stable_is_per_frame(picture, net) -> None:
    clip = make_clip(picture, frames=4, size=(64, 64), motion="pan", step=2)
    stable = StableVideo(net, blend=0.0, grid_lock=False)
    with torch.inference_mode():
        for f in clip.frames:
            assert torch.allclose(stable(f[None]), net(f[None]), atol=1e-5)


def _interior_error(frames: torch.Tensor, clip, margin: int) -> float:
    errors = []
    for t in range(frames.shape[0] - 1):
        rows, cols = (clip.rows[t], clip.rows[t + 1]), (clip.cols[t], clip.cols[t + 1])
        warped, mask = warp_previous(frames[t], rows, cols)
        mask[:margin], mask[-margin:], mask[:, :margin], mask[:, -margin:] = (
            False,
            False,
            False,
            False,
        )
        errors.append((frames[t + 1] - warped).abs().mean(0)[mask].mean())
    return float(torch.stack(errors).mean())


class _HeldNorm(torch.nn.Module):
    """An instance norm that keeps the statistics of the first input it sees."""

    def __init__(self, norm: torch.nn.InstanceNorm2d) -> None:
        super().__init__()
        self.norm, self.stats = norm, None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stats is None:
            self.stats = torch.var_mean(x, dim=(2, 3), keepdim=True, unbiased=False)
        var, mean = self.stats
        y = (x - mean) * torch.rsqrt(var + self.norm.eps)
        return y * self.norm.weight[:, None, None] + self.norm.bias[:, None, None]


def _held_statistics(net: ShuffleNet) -> ShuffleNet:
    """``net`` with each instance norm holding its first frame's statistics: then only the stride
    grid can make a shifted frame come out differently."""
    held = copy.deepcopy(net)
    for name, module in list(held.named_modules()):
        if isinstance(module, torch.nn.InstanceNorm2d):
            parent, _, attr = name.rpartition(".")
            setattr(held.get_submodule(parent) if parent else held, attr, _HeldNorm(module))
    return held


def test_grid_lock_makes_a_pan_move_the_output_along(picture, net) -> None:
    """With the content kept on the stride grid, the inside of a panned frame is the previous
    output moved: only the borders differ (the norms hold the first frame's statistics, so that
    the grid is all that can differ)."""
    big = torch.nn.functional.interpolate(picture, size=(240, 320), mode="bilinear")
    clip = make_clip(big, frames=5, size=(128, 160), motion="pan", step=2)
    runs = {}
    for lock in (False, True):
        stable = StableVideo(_held_statistics(net), blend=0.0, grid_lock=lock)
        runs[lock] = torch.cat([stable(f[None]) for f in clip.frames])
    assert _interior_error(runs[True], clip, 40) < 1e-4
    assert _interior_error(runs[False], clip, 40) > 1e-3
    assert warping_error(runs[True], clip) < 0.5 * warping_error(runs[False], clip)


def test_grain_stays_with_the_scene_on_a_pan(picture) -> None:
    """A net with grain paints from a fixed noise field: the stable path moves the field with
    the content, so a pan (2 px a frame, not a whole stride) moves the output along as it does
    without grain; a field fixed to the window slides under the scene instead."""
    torch.manual_seed(0)
    grainy = _held_statistics(ShuffleNet(width=4, n_residual=1, grain=0.5).eval())
    big = torch.nn.functional.interpolate(picture, size=(240, 320), mode="bilinear")
    clip = make_clip(big, frames=5, size=(128, 160), motion="pan", step=2)
    runs = {}
    for anchored in (True, False):
        stable = StableVideo(grainy)
        if not anchored:
            stable.grain_at = None  # the field at the window's top-left, as before the fix
        runs[anchored] = torch.cat([stable(f[None]) for f in clip.frames])
    assert _interior_error(runs[True], clip, 40) < 1e-4
    assert _interior_error(runs[False], clip, 40) > 1e-3
    assert grainy.grain_origin == (0, 0)  # photos stylized afterwards see the usual field


def test_a_grain_net_pans_alike_in_onnx_runtime_and_in_torch(picture, tmp_path) -> None:
    """The ONNX graph of a net with grain takes the window's place in the scene as an input:
    the stable path runs there (the per-frame runtime) and paints what the torch net paints."""
    pytest.importorskip("onnxruntime")
    from brushwork.infer.model_file import export_model
    from brushwork.infer.stylizer import Stylizer
    from brushwork.infer.video import stable_clip

    torch.manual_seed(0)
    model = export_model(ShuffleNet(width=4, n_residual=1, grain=0.5), tmp_path / "g.pt", [{}])
    big = torch.nn.functional.interpolate(picture, size=(120, 160), mode="bilinear")
    clip = make_clip(big, frames=3, size=(64, 80), motion="pan", step=2)
    runs = {}
    for backend in ("onnxruntime", "torch"):
        stylizer = Stylizer(model, device="cpu", backend=backend)
        stable = stable_clip(stylizer)
        runs[backend] = torch.cat([stylizer(f[None], clip=stable) for f in clip.frames])
    assert stylizer.backend == "torch" and runs["torch"].std() > 0.01
    torch.testing.assert_close(runs["onnxruntime"], runs["torch"], atol=1e-4, rtol=0)


def test_the_temporal_filter_calms_noise(picture, net) -> None:
    clip = make_clip(picture, frames=6, size=(64, 64), motion="static", noise=0.03)
    errors = []
    for blend in (0.0, 0.7):
        stable = StableVideo(net, blend=blend)
        errors.append(warping_error(torch.cat([stable(f[None]) for f in clip.frames]), clip))
    assert errors[1] < 0.6 * errors[0]


def test_a_scene_cut_starts_afresh(net) -> None:
    a = make_clip(pil_to_tensor(photo("a", 96, 96)), frames=3, size=(64, 64), motion="pan")
    b = make_clip(pil_to_tensor(photo("b", 96, 96)), frames=3, size=(64, 64), motion="pan")
    stable = StableVideo(net)
    for f in a.frames:
        stable(f[None])
    assert stable.cuts == 0
    first_b = stable(b.frames[:1])
    assert stable.cuts == 1
    with torch.inference_mode():
        assert torch.allclose(first_b, net(b.frames[:1]), atol=1e-5)
    with pytest.raises(BrushworkError, match="same size"):
        stable(torch.rand(1, 3, 32, 32))
    with pytest.raises(BrushworkError, match="0 <= blend < 1"):
        StableVideo(net, blend=1.0)


def test_the_stability_term_pulls_outputs_together(net) -> None:
    loss = PerceptualLoss(["relu1_1"], [], style_weight=0, temporal_weight=3.0)
    x = torch.rand(2, 3, 32, 32)
    moved, (dy, dx) = shifted_pair(
        x, max_shift=8, noise=0.0, generator=torch.Generator().manual_seed(3)
    )
    assert torch.equal(moved, x[..., dy:, dx:])
    assert float(loss.stability(x, moved, (dy, dx))) == 0.0  # the identity is perfectly stable
    trained = ShuffleNet(width=4, n_residual=1)
    noisy, shift = shifted_pair(x, 8, 0.05, torch.Generator().manual_seed(4))
    term = loss.stability(trained(x), trained(noisy), shift)
    term.backward()
    assert term > 0
    grads = [p.grad for p in trained.parameters() if p.grad is not None]
    assert grads and any(float(g.abs().sum()) > 0 for g in grads)
    with torch.no_grad():
        a, b = trained(x), trained(noisy)
    full = float(loss.stability(a, b, shift))
    loss.temporal_weight = 1.5  # the term is linear in its weight (no second VGG load)
    assert float(loss.stability(a, b, shift)) == pytest.approx(full / 2)


def test_training_logs_the_temporal_term(data_dir: Path) -> None:
    module = StyleTransferModule(
        model={"arch": "shuffle", "width": 4, "n_residual": 1, "separable": True},
        loss={
            "content_layers": ["relu2_2"],
            "style_layers": ["relu1_2", "relu2_2"],
            "temporal_weight": 10.0,
        },
        styles=[{"name": "starry_night"}],
        paintings=[str(data_dir / "styles" / "starry_night.jpg")],
        style_sizes=[32],
    )
    logged = {}
    module.log = lambda name, value, **kw: logged.__setitem__(name, float(value))
    total = module.training_step({"content": torch.rand(2, 3, 32, 32)}, 0)
    parts = sum(logged[f"train/{k}"] for k in ("content", "style", "tv", "temporal"))
    assert logged["train/temporal"] > 0
    assert float(total) == pytest.approx(parts, rel=1e-5)
    module.validation_step({"content": torch.rand(2, 3, 32, 32)}, 0)
    assert "val/temporal" not in logged


def test_onnxruntime_runs_the_same_clip(picture, net, tmp_path) -> None:
    pytest.importorskip("onnxruntime")
    from brushwork.infer.exporters import export_onnx
    from brushwork.infer.lite import OnnxStylizer

    graph = OnnxStylizer(export_onnx(net, tmp_path / "net.onnx"))
    clip = make_clip(picture, frames=4, size=(60, 76), motion="pan", step=2, noise=0.02)
    outs = []
    for plain in (None, lambda w: torch.from_numpy(graph.run(w.numpy()))):
        stable = StableVideo(net, blend=0.5, plain=plain)
        outs.append(torch.cat([stable(f[None]) for f in clip.frames]))
    assert (outs[0] - outs[1]).abs().max() < 1e-4
