"""``python -m brushwork <command> ...``: the same as the ``brushwork`` command."""

import sys

from brushwork.cli.main import main

sys.exit(main())
