"""One exception type for every user-facing failure.

Command-line entry points catch :class:`BrushworkError` and print its message as a single line
(``error: ...``) with exit status 2 (``brushwork.cli.main.exit_on_error``), so bad input never
produces a traceback wall.
"""

from __future__ import annotations

from collections.abc import Iterable


class BrushworkError(Exception):
    """A problem with the user's input or environment, with a message fit to show as-is."""


def check_choice(name: str, value: object, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices``; else raise one line naming the valid ones.

    ``name`` is what the user typed (an option or config key, e.g. ``gatys.init``).
    """
    choices = tuple(choices)
    if value not in choices:
        raise BrushworkError(f"unknown {name} {value!r}; choose one of: {', '.join(choices)}")
    return value  # type: ignore[return-value]
