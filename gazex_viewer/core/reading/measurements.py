"""Measurements a radiologist makes on the film: a ruler in millimetres and the cardiothoracic ratio.

Both are kept in image pixels (the film's own frame, like a reading's boxes) together with the spacing they were
measured under, so the value is reproducible and an SR or PDF can state the unit and what the spacing means:

- a **length** is the distance between two points; with ``PixelSpacing`` it is a length in the patient, with
  ``ImagerPixelSpacing`` it is "at the detector" (it includes the projection's magnification, about 10 % on a PA chest
  film) and is labelled so; with no spacing (or a zero or absurd one) a length in mm is refused with a reason:
  a pixel count is not a measurement;
- the **cardiothoracic ratio** (CTR) is the widest horizontal span of the heart over the widest internal span of the
  thorax. It is a ratio of two horizontal distances on one film, so it needs no spacing; the spans in mm are reported
  beside it when the spacing is known. A CTR above 0.5 on a PA film is the usual sign of cardiomegaly.

Everything here is plain data with ``to_dict``/``from_dict`` (a review stores it) and no Qt.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from gazex_viewer.core.errors import GazeXError

#: spacing outside this range (mm per pixel) is not a plausible radiograph's: refused rather than measured with
SPACING_RANGE_MM = (0.01, 5.0)
#: the shortest span that counts as a measurement, in pixels (a click without a drag is not one)
MIN_SPAN_PX = 2.0

Kind = Literal["length", "ctr"]
Point = tuple[float, float]


class MeasurementError(GazeXError):
    """A measurement that cannot be made (no spacing, a zero-length span, a span outside the film)."""


@dataclass(frozen=True)
class Spacing:
    """Millimetres per pixel (row, column) and what they mean."""

    row_mm: float
    col_mm: float
    #: "PixelSpacing" (in the patient) or "ImagerPixelSpacing" (at the detector)
    kind: str

    @property
    def at_detector(self) -> bool:
        return self.kind == "ImagerPixelSpacing"

    @property
    def label(self) -> str:
        """How a length measured under this spacing is qualified for a reader."""
        return "at detector" if self.at_detector else "in patient"

    def to_dict(self) -> dict[str, Any]:
        return {"row_mm": self.row_mm, "col_mm": self.col_mm, "kind": self.kind}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Spacing:
        return cls(float(d["row_mm"]), float(d["col_mm"]), str(d["kind"]))


def spacing_of(pixel_spacing_mm: tuple[float, float] | None, kind: str | None, *, source: str | None = None) -> Spacing:
    """The film's spacing for measuring in mm, or MeasurementError naming ``source`` and why there is none."""
    if pixel_spacing_mm is None or kind is None:
        raise MeasurementError(source, "no pixel spacing in this film: a length in mm cannot be measured on it")
    row, col = (float(v) for v in pixel_spacing_mm)
    lo, hi = SPACING_RANGE_MM
    for v in (row, col):
        if not math.isfinite(v) or v <= 0:
            raise MeasurementError(source, f"pixel spacing {row:g}\\{col:g} mm is zero or invalid: cannot measure in mm")
        if not lo <= v <= hi:
            raise MeasurementError(
                source, f"pixel spacing {row:g}\\{col:g} mm is outside {lo:g}-{hi:g} mm: not trusted for measuring"
            )
    return Spacing(row, col, kind)


@dataclass(frozen=True)
class Measurement:
    """One measurement on the film (pixel coordinates of the film as displayed, origin top left)."""

    id: str
    kind: Kind
    #: length: the two end points; ctr: cardiac span (left, right), then thoracic span (left, right)
    points: tuple[Point, ...]
    spacing: Spacing | None = None

    # -- values ---------------------------------------------------------------------------------------------
    @property
    def length_mm(self) -> float | None:
        """A length's millimetres (None without spacing or for a CTR)."""
        if self.kind != "length" or self.spacing is None:
            return None
        (x0, y0), (x1, y1) = self.points
        return math.hypot((x1 - x0) * self.spacing.col_mm, (y1 - y0) * self.spacing.row_mm)

    @property
    def cardiac_px(self) -> float:
        return abs(self.points[1][0] - self.points[0][0])

    @property
    def thoracic_px(self) -> float:
        return abs(self.points[3][0] - self.points[2][0])

    @property
    def ratio(self) -> float | None:
        """The CTR (None for a length)."""
        if self.kind != "ctr":
            return None
        return self.cardiac_px / self.thoracic_px

    def span_mm(self, which: Literal["cardiac", "thoracic"]) -> float | None:
        """A CTR span's millimetres (None without spacing)."""
        if self.kind != "ctr" or self.spacing is None:
            return None
        return (self.cardiac_px if which == "cardiac" else self.thoracic_px) * self.spacing.col_mm

    @property
    def text(self) -> str:
        """What the film, the report, the PDF and the SR comment show, e.g. "48.2 mm (at detector)" or "CTR 0.56"."""
        if self.kind == "length":
            mm = self.length_mm
            return f"{mm:.1f} mm ({self.spacing.label})" if mm is not None and self.spacing else "length: no spacing"
        ratio = self.ratio or 0.0
        out = f"CTR {ratio:.2f}"
        cardiac, thoracic = self.span_mm("cardiac"), self.span_mm("thoracic")
        if cardiac is not None and thoracic is not None and self.spacing is not None:
            out += f" (heart {cardiac:.0f} mm / thorax {thoracic:.0f} mm, {self.spacing.label})"
        return out

    # -- storage --------------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "points": [[float(x), float(y)] for x, y in self.points],
            "spacing": None if self.spacing is None else self.spacing.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Measurement:
        kind = d.get("kind")
        if kind not in ("length", "ctr"):
            raise ValueError(f"unknown measurement kind {kind!r}")
        points = tuple((float(p[0]), float(p[1])) for p in d["points"])
        if len(points) != (2 if kind == "length" else 4):
            raise ValueError(f"a {kind} measurement has {2 if kind == 'length' else 4} points, not {len(points)}")
        spacing = d.get("spacing")
        return cls(str(d["id"]), kind, points, None if spacing is None else Spacing.from_dict(spacing))


def _new_id() -> str:
    return "m-" + uuid.uuid4().hex[:12]


def _check_inside(points: tuple[Point, ...], size: tuple[int, int], source: str | None) -> None:
    width, height = size
    for x, y in points:
        if not (math.isfinite(x) and math.isfinite(y)) or not (0 <= x <= width and 0 <= y <= height):
            raise MeasurementError(source, f"point ({x:.0f}, {y:.0f}) is outside the {width}x{height} film")


def ruler(
    start: Point, end: Point, spacing: Spacing | None, *, size: tuple[int, int], source: str | None = None
) -> Measurement:
    """A length from ``start`` to ``end``; MeasurementError without spacing, for a 1-pixel span or off the film."""
    if spacing is None:
        raise MeasurementError(source, "no pixel spacing in this film: a length in mm cannot be measured on it")
    points = (start, end)
    _check_inside(points, size, source)
    if math.hypot(end[0] - start[0], end[1] - start[1]) < MIN_SPAN_PX:
        raise MeasurementError(source, "the ruler is shorter than 2 pixels: drag from one end to the other")
    return Measurement(_new_id(), "length", points, spacing)


def cardiothoracic_ratio(
    cardiac: tuple[Point, Point],
    thoracic: tuple[Point, Point],
    spacing: Spacing | None,
    *,
    size: tuple[int, int],
    source: str | None = None,
) -> Measurement:
    """A CTR from a cardiac and a thoracic horizontal span (each given by its two ends, y taken as drawn).

    Each span is made horizontal (its ends' x kept, both at the first end's height) and ordered left to right.
    Refused when a span is under 2 pixels wide or the heart is wider than the thorax (the spans were swapped or
    misdrawn).
    """
    def level(span: tuple[Point, Point]) -> tuple[Point, Point]:
        (x0, y0), (x1, _y1) = span
        left, right = sorted((x0, x1))
        return (left, y0), (right, y0)

    c, t = level(cardiac), level(thoracic)
    points = (*c, *t)
    _check_inside(points, size, source)
    if c[1][0] - c[0][0] < MIN_SPAN_PX or t[1][0] - t[0][0] < MIN_SPAN_PX:
        raise MeasurementError(source, "a CTR span is shorter than 2 pixels: drag across the heart, then the thorax")
    if c[1][0] - c[0][0] > t[1][0] - t[0][0]:
        raise MeasurementError(source, "the cardiac span is wider than the thoracic span: draw the heart first")
    return Measurement(_new_id(), "ctr", points, spacing)


def check_measurement(m: Measurement, size: tuple[int, int], source: str | None = None) -> None:
    """MeasurementError when ``m`` is not one :func:`ruler` or :func:`cardiothoracic_ratio` would make on a film of
    ``size``: a point off the film, a span under 2 pixels, a length without spacing, a heart wider than the thorax.

    A review checks every measurement it is given with this (a measurement read from a file or made by another
    program is held to the same rules as one drawn in the viewer).
    """
    _check_inside(m.points, size, source)
    if m.kind == "length":
        if m.spacing is None:
            raise MeasurementError(source, "no pixel spacing in this film: a length in mm cannot be measured on it")
        (x0, y0), (x1, y1) = m.points
        if math.hypot(x1 - x0, y1 - y0) < MIN_SPAN_PX:
            raise MeasurementError(source, "the ruler is shorter than 2 pixels: drag from one end to the other")
        return
    if m.cardiac_px < MIN_SPAN_PX or m.thoracic_px < MIN_SPAN_PX:
        raise MeasurementError(source, "a CTR span is shorter than 2 pixels: drag across the heart, then the thorax")
    if m.cardiac_px > m.thoracic_px:
        raise MeasurementError(source, "the cardiac span is wider than the thoracic span: draw the heart first")
