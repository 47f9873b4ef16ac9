"""Reading identity in one place: the unknown pixel hash, and "is this reading of this film?" for every caller."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from gazex_viewer.core.errors import ExportError
from gazex_viewer.core.export.sr import check_same_image
from gazex_viewer.core.gaze import importers
from gazex_viewer.core.gaze.agreement import film_mismatch
from gazex_viewer.core.reading.document import Reading
from gazex_viewer.core.reading.frames import film_frame
from gazex_viewer.core.reading.identity import (
    UNKNOWN_PIXEL_SHA256,
    known_pixel_hash,
    pixel_hash_known,
    pixel_match,
)
from gazex_viewer.core.reading.validation import load_reading

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "resources" / "examples" / "sample_reading.json"
REAL = "fdc4ee87b712cfcd6342c64ba774a49efa12033cd278a0c30bc99da3bc750a18"  # the sample film's pixel hash
OTHER = "ab" * 32


def _reading(pixel_sha256: str) -> Reading:
    reading = load_reading(SAMPLE)
    reading.image.pixel_sha256 = pixel_sha256
    return reading


def test_the_unknown_hash_is_sixty_four_zeros_and_defined_once() -> None:
    assert UNKNOWN_PIXEL_SHA256 == "0" * 64
    assert importers.UNKNOWN_PIXEL_SHA256 is UNKNOWN_PIXEL_SHA256  # re-exported, not a copy
    for module in ("gazex_viewer/core/export/sr.py", "gazex_viewer/core/gaze/importers.py", "gazex_viewer/ui/film/overlay.py"):
        text = (ROOT / module).read_text(encoding="utf-8")
        assert '"0" * 64' not in text, f"{module} defines the unknown hash again"


def test_known_hash_is_stripped_lowercase_and_never_zeros() -> None:
    assert known_pixel_hash(REAL.upper() + " ") == REAL
    for unknown in (None, "", "   ", UNKNOWN_PIXEL_SHA256, "000"):
        assert known_pixel_hash(unknown) is None
        assert not pixel_hash_known(unknown)
    assert pixel_hash_known(REAL)


@pytest.mark.parametrize(
    ("reading_hash", "film_hash", "expected"),
    [
        (REAL, REAL, "match"),
        (REAL, REAL.upper(), "match"),
        (REAL, OTHER, "differs"),
        (UNKNOWN_PIXEL_SHA256, REAL, "unknown"),
        ("", REAL, "unknown"),
        (REAL, None, "unknown"),
        (REAL, "", "unknown"),
        (UNKNOWN_PIXEL_SHA256, UNKNOWN_PIXEL_SHA256, "unknown"),  # two unknown images are not "the same film"
    ],
)
def test_pixel_match_rule(reading_hash: str, film_hash: str | None, expected: str) -> None:
    assert pixel_match(reading_hash, film_hash) == expected
    assert pixel_match(film_hash, reading_hash) == expected  # symmetric


@pytest.mark.parametrize("film_hash", [REAL, OTHER, UNKNOWN_PIXEL_SHA256, None])
@pytest.mark.parametrize("reading_hash", [REAL, OTHER, UNKNOWN_PIXEL_SHA256])
def test_every_caller_follows_the_one_rule(reading_hash: str, film_hash: str | None) -> None:
    """The SR/PDF export refusal, the overlay's film frame and the agreement's film check say the same thing."""
    verdict = pixel_match(reading_hash, film_hash)
    reading = _reading(reading_hash)
    # export: refuses exactly the films whose pixels differ
    if verdict == "differs":
        with pytest.raises(ExportError, match="not the pixels of the reading's image"):
            check_same_image(reading, film_hash, "film.png")
    else:
        check_same_image(reading, film_hash, "film.png")
    # overlay frame: its hash status is the rule's verdict
    frame = film_frame(reading, reading.image.width, reading.image.height, film_hash)
    assert frame.hash_status == verdict
    # agreement: two readings whose hashes differ are of different films; equal hashes are one film
    other = _reading(film_hash or "")
    mismatch = film_mismatch(reading, other)
    if verdict == "differs":
        assert mismatch is not None and "pixel hashes differ" in mismatch
    elif verdict == "match":
        assert mismatch is None
    else:  # unknown: falls back to the names, which are the same here
        assert mismatch is None


def test_main_window_uses_the_rule_and_keeps_no_copy() -> None:
    # the window's "show this reading over this film?" rule lives in its documents part
    text = (ROOT / "gazex_viewer" / "ui" / "shell" / "documents.py").read_text(encoding="utf-8")
    assert "pixel_match(" in text
    assert 'set(theirs) != {"0"}' not in text


def test_film_frame_notes_say_why() -> None:
    reading = _reading(REAL)
    w, h = reading.image.width, reading.image.height
    assert film_frame(reading, w, h, REAL).notes == ()
    differs = film_frame(reading, w, h, OTHER)
    assert differs.hash_status == "differs" and "pixels differ" in differs.notes[0]
    unknown = film_frame(_reading(UNKNOWN_PIXEL_SHA256), w, h, REAL)
    assert unknown.hash_status == "unknown" and "Image hash unknown" in unknown.notes[0]
    other_size = film_frame(reading, w * 2, h, REAL)
    assert not other_size.scaled and "not rescaled" in other_size.notes[-1]


def test_frames_are_qt_free() -> None:
    code = (
        "import sys; import gazex_viewer.core.reading.frames, gazex_viewer.core.reading.identity; "
        "bad = [m for m in ('PySide6', 'pyqtgraph', 'torch') if m in sys.modules]; "
        "sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], check=False, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_a_gazesearch_reading_is_scaled_onto_a_larger_film_without_changing_the_input() -> None:
    from gazex_viewer.core.reading.frames import GAZESEARCH_FRAME_NAME, reading_for_film

    reading = _reading(UNKNOWN_PIXEL_SHA256)
    reading.producer.coordinate_frame = GAZESEARCH_FRAME_NAME
    reading.image.width = reading.image.height = 224
    before = copy.deepcopy(reading)
    film = SimpleNamespace(width=448, height=672, pixel_sha256=REAL)
    shown, frame = reading_for_film(reading, film)
    assert (frame.sx, frame.sy) == (2.0, 3.0) and frame.scaled and frame.hash_status == "unknown"
    assert (shown.image.width, shown.image.height) == (448, 672)
    assert shown.image.pixel_sha256 == UNKNOWN_PIXEL_SHA256  # an unknown hash stays unknown
    p0, q0 = reading.trajectory[0], shown.trajectory[0]
    assert (q0.x, q0.y) == (p0.x * 2.0, p0.y * 3.0)
    box, scaled = reading.findings[0].observation, shown.findings[0].observation
    assert box is not None and scaled is not None and scaled.x_max == box.x_max * 2.0
    assert any("scaled from GazeSearch" in w for w in shown.warnings)
    assert reading.to_dict() == before.to_dict()  # the input is not changed


def test_clock_map_and_shared_clock() -> None:
    from gazex_viewer.core.reading.frames import ClockMap, SharedClockPlayback

    seconds = ClockMap(10.0, 4.0)
    assert seconds.b_time(3.0) == 3.0 and seconds.clock_duration == 10.0
    stretch = ClockMap(10.0, 4.0, mode="stretch")
    assert stretch.b_time(5.0) == 2.0 and stretch.clock_duration == 10.0
    assert ClockMap(0.0, 4.0, mode="stretch").clock_duration == 4.0
    reading = _reading(REAL)
    playback = SharedClockPlayback(reading.trajectory, duration=reading.duration + 5.0)
    assert playback.duration == reading.duration + 5.0
    assert SharedClockPlayback([], duration=7.0).duration == 7.0
