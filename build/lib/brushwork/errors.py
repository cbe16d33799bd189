"""One exception type for every user-facing failure.

Command-line entry points catch :class:`BrushworkError` and print its message as a single line
(``error: ...``) with exit status 2, so bad input never produces a traceback wall.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from functools import wraps
from typing import TypeVar

T = TypeVar("T")


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
