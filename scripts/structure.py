"""How much a reader has to follow: the package's size and the modules each path visits.

    python scripts/structure.py                 # static counts (no torch needed)
    BRUSHWORK_DATA=../shared/data python scripts/structure.py --paths   # + the two paths, traced

Static: files and lines of ``src/brushwork`` (Python), the longest functions, the functions over
60 lines, the constructors with the most arguments. ``--paths`` runs, in this process, (1)
``brushwork stylize photo.png -o out.png`` on a generated 512-px photo with the shipped model on
CPU and (2) a 2-step ``train style=starry_night experiment=smoke`` run, and lists the package's
modules whose functions ran (module and class bodies run at import do not count: a module
"visited" is one the path calls into). ``--json PATH`` writes the figures.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "brushwork"


def _functions(tree: ast.AST) -> list[tuple[str, int]]:
    """(qualified name, lines incl. docstring) of every function and method."""
    out: list[tuple[str, int]] = []

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = f"{prefix}{child.name}"
                out.append((name, child.end_lineno - child.lineno + 1))  # type: ignore[operator]
                walk(child, name + ".")
            elif isinstance(child, ast.ClassDef):
                walk(child, f"{prefix}{child.name}.")

    walk(tree, "")
    return out


def _init_args(tree: ast.AST) -> list[tuple[str, int]]:
    """(class, number of __init__ arguments besides self) for every class with an __init__."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                    a = item.args
                    n = len(a.posonlyargs) + len(a.args) + len(a.kwonlyargs) - 1
                    out.append((node.name, n))
    return out


def static_counts() -> dict:
    files = sorted(PACKAGE.rglob("*.py"))
    lines = functions = 0
    longest: list[tuple[int, str]] = []
    inits: list[tuple[int, str]] = []
    for path in files:
        text = path.read_text()
        lines += len(text.splitlines())
        tree = ast.parse(text)
        mod = path.relative_to(PACKAGE).with_suffix("").as_posix().replace("/", ".")
        for name, n in _functions(tree):
            functions += 1
            longest.append((n, f"{mod}.{name}"))
        inits += [(n, f"{mod}.{cls}") for cls, n in _init_args(tree)]
    longest.sort(reverse=True)
    inits.sort(reverse=True)
    return {
        "files": len(files),
        "lines": lines,
        "functions": functions,
        "functions_over_60_lines": [f"{name} ({n})" for n, name in longest if n > 60],
        "longest_functions": [f"{name} ({n})" for n, name in longest[:5]],
        "most_constructor_arguments": [f"{name} ({n})" for n, name in inits[:5]],
    }


def _trace(fn) -> list[str]:
    """The brushwork modules whose functions (not module bodies) ran while ``fn()`` ran."""
    seen: set[str] = set()
    prefix = str(PACKAGE) + "/"

    def profile(frame, event, arg):  # noqa: ANN001
        if event == "call":
            code = frame.f_code
            # Functions only: module and class bodies (run at import) have no CO_OPTIMIZED.
            if code.co_filename.startswith(prefix) and code.co_flags & inspect.CO_OPTIMIZED:
                seen.add(code.co_filename)
        return None

    import threading

    threading.setprofile(profile)
    sys.setprofile(profile)
    try:
        fn()
    finally:
        sys.setprofile(None)
        threading.setprofile(None)  # type: ignore[arg-type]
    return sorted(Path(f).relative_to(PACKAGE).as_posix() for f in seen)


def path_counts() -> dict:
    from brushwork.cli.main import main
    from brushwork.io.synthetic import photo

    out: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "photo.png", Path(tmp) / "out.png"
        photo("sky", 512, 512).save(src)
        stylize = ["stylize", str(src), "-o", str(dst), "--force"]
        main(stylize)  # the shipped model's ONNX copy cached first, as a user's second run finds it
        out["stylize"] = _trace(lambda: main(stylize))
        args = ["train", "style=starry_night", "experiment=smoke", "logger=none"]
        args += ["model.width=8", "model.n_residual=1", f"run_dir={tmp}/run", "trainer.max_steps=2"]
        out["train"] = _trace(lambda: main(args))
    for key in ("stylize", "train"):
        mods = out[key]
        n = sum(len((PACKAGE / m).read_text().splitlines()) for m in mods)
        out[key] = {"modules": len(mods), "lines": n, "visited": mods}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--paths", action="store_true", help="also trace stylize and train")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    figures = static_counts()
    if args.paths:
        figures["paths"] = path_counts()
    for key, value in figures.items():
        if key == "paths":
            for path, v in value.items():
                print(f"{path}: {v['modules']} modules, {v['lines']} lines")
                print("    " + ", ".join(v["visited"]))
        elif isinstance(value, list):
            print(f"{key} ({len(value)}):")
            for v in value:
                print(f"    {v}")
        else:
            print(f"{key}: {value}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
