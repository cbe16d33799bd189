"""``brushwork <command> ...``: one entry point for every command.

Hydra commands (train, gatys, calibrate, targets) take Hydra overrides (``key=value``, ``-m``,
``--cfg job``); the others take options (``--help`` on each). Commands are imported only when
run, so ``brushwork --help`` answers without loading torch.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from brushwork.errors import BrushworkError

T = TypeVar("T")

# name -> (module under brushwork.cli, one line for --help). Hydra commands' modules define
# run(cfg) and compose configs/<HYDRA_CONFIGS[name]>.yaml; the others define main(argv, prog).
COMMANDS: dict[str, tuple[str, str]] = {
    "train": ("train", "train a feed-forward style network and export it (Hydra overrides)"),
    "gatys": ("gatys", "stylize one photo with the Gatys optimizer (Hydra overrides)"),
    "stylize": ("stylize", "stylize images, folders or a video with a trained model"),
    "export": ("export", "convert a model file to ONNX or TorchScript"),
    "evaluate": ("evaluate", "score a trained model against the Gatys optimizer"),
    "calibrate": ("calibrate", "choose a painting's style weight from Gatys probes (Hydra)"),
    "targets": ("targets", "Gatys targets for distillation over a folder of photos (Hydra)"),
    "app": ("app", "a local web page to try models on your photos and compare them"),
    "sheet": ("sheet", "paint one photo in several styles, side by side"),
    "fetch": ("fetch", "download training photos or the shipped style paintings"),
}


HYDRA_CONFIGS = {
    "train": "train",
    "gatys": "gatys",
    "calibrate": "calibrate",
    "targets": "make_targets",
}


class ArgumentParser(argparse.ArgumentParser):
    """argparse with errors raised as BrushworkError (printed by ``exit_on_error``), not printed
    with the usage block and exit status 2 by argparse itself."""

    def error(self, message: str):  # type: ignore[override]
        raise BrushworkError(f"{message} (see --help)")


def parser(prog: str, doc: str | None) -> ArgumentParser:
    """A parser for ``brushwork <command>`` whose ``--help`` shows the module docstring ``doc``:
    a usage error is one ``error:`` line, exit 2."""
    return ArgumentParser(
        prog=prog, description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )


def exit_on_error(fn: Callable[..., T]) -> Callable[..., T]:
    """Wrap a CLI entry point: a BrushworkError becomes ``error: <msg>`` on stderr and exit 2."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except BrushworkError as e:
            print(f"error: {e}", file=sys.stderr)
            sys.exit(2)
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            sys.exit(130)

    return wrapper


def usage() -> str:
    width = max(map(len, COMMANDS))
    lines = [f"  {name:<{width}}  {text}" for name, (_, text) in COMMANDS.items()]
    return (
        "usage: brushwork <command> [args...]   (brushwork <command> --help for its options)\n\n"
        "commands:\n" + "\n".join(lines)
    )


def main(argv: list[str] | None = None) -> int:
    """Run ``brushwork <command> ...``; ``argv`` defaults to the process's arguments."""
    argv = sys.argv[1:] if argv is None else list(argv)
    command = os.environ.get("BRUSHWORK_COMMAND")
    if "LOCAL_RANK" in os.environ and command and (not argv or argv[0] not in COMMANDS):
        argv = [command, *argv]  # a DDP rank started by Lightning with the overrides alone
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(usage())
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"error: unknown command {name!r}; commands: {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    module_name, prog = f"brushwork.cli.{COMMANDS[name][0]}", f"brushwork {name}"
    if name in HYDRA_CONFIGS:
        from brushwork.cli.hydra_app import run_hydra

        if name == "train":  # the GPU schedule on a CUDA machine unless the user chose one
            from brushwork.config.registry import choose_recipe

            rest, note = choose_recipe(rest)
            if note:
                print(note, file=sys.stderr)

        @exit_on_error  # inside Hydra's task too: Hydra would report it as a traceback
        def run(cfg) -> None:  # imported here: Hydra has handled --help and --cfg (no torch yet)
            importlib.import_module(module_name).run(cfg)

        exit_on_error(run_hydra)(HYDRA_CONFIGS[name], run, rest, prog)
        return 0
    return exit_on_error(importlib.import_module(module_name).main)(rest, prog)


if __name__ == "__main__":
    sys.exit(main())
