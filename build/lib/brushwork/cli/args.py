"""The argument parser every argparse command uses: a usage error is one ``error:`` line, exit 2."""

from __future__ import annotations

import argparse

from brushwork.errors import BrushworkError


class ArgumentParser(argparse.ArgumentParser):
    """argparse with errors raised as BrushworkError (printed by ``exit_on_error``), not printed
    with the usage block and exit status 2 by argparse itself."""

    def error(self, message: str):  # type: ignore[override]
        raise BrushworkError(f"{message} (see --help)")


def parser(prog: str, doc: str | None) -> ArgumentParser:
    """A parser for ``brushwork <command>`` whose ``--help`` shows the module docstring ``doc``."""
    return ArgumentParser(
        prog=prog, description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
