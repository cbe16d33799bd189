"""Stylize one photo with the Gatys optimizer.

The same as `brushwork gatys ...` (brushwork.cli.gatys); kept as the path the README documents.
"""

import sys

from brushwork.cli.main import main

if __name__ == "__main__":
    sys.exit(main(["gatys", *sys.argv[1:]]))
