"""The architecture's rules, read off the source: subpackages import one way, without circles, and
the inference API loads none of the training stack."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "brushwork"

# What each layer may import besides itself and the package root (brushwork, brushwork.errors):
# io <- nn <- {gatys, infer} <- {evaluate, calibrate, app} <- train <- cli, with config (the Hydra
# schemas and groups) beside io for everything that reads configs. infer never sees config.
ALLOWED = {
    "io": set(),
    "config": {"io"},
    "nn": {"io"},
    "gatys": {"io", "nn", "config"},
    "infer": {"io", "nn"},
    "evaluate": {"io", "nn", "config", "gatys", "infer"},
    "calibrate": {"io", "nn", "config", "gatys"},
    "app": {"io", "nn", "config", "gatys", "infer"},
    "train": {"io", "nn", "config", "gatys", "infer", "evaluate", "calibrate"},
    "cli": {"io", "nn", "config", "gatys", "infer", "evaluate", "calibrate", "train", "app"},
}
ROOT_MODULES = {"brushwork", "brushwork.errors", "brushwork.lazy"}
ENTRY = {"brushwork.__main__"}  # python -m brushwork: the top, like cli


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _imports(path: Path) -> set[str]:
    """brushwork modules imported anywhere in ``path`` (function-level imports count too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("brushwork")}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("brushwork"):
            for alias in node.names:  # `from brushwork.io import images` imports a module
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in MODULES else node.module)
    return found


GRAPH = {name: _imports(path) for name, path in MODULES.items()}


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ALLOWED else None


def test_every_module_belongs_to_a_layer() -> None:
    loose = sorted(m for m in MODULES if m not in ROOT_MODULES | ENTRY and _layer(m) is None)
    assert not loose, f"modules outside the layers: {loose}"


@pytest.mark.parametrize("layer", ALLOWED)
def test_imports_run_one_way(layer: str) -> None:
    upward = sorted(
        f"{module} imports {dep}"
        for module, deps in GRAPH.items()
        if _layer(module) == layer
        for dep in deps
        if dep not in ROOT_MODULES and _layer(dep) not in ALLOWED[layer] | {layer}
    )
    assert not upward, "\n".join(upward)


def test_no_import_circles() -> None:
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            cycle = path[path.index(module) :] + [module]
            pytest.fail("import circle: " + " -> ".join(cycle))
        if module in done:
            return
        for dep in sorted(GRAPH.get(module, ())):
            visit(dep, [*path, module])
        done.add(module)

    for module in sorted(GRAPH):
        visit(module, [])


def test_the_rules_see_real_imports() -> None:
    # Guards the two tests above against parsing nothing: known edges are found.
    assert "brushwork.io.files" in GRAPH["brushwork.io.images"]
    assert "brushwork.nn.losses" in GRAPH["brushwork.gatys.optimizer"]
    assert "brushwork.infer.model_file" in GRAPH["brushwork.train.export"]


def test_inference_api_loads_no_training_stack() -> None:
    code = (
        "import sys, brushwork.infer; from brushwork.infer import Stylizer, load_model; "
        "bad = [m for m in ('pytorch_lightning', 'lightning', 'hydra', 'omegaconf', 'wandb', "
        "'brushwork.nn.vgg', 'brushwork.nn.losses', 'brushwork.config') if m in sys.modules]; "
        "print(bad); sys.exit(bool(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_no_function_is_longer_than_60_lines() -> None:
    # One path a reader can follow: a function that needs more is two ideas (issue: one way through).
    long = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1  # type: ignore[operator]
                if n > 60:
                    long.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name} ({n})")
    assert not long, long
    assert len(list(PACKAGE.rglob("*.py"))) > 90  # the walk saw the package
