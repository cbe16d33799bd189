"""Evaluate a trained style network against the Gatys optimizer under its own training objective.

The same as `brushwork evaluate ...` (brushwork.cli.evaluate); kept as the path the README documents.
"""

import sys

from brushwork.cli.main import main

if __name__ == "__main__":
    sys.exit(main(["evaluate", *sys.argv[1:]]))
