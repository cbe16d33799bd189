"""Stylize images, folders or a video with a trained style network.

python scripts/stylize.py --model starry_night.pt photo.jpg -o out.png
python scripts/stylize.py --model starry_night.pt photos/ -o styled/ --max-size 2048
python scripts/stylize.py --model starry_night.pt --video clip.mp4 -o styled.mp4

Same as the ``brushwork-stylize`` command; see ``--help``.
"""

import sys

from brushwork.stylize_cli import main

if __name__ == "__main__":
    sys.exit(main())
