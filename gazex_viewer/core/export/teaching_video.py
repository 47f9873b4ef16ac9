"""Teaching video: the film with the animated inspection trajectory and the sentence being inspected as a caption.

:func:`write_inspection_video` renders one frame per ``1/fps`` seconds of video with OpenCV (no Qt): the film as
the viewer shows it by default, the current sentence's regions, the trail of the last fixations with saccades, the
current fixation ringed, and the sentence as a caption; ``speed`` plays the reading faster (2.0: a 30 s reading
takes 15 s). The MP4 is written with OpenCV's ``VideoWriter`` (MPEG-4 Part 2, ``mp4v``: the codec the
opencv-python-headless wheel carries; H.264 is not in it) through a temporary file in the output folder, renamed
when complete: a failure leaves nothing behind.

opencv is imported on first use.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gazex_viewer.core.errors import ExportError
from gazex_viewer.core.reading.document import Reading
from gazex_viewer.core.reading.playback import TrajectoryPlayback

#: BGR colours of the overlay (OpenCV order)
_TRAIL = (255, 200, 90)
_CURRENT = (80, 220, 255)
_REGION = (255, 170, 60)
_CLUE = (200, 140, 60)
#: the longest side of a video frame (pixels); films are scaled down to it
MAX_SIDE = 1024
#: the most frames one video may have (10 minutes at 25 fps)
MAX_FRAMES = 15_000


@dataclass(frozen=True)
class VideoResult:
    """What :func:`write_inspection_video` wrote."""

    path: Path
    frames: int
    fps: float
    width: int
    height: int
    seconds: float


def display_sentence(text: str) -> str:
    """A model sentence as a caption (:func:`~gazex_viewer.core.reading.report_display.display_sentence`), in ASCII:
    OpenCV's Hershey fonts have no other glyphs."""
    from gazex_viewer.core.reading.report_display import display_sentence as readable

    return readable(text).encode("ascii", "replace").decode("ascii")


def _wrap(text: str, width_px: int, scale: float) -> list[str]:
    import cv2

    words, lines, cur = text.split(), [], ""
    for w in words:
        trial = f"{cur} {w}".strip()
        (tw, _), _ = cv2.getTextSize(trial, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
        if tw > width_px and cur:
            lines.append(cur)
            cur = w
        else:
            cur = trial
    if cur:
        lines.append(cur)
    return lines[:3]


class FrameRenderer:
    """Draws the frame at a reading time ``t`` (seconds of reading time) on a scaled copy of the film."""

    def __init__(self, film: np.ndarray, reading: Reading, *, trail: int = 6, max_side: int = MAX_SIDE) -> None:
        import cv2

        if film.ndim != 2 or film.dtype != np.uint8:
            raise ExportError(None, "the film must be an 8-bit grey picture")
        h, w = film.shape
        self.scale = min(1.0, max_side / max(h, w))
        # even sides: MPEG-4 encoders want them
        self.width = max(2, int(round(w * self.scale)) // 2 * 2)
        self.height = max(2, int(round(h * self.scale)) // 2 * 2)
        self.sx = self.width / w
        self.sy = self.height / h
        small = cv2.resize(film, (self.width, self.height), interpolation=cv2.INTER_AREA)
        self.base = cv2.cvtColor(small, cv2.COLOR_GRAY2BGR)
        self.reading = reading
        self.playback = TrajectoryPlayback(reading.trajectory)
        self.playback.trail_length = trail
        self.findings = {f.id: f for f in reading.findings}
        self.font_scale = max(0.45, self.width / 1600)

    def point_px(self, index: int) -> tuple[int, int]:
        """A trajectory point in frame pixels."""
        p = self.playback.points[index]
        return int(round(p.x * self.sx)), int(round(p.y * self.sy))

    def frame(self, t: float) -> np.ndarray:
        import cv2

        img = self.base.copy()
        pb = self.playback
        pb.seek(t)
        idx = pb.current_index
        fid = pb.current_finding_id
        finding = self.findings.get(fid) if fid else None
        if finding is not None:
            for box, colour, thick in [
                *((c, _CLUE, 1) for c in finding.clues),
                *([(finding.observation, _REGION, 2)] if finding.observation is not None else []),
            ]:
                p1 = (int(box.x_min * self.sx), int(box.y_min * self.sy))
                p2 = (int(box.x_max * self.sx), int(box.y_max * self.sy))
                cv2.rectangle(img, p1, p2, colour, thick, cv2.LINE_AA)
        if idx is not None:
            trail = list(pb.trail_indices())
            for a, b in zip(trail, trail[1:]):
                cv2.line(img, self.point_px(a), self.point_px(b), _TRAIL, 1, cv2.LINE_AA)
            radius = max(4, self.width // 90)
            for k in trail[:-1]:
                cv2.circle(img, self.point_px(k), radius // 2 + 1, _TRAIL, -1, cv2.LINE_AA)
            cv2.circle(img, self.point_px(idx), radius, _CURRENT, 2, cv2.LINE_AA)
        caption = display_sentence(finding.text) if finding is not None else ""
        if caption:
            lines = _wrap(caption, self.width - 20, self.font_scale)
            line_h = int(30 * self.font_scale) + 6
            top = self.height - line_h * len(lines) - 10
            band = img[max(0, top - 6) :, :]
            band[:] = (band * 0.35).astype(np.uint8)
            for k, line in enumerate(lines):
                y = top + line_h * (k + 1) - 6
                cv2.putText(img, line, (10, y), cv2.FONT_HERSHEY_SIMPLEX, self.font_scale, (255, 255, 255), 1,
                            cv2.LINE_AA)
        return img


def write_inspection_video(
    film: np.ndarray,
    reading: Reading,
    out: str | os.PathLike[str],
    *,
    fps: float = 10.0,
    speed: float = 1.0,
    trail: int = 6,
    progress: Callable[[int, int], None] | None = None,
) -> VideoResult:
    """Write the inspection of ``reading`` over ``film`` (8-bit grey) as an MP4 at ``out``.

    Raises
    ------
    ExportError
        One line: no trajectory, bad speed or fps, an unwritable folder, a codec the OpenCV build lacks.
    """
    import cv2

    out = Path(out)
    if not reading.trajectory:
        raise ExportError(out, "the reading has no trajectory: there is nothing to animate")
    if not (0.1 <= speed <= 16):
        raise ExportError(out, f"speed {speed} is out of range (0.1 to 16)")
    if not (1 <= fps <= 60):
        raise ExportError(out, f"fps {fps} is out of range (1 to 60)")
    if out.suffix.lower() != ".mp4":
        raise ExportError(out, "the video must be an .mp4 file")
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise ExportError(out, "the output folder does not exist")
    if not os.access(folder, os.W_OK):
        raise ExportError(out, "the output folder is not writable")
    if out.exists() and not out.is_file():
        raise ExportError(out, "exists and is not a regular file")
    duration = reading.duration
    n_frames = max(1, int(np.ceil(duration / speed * fps)) + 1)
    if n_frames > MAX_FRAMES:
        raise ExportError(out, f"the video would have {n_frames} frames (at most {MAX_FRAMES}): raise the speed")
    renderer = FrameRenderer(film, reading, trail=trail)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.stem}-", suffix=".mp4", dir=folder)
    os.close(fd)
    tmp = Path(tmp_name)
    writer = None
    try:
        fourcc = cv2.VideoWriter.fourcc(*"mp4v")
        writer = cv2.VideoWriter(str(tmp), fourcc, float(fps),
                                 (renderer.width, renderer.height))
        if not writer.isOpened():
            raise ExportError(out, "OpenCV cannot write MPEG-4 video here (no mp4v encoder in this build)")
        for k in range(n_frames):
            t = min(duration, k * speed / fps)
            writer.write(renderer.frame(t))
            if progress is not None:
                progress(k + 1, n_frames)
        writer.release()
        writer = None
        if tmp.stat().st_size == 0:
            raise ExportError(out, "the video encoder wrote nothing")
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        tmp.replace(out)
    except OSError as exc:
        raise ExportError(out, f"cannot write the video ({exc.strerror or exc})") from None
    finally:
        if writer is not None:
            writer.release()
        if tmp.exists():
            tmp.unlink()
    return VideoResult(out, n_frames, float(fps), renderer.width, renderer.height, n_frames / fps)
