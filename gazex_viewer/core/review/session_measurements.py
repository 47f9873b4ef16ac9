"""The review session's measurements: adding and removing a ruler or a cardiothoracic ratio as review events.

:class:`SessionMeasurements` is the part of :class:`~gazex_viewer.core.review.session.ReviewSession` that records
the radiologist's :class:`~gazex_viewer.core.reading.measurements.Measurement` s. Each one lives in the
``measurement`` slot named by its id: ``measure`` records the measurement's dict as the event's ``after`` (its id as
the event's ``finding_id``), ``unmeasure`` records it as ``before``; undo and redo work as for every other slot, the
event log rebuilds them on load, and a signed review refuses both. A measurement is checked against the film's size
(:func:`~gazex_viewer.core.reading.measurements.check_measurement`) before anything is recorded.
"""

from __future__ import annotations

from typing import Any

from gazex_viewer.core.reading.document import Measurement, Reading, Review, ReviewEvent
from gazex_viewer.core.reading.measurements import MeasurementError, check_measurement
from gazex_viewer.core.review.review_errors import ReviewError
from gazex_viewer.core.review.reviewed import Slot


class SessionMeasurements:
    """``add_measurement`` / ``remove_measurement`` over a session's :meth:`_record` (see the module docstring)."""

    _reading: Reading

    @property
    def review(self) -> Review:
        raise NotImplementedError

    def _check_open(self) -> None:
        raise NotImplementedError

    def _record(self, action: str, finding_id: str | None, slot: Slot, after: Any) -> ReviewEvent | None:
        raise NotImplementedError

    @property
    def measurements(self) -> list[Measurement]:
        """The review's measurements, in the order they were made."""
        return list(self.review.measurements)

    def add_measurement(self, measurement: Measurement) -> ReviewEvent:
        """Record a measurement made on the film (a ``measure`` event).

        Raises ReviewError, and records nothing, when the review is signed, the measurement's id is taken, or the
        measurement is not a valid one on this film (a point off the film, a 1-pixel span, a length without
        spacing).
        """
        self._check_open()
        image = self._reading.image
        try:
            check_measurement(measurement, (image.width, image.height))
        except MeasurementError as err:
            raise ReviewError(None, f"measurement not saved: {err.reason}") from None
        if any(m.id == measurement.id for m in self.review.measurements):
            raise ReviewError(None, f"measurement not saved: this review already has a measurement {measurement.id!r}")
        event = self._record("measure", measurement.id, "measurement", measurement.to_dict())
        assert event is not None  # a new id: the slot was empty
        return event

    def remove_measurement(self, measurement_id: str) -> ReviewEvent:
        """Delete a measurement (an ``unmeasure`` event; undo brings it back in its place)."""
        self._check_open()
        if not any(m.id == measurement_id for m in self.review.measurements):
            raise ReviewError(None, f"reading {self._reading.reading_id} has no measurement {measurement_id!r}")
        event = self._record("unmeasure", measurement_id, "measurement", None)
        assert event is not None
        return event
