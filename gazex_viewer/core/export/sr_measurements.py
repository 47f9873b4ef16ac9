"""The radiologist's film measurements as TID 1500 measurement groups (highdicom), with units.

- a **length** is a planar-ROI group (TID 1410): the two end points as a POLYLINE region on the film and one
  numeric measurement, SCT 410668003 "Length" in UCUM ``mm``; a length measured under ImagerPixelSpacing carries a
  comment that it is at the detector (magnified);
- a **cardiothoracic ratio** is a measurement group (TID 1501) holding SCT 118586006 "Ratio" in UCUM ``{ratio}``
  and, when the film has a spacing, the two widths (SCT 103355008 "Width", ``mm``) with their finding sites
  (SCT 80891009 "Heart", SCT 816094009 "Thorax"); a comment says what the ratio is and where each span was drawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from gazex_viewer.core.reading.measurements import Measurement

if TYPE_CHECKING:
    import highdicom as hd
    from pydicom.dataset import Dataset
    from pydicom.sr.coding import Code



def measurement_groups(
    measurements: Sequence[Measurement], source: Dataset, frames: list[int] | None
) -> list[hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations | hd.sr.MeasurementsAndQualitativeEvaluations]:
    """One TID 1500 measurement group per measurement, in the order they were made."""
    import highdicom as hd
    import numpy as np
    from pydicom.sr.codedict import codes
    from pydicom.uid import generate_uid

    contains = hd.sr.RelationshipTypeValues.CONTAINS

    def comment(text: str) -> hd.sr.TextContentItem:
        return hd.sr.TextContentItem(name=codes.DCM.Comment, value=text, relationship_type=contains)

    out: list[hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations | hd.sr.MeasurementsAndQualitativeEvaluations]
    out = []
    for n, m in enumerate(measurements, start=1):
        tracking = hd.sr.TrackingIdentifier(uid=generate_uid(), identifier=f"measurement {n} ({m.id})"[:64])
        if m.kind == "length":
            mm = m.length_mm
            if mm is None or m.spacing is None:
                continue  # a length is only ever made with a spacing (measurements.ruler refuses otherwise)
            region = hd.sr.ImageRegion(
                graphic_type=hd.sr.GraphicTypeValues.POLYLINE,
                graphic_data=np.array(m.points, dtype=np.float32),
                source_image=hd.sr.SourceImageForRegion.from_source_image(source, referenced_frame_numbers=frames),
            )
            length = hd.sr.Measurement(name=codes.SCT.Length, value=round(mm, 2), unit=codes.UCUM.Millimeter)
            group: (hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations
                    | hd.sr.MeasurementsAndQualitativeEvaluations) = (
                hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations(
                    tracking_identifier=tracking, referenced_region=region, measurements=[length]
                )
            )
            group[0].ContentSequence.append(comment(
                f"Ruler: {m.text}; pixel spacing {m.spacing.row_mm:g}\\{m.spacing.col_mm:g} mm ({m.spacing.kind})"
            ))
        else:
            ratio = m.ratio or 0.0
            items = [hd.sr.Measurement(name=codes.SCT.Ratio, value=round(ratio, 3), unit=codes.UCUM.Ratio)]
            sides: tuple[tuple[Literal["cardiac", "thoracic"], Code], ...] = (
                ("cardiac", codes.SCT.Heart), ("thoracic", codes.SCT.Thorax)
            )
            for which, site in sides:
                width = m.span_mm(which)
                if width is not None:
                    items.append(hd.sr.Measurement(
                        name=codes.SCT.Width, value=round(width, 1), unit=codes.UCUM.Millimeter,
                        finding_sites=[hd.sr.FindingSite(anatomic_location=site)],
                    ))
            group = hd.sr.MeasurementsAndQualitativeEvaluations(tracking_identifier=tracking, measurements=items)
            (cx0, cy), (cx1, _), (tx0, ty), (tx1, _) = m.points
            group[0].ContentSequence.append(comment(
                f"Cardiothoracic ratio (heart width over internal thoracic width): {m.text}; heart span x "
                f"{cx0:.0f}-{cx1:.0f} at y {cy:.0f}, thorax span x {tx0:.0f}-{tx1:.0f} at y {ty:.0f} (film pixels)"
            ))
        out.append(group)
    return out
