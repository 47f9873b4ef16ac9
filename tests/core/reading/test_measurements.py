"""The ruler and the cardiothoracic ratio: values, units, refusals (issue 17's bad input)."""

from __future__ import annotations

import math

import pytest

from gazex_viewer.core.reading.measurements import (
    Measurement,
    MeasurementError,
    Spacing,
    cardiothoracic_ratio,
    ruler,
    spacing_of,
)

SIZE = (1841, 1955)  # RG1's columns x rows
DETECTOR = Spacing(0.143, 0.143, "ImagerPixelSpacing")
PATIENT = Spacing(0.2, 0.1, "PixelSpacing")


def test_ruler_length_uses_row_and_column_spacing() -> None:
    m = ruler((100, 100), (400, 500), PATIENT, size=SIZE)
    # 300 columns x 0.1 mm and 400 rows x 0.2 mm
    assert m.length_mm == pytest.approx(math.hypot(30.0, 80.0))
    assert m.text == f"{math.hypot(30.0, 80.0):.1f} mm (in patient)"


def test_ruler_under_imager_spacing_is_labelled_at_detector() -> None:
    m = ruler((0, 0), (0, 1000), DETECTOR, size=SIZE)
    assert m.length_mm == pytest.approx(143.0)
    assert m.text == "143.0 mm (at detector)"


@pytest.mark.parametrize(
    ("spacing", "kind", "words"),
    [
        (None, None, "no pixel spacing"),
        ((0.0, 0.0), "PixelSpacing", "zero or invalid"),  # RG1's header says 0\0
        ((float("nan"), 0.1), "PixelSpacing", "zero or invalid"),
        ((-0.1, 0.1), "PixelSpacing", "zero or invalid"),
        ((50.0, 50.0), "PixelSpacing", "outside"),
    ],
)
def test_unusable_spacing_is_refused_with_a_reason(
    spacing: tuple[float, float] | None, kind: str | None, words: str
) -> None:
    with pytest.raises(MeasurementError) as err:
        spacing_of(spacing, kind, source="RG1_UNCR.dcm")
    assert str(err.value).startswith("RG1_UNCR.dcm: ")
    assert words in str(err.value)


def test_ruler_without_spacing_or_too_short_or_off_the_film_is_refused() -> None:
    with pytest.raises(MeasurementError, match="no pixel spacing"):
        ruler((0, 0), (10, 10), None, size=SIZE)
    with pytest.raises(MeasurementError, match="shorter than 2 pixels"):
        ruler((5, 5), (6, 5), DETECTOR, size=SIZE)  # a 1x1 measurement
    with pytest.raises(MeasurementError, match="outside the 1841x1955 film"):
        ruler((5, 5), (5000, 5), DETECTOR, size=SIZE)


def test_ctr_is_a_ratio_of_widths_and_needs_no_spacing() -> None:
    m = cardiothoracic_ratio(((1300, 1500), (800, 1520)), ((400, 1300), (1700, 1310)), None, size=SIZE)
    # spans are ordered left to right and levelled at the first end's height
    assert m.points == ((800, 1500), (1300, 1500), (400, 1300), (1700, 1300))
    assert m.ratio == pytest.approx(500 / 1300)
    assert m.text == "CTR 0.38"
    with_mm = cardiothoracic_ratio(((800, 1500), (1300, 1500)), ((400, 1300), (1700, 1300)), DETECTOR, size=SIZE)
    assert with_mm.span_mm("cardiac") == pytest.approx(71.5)
    assert with_mm.text == "CTR 0.38 (heart 72 mm / thorax 186 mm, at detector)"


def test_ctr_with_swapped_or_empty_spans_is_refused() -> None:
    with pytest.raises(MeasurementError, match="wider than the thoracic"):
        cardiothoracic_ratio(((400, 1300), (1700, 1300)), ((800, 1500), (1300, 1500)), None, size=SIZE)
    with pytest.raises(MeasurementError, match="shorter than 2 pixels"):
        cardiothoracic_ratio(((800, 1500), (801, 1500)), ((400, 1300), (1700, 1300)), None, size=SIZE)


def test_measurements_round_trip_through_a_dict() -> None:
    for m in (
        ruler((1, 2), (300, 400), DETECTOR, size=SIZE),
        cardiothoracic_ratio(((800, 1500), (1300, 1500)), ((400, 1300), (1700, 1300)), None, size=SIZE),
    ):
        back = Measurement.from_dict(m.to_dict())
        assert back == m
        assert back.text == m.text
    with pytest.raises(ValueError, match="unknown measurement kind"):
        Measurement.from_dict({"id": "m", "kind": "angle", "points": []})
    with pytest.raises(ValueError, match="has 2 points, not 3"):
        Measurement.from_dict({"id": "m", "kind": "length", "points": [[0, 0], [1, 1], [2, 2]]})
