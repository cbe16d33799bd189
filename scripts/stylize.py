"""Stylize images, folders or a video with a trained style network.

The same as `brushwork stylize ...` (brushwork.cli.stylize); kept as the path the README documents.
"""

import sys

from brushwork.cli.main import main

if __name__ == "__main__":
    sys.exit(main(["stylize", *sys.argv[1:]]))
