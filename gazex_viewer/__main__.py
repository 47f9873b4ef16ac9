"""``python -m gazex_viewer``: the command line; without a sub-command it opens the viewer."""

import sys

from gazex_viewer.cli import main

if __name__ == "__main__":
    sys.exit(main())
