"""Convert a brushwork style model (.pt export) to ONNX or TorchScript.

The same as `brushwork export ...` (brushwork.cli.export); kept as the path the README documents.
"""

import sys

from brushwork.cli.main import main

if __name__ == "__main__":
    sys.exit(main(["export", *sys.argv[1:]]))
