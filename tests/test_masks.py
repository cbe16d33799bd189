"""Masks and regional styles: where a style paints (brushwork.infer.masks, the per-pixel mix of
brushwork.nn.conditional, the regions graph and ``brushwork stylize --mask / --region``)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from brushwork.errors import BrushworkError
from brushwork.infer import choices
from brushwork.infer.lite import OnnxStylizer, has_onnxruntime
from brushwork.infer.masks import Mask, area_from_options, region_maps
from brushwork.infer.model_file import export_model, load_model
from brushwork.io.synthetic import photo
from brushwork.nn.nets import ShuffleNet

REPO = Path(__file__).resolve().parents[1]
STYLE_NAMES = choices.record()["styles"]


def _stylize(*args: str, cwd: Path):
    import subprocess

    cmd = [sys.executable, "-m", "brushwork.cli.main", "stylize", *args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=300)


def _pixels(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB")).astype(int)


def _halves(root: Path, w: int = 120, h: int = 80) -> None:
    """A photo and two masks at half its size: ``right.png`` white on the right half,
    ``left.png`` its inverse, ``ramp.png`` a soft left-to-right ramp."""
    photo("masked", w, h).save(root / "photo.png")
    right = np.zeros((h // 2, w // 2), np.uint8)
    right[:, w // 4 :] = 255
    Image.fromarray(right).save(root / "right.png")
    Image.fromarray(255 - right).save(root / "left.png")
    ramp = np.tile(np.linspace(0, 255, w // 2).astype(np.uint8), (h // 2, 1))
    Image.fromarray(ramp).save(root / "ramp.png")


def test_a_mask_scales_to_the_photo_softly_and_inverts(tmp_path: Path) -> None:
    _halves(tmp_path)
    ramp = Mask(tmp_path / "ramp.png").at(80, 120)
    assert ramp.shape == (1, 1, 80, 120) and ramp.dtype == np.float32
    row = ramp[0, 0, 40]
    assert row[0] < 0.01 and row[-1] > 0.99 and np.all(np.diff(row) >= -1e-6)  # still a ramp
    assert 30 < np.sum((row > 0.05) & (row < 0.95)) < 120  # soft: many grey pixels between
    inverted = Mask(tmp_path / "ramp.png", invert=True).at(80, 120)
    np.testing.assert_allclose(inverted, 1 - ramp, atol=1e-6)
    rgba = np.zeros((10, 15, 4), np.uint8)
    rgba[..., :3], rgba[:, 8:, 3] = 255, 255  # white, transparent on the left
    Image.fromarray(rgba).save(tmp_path / "alpha.png")
    alpha = Mask(tmp_path / "alpha.png").at(10, 15)[0, 0]
    assert alpha[:, :7].max() == 0 and alpha[:, 9:].min() == 1


def test_a_mask_of_another_shape_or_not_an_image_is_refused(tmp_path: Path) -> None:
    _halves(tmp_path)
    with pytest.raises(BrushworkError, match=r"mask right.png is 60x40 but the photo is 80x80"):
        Mask(tmp_path / "right.png").at(80, 80)
    (tmp_path / "notes.png").write_text("not an image")
    with pytest.raises(BrushworkError, match=r"cannot read image .*notes.png"):
        Mask(tmp_path / "notes.png")
    Image.new("L", (6, 4), 128).save(tmp_path / "grey.png")
    area, notes = area_from_options(str(tmp_path / "grey.png"), False, [], ["x"])
    assert area is not None and notes and "--strength 0.50" in notes[0]


@pytest.mark.parametrize(
    "regions,styles,message",
    [
        (["candy=left.png"], ["starry"], "needs a model of several styles"),
        (["nope=left.png"], ["candy", "udnie"], "unknown style 'nope'"),
        (["a=left.png", "b=left.png", "a=right.png"], ["a", "b"], "3 regions but the model"),
        (["candy"], ["candy", "udnie"], "--region takes STYLE=MASK.png"),
    ],
)
def test_bad_regions_are_refused_in_one_line(tmp_path, regions, styles, message) -> None:
    _halves(tmp_path)
    regions = [r.replace("=", f"={tmp_path}/") if "=" in r else r for r in regions]
    with pytest.raises(BrushworkError, match=message):
        area_from_options(None, False, regions, styles)


def test_region_maps_mix_in_proportion_and_leave_the_photo_where_uncovered() -> None:
    a = np.zeros((1, 1, 2, 3), np.float32)
    b = np.zeros_like(a)
    a[..., 0, :] = [1.0, 0.5, 0.0]  # row 0: a only, overlap a = b, nothing
    b[..., 0, :] = [0.0, 0.5, 0.0]
    a[..., 1, :] = [0.25, 0.0, 0.0]  # row 1: a fading, b alone, b at full
    b[..., 1, :] = [0.0, 0.4, 1.0]
    mix, coverage = region_maps([a, b], [2, 0], 3)
    assert mix.shape == (1, 3, 2, 3) and coverage.shape == (1, 1, 2, 3)
    np.testing.assert_allclose(mix.sum(axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(mix[0, :, 0, 1], [0.5, 0.0, 0.5])  # overlap: half each
    np.testing.assert_allclose(mix[0, :, 0, 2], [0.5, 0.0, 0.5])  # uncovered: even mix
    np.testing.assert_allclose(coverage[0, 0], [[1.0, 1.0, 0.0], [0.25, 0.4, 1.0]])


def test_a_mix_per_pixel_paints_each_style_in_its_place() -> None:
    net, _ = load_model(choices.MODEL)
    x = torch.from_numpy(np.asarray(photo("map", 70, 45), np.float32).transpose(2, 0, 1)[None])
    x = x / 255
    with torch.no_grad():
        one = net(x, torch.tensor(4))
        uniform = torch.zeros(1, 10, 45, 70)
        uniform[:, 4] = 1
        assert torch.equal(net(x, uniform), one)  # a constant map is that style's net
        with pytest.raises(ValueError, match="a style map of"):
            net(x, torch.zeros(1, 10, 44, 70))
        half = torch.zeros(1, 10, 45, 70)
        half[:, 4, :, :35], half[:, 8, :, 35:] = 1, 1
        both = net(x, half)
        other = net(x, torch.tensor(8))
    # Each half is much closer to its own style's painting than to the other's.
    left, right = (slice(None), slice(None), slice(None), slice(0, 20)), (..., slice(50, 70))
    assert (both[left] - one[left]).abs().mean() < 0.5 * (both[left] - other[left]).abs().mean()
    assert (both[right] - other[right]).abs().mean() < 0.5 * (both[right] - one[right]).abs().mean()


@pytest.mark.skipif(not has_onnxruntime(), reason="needs onnxruntime")
def test_the_regions_graph_takes_the_mix_per_pixel_as_the_net_does(tmp_path: Path) -> None:
    from brushwork.infer.exporters import export_onnx

    torch.manual_seed(0)
    net = ShuffleNet(width=4, n_residual=1, n_styles=3).eval()
    for p in net.parameters():  # distinct styles: random norms
        p.data.add_(0.3 * torch.randn_like(p))
    info = {"styles": [{"name": n} for n in "abc"]}
    path = export_onnx(net, tmp_path / "r.onnx", info, regions=True)
    graph = OnnxStylizer(path)
    assert graph.regions
    for h, w in [(9, 11), (40, 64), (33, 50)]:  # below min_side, a multiple, odd
        x = torch.rand(1, 3, h, w)
        mix = torch.softmax(torch.randn(1, 3, h, w), dim=1)
        with torch.no_grad():
            want = net(x, mix).numpy()
        np.testing.assert_allclose(graph.run(x.numpy(), mix.numpy()), want, atol=1e-5)
    shipped_graph = OnnxStylizer(choices.REGIONS_ONNX)
    assert shipped_graph.regions and shipped_graph.styles == STYLE_NAMES


def test_stylize_with_a_mask_keeps_the_photo_where_black(tmp_path: Path) -> None:
    _halves(tmp_path)
    for backend in ("auto", "torch"):
        full = _stylize("photo.png", "-o", f"full-{backend}.png", "--style", "candy",
                        "--backend", backend, cwd=tmp_path)  # fmt: skip
        assert full.returncode == 0, full.stderr
        masks = {"m": ["--mask", "right.png"], "i": ["--mask", "right.png", "--mask-invert"]}
        for name, flags in masks.items():
            out = f"{name}-{backend}.png"
            proc = _stylize("photo.png", "-o", out, "--style", "candy", "--backend", backend,
                            *flags, cwd=tmp_path)  # fmt: skip
            assert proc.returncode == 0, proc.stderr
            p, f, o = (_pixels(tmp_path / n) for n in ("photo.png", f"full-{backend}.png", out))
            kept, painted = (slice(None), slice(0, 55)), (slice(None), slice(65, 120))
            if name == "i":
                kept, painted = painted, kept
            assert np.array_equal(o[kept], p[kept])  # black: the photo, byte for byte
            assert np.array_equal(o[painted], f[painted])  # white: the painting
    a, b = _pixels(tmp_path / "m-auto.png"), _pixels(tmp_path / "m-torch.png")
    assert np.abs(a - b).max() <= 1  # both paths paint the same pixels


def test_stylize_with_regions_paints_each_style_in_one_pass(tmp_path: Path) -> None:
    _halves(tmp_path)
    regions = ["--region", "candy=left.png", "--region", "the_scream=right.png"]
    outs = {}
    for backend in ("auto", "torch"):
        proc = _stylize("photo.png", "-o", f"{backend}.png", *regions, "--backend", backend,
                        cwd=tmp_path)  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        assert "note: painting" not in proc.stderr  # the regions choose the styles
        outs[backend] = _pixels(tmp_path / f"{backend}.png")
    assert np.abs(outs["auto"] - outs["torch"]).max() <= 1  # the regions graph = the net
    sides = {"candy": slice(0, 40), "the_scream": slice(80, 120)}
    alone = {}
    for style in sides:
        proc = _stylize("photo.png", "-o", f"{style}.png", "--style", style, cwd=tmp_path)
        assert proc.returncode == 0
        alone[style] = _pixels(tmp_path / f"{style}.png")
    photo_px, both = _pixels(tmp_path / "photo.png"), outs["auto"]
    for style, side in sides.items():
        # Each side is painted (not the photo) and in its own style more than in the other's.
        assert np.abs(both[:, side] - photo_px[:, side]).mean() > 10
        far = [
            np.abs(both[:, side] - alone[s][:, side]).mean()
            for s in (style, *sides.keys() - {style})
        ]
        assert far[0] < far[1], far
    kept = {}
    for backend in ("auto", "torch"):  # the photo's colours, the regions' brushwork
        proc = _stylize("photo.png", "-o", f"c-{backend}.png", *regions, "--preserve-color",
                        "--backend", backend, cwd=tmp_path)  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        kept[backend] = _pixels(tmp_path / f"c-{backend}.png")
    assert np.abs(kept["auto"] - kept["torch"]).max() <= 1
    half = _stylize("photo.png", "-o", "half.png", "--region", "candy=right.png",
                    "--stroke-scale", "2", cwd=tmp_path)  # fmt: skip
    assert half.returncode == 0, half.stderr
    h, p = _pixels(tmp_path / "half.png"), _pixels(tmp_path / "photo.png")
    assert np.array_equal(h[:, :55], p[:, :55])  # one region: the photo outside it


@pytest.mark.parametrize(
    "flags,message",
    [
        (["--mask", "square.png"], "but photo.png is 120x80"),
        (["--mask", "notes.png"], "cannot read image notes.png"),
        (["--region", "candy=left.png", "--style", "candy"], "--region picks the styles"),
        (["--region", "nope=left.png"], "unknown style 'nope'"),
        (["--mask", "right.png", "--region", "candy=left.png"], "not both"),
    ],
)
def test_bad_masks_exit_2_in_one_line_and_write_nothing(tmp_path, flags, message) -> None:
    _halves(tmp_path)
    Image.new("L", (50, 50), 255).save(tmp_path / "square.png")
    (tmp_path / "notes.png").write_text("not an image")
    proc = _stylize("photo.png", "-o", "out.png", *flags, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and message in errors[0], proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out.png").exists()


def test_a_single_style_model_takes_a_mask_but_no_regions(tmp_path: Path) -> None:
    _halves(tmp_path)
    torch.manual_seed(0)
    model = export_model(ShuffleNet(width=4, n_residual=1), tmp_path / "one.pt", [{"name": "one"}])
    proc = _stylize("photo.png", "-o", "o.png", "--model", str(model), "--mask", "right.png",
                    "--strength", "0.5", "--preserve-color", "--tile", "64", cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    o, p = _pixels(tmp_path / "o.png"), _pixels(tmp_path / "photo.png")
    assert np.array_equal(o[:, :55], p[:, :55]) and not np.array_equal(o[:, 65:], p[:, 65:])
    proc = _stylize("photo.png", "-o", "r.png", "--model", str(model), "--region",
                    "one=left.png", cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 2 and "needs a model of several styles" in proc.stderr


@pytest.mark.skipif(
    __import__("importlib").util.find_spec("imageio_ffmpeg") is None, reason="needs ffmpeg"
)
def test_one_mask_holds_for_a_whole_clip(tmp_path: Path) -> None:
    import subprocess

    import imageio_ffmpeg

    exe = imageio_ffmpeg.get_ffmpeg_exe()
    subprocess.run(
        [exe, "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10", "-t",
         "0.5", "-c:v", "libx264", "-pix_fmt", "yuv420p", str(tmp_path / "clip.mp4")],
        check=True, timeout=60,
    )  # fmt: skip
    right = np.zeros((24, 32), np.uint8)
    right[:, 16:] = 255
    Image.fromarray(right).save(tmp_path / "right.png")
    Image.new("L", (30, 30), 255).save(tmp_path / "square.png")

    def frames(name: str) -> np.ndarray:
        reader = imageio_ffmpeg.read_frames(str(tmp_path / name))
        next(reader)
        return np.stack([np.frombuffer(f, np.uint8).reshape(48, 64, 3) for f in reader])

    for flags in ([], ["--stable"]):
        out = f"out{len(flags)}.mp4"
        proc = _stylize("--video", "clip.mp4", "-o", out, "--style", "candy", "--mask",
                        "right.png", *flags, cwd=tmp_path)  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        src, got = frames("clip.mp4").astype(int), frames(out).astype(int)
        assert len(got) == len(src) == 5
        kept = np.abs(got[:, :, :26] - src[:, :, :26]).mean()  # H.264 on both: close, not equal
        painted = np.abs(got[:, :, 38:] - src[:, :, 38:]).mean()
        assert kept < 6 < painted, (kept, painted)
    bad = _stylize("--video", "clip.mp4", "-o", "bad.mp4", "--mask", "square.png", cwd=tmp_path)
    assert bad.returncode == 2 and "but the video (clip.mp4) is 64x48" in bad.stderr
    assert not (tmp_path / "bad.mp4").exists()
    regions = _stylize("--video", "clip.mp4", "-o", "r.mp4", "--stable", "--region",
                       "candy=right.png", cwd=tmp_path)  # fmt: skip
    assert regions.returncode == 2 and "drop --stable" in regions.stderr


def test_regions_tile_as_a_plain_run_tiles() -> None:
    """An 8K photo goes through tiles: regions there differ from the untiled pass no more than a
    plain run's tiles differ from its untiled pass (the same fixed statistics, the map cut like
    the photo)."""
    from brushwork.infer.masks import Area
    from brushwork.infer.stylizer import Stylizer
    from brushwork.io.images import pil_to_tensor

    x = pil_to_tensor(photo("tiles", 300, 200))
    left = np.zeros((200, 300), np.float32)
    left[:, :150] = 1
    area = Area(regions=[(0, Mask.of(left)), (8, Mask.of(1 - left))], n_styles=10)

    def run(tile: int, area=None) -> torch.Tensor:
        return Stylizer(choices.MODEL, "cpu", backend="torch", tile=tile)(x, area=area)

    regions = (run(96, area) - run(0, area)).abs().mean()
    plain = (run(96) - run(0)).abs().mean()
    assert regions <= 1.2 * plain + 1e-3, (regions, plain)
    tiled = run(96, area)
    own = {k: Stylizer(choices.MODEL, "cpu", backend="torch", tile=96, style=STYLE_NAMES[k])(x)
           for k in (0, 8)}  # fmt: skip
    left_side, right_side = (..., slice(0, 120)), (..., slice(180, 300))

    def far(a: torch.Tensor, b: torch.Tensor, side) -> float:
        return float((a[side] - b[side]).abs().mean())

    assert far(tiled, own[0], left_side) < far(tiled, own[8], left_side)
    assert far(tiled, own[8], right_side) < far(tiled, own[0], right_side)
