"""Rewrite a model file of format v5 in the current format (v6), weights untouched.

    python scripts/upgrade_model.py old.pt new.pt

v6 says what a file paints in one field, ``styles`` (one entry per style the net holds); v5 had
a ``style`` field beside it (the one style, or the several joined by ``+``) and ``styles`` only
for several. brushwork itself refuses older files in one line (retrain, or stylize with that
version); this is the maintainers' way to carry a trained file across, e.g. the shipped model
trained from a v5 commit. ``meta["upgraded"]`` records it.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path
from typing import Any

import torch

from brushwork.cli.main import exit_on_error
from brushwork.errors import BrushworkError
from brushwork.infer.model_file import FORMAT, FORMAT_VERSION, load_model
from brushwork.io.files import write_bytes

FROM_VERSION = 5


def upgraded(payload: dict[str, Any]) -> dict[str, Any]:
    """The v6 payload of the v5 ``payload`` (a plain dict as ``torch.load`` gives it)."""
    if payload.get("format") != FORMAT or payload.get("version") != FROM_VERSION:
        found = payload.get("version")
        raise BrushworkError(f"not a brushwork model file of format v{FROM_VERSION} (v{found})")
    styles = payload.get("styles") or [payload["style"]]  # v5: "styles" only for several
    rest = {k: v for k, v in payload.items() if k not in ("style", "styles", "version", "meta")}
    meta = dict(payload.get("meta", {})) | {"upgraded": {"from": FROM_VERSION}}
    return rest | {"version": FORMAT_VERSION, "styles": [dict(s) for s in styles], "meta": meta}


def upgrade(source: Path, target: Path) -> Path:
    """Write ``source`` (v5) as ``target`` (v6); check the result loads; return ``target``."""
    payload = torch.load(source, map_location="cpu", weights_only=True)
    buf = io.BytesIO()
    torch.save(upgraded(payload), buf)
    write_bytes(target, buf.getvalue())
    load_model(target)  # the current reader takes it
    return target


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("target", type=Path)
    args = parser.parse_args(argv)
    print(upgrade(args.source, args.target))
    return 0


if __name__ == "__main__":
    sys.exit(exit_on_error(main)(sys.argv[1:]))
