"""The inference file: round trip, weights_only safety, version and format errors."""

from __future__ import annotations

import importlib.util
import os
import pickle
from pathlib import Path

import pytest
import torch

from brushwork.errors import BrushworkError
from brushwork.infer.model_file import (
    FORMAT,
    FORMAT_VERSION,
    export_model,
    load_model,
)
from brushwork.nn.nets import JohnsonNet, ShuffleNet

STYLE = {"name": "starry_night", "title": "The Starry Night", "url": "https://example.org/s.jpg"}


@pytest.fixture
def net() -> JohnsonNet:
    torch.manual_seed(0)
    return JohnsonNet(width=4, n_residual=1, separable=True).eval()


def test_round_trip_same_outputs(net: JohnsonNet, tmp_path: Path) -> None:
    path = export_model(net, tmp_path / "s.pt", [STYLE], extra={"steps": 7})
    assert path == tmp_path / "s.pt"
    assert [p.name for p in tmp_path.iterdir()] == ["s.pt"]  # no temp file left behind
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # as open() would create it, not 0600
    loaded, info = load_model(path)
    assert loaded.model_args == {"arch": "johnson", "width": 4, "n_residual": 1, "separable": True}
    assert (
        info["style"] == STYLE and info["meta"]["steps"] == 7 and info["version"] == FORMAT_VERSION
    )
    assert not loaded.training
    x = torch.rand(1, 3, 23, 37)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), net(x))


def test_shuffle_net_round_trip(tmp_path: Path) -> None:
    torch.manual_seed(0)
    net = ShuffleNet(width=4, n_residual=1, separable=True).eval()
    loaded, _ = load_model(export_model(net, tmp_path / "s.pt", [STYLE]))
    assert loaded.model_args["arch"] == "shuffle" and isinstance(loaded, ShuffleNet)
    x = torch.rand(1, 3, 21, 30)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), net(x))


def _legacy_file(net, path: Path, version: int) -> Path:
    """A model file of an older format: its layout named by ``resample`` (v2), by nothing (v1:
    Johnson's layout only), without the shuffle net's way up (v3, v4) or with a `style` field (v5)."""
    resample = {"johnson": "conv", "shuffle": "shuffle"}[net.arch]
    arch = {"width": net.width, "n_residual": net.n_residual, "separable": net.separable}
    if version == 2:
        arch["resample"] = resample
    state = {k: v.detach().clone() for k, v in net.state_dict().items()}
    payload = {
        "format": FORMAT,
        "version": version,
        "arch": arch,
        "state_dict": state,
        "style": STYLE,  # v5 and older: one style beside the list (styles, of several)
        "meta": {"torch": "2.14.1"},
    }
    torch.save(payload, path)
    return path


@pytest.mark.parametrize(
    ("version", "cls"), [(1, JohnsonNet), (2, ShuffleNet), (4, ShuffleNet), (5, ShuffleNet)]
)
def test_older_format_versions_are_refused_in_one_line(version: int, cls: type, tmp_path) -> None:
    net = cls(width=4, n_residual=1, separable=True).eval()
    path = _legacy_file(net, tmp_path / "old.pt", version)
    with pytest.raises(BrushworkError) as e:
        load_model(path)
    assert str(e.value) == (
        f"{path} is a model file of format v{version}, from an older brushwork; this one reads "
        f"v{FORMAT_VERSION}: train the style again (or stylize with that version)"
    )


def test_compiled_net_is_exported_uncompiled(net: JohnsonNet, tmp_path: Path) -> None:
    compiled = torch.compile(net)  # wrapping only; nothing is compiled until called
    assert any(k.startswith("_orig_mod.") for k in compiled.state_dict())
    path = export_model(compiled, tmp_path / "c.pt", [STYLE])
    state = torch.load(path, weights_only=True)["state_dict"]
    assert not any("_orig_mod" in k for k in state)
    load_model(path)


def test_file_holds_only_plain_data(net: JohnsonNet, tmp_path: Path) -> None:
    payload = torch.load(export_model(net, tmp_path / "s.pt", [STYLE]), weights_only=True)
    assert payload["format"] == FORMAT and payload["version"] == FORMAT_VERSION
    assert set(payload) == {"format", "version", "arch", "state_dict", "styles", "meta"}
    assert all(t.device.type == "cpu" for t in payload["state_dict"].values())


class _Evil:
    def __reduce__(self):
        return (os.system, (f"touch {_Evil.marker}",))


def test_malicious_pickle_is_rejected_without_running(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    _Evil.marker = marker
    path = tmp_path / "evil.pt"
    with open(path, "wb") as f:
        pickle.dump({"format": FORMAT, "version": 1, "x": _Evil()}, f)
    with pytest.raises(BrushworkError, match="not a brushwork style model"):
        load_model(path)
    assert not marker.exists()


@pytest.mark.parametrize(
    "content",
    [
        b"\x00\x01garbage bytes, not a pickle" * 10,
        pickle.dumps({"weights": [1, 2, 3]}, protocol=2),
        "torch-dict",
        "checkpoint",
    ],
    ids=["random-bytes", "plain-pickle", "torch-dict", "checkpoint"],
)
def test_not_an_export(content, tmp_path: Path) -> None:
    path = tmp_path / "x.pt"
    if content == "torch-dict":
        torch.save({"state_dict": {"a": torch.zeros(1)}}, path)
    elif content == "checkpoint":
        torch.save({"state_dict": {}, "hyper_parameters": {"width": 4}, "global_step": 2}, path)
    else:
        path.write_bytes(content)
    with pytest.raises(BrushworkError, match="is not a brushwork style model") as e:
        load_model(path)
    assert "\n" not in str(e.value)


def test_newer_version_asks_to_upgrade(net: JohnsonNet, tmp_path: Path) -> None:
    path = export_model(net, tmp_path / "s.pt", [STYLE])
    payload = torch.load(path, weights_only=True)
    torch.save(payload | {"version": FORMAT_VERSION + 1}, path)
    newer = rf"newer brushwork \(format v{FORMAT_VERSION + 1}\); this one reads v{FORMAT_VERSION}"
    with pytest.raises(BrushworkError, match=newer):
        load_model(path)


def test_weights_not_matching_arch(net: JohnsonNet, tmp_path: Path) -> None:
    path = export_model(net, tmp_path / "s.pt", [STYLE])
    payload = torch.load(path, weights_only=True)
    wider = {"arch": "johnson", "width": 8, "n_residual": 1, "separable": True}
    torch.save(payload | {"arch": wider}, path)
    with pytest.raises(BrushworkError, match="do not match architecture") as e:
        load_model(path)
    assert "\n" not in str(e.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(BrushworkError, match="not found"):
        load_model(tmp_path / "nope.pt")


def test_export_needs_no_lightning_hydra_or_vgg() -> None:
    import subprocess
    import sys

    code = (
        "import sys, brushwork.infer.model_file; "
        "bad = [m for m in ('pytorch_lightning', 'lightning', 'hydra', 'brushwork.nn.vgg', "
        "'brushwork.nn.losses') if m in sys.modules]; print(bad); sys.exit(bool(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def _upgrade_script():
    spec = importlib.util.spec_from_file_location(
        "upgrade_model", Path(__file__).resolve().parents[1] / "scripts" / "upgrade_model.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("n_styles", [1, 3])
def test_v5_file_upgrades_to_the_current_format_with_the_same_weights(n_styles, tmp_path) -> None:
    torch.manual_seed(0)
    net = ShuffleNet(width=4, n_residual=1, n_styles=n_styles).eval()
    styles = [{"name": f"s{k}", "title": f"S{k}"} for k in range(n_styles)]
    current = torch.load(export_model(net, tmp_path / "new.pt", styles), weights_only=True)
    v5 = {k: v for k, v in current.items() if k != "styles"} | {"version": 5}
    v5 |= (
        {"style": styles[0]} if n_styles == 1 else {"styles": styles, "style": {"name": "s0+s1+s2"}}
    )
    torch.save(v5, tmp_path / "old.pt")
    with pytest.raises(BrushworkError, match="format v5, from an older brushwork"):
        load_model(tmp_path / "old.pt")
    out = _upgrade_script().upgrade(tmp_path / "old.pt", tmp_path / "up.pt")
    loaded, info = load_model(out)
    assert info["styles"] == styles and info["meta"]["upgraded"] == {"from": 5}
    assert set(torch.load(out, weights_only=True)) == set(current)
    x, kw = torch.rand(1, 3, 24, 24), {"style": 0} if n_styles > 1 else {}
    with torch.no_grad():
        torch.testing.assert_close(loaded(x, **kw), net(x, **kw))
    with pytest.raises(BrushworkError, match="not a brushwork model file of format v5"):
        _upgrade_script().upgrade(out, tmp_path / "again.pt")
