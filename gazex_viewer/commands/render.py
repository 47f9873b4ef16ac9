"""Write what the viewer shows by default as an 8-bit grey PNG at full resolution.

INPUT is a DICOM, PNG or JPEG file, or a folder (then OUT is a folder and every image in INPUT is
written there as NAME.png). The display is the header's VOI LUT Sequence or first window (or the
full range when there is none), after the modality LUT, then MONOCHROME1 inversion, with the DICOM
overlay planes burned in as dcmtk shows them (``--no-overlays`` leaves them out).

INPUT must be a regular file or a folder (a FIFO or a device is refused at once). OUT may not be the
input (the same file, or a link to it) nor a special file; each PNG is written to a temporary beside
it, flushed to disk and renamed, so a failure leaves no partial PNG.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``gazex-viewer render``."""
    parser.add_argument("input", metavar="INPUT", help="image file or folder of images")
    parser.add_argument("-o", "--output", required=True, metavar="OUT", help="PNG file (or folder for a folder INPUT)")
    parser.add_argument(
        "--window",
        nargs=2,
        type=float,
        metavar=("CENTER", "WIDTH"),
        help="a linear window in modality units instead of the default",
    )
    parser.add_argument("--invert", action="store_true", help="invert the final display")
    parser.add_argument(
        "--no-overlays", action="store_true", help="leave out the DICOM overlay planes (60xx), as dcmj2pnm --no-overlays"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")


def _write_png(pixels: np.ndarray, out: Path) -> None:
    from PIL import Image

    from gazex_viewer.core.errors import ExportError, RadiographError
    from gazex_viewer.core.export.files import StagedOutputs
    from gazex_viewer.core.safe_io import show_path

    try:
        with StagedOutputs() as staged:
            tmp = staged.temp_for(out)
            # compress_level 1: full-size radiographs are written in tens of ms instead of hundreds
            Image.fromarray(pixels, mode="L").save(tmp, format="PNG", compress_level=1)
            staged.commit()
    except ExportError as err:
        raise RadiographError(err.path, err.reason) from None
    except OSError as err:
        raise RadiographError(show_path(out), f"cannot write PNG ({err.strerror or err})") from None


def _render_one(src: Path, out: Path, args: argparse.Namespace) -> str:
    from gazex_viewer.core.errors import RadiographError
    from gazex_viewer.core.imaging.files import load_radiograph
    from gazex_viewer.core.imaging.radiograph import WindowPreset
    from gazex_viewer.core.safe_io import (
        check_input_file,
        check_output_file,
        show,
        show_path,
    )

    check_input_file(src, error=RadiographError, what="an image file")
    check_output_file(out, [src], error=RadiographError)
    radiograph = load_radiograph(src)
    window = None
    if args.window is not None:
        center, width = args.window
        window = WindowPreset(center, width, "Command line")
    preset = window or radiograph.default_preset
    pixels = radiograph.render(window, invert=args.invert, overlays=not getattr(args, "no_overlays", False))
    _write_png(pixels, out)
    how = preset.name if preset.function == "VOI_LUT" else f"{preset.name} {preset.center:g}/{preset.width:g}"
    notes = "; ".join(radiograph.notes)
    return show(f"{show_path(out)}: {radiograph.width}x{radiograph.height} {how}" + (f" ({notes})" if notes else ""))


def check_window(window: list[float] | None) -> None:
    """Refuse a ``--window CENTER WIDTH`` that is not a finite window of width >= 1 (PS3.3 C.11.2.1.2).

    Raises
    ------
    GazeXError
        One line, naming the option and the values.
    """
    import math

    from gazex_viewer.core.errors import GazeXError

    if window is None:
        return
    center, width = window
    if not (math.isfinite(center) and math.isfinite(width)):
        raise GazeXError("--window", f"center and width must be finite numbers, got {center:g} {width:g}")
    if width < 1:
        raise GazeXError("--window", f"width must be at least 1 (DICOM linear window), got {width:g}")


def run(args: argparse.Namespace) -> int:
    """Render INPUT to OUT; a bad input raises RadiographError (printed as one line, exit 2)."""
    from gazex_viewer.core.errors import RadiographError
    from gazex_viewer.core.safe_io import show

    check_window(args.window)
    src = Path(args.input)
    out = Path(args.output)
    if src.is_dir():
        from gazex_viewer.core.imaging.files import find_images

        if out.exists() and not out.is_dir():
            raise RadiographError(out, "INPUT is a folder, so OUT must be a folder")
        failures = 0
        for image in find_images(src):
            try:
                line = _render_one(image, out / (image.stem + ".png"), args)
            except RadiographError as err:
                print(show(f"gazex-viewer render: {err}"), file=sys.stderr)
                failures += 1
                continue
            if not args.quiet:
                print(line)
        return 2 if failures else 0
    line = _render_one(src, out, args)
    if not args.quiet:
        print(line)
    return 0
