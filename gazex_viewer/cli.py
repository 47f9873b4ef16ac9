"""The command line: ``gazex-viewer [gui] | render | validate | infer | make-test-model | export | import-gaze | compare | batch``.

Each sub-command lives in its own module under :mod:`gazex_viewer.commands`, exposing
``add_arguments(parser)`` and ``run(args) -> int``. Those modules import heavy libraries only
inside ``run``, so ``--help`` and the GUI start fast. A :class:`~gazex_viewer.core.errors.GazeXError`
escaping a command is printed as one line (no traceback) and the exit code is 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from gazex_viewer.core.errors import GazeXError

#: sub-command name -> (module under gazex_viewer.commands, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "gui": ("gui", "open the viewer window (the default)"),
    "render": ("render", "write what the viewer shows by default as an 8-bit grey PNG"),
    "validate": ("validate", "check a reading JSON against the schema and its own consistency"),
    "infer": ("infer", "run a GazeX checkpoint on radiographs and write one reading JSON each"),
    "ask": ("ask", "ask the model a question about a film (or where it sees a sentence's evidence)"),
    "make-test-model": ("make_test_model", "build a tiny offline GazeX-layout checkpoint for tests"),
    "export": ("export", "export a reading as DICOM SR and/or PDF"),
    "import-gaze": ("import_gaze", "import expert eye-tracking recordings as readings"),
    "compare": ("compare", "print agreement metrics between two readings"),
    "batch": ("batch", "pre-compute DRAFT SRs for the PACS studies that have no GazeX result yet"),
}


def _top_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gazex-viewer",
        description="GazeX Viewer: verify AI drafts of chest X-ray reports.",
        epilog="Without a command, the viewer opens (with any image paths given). "
        "'gazex-viewer COMMAND --help' describes one command.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_module, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text)
    return parser


def build_command_parser(name: str) -> argparse.ArgumentParser:
    """The parser of one sub-command; only that command's module is imported."""
    module, help_text = COMMANDS[name]
    mod = importlib.import_module(f"gazex_viewer.commands.{module}")
    parser = argparse.ArgumentParser(
        prog=f"gazex-viewer {name}", description=(mod.__doc__ or help_text).strip()
    )
    mod.add_arguments(parser)
    parser.set_defaults(_module=mod, command=name)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("-h", "--help"):
        _top_parser().print_help()
        return 0
    if not argv or argv[0] not in COMMANDS:
        argv = ["gui", *argv]
    args = build_command_parser(argv[0]).parse_args(argv[1:])
    try:
        return int(args._module.run(args) or 0)
    except GazeXError as err:
        print(f"gazex-viewer {args.command}: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"gazex-viewer {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
