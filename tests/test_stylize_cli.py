"""scripts/stylize.py end to end: folder mirroring, --json, no overwrite without --force, video, and
every bad input's one-line error with no traceback and no partial file."""

from __future__ import annotations

import importlib.util
import json
import math
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from brushwork.infer.model_file import FORMAT, FORMAT_VERSION, export_model
from brushwork.io.images import load_image, save_image
from brushwork.nn.nets import JohnsonNet

REPO = Path(__file__).resolve().parents[1]
SCRIPT = [sys.executable, str(REPO / "scripts" / "stylize.py")]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*SCRIPT, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def assert_clean_error(proc: subprocess.CompletedProcess, needle: str) -> None:
    assert proc.returncode != 0, proc.stdout
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1, proc.stderr
    assert needle in lines[0], lines[0]


def files_under(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    torch.manual_seed(0)
    net = JohnsonNet(width=4, n_residual=1)
    return export_model(net, tmp_path_factory.mktemp("model") / "tiny.pt", [{"name": "tiny"}])


class _Evil:
    marker: Path

    def __reduce__(self):
        return (os.system, (f"touch {_Evil.marker}",))


def _case(name: str, root: Path, model: Path) -> tuple[list[str], str]:
    """Set up one bad-input case in ``root``; return its arguments and the expected message."""
    save_image(torch.rand(1, 3, 20, 24), root / "in.png")
    args = ["in.png", "-o", "out.png"]
    if name == "missing model":
        return ["--model", "nope.pt", *args], "style model not found"
    if name == "foreign model":
        (root / "foreign.pt").write_bytes(pickle.dumps({"weights": [1, 2, 3]}))
        return ["--model", "foreign.pt", *args], "not a brushwork style model"
    if name == "malicious pickle":
        _Evil.marker = root / "pwned"
        with open(root / "evil.pt", "wb") as f:
            pickle.dump({"format": FORMAT, "version": 1, "x": _Evil()}, f)
        return ["--model", "evil.pt", *args], "not a brushwork style model"
    if name == "newer format":
        torch.save({"format": FORMAT, "version": FORMAT_VERSION + 1}, root / "new.pt")
        return ["--model", "new.pt", *args], "newer brushwork"
    if name == "unreadable image":
        (root / "bad.png").write_bytes(b"\x89PNG not really")
        return ["--model", str(model), "bad.png", "-o", "out.png"], "cannot read image"
    if name == "output under a file":
        (root / "file.txt").write_text("x")
        return ["--model", str(model), ".", "-o", "file.txt/styled"], "cannot create output"
    if name == "read-only output folder":
        (root / "ro").mkdir(mode=0o500)
        return ["--model", str(model), "in.png", "-o", "ro/out.png"], "not writable"
    if name == "strength 1.5":
        return ["--model", str(model), "--strength", "1.5", *args], "strength must be in [0, 1]"
    if name == "existing output file":
        save_image(torch.zeros(1, 3, 4, 4), root / "out.png")
        return ["--model", str(model), *args], "out.png exists; use --force"
    if name == "smooth without stable":
        return ["--model", str(model), "--smooth", "0.3", *args], "--smooth applies to --stable"
    if name == "smooth 0.95":
        _clip(root / "clip.mp4", False)
        args = ["--video", "clip.mp4", "-o", "out.mp4", "--stable", "--smooth", "0.95"]
        return ["--model", str(model), *args], "--smooth must be in [0, 0.9]"
    if name == "stable without video":
        return ["--model", str(model), "--stable", *args], "--stable applies to --video"
    if name.startswith("truncated video"):
        faststart = name.endswith("(index first)")
        data = _clip(root / "full.mp4", faststart).read_bytes()
        (root / "full.mp4").unlink()
        (root / "cut.mp4").write_bytes(data[: len(data) // 2])
        needle = "truncated or corrupt" if faststart else "cannot read video"
        return ["--model", str(model), "--video", "cut.mp4", "-o", "out.mp4"], needle
    if name == "stable with an onnx model":
        from brushwork.infer.exporters import convert

        _clip(root / "clip.mp4", False)
        convert(model, "onnx", root / "m.onnx")
        args = ["--model", "m.onnx", "--video", "clip.mp4", "-o", "out.mp4", "--stable"]
        return args, "use the .pt model"
    if name in STYLE_CASES:
        styles = [{"name": n} for n in ("starry_night", "great_wave")]
        net = JohnsonNet(width=4, n_residual=1, n_styles=2)
        export_model(net, root / "two.pt", styles)
        flags, needle = STYLE_CASES[name]
        return ["--model", "two.pt", *flags, *args], needle
    if name == "style a single-style model lacks":
        return ["--model", str(model), "--style", "candy", *args], "this model holds: tiny"
    assert name == "existing output in folder"
    (root / "styled").mkdir()
    save_image(torch.zeros(1, 3, 4, 4), root / "styled" / "in.png")
    return ["--model", str(model), ".", "-o", "styled"], "styled/in.png exists; use --force"


def _clip(path: Path, faststart: bool, seconds: float = 1.0) -> Path:
    """A small H.264 + AAC clip (ffmpeg's test pattern and a tone); its index first or last."""
    import imageio_ffmpeg

    flags = ["-movflags", "+faststart"] if faststart else []
    lavfi = ["-f", "lavfi", "-i"]
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", *lavfi,
         "testsrc=size=48x32:rate=10", *lavfi, "sine=frequency=440:sample_rate=22050",
         "-t", str(seconds), "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac",
         "-shortest", *flags, str(path)],
        check=True,
        timeout=60,
    )  # fmt: skip
    return path


VIDEO_CASES = {
    "smooth without stable",
    "smooth 0.95",
    "stable without video",
    "truncated video",
    "truncated video (index first)",
    "stable with an onnx model",
}
HAS_FFMPEG = importlib.util.find_spec("imageio_ffmpeg") is not None
HAS_ONNX = importlib.util.find_spec("onnxruntime") is not None


def _runnable(name: str) -> str | None:
    """Why case ``name`` cannot run here, or None."""
    if name == "read-only output folder" and os.geteuid() == 0:
        return "root can write into read-only folders"
    no_clip = {"stable without video", "smooth without stable"}
    if name in VIDEO_CASES - no_clip and not HAS_FFMPEG:
        return "needs imageio-ffmpeg"
    if name == "stable with an onnx model" and not HAS_ONNX:
        return "needs onnxruntime"
    return None


STYLE_CASES = {
    "unknown style": (["--style", "nope"], "unknown style 'nope'; this model holds: starry_night"),
    "mix naming an unknown style": (["--mix", "starry_night=1,nope=1"], "unknown style 'nope'"),
    "empty mix": (["--mix", ""], "--mix is empty"),
    "mix weight not a number": (["--mix", "great_wave=lots"], "is not a number: 'lots'"),
    "negative mix weight": (["--mix", "great_wave=-1"], "must be finite and >= 0"),
    "style and mix": (["--style", "great_wave", "--mix", "great_wave=1"], "not both"),
    "stroke scale below 1": (["--stroke-scale", "0.5"], "stroke scale must be in [1, 64]"),
    "stroke scale not a number": (["--stroke-scale", "huge"], "a number >= 1 or auto"),
}
CASES = [
    *sorted(VIDEO_CASES),
    *STYLE_CASES,
    "style a single-style model lacks",
    "missing model",
    "foreign model",
    "malicious pickle",
    "newer format",
    "unreadable image",
    "output under a file",
    "read-only output folder",
    "strength 1.5",
    "existing output file",
    "existing output in folder",
]


@pytest.fixture(scope="module")
def bad_runs(model, tmp_path_factory) -> dict[str, tuple]:
    """Every bad-input case run at once (each is a fresh interpreter: ~3 s of imports)."""
    started = {}
    for name in CASES:
        if _runnable(name):
            continue  # the test says why it is skipped
        root = tmp_path_factory.mktemp(name.replace(" ", "_"))
        args, needle = _case(name, root, model)
        before = files_under(root)
        proc = subprocess.Popen(
            [*SCRIPT, *args], cwd=root, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        started[name] = (proc, args, needle, root, before)
    done = {}
    for name, (proc, args, needle, root, before) in started.items():
        out, err = proc.communicate(timeout=300)
        done[name] = (
            subprocess.CompletedProcess(args, proc.returncode, out, err),
            needle,
            root,
            before,
        )
    return done


@pytest.mark.parametrize("name", CASES)
def test_bad_input_gives_one_error_line_and_no_files(bad_runs, name):
    if reason := _runnable(name):
        pytest.skip(reason)
    proc, needle, root, before = bad_runs[name]
    assert_clean_error(proc, needle)
    assert files_under(root) == before  # nothing written, no temp files, no marker
    assert not (root / "pwned").exists()


def test_folder_mode_mirrors_names_skips_unreadable_and_reports_json(model, tmp_path):
    src = tmp_path / "photos"
    (src / "sub").mkdir(parents=True)
    save_image(torch.rand(1, 3, 37, 45), src / "a.png")
    save_image(torch.rand(1, 3, 1, 30), src / "sub" / "strip.jpg")
    save_image(torch.rand(1, 3, 37, 45), src / "sub" / "same_size.png")
    (src / "sub" / "broken.jpg").write_bytes(b"\xff\xd8 truncated")
    proc = run(
        "--model", str(model), "photos", "-o", "styled", "--batch", "2", "--json", cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert (
        "Traceback" not in proc.stderr and "warning: skipped photos/sub/broken.jpg" in proc.stderr
    )
    report = json.loads(proc.stdout)
    assert report["images"] == 3 and len(report["skipped"]) == 1
    assert files_under(tmp_path / "styled") == {
        "a.png",
        "sub",
        "sub/strip.jpg",
        "sub/same_size.png",
    }
    for rec in report["files"]:
        assert (
            load_image(tmp_path / rec["output"]).shape == load_image(tmp_path / rec["input"]).shape
        )
        assert rec["seconds"] >= 0


def test_force_overwrites_a_single_file(model, tmp_path):
    # Without --force an existing output is an error: see "existing output file" above.
    save_image(torch.rand(1, 3, 21, 17), tmp_path / "in.png")
    save_image(torch.zeros(1, 3, 4, 4), tmp_path / "out.png")
    proc = run(
        "--model",
        str(model),
        "in.png",
        "-o",
        "out.png",
        "--force",
        "--strength",
        "0.5",
        "--preserve-color",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("stylized 1 image (")
    assert load_image(tmp_path / "out.png").shape == (1, 3, 21, 17)
    assert files_under(tmp_path) == {"in.png", "out.png"}


@pytest.mark.parametrize("stable", [False, True])
def test_video_keeps_frames_audio_and_size(model, tmp_path, stable: bool):
    if not HAS_FFMPEG:
        pytest.skip("needs imageio-ffmpeg")
    import imageio_ffmpeg

    _clip(tmp_path / "clip.mp4", False, seconds=0.5)
    flags = ["--stable", "--smooth", "0.3"] if stable else []
    proc = run(
        "--model", str(model), "--video", "clip.mp4", "-o", "out.mp4", "--json", *flags,
        cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["frames"] == 5 and report["audio"] and report["stable"] == stable
    assert (report["width"], report["height"], report["fps"]) == (48, 32, 10.0)
    exe = imageio_ffmpeg.get_ffmpeg_exe()
    probe = subprocess.run([exe, "-i", str(tmp_path / "out.mp4")], capture_output=True, text=True)
    streams = [ln for ln in probe.stderr.splitlines() if "Stream #" in ln]
    assert any("Video: h264" in s and "48x32" in s and "10 fps" in s for s in streams), streams
    assert any("Audio:" in s for s in streams), probe.stderr
    frames = imageio_ffmpeg.count_frames_and_secs(str(tmp_path / "out.mp4"))[0]
    assert frames == 5
    assert files_under(tmp_path) == {"clip.mp4", "out.mp4"}


def test_a_multi_style_model_lists_picks_and_mixes_its_styles(tmp_path):
    torch.manual_seed(0)
    net = JohnsonNet(width=4, n_residual=1, n_styles=2)
    for p in net.parameters():  # norms that differ per style, so the styles' outputs differ
        p.data.add_(torch.randn_like(p) * 0.3)
    styles = [{"name": "starry_night", "title": "The Starry Night", "artist": "Van Gogh"}]
    styles.append({"name": "great_wave"})
    export_model(net, tmp_path / "two.pt", styles)
    save_image(torch.rand(1, 3, 24, 32), tmp_path / "in.png")
    listed = run("--model", "two.pt", "--list-styles", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == ["starry_night (The Starry Night, Van Gogh)", "great_wave"]
    outs = {}
    for name, flags in {
        "a": ["--style", "starry_night"],
        "b": ["--style", "great_wave"],
        "mix": ["--mix", "starry_night=1,great_wave=1"],
    }.items():
        proc = run("--model", "two.pt", *flags, "in.png", "-o", f"{name}.png", cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        outs[name] = load_image(tmp_path / f"{name}.png")
    assert "normalised to 1: starry_night=0.50+great_wave=0.50" in proc.stderr
    assert not torch.equal(outs["a"], outs["b"])
    with torch.no_grad():
        x = load_image(tmp_path / "in.png")
        want = net(x, style=torch.tensor([0.5, 0.5]))
    torch.testing.assert_close(outs["mix"], want, rtol=0, atol=1.5 / 255)  # 8-bit output


def test_stroke_options_on_the_command_line(tmp_path):
    # README: --stroke-scale 4 (any model) and --stroke PX (a strokes=[...] model).
    torch.manual_seed(0)
    net = JohnsonNet(width=4, n_residual=1, n_styles=2)
    for p in net.parameters():
        p.data.add_(torch.randn_like(p) * 0.3)
    styles = [{"name": f"s@{px}", "stroke": px} for px in (32, 64)]
    export_model(net, tmp_path / "strokes.pt", styles)
    save_image(torch.rand(1, 3, 41, 57), tmp_path / "in.png")
    for name, flags in {"scaled": ["--stroke-scale", "2"], "between": ["--stroke", "45"]}.items():
        proc = run("--model", "strokes.pt", *flags, "in.png", "-o", f"{name}.png", cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
    assert load_image(tmp_path / "scaled.png").shape == (1, 3, 41, 57)
    with torch.no_grad():
        t = math.log(45 / 32) / math.log(64 / 32)  # 45 px: between, linear in log size
        want = net(load_image(tmp_path / "in.png"), style=torch.tensor([1 - t, t]))
    torch.testing.assert_close(load_image(tmp_path / "between.png"), want, rtol=0, atol=1.5 / 255)
    wrong = run("--model", "strokes.pt", "--stroke", "100", "in.png", "-o", "x.png", cwd=tmp_path)
    assert_clean_error(wrong, "within the trained sizes 32-64 px")
