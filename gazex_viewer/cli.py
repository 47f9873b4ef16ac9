"""The command line: ``gazex-viewer [gui] | render | validate | infer | ask | make-test-model | export | import-gaze | compare
| video | export-training | finetune | merge-adapter | batch``.

Each sub-command lives in its own module under :mod:`gazex_viewer.commands`, exposing
``add_arguments(parser)`` and ``run(args) -> int``. Those modules import heavy libraries only
inside ``run``, so ``--help`` and the GUI start fast.

Hard edges (:func:`main`): a :class:`~gazex_viewer.core.errors.GazeXError`, an ``OSError`` (permission
denied, disk full), running out of memory or a too deeply nested input escaping a command is printed as
one line of at most a few hundred characters (no traceback) and the exit code is 2. Library warnings
(pydicom and others, which may quote raw bytes) are collected and shown as bounded lines, never raw. A
closed output pipe (``compare A B | head -1``) ends the command quietly. Ctrl-C and SIGTERM end it with
130 / 143 after its temporaries are removed. A first word that is neither a command nor an existing
path is an error (exit 2, listing the commands); ``gazex-viewer FILM.dcm`` still opens the viewer.
An unexpected exception is a bug: one line saying so, exit 3 (``GAZEX_DEBUG=1`` shows the traceback).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import signal
import sys
import warnings
from collections.abc import Iterator, Sequence
from types import FrameType
from typing import Any

from gazex_viewer.core.errors import GazeXError
from gazex_viewer.core.safe_io import MAX_LINE, Terminated, show, show_path

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
    "video": ("video", "write a teaching video of a reading's inspection (MP4)"),
    "export-training": ("export_training", "write a LLaMA-Factory training dataset from expert readings"),
    "finetune": ("finetune", "LoRA fine-tune a GazeX checkpoint on an export-training dataset"),
    "merge-adapter": ("merge_adapter", "merge a LoRA adapter into its base: one folder to serve with vLLM/SGLang"),
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


class _OneLineParser(argparse.ArgumentParser):
    """A bad argument is one bounded line (no usage block, no echo of a megabyte argument), exit 2."""

    def error(self, message: str) -> Any:
        self.exit(2, show(f"{self.prog}: {message} ('{self.prog} --help' lists the arguments)", MAX_LINE) + "\n")


def build_command_parser(name: str) -> argparse.ArgumentParser:
    """The parser of one sub-command; only that command's module is imported."""
    module, help_text = COMMANDS[name]
    mod = importlib.import_module(f"gazex_viewer.commands.{module}")
    parser = _OneLineParser(
        prog=f"gazex-viewer {name}", description=(mod.__doc__ or help_text).strip()
    )
    mod.add_arguments(parser)
    parser.set_defaults(_module=mod, command=name)
    return parser


def _unknown_command(word: str) -> int:
    names = ", ".join(COMMANDS)
    print(
        f"gazex-viewer: {show(word, 120)!s} is neither a command nor an existing file or folder; "
        f"commands: {names} ('gazex-viewer --help' describes them)",
        file=sys.stderr,
    )
    return 2


def _safe_streams() -> None:
    """Print file names that are not UTF-8 and lone surrogates as escapes instead of failing."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(Exception):
                reconfigure(errors="backslashreplace")


class _Collect(logging.Handler):
    """Keeps library log records (pydicom's) instead of letting them print raw bytes to stderr."""

    def __init__(self, sink: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):
            self.sink.append(record.getMessage())


@contextlib.contextmanager
def _captured_warnings(sink: list[str]) -> Iterator[None]:
    """Python warnings and pydicom log records go to ``sink`` while a command runs."""
    logger = logging.getLogger("pydicom")
    saved = (logger.handlers[:], logger.propagate)
    handler = _Collect(sink)
    logger.handlers = [handler]
    logger.propagate = False
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        try:
            yield
        finally:
            sink.extend(str(w.message) for w in caught)
            logger.handlers, logger.propagate = saved


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM raises :class:`Terminated` (so temporaries are removed) while a command runs."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        raise Terminated()

    previous: Any = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _quiet_broken_pipe() -> int:
    """stdout's reader went away (``| head``): drop what is left, exit quietly (128 + SIGPIPE)."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return 141


def _os_error_line(err: OSError) -> str:
    import errno

    reason = {
        errno.ENOSPC: "no space left on the disk",
        errno.EDQUOT: "disk quota exceeded",
        errno.EROFS: "the disk is read-only",
        errno.EACCES: "permission denied",
        errno.EPERM: "operation not permitted",
        errno.ENAMETOOLONG: "file name too long",
    }.get(err.errno or 0, err.strerror or type(err).__name__)
    name = err.filename if err.filename is not None else None
    return f"{show_path(name)}: {reason}" if name is not None else reason


def _report(command: str, text: str, notes: list[str]) -> None:
    """Print one bounded error line (with a count of library warnings, never their raw text)."""
    line = f"gazex-viewer {command}: {text}"
    notes = list(dict.fromkeys(notes))
    if notes:
        line += f" [{len(notes)} library warning(s), first: {show(notes[0], 120)}]"
    print(show(line, MAX_LINE), file=sys.stderr)


def _print_notes(command: str, notes: list[str]) -> None:
    distinct = list(dict.fromkeys(show(n, 200) for n in notes))
    for n in distinct[:3]:
        print(f"gazex-viewer {command}: library warning: {n}", file=sys.stderr)
    if len(distinct) > 3:
        print(f"gazex-viewer {command}: ({len(distinct) - 3} more library warnings)", file=sys.stderr)


def _run_guarded(command: str, args: argparse.Namespace) -> int:
    notes: list[str] = []
    try:
        with _sigterm_as_interrupt(), _captured_warnings(notes):
            rc = int(args._module.run(args) or 0)
            sys.stdout.flush()
    except BrokenPipeError:
        return _quiet_broken_pipe()
    except GazeXError as err:
        _report(command, str(err), notes)
        return 2
    except Terminated:
        _report(command, "terminated (SIGTERM); nothing was left half-written", [])
        return 143
    except KeyboardInterrupt:
        _report(command, "interrupted", [])
        return 130
    except OSError as err:
        _report(command, _os_error_line(err), notes)
        return 2
    except MemoryError:
        _report(command, "out of memory", notes)
        return 2
    except RecursionError:
        _report(command, "an input is nested too deeply", notes)
        return 2
    except Exception as err:
        if os.environ.get("GAZEX_DEBUG"):
            raise
        _report(command, f"internal error (a bug: {type(err).__name__}: {show(err, 160)}); "
                "GAZEX_DEBUG=1 shows the traceback", notes)
        return 3
    _print_notes(command, notes)
    return rc


def _dispatch(argv: list[str]) -> int:
    if argv and argv[0] in ("-h", "--help"):
        _top_parser().print_help()
        return 0
    if not argv:
        argv = ["gui"]
    elif argv[0] not in COMMANDS:
        first = argv[0]
        if not (first.startswith("-") or os.path.lexists(first)):
            return _unknown_command(first)
        argv = ["gui", *argv]
    args = build_command_parser(argv[0]).parse_args(argv[1:])
    if args.command == "gui":  # Qt owns signals and warnings there
        try:
            return int(args._module.run(args) or 0)
        except GazeXError as err:
            print(f"gazex-viewer gui: {show(err)}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print("gazex-viewer gui: interrupted", file=sys.stderr)
            return 130
    return _run_guarded(args.command, args)


def _flushed() -> bool:
    """Flush stdout now; False (and stdout sent to /dev/null) when its reader has gone."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_broken_pipe()
        return False
    except (OSError, ValueError, AttributeError):
        pass
    return True


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; the exit code (0 done, 2 refused with one line, 3 a bug, 130/143 interrupted)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    _safe_streams()
    try:
        rc = _dispatch(argv)
    except BrokenPipeError:  # `--help | head -1` and the like
        return _quiet_broken_pipe()
    except SystemExit:  # argparse's --help and errors: flush here, so a closed pipe is quiet too
        if not _flushed():
            raise SystemExit(141) from None
        raise
    return rc if _flushed() else 141


if __name__ == "__main__":
    sys.exit(main())
