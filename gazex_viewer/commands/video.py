"""Write a teaching video of a reading: the film with the animated inspection trajectory and the sentence being
inspected as a caption (MP4, MPEG-4). ``--speed 2`` plays the reading twice as fast. The film must be the one the
reading was made on (same size; a different pixel hash is reported). A bad reading, film or output is one line and
exit code 2; nothing half-written is left behind.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("reading", type=Path, metavar="READING.json", help="a reading with a trajectory")
    parser.add_argument("--image", required=True, type=Path, metavar="FILM", help="the film the reading belongs to")
    parser.add_argument("-o", "--output", required=True, type=Path, metavar="OUT.mp4", help="the video to write")
    parser.add_argument("--speed", type=float, default=1.0, help="playback speed (default 1.0, as the player)")
    parser.add_argument("--fps", type=float, default=10.0, help="frames per second (default 10)")
    parser.add_argument("--trail", type=int, default=6, help="fixations shown in the trail (default 6)")


def run(args: argparse.Namespace) -> int:
    from gazex_viewer.core.errors import ExportError
    from gazex_viewer.core.export.teaching_video import write_inspection_video
    from gazex_viewer.core.imaging.files import load_radiograph
    from gazex_viewer.core.reading.validation import load_reading

    reading = load_reading(args.reading)  # ReadingError: one line
    film = load_radiograph(args.image)  # RadiographError: one line
    if (film.width, film.height) != (reading.image.width, reading.image.height):
        raise ExportError(
            args.image,
            f"is {film.width} x {film.height} px but the reading was made on a "
            f"{reading.image.width} x {reading.image.height} px film ({reading.image.file_name})",
        )
    if film.pixel_sha256 != reading.image.pixel_sha256:
        print(f"gazex-viewer video: note: {args.image} differs from the film the reading was made on "
              f"({reading.image.file_name}); same size, so drawn anyway", file=sys.stderr)
    tty = sys.stderr.isatty()

    def progress(k: int, n: int) -> None:
        if tty and (k == n or k % 10 == 0):
            sys.stderr.write(f"\r\033[Kframe {k} of {n}")
            sys.stderr.flush()

    result = write_inspection_video(
        film.render(), reading, args.output, fps=args.fps, speed=args.speed, trail=args.trail, progress=progress
    )
    if tty:
        sys.stderr.write("\r\033[K")
    print(f"wrote {result.path}: {result.frames} frames, {result.width} x {result.height}, "
          f"{result.seconds:.1f} s at {result.fps:g} fps", file=sys.stderr)
    return 0
