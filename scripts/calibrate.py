"""Choose a painting's style weight from short Gatys probes (see brushwork.calibrate.run).

The same as `brushwork calibrate ...` (brushwork.cli.calibrate); kept as the path the README documents.
"""

import sys

from brushwork.cli.main import main

if __name__ == "__main__":
    sys.exit(main(["calibrate", *sys.argv[1:]]))
