"""Import expert eye-tracking recordings (REFLACX, EGD-CXR, GazeSearch) as reading JSON files.

Each recording becomes OUTDIR/<name>.reading.json (REFLACX: the case id; EGD-CXR: the dicom_id;
GazeSearch: the dicom_id and the finding searched). Each dictated sentence's gaze is clustered into ordered
key frames (visual clues and an observation box), so expert and model readings can be compared.
``--keyframes app`` (the default) clusters fixations with the app's method, which is close to but not the
same as GazeX's training data (smaller boxes); ``--keyframes gazex`` (REFLACX only) builds them from the raw
samples of ``gaze_data/<id>/gaze.csv`` exactly as GazeX's preprocessing script did. The reading records which
(``producer.generation.key_frames.method``).
Bad input stops with one line naming the file and the reason (exit code 2).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path


def _size(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d+)\s*[xX,]\s*(\d+)\s*", text)
    if not m or int(m.group(1)) <= 0 or int(m.group(2)) <= 0:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, for example 2544x3056, not {text!r}")
    return int(m.group(1)), int(m.group(2))


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
    from gazex_viewer.core.errors import GazeImportError
    from gazex_viewer.core.gaze_import import import_gaze

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
    try:
        args.output.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise GazeImportError(args.output, f"cannot create the output folder: {err.strerror}") from err
    used: set[str] = set()
    n_sentences = n_fix = 0
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
        try:
            r.save(args.output / f"{stem}.reading.json")
        except OSError as err:
            raise GazeImportError(args.output / f"{stem}.reading.json", f"cannot write: {err.strerror}") from err
        n_sentences += len(r.sentences)
        n_fix += len(r.trajectory)
        for w in r.warnings:
            print(f"{stem}: warning: {w}", file=sys.stderr)
    print(f"imported {len(readings)} reading(s), {n_sentences} sentence(s), {n_fix} fixation(s) into {args.output}")
    return 0
