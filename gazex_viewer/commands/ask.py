"""Ask a GazeX checkpoint about one film: a question (the paper's VQA and disease-grounding tasks), or where the
evidence for a sentence is (``--ground``, the authors' attention extraction).

The answer is printed with each sentence's regions in original pixels; it is model output, never part of a report.
``--reading R.json -o OUT.json`` keeps the exchange in a copy of that reading (its ``queries``); ``--json`` prints
the exchange as JSON. A bad film, checkpoint or question is one line and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from gazex_viewer.commands.infer import add_decoding_arguments, decoding_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("film", type=Path, metavar="FILM", help="a radiograph (DICOM, PNG or JPEG)")
    parser.add_argument("question", nargs="?", default=None, metavar="QUESTION", help='e.g. "Is there a pneumothorax?"')
    parser.add_argument("--ground", metavar="SENTENCE", default=None, help="where is the evidence for SENTENCE")
    parser.add_argument("--model", required=True, type=Path, help="checkpoint folder (merged, or the LoRA base)")
    parser.add_argument("--adapter", type=Path, default=None, help="LoRA adapter folder")
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda (default auto)")
    parser.add_argument("--reading", type=Path, default=None, help="a reading of FILM to keep the exchange in")
    parser.add_argument("-o", "--output", type=Path, default=None, help="where to write that reading (with --reading)")
    parser.add_argument("--json", action="store_true", help="print the exchange as JSON")
    parser.add_argument("--trust-remote-code", action="store_true", help="allow code shipped in the checkpoint")
    add_decoding_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from gazex_viewer.core.errors import InferenceError, ReadingError
    from gazex_viewer.core.imaging.files import load_radiograph
    from gazex_viewer.inference.api import (
        JobEvent,
        JobTask,
        ModelSpec,
        check_checkpoint,
    )
    from gazex_viewer.inference.film_input import FilmInput
    from gazex_viewer.inference.job import JobControl
    from gazex_viewer.inference.registry import backend_name_for, make_backend
    from gazex_viewer.inference.worker import Worker

    if (args.question is None) == (args.ground is None):
        raise InferenceError(None, "give a QUESTION or --ground SENTENCE (one of them)")
    text = args.question if args.question is not None else args.ground
    if not text.strip():
        raise InferenceError(None, "the question is empty" if args.question is not None else "the sentence is empty")
    if (args.reading is None) != (args.output is None):
        raise InferenceError(None, "--reading and -o go together")
    settings = decoding_settings(args)
    spec = ModelSpec(args.model, args.adapter, args.device, args.trust_remote_code, backend="transformers")
    check_checkpoint(spec)
    reading = None
    if args.reading is not None:
        from gazex_viewer.core.reading.validation import load_reading

        reading = load_reading(args.reading)  # ReadingError: one line
    task = JobTask("ask", question=text) if args.question is not None else JobTask("ground", sentences=[text])
    finals: list[JobEvent] = []

    def emit(event: JobEvent) -> None:
        if event.kind == "text" and not args.json:
            sys.stdout.write(event.text)
            sys.stdout.flush()
        elif event.kind not in ("progress", "text"):
            finals.append(event)

    worker = Worker(emit, use_cache=False)
    backend = make_backend(backend_name_for(spec))
    loaded = backend.load(spec, JobControl(0))
    worker.backend = backend
    radiograph = load_radiograph(args.film)  # RadiographError: one line; decoded once, here
    worker.run(1, FilmInput.of(radiograph, (loaded.info.model_input,)), settings, task)
    backend.unload()
    event = finals[-1] if finals else JobEvent(kind="error", job_id=1, message=f"{args.film}: no answer")
    if event.kind != "done" or event.query is None:
        raise InferenceError(None, event.message or event.kind)
    query = event.query
    if args.json:
        print(json.dumps(query.to_dict(), indent=2, ensure_ascii=False))
    else:
        if query.kind == "question":
            print()
        print("model output, not part of any report:")
        for f in query.findings:
            where = "no region" if f.observation is None else (
                f"observation ({f.observation.x_min:.0f},{f.observation.y_min:.0f})-"
                f"({f.observation.x_max:.0f},{f.observation.y_max:.0f}), {len(f.clues)} clue region(s)"
            )
            flag = " [unreadable model output]" if f.unreadable else ""
            print(f"  {f.text}{flag}: {where}")
        for w in query.warnings:
            print(f"  warning: {w}")
    if reading is not None:
        if reading.image.pixel_sha256 and radiograph.pixel_sha256 != reading.image.pixel_sha256:
            raise ReadingError(args.reading, f"is a reading of another film than {args.film}")
        reading.queries.append(query)
        reading.save(args.output)
        print(f"kept in {args.output}", file=sys.stderr)
    return 0
