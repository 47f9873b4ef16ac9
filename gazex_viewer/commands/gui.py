"""Open the viewer window, optionally with films, folders or reading JSON files."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH", help="radiographs, folders of them, or reading JSON files")
    parser.add_argument("--reading", metavar="READING.json", help="a saved reading to show over the film")


def run(args: argparse.Namespace) -> int:
    """Start Qt and the main window; returns the application's exit code."""
    from gazex_viewer.ui.shell.app import run_app

    return run_app(list(args.paths), reading=args.reading)
