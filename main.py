#!/usr/bin/env python3
"""Start the GazeX Viewer window: ``python main.py [IMAGE_OR_FOLDER ...]``."""

import sys

from gazex_viewer.cli import main

if __name__ == "__main__":
    sys.exit(main(["gui", *sys.argv[1:]]))
