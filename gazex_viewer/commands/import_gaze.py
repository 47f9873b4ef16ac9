"""Import expert eye-tracking recordings (REFLACX, EGD-CXR, GazeSearch) as reading JSON files.

Each recording becomes OUTDIR/<name>.reading.json (REFLACX: the case id; EGD-CXR: the dicom_id;
GazeSearch: the dicom_id and the finding searched). Each dictated sentence's gaze is clustered into ordered
key frames (visual clues and an observation box), so expert and model readings can be compared.
``--keyframes app`` (the default) clusters fixations with the app's method, which is close to but not the
same as GazeX's training data (smaller boxes); ``--keyframes gazex`` (REFLACX only) builds them from the raw
samples of ``gaze_data/<id>/gaze.csv`` exactly as GazeX's preprocessing script did. The reading records which
(``producer.generation.key_frames.method``).
Bad input stops with one line naming the file and the reason (exit code 2).
Every reading is checked with the reading validator (and the size limits ``validate`` applies) before it is
written: one that fails is not written, its recording is named with the first problem, and the exit code is 2.
Each file is written through a temporary that is flushed to disk and renamed, so a full disk leaves no partial file.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

#: the largest image side accepted for --image-size (DICOM Rows and Columns are 16-bit)
MAX_SIDE = 65_535
#: problems of readings that fail validation printed in full; the rest are counted
_SHOWN_PROBLEMS = 10


def _size(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d{1,9})\s*[xX,]\s*(\d{1,9})\s*", text)
    if not m or int(m.group(1)) <= 0 or int(m.group(2)) <= 0:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, for example 2544x3056, not {text[:40]!r}")
    w, h = int(m.group(1)), int(m.group(2))
    if w > MAX_SIDE or h > MAX_SIDE:
        raise argparse.ArgumentTypeError(f"each side at most {MAX_SIDE} pixels, not {w}x{h}")
    return w, h


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format", required=True, choices=("reflacx", "egd", "gazesearch"), help="the recording's dataset"
    )
    parser.add_argument("source", type=Path, metavar="SRC", help="case folder / dataset folder / scanpath JSON")
    parser.add_argument("-o", "--output", required=True, type=Path, metavar="OUTDIR", help="output folder")
    parser.add_argument(
        "--image-size",
        type=_size,
        default=None,
        metavar="WxH",
        help="original image size (EGD-CXR and GazeSearch do not record it; GazeSearch stays in its 224 x 224 "
        "frame without it)",
    )
    parser.add_argument("--no-key-frames", action="store_true", help="GazeSearch: skip clustering (faster)")
    parser.add_argument(
        "--keyframes",
        choices=("app", "gazex"),
        default="app",
        help="key-frame method: app (fixations, the app's clustering; default) or gazex (REFLACX raw samples in "
        "gaze_data/<id>/gaze.csv, exactly as GazeX's training data were built)",
    )


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "reading"


def run(args: argparse.Namespace) -> int:
    from gazex_viewer.core.errors import ExportError, GazeImportError
    from gazex_viewer.core.export.files import fsync_path, write_text_atomic
    from gazex_viewer.core.gaze.importers import import_gaze
    from gazex_viewer.core.reading.limits import written_reading_problems
    from gazex_viewer.core.safe_io import (
        MAX_JSON_BYTES,
        check_input_file,
        check_output_folder,
        show,
        show_path,
    )

    if args.format == "gazesearch":  # a FIFO, a device or a huge file: refused before reading
        check_input_file(args.source, max_bytes=MAX_JSON_BYTES, error=GazeImportError, what="a scanpath JSON file")
    elif not args.source.is_dir():
        check_input_file(args.source, error=GazeImportError, what="a folder")

    check_output_folder(args.output, error=GazeImportError)  # before the import, which may take a while
    tty = sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        if tty:
            sys.stderr.write(f"\r\033[Kimporting {done}/{total}")
            sys.stderr.flush()
        elif done % 500 == 0:
            print(f"importing {done}/{total}", file=sys.stderr)

    readings = import_gaze(
        args.format,
        args.source,
        image_size=args.image_size,
        key_frames=not args.no_key_frames,
        progress=progress,
        keyframes=args.keyframes,
    )
    if tty:
        sys.stderr.write("\r\033[K")
    used: set[str] = set()
    n_sentences = n_fix = n_written = 0
    refused: list[str] = []
    for r in readings:
        rec = r.producer.generation.get("recording", {})
        if args.format == "reflacx":
            stem = rec.get("case_id") or r.image.file_name
        elif args.format == "gazesearch":
            stem = f"{Path(r.image.file_name).stem}__{rec.get('task', 'finding')}"
        else:
            stem = r.image.file_name
        stem = _safe(stem)
        k, base = 1, stem
        while stem in used:
            k += 1
            stem = f"{base}_{k}"
        used.add(stem)
        out = args.output / f"{stem}.reading.json"
        problems = written_reading_problems(r)  # what is written is what `validate` accepts
        if problems:
            refused.append(f"{stem}: not written, not a valid reading: {problems[0]}")
            continue
        try:
            write_text_atomic(out, r.to_json(), inputs=[args.source], bulk=True)
        except ExportError as err:
            raise GazeImportError(show_path(out), err.reason) from None
        n_written += 1
        n_sentences += len(r.sentences)
        n_fix += len(r.trajectory)
        for w in r.warnings:
            print(show(f"{stem}: warning: {w}"), file=sys.stderr)
    fsync_path(args.output, directory=True)
    for line in refused[:_SHOWN_PROBLEMS]:
        print(show(f"gazex-viewer import-gaze: {line}"), file=sys.stderr)
    if len(refused) > _SHOWN_PROBLEMS:
        print(f"gazex-viewer import-gaze: ... and {len(refused) - _SHOWN_PROBLEMS} more not written", file=sys.stderr)
    print(
        f"imported {n_written} reading(s), {n_sentences} sentence(s), {n_fix} fixation(s) into "
        f"{show_path(args.output)}" + (f"; {len(refused)} not valid, not written" if refused else "")
    )
    return 2 if refused else 0
