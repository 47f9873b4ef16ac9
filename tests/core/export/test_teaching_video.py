"""Teaching video: read back with OpenCV (frame count, duration, where the current fixation is drawn)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from gazex_viewer.core.errors import ExportError
from gazex_viewer.core.export.teaching_video import FrameRenderer, display_sentence, write_inspection_video
from gazex_viewer.core.imaging.files import load_radiograph
from gazex_viewer.core.reading.document import Reading
from gazex_viewer.core.reading.playback import TrajectoryPlayback
from gazex_viewer.core.resources import resource_path

SAMPLE = resource_path("sample_study", "00000001_000.png")
READING = resource_path("examples", "sample_reading.json")


def _reading() -> Reading:
    return Reading.from_json(Path(READING).read_text(encoding="utf-8"))


def _ring_centre(frame: np.ndarray) -> tuple[float, float]:
    """Centre of the pixels drawn in the current-fixation colour (BGR 80, 220, 255)."""
    d = np.abs(frame.astype(int) - np.array([80, 220, 255])).sum(axis=2)
    ys, xs = np.nonzero(d < 60)
    assert xs.size > 10, "no current-fixation ring in this frame"
    return float(xs.mean()), float(ys.mean())


def test_video_reads_back_with_the_right_length_and_the_fixation_where_the_player_has_it(tmp_path: Path) -> None:
    import cv2

    reading = _reading()
    film = load_radiograph(SAMPLE).render()
    out = tmp_path / "inspection.mp4"
    result = write_inspection_video(film, reading, out, fps=10, speed=2.0)
    want_frames = int(np.ceil(reading.duration / 2.0 * 10)) + 1
    assert result.frames == want_frames and (result.width, result.height) == (512, 512)
    cap = cv2.VideoCapture(str(out))
    try:
        assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == want_frames
        assert cap.get(cv2.CAP_PROP_FPS) == pytest.approx(10.0)
        frames = []
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            frames.append(frame)
    finally:
        cap.release()
    assert len(frames) == want_frames
    # at several reading times, the ring is where the player's current fixation is
    pb = TrajectoryPlayback(reading.trajectory)
    for k in (3, len(frames) // 2, len(frames) - 1):
        t = min(reading.duration, k * 2.0 / 10)
        pb.seek(t)
        p = reading.trajectory[pb.current_index]
        cx, cy = _ring_centre(frames[k])
        assert abs(cx - p.x) < 3 and abs(cy - p.y) < 3, (k, (cx, cy), (p.x, p.y))
    # the decoded frame is the rendered one (lossy MPEG-4: close, not equal)
    rendered = FrameRenderer(film, reading).frame(min(reading.duration, 3 * 2.0 / 10))
    assert np.abs(frames[3].astype(float) - rendered).mean() < 6
    assert [p.name for p in tmp_path.iterdir()] == ["inspection.mp4"]


def test_bad_input_is_one_line_and_leaves_nothing(tmp_path: Path) -> None:
    reading = _reading()
    film = load_radiograph(SAMPLE).render()
    empty = _reading()
    empty.trajectory = []
    with pytest.raises(ExportError, match="no trajectory: there is nothing to animate"):
        write_inspection_video(film, empty, tmp_path / "a.mp4")
    with pytest.raises(ExportError, match="must be an .mp4 file"):
        write_inspection_video(film, reading, tmp_path / "a.avi")
    with pytest.raises(ExportError, match="output folder does not exist"):
        write_inspection_video(film, reading, tmp_path / "missing" / "a.mp4")
    with pytest.raises(ExportError, match="speed 0 is out of range"):
        write_inspection_video(film, reading, tmp_path / "a.mp4", speed=0)
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        with pytest.raises(ExportError, match="not writable"):
            write_inspection_video(film, reading, locked / "a.mp4")
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == []


def test_video_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from gazex_viewer.cli import main

    out = tmp_path / "v.mp4"
    assert main(["video", str(READING), "--image", str(SAMPLE), "-o", str(out)]) == 0
    assert out.stat().st_size > 1000
    assert "frames, 512 x 512" in capsys.readouterr().err
    nih = resource_path("sample_study", "nih_dx_secondary_capture.dcm")
    assert main(["video", str(READING), "--image", str(nih), "-o", str(tmp_path / "w.mp4")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "but the reading was made on a 512 x 512 px film" in err[0]
    assert not (tmp_path / "w.mp4").exists()


def test_captions_are_readable_sentences() -> None:
    assert display_sentence("enlarged cardiac silhouette .") == "Enlarged cardiac silhouette."
    assert display_sentence("no effusion , no pneumothorax .") == "No effusion, no pneumothorax."
