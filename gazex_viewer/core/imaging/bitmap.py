"""PNG and JPEG films, read with Pillow (HPND).

Owns how a picture becomes a :class:`~gazex_viewer.core.imaging.radiograph.Radiograph`: the size
checked before the pixels are loaded (PIL's size against the pixel limit, decompression bombs
refused), 8- and 16-bit grey kept as stored, colour shown grey (ITU-R 601-2 luma, as Pillow's
``convert("L")``), a JPEG turned as its EXIF orientation says, and the "Full range" preset. Bad
input raises :class:`~gazex_viewer.core.errors.RadiographError` naming the file and the reason.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from gazex_viewer.core.errors import RadiographError
from gazex_viewer.core.imaging import display
from gazex_viewer.core.imaging.radiograph import (
    MAX_PIXELS,
    FilmSource,
    Radiograph,
    RadiographMetadata,
    WindowPreset,
    is_grey_rgb,
    pixel_sha256,
    rgb_to_grey,
)


def load_bitmap(path: Path, fmt: str, source: FilmSource, *, max_pixels: int = MAX_PIXELS) -> Radiograph:
    """Open a PNG or JPEG file (``fmt``: ``"PNG"`` or ``"JPEG"``, from its first bytes) as the film of ``source``."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    notes: list[str] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im: Image.Image = Image.open(path)
    except Image.DecompressionBombError as err:
        raise RadiographError(path, f"image is too large ({err})") from None
    except UnidentifiedImageError:
        raise RadiographError(path, f"not a readable {fmt} image") from None
    except OSError as err:
        raise RadiographError(path, f"cannot open image ({err})") from None
    with im:
        w, h = im.size
        if w <= 0 or h <= 0:
            raise RadiographError(path, f"invalid image size {w} x {h}")
        if w * h > max_pixels:
            raise RadiographError(
                path, f"image is too large: {w} x {h} = {w * h} pixels exceeds the limit of {max_pixels}"
            )
        if im.format not in ("PNG", "JPEG", "MPO"):
            raise RadiographError(path, f"unsupported image format {im.format}")
        n_frames = int(getattr(im, "n_frames", 1) or 1)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                im.load()
                if fmt == "JPEG":
                    rotated = ImageOps.exif_transpose(im)
                    if rotated is not None and rotated is not im:
                        if rotated.size != im.size or np.asarray(rotated).tobytes() != np.asarray(im).tobytes():
                            notes.append("rotated as its EXIF orientation says")
                        im = rotated
        except (OSError, SyntaxError, ValueError) as err:
            raise RadiographError(path, f"corrupt or truncated {fmt} data ({err})") from None
        mode = im.mode
        if mode in ("I;16", "I;16L", "I;16B", "I;16N"):
            arr = np.asarray(im).astype(np.uint16)
            bits = 16
        elif mode == "I":
            raw = np.asarray(im)
            if raw.min() < 0 or raw.max() > 65535:
                raise RadiographError(path, "32-bit integer images are not supported")
            arr = raw.astype(np.uint16)
            bits = 16
        elif mode == "L":
            arr = np.asarray(im, dtype=np.uint8)
            bits = 8
        elif mode in ("1", "LA", "La"):
            arr = np.asarray(im.convert("L"), dtype=np.uint8)
            bits = 8
        elif mode in ("RGB", "RGBA", "RGBa", "P", "PA", "CMYK", "YCbCr", "LAB", "HSV"):
            rgb = np.asarray(im.convert("RGB"), dtype=np.uint8)
            if is_grey_rgb(rgb):
                arr = np.ascontiguousarray(rgb[..., 0])
            else:
                arr = rgb_to_grey(rgb)
                notes.append("colour image shown in grey")
            bits = 8
        elif mode == "F":
            raise RadiographError(path, "floating-point images are not supported")
        else:
            raise RadiographError(path, f"unsupported image mode {mode}")
    if n_frames > 1:
        notes.append(f"{n_frames} frames; showing frame 1")
    arr = np.ascontiguousarray(arr)
    meta = RadiographMetadata(
        source_format="PNG" if fmt == "PNG" else "JPEG",
        photometric="MONOCHROME2",
        bits_stored=bits,
        n_frames=n_frames,
        rows=int(arr.shape[0]),
        columns=int(arr.shape[1]),
        lossy_compressed=fmt == "JPEG",
    )
    radiograph = Radiograph(
        source=source, path=path, stored=arr, metadata=meta, pixel_sha256=pixel_sha256(arr), presets=[], notes=notes
    )
    if bits == 8:
        # an 8-bit picture is shown as stored: 0 black, 255 white
        radiograph.presets.append(WindowPreset(128.0, 256.0, "Full range"))
    else:
        lo, hi = radiograph.modality_range()
        center, width = display.full_range_window(lo, hi)
        radiograph.presets.append(WindowPreset(center, width, "Full range"))
    return radiograph


__all__ = ["load_bitmap"]
