"""Stylize a folder of photos with the Gatys optimizer: targets for distillation training.

The same as `brushwork targets ...` (brushwork.cli.targets); kept as the path the README documents.
"""

import sys

from brushwork.cli.main import main

if __name__ == "__main__":
    sys.exit(main(["targets", *sys.argv[1:]]))
