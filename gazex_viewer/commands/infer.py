"""Run a GazeX checkpoint on radiographs and write one reading JSON per input.

Each input (DICOM, PNG or JPEG) gets OUTDIR/<name>.reading.json. Progress goes to stderr: image k of n, the
stage, and tokens per second. Nothing is downloaded; weights are read from safetensors only. A bad checkpoint
stops at once with one line and exit code 2; a bad input is reported in one line, the other inputs are still
read, and the exit code is 2. An input that is a FIFO or a device, or a checkpoint holding one, is refused
at once, before the model loads. Each reading is written through a temporary that is flushed to disk and
renamed; a full disk stops the run with one line and leaves no partial file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gazex_viewer.core.safe_io import bounded_int

if TYPE_CHECKING:
    from gazex_viewer.inference.api import GenerationSettings, ModelSpec

#: the most tokens one answer may ask for (Qwen2-VL's context is 32,768 tokens)
MAX_NEW_TOKENS = 32_768


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "inputs", nargs="+", type=Path, metavar="INPUT", help="radiograph files, or folders of them (not recursive)"
    )
    parser.add_argument("--model", type=Path, default=None, help="checkpoint folder (merged, or the LoRA base)")
    parser.add_argument("--adapter", type=Path, default=None, help="LoRA adapter folder (LLaMA-Factory / peft)")
    parser.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda (default auto)")
    parser.add_argument("-o", "--output", required=True, type=Path, metavar="OUTDIR", help="output folder")
    add_decoding_arguments(parser)
    parser.add_argument("--no-cache", action="store_true", help="do not reuse or store cached readings")
    parser.add_argument("--cache-dir", type=Path, default=None, help="reading cache folder")
    parser.add_argument(
        "--trust-remote-code", action="store_true", help="allow code shipped in the checkpoint (off by default)"
    )
    add_server_arguments(parser)


def add_server_arguments(parser: argparse.ArgumentParser) -> None:
    """A model server (OpenAI-compatible: vLLM, SGLang, transformers serve) instead of --model."""
    g = parser.add_argument_group("model server (instead of --model; token from $GAZEX_SERVER_TOKEN or the keyring)")
    g.add_argument("--server", default=None, metavar="URL", help="the server's base URL, e.g. https://gpu:8000")
    g.add_argument("--served-model", default=None, metavar="NAME", help="the model name the server serves")
    g.add_argument(
        "--model-info", type=Path, default=None, metavar="FILE",
        help="the department's model-info JSON (checkpoint hash and gazex.json settings of the served model)",
    )


def add_decoding_arguments(parser: argparse.ArgumentParser) -> None:
    """GazeX's decoding options (the authors' defaults; ``--deterministic`` for greedy decoding)."""
    g = parser.add_argument_group("decoding (default: GazeX's sampling, as the authors ran it)")
    g.add_argument("--deterministic", action="store_true", help="greedy decoding instead of GazeX's sampling")
    g.add_argument("--sample", action="store_true", help="GazeX's sampling (the default; kept for old scripts)")
    g.add_argument("--temperature", type=float, default=1.0, help="sampling temperature (default 1.0)")
    g.add_argument("--top-p", type=float, default=0.9, help="sampling top_p (default 0.9)")
    g.add_argument("--top-k", type=bounded_int(0, 100_000), default=0, help="sampling top_k, 0 = off (default 0)")
    g.add_argument("--seed", type=bounded_int(0, 2**32 - 1), default=0, help="sampling seed, recorded in the reading (default 0)")
    g.add_argument("--repetition-penalty", type=float, default=1.0, help="default 1.0 (GazeX)")
    g.add_argument("--min-new-tokens", type=bounded_int(0, MAX_NEW_TOKENS), default=20, help="end-of-text suppressed before this (default 20)")
    g.add_argument(
        "--max-new-tokens",
        type=bounded_int(1, MAX_NEW_TOKENS),
        default=1024,
        help=f"per answer, 1 to {MAX_NEW_TOKENS} (default 1024)",
    )


def decoding_settings(args: argparse.Namespace) -> GenerationSettings:
    """The GenerationSettings the decoding options ask for (InferenceError when they are unusable)."""
    from gazex_viewer.core.errors import InferenceError
    from gazex_viewer.inference.api import GenerationSettings

    if args.deterministic and args.sample:
        raise InferenceError(None, "--deterministic and --sample exclude each other")
    settings = GenerationSettings(
        deterministic=bool(args.deterministic),
        temperature=args.temperature,
        top_p=args.top_p,
        top_k=args.top_k,
        max_new_tokens=args.max_new_tokens,
        min_new_tokens=args.min_new_tokens,
        repetition_penalty=args.repetition_penalty,
        seed=args.seed,
    )
    if settings.problems():
        raise InferenceError(None, "bad generation settings: " + "; ".join(settings.problems()))
    return settings


class _Progress:
    """One progress line on stderr: image k of n, stage, tokens/s (rewritten in place on a terminal)."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.k = 0
        self.name = ""
        self.tty = sys.stderr.isatty()
        self.last = ""

    def show(self, stage: str, message: str = "", tokens_per_s: float | None = None) -> None:
        rate = f" {tokens_per_s:.1f} tok/s" if tokens_per_s else ""
        line = f"[{self.k}/{self.n}] {self.name}: {stage}{' - ' + message if message else ''}{rate}"
        if self.tty:
            sys.stderr.write("\r\033[K" + line)
            sys.stderr.flush()
        elif stage != self.last:
            print(line, file=sys.stderr)
        self.last = stage

    def end(self, line: str) -> None:
        if self.tty:
            sys.stderr.write("\r\033[K")
        print(f"[{self.k}/{self.n}] {self.name}: {line}", file=sys.stderr)
        self.last = ""


def _refuse_special(args: argparse.Namespace) -> None:
    """Refuse, from ``stat`` alone, inputs and checkpoint files that are FIFOs, devices or sockets.

    Missing inputs are left to the run (one line each, the others still read).
    """
    import os

    from gazex_viewer.core.errors import CheckpointError, RadiographError
    from gazex_viewer.core.safe_io import check_input_file, kind_of, show_path

    for path in args.inputs:
        if os.path.lexists(path) and not path.is_dir():
            check_input_file(path, error=RadiographError, what="an image file")
    for folder in (args.model, args.adapter):
        if folder is None or not folder.is_dir():
            continue
        try:
            entries = list(os.scandir(folder))
        except OSError as err:
            raise CheckpointError(show_path(folder), f"cannot list the folder ({err.strerror})") from None
        for entry in entries:
            try:
                mode = os.stat(entry.path).st_mode
            except OSError:
                continue  # a dangling link: the checkpoint checks name what is missing
            kind = kind_of(mode)
            if kind is not None and kind != "a folder":
                raise CheckpointError(show_path(entry.path), f"is {kind}; a checkpoint holds regular files only")


def _write_reading(reading: Any, out: Path, inputs: list[Path]) -> None:
    """Write one reading through a flushed temporary; a full disk is one line (InferenceError).

    A film whose file name is not UTF-8 (bytes kept as surrogates) cannot be recorded as it is in JSON:
    the name is recorded with ``\\xNN`` escapes, and the reading says so.
    """
    import os

    from gazex_viewer.core.errors import ExportError, InferenceError
    from gazex_viewer.core.export.files import write_text_atomic

    name = reading.image.file_name
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        reading.image.file_name = os.fsencode(name).decode("utf-8", "backslashreplace")
        reading.warnings.append(f"the film's file name is not UTF-8; recorded as {reading.image.file_name}")

    try:
        write_text_atomic(out, reading.to_json(), inputs=inputs)
    except ExportError as err:
        raise InferenceError(err.path, err.reason) from None


def model_spec(args: argparse.Namespace) -> ModelSpec:
    """The model the options name: a model server (``--server`` / ``--model-info``, the openai backend) or a local
    checkpoint (``--model``, the transformers backend, checked before any weights load). Used by ``infer`` and
    ``batch``; the backend itself comes from the registry by the spec's ``backend``.

    Raises InferenceError for both or neither, CheckpointError for a bad checkpoint, and one line naming the
    ``local`` extra when torch is not installed.
    """
    from gazex_viewer.core.errors import InferenceError
    from gazex_viewer.inference.api import ModelSpec, check_checkpoint

    if getattr(args, "server", None) or getattr(args, "model_info", None):
        if args.model is not None or args.adapter is not None:
            raise InferenceError(None, "give either --model (a local checkpoint) or --server / --model-info, not both")
        return ModelSpec(
            args.model_info or Path(""), endpoint=args.server, served_model=args.served_model, backend="openai"
        )
    if args.model is None:
        raise InferenceError(None, "give --model FOLDER, or --server URL --served-model NAME [--model-info FILE]")
    spec = ModelSpec(args.model, args.adapter, args.device, args.trust_remote_code, backend="transformers")
    from gazex_viewer.inference.local_model import require_local_extra

    require_local_extra()  # without torch: one line naming the `local` extra
    check_checkpoint(spec)  # CheckpointError -> one line, exit 2
    return spec


def run(args: argparse.Namespace) -> int:
    from gazex_viewer.core.errors import GazeXError, InferenceError
    from gazex_viewer.inference.api import JobEvent
    from gazex_viewer.inference.job import JobControl
    from gazex_viewer.inference.registry import backend_name_for, make_backend
    from gazex_viewer.inference.worker import Worker

    _refuse_special(args)  # a FIFO config.json or input: refused before anything reads it
    spec = model_spec(args)
    settings = decoding_settings(args)
    from gazex_viewer.core.imaging.files import find_images, load_radiograph
    from gazex_viewer.inference.film_input import FilmInput

    inputs: list[Path] = []
    for path in args.inputs:
        inputs.extend(find_images(path) if path.is_dir() else [path])  # RadiographError for an empty folder
    from gazex_viewer.core.safe_io import check_output_folder, show, show_path

    check_output_folder(args.output, error=InferenceError)  # read-only or full: one line before the model loads

    progress = _Progress(len(inputs))
    finals: list[JobEvent] = []

    def emit(event: JobEvent) -> None:
        if event.kind == "progress":
            progress.show(event.stage, event.message, event.tokens_per_s)
        elif event.kind == "text":
            progress.show("report", "", event.tokens_per_s)
        else:
            finals.append(event)

    worker = Worker(emit, cache_dir=args.cache_dir, use_cache=not args.no_cache)
    backend_name = backend_name_for(spec)
    backend = make_backend(backend_name)
    progress.name = (args.server or spec.model_dir.name) if backend_name == "openai" else spec.model_dir.name
    loaded = backend.load(spec, JobControl(0, emit=emit))  # CheckpointError / InferenceError -> exit 2
    worker.backend = backend
    if progress.tty:
        sys.stderr.write("\r\033[K")

    failures = 0
    used: set[str] = set()
    for k, path in enumerate(inputs, start=1):
        progress.k, progress.name = k, show_path(path.name)
        finals.clear()
        progress.show("opening", f"opening {path.name}")
        try:  # the film is decoded here, once; the worker is given its model input
            film = FilmInput.of(load_radiograph(path), (loaded.info.model_input,))
        except GazeXError as err:
            finals.append(JobEvent(kind="error", job_id=k, stage="error", message=str(err)))
        except Exception as exc:  # noqa: BLE001 - one bad input must not stop the others
            finals.append(JobEvent(kind="error", job_id=k, stage="error", message=f"{path}: internal error ({exc})"))
        else:
            worker.run(k, film, settings)
        event = finals[-1] if finals else JobEvent(kind="error", job_id=k, message=f"{path}: no result")
        if event.kind == "done" and event.reading is not None:
            stem = path.stem if path.suffix else path.name
            out = args.output / f"{stem}.reading.json"
            n = 2
            while str(out) in used:
                out = args.output / f"{stem}-{n}.reading.json"
                n += 1
            used.add(str(out))
            _write_reading(event.reading, out, inputs)
            t = event.reading.producer.timings
            rate = t.get("report_tokens_per_s")
            rate_s = f", {rate:.1f} tok/s" if rate else ""
            progress.end(
                f"{len(event.reading.findings)} findings, {len(event.reading.warnings)} warnings, "
                f"{t.get('total_s', 0.0):.2f} s{rate_s} -> {show_path(out)}"
            )
        else:
            failures += 1
            progress.end(show(f"error: {event.message}") if event.kind == "error" else event.kind)
    backend.unload()
    return 2 if failures else 0
