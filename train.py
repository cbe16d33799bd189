"""Train a feed-forward style network (Johnson et al. 2016) and export it.

python train.py style=starry_night [model=johnson] [experiment=gpu] [logger=csv] [key=value ...]
The same as `brushwork train ...` (brushwork.cli.train; configs/train.yaml).
"""

import sys

from brushwork.cli.main import main

if __name__ == "__main__":
    sys.exit(main(["train", *sys.argv[1:]]))
