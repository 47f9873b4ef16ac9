"""The ABCDEF zones of a systematic chest X-ray reading, as regions of the film.

The mnemonic taught for a frontal chest radiograph is A airway, B bones (and soft tissues), C cardiac
silhouette, D diaphragm (domes and costophrenic angles), E edges (the pleural margins, where effusions
and pneumothoraces show), F fields (the lung fields and hila). Here each zone is a rectangle in
coordinates normalised to the chest bounding box (u = 0 at the image's left edge of the chest, which is
the patient's right; v = 0 at the lung apices), and a point belongs to the first zone of
:data:`ZONE_PRIORITY` that contains it; B takes everything else (shoulders, neck, ribs outside the
lungs, soft tissue outside the chest box).

=====  ==============================================  ====================
zone   rectangle(s) in (u, v)                          priority
=====  ==============================================  ====================
A      u 0.40-0.60, v 0.00-0.30 (trachea)               1
C      u 0.33-0.75, v 0.45-0.88 (heart, left-shifted)   2
D      u 0.00-1.00, v 0.80-1.00                          3
E      u 0.00-0.12 or 0.88-1.00, v 0.05-0.80            4
F      u 0.12-0.88, v 0.00-0.80                          5
B      everything else                                   6
=====  ==============================================  ====================

The rectangles are a coarse, documented approximation of a PA film's anatomy, not a segmentation. When
a reading has no chest box (only REFLACX records one; EGD-CXR's anatomy boxes give one), the chest box is
taken as the image inset by 8 % left and right, 5 % at the top and 10 % at the bottom.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "ZONES",
    "ZONE_NAMES",
    "ZONE_PRIORITY",
    "ChestBox",
    "default_chest_box",
    "zone_of",
    "zones_of",
    "ZoneVisit",
    "zone_visits",
    "ZoneCoverage",
    "zone_coverage",
]

ZONES: tuple[str, ...] = ("A", "B", "C", "D", "E", "F")
ZONE_NAMES: dict[str, str] = {
    "A": "airway",
    "B": "bones and soft tissues",
    "C": "cardiac silhouette",
    "D": "diaphragm and costophrenic angles",
    "E": "edges (pleural margins)",
    "F": "lung fields and hila",
}
ZONE_PRIORITY: tuple[str, ...] = ("A", "C", "D", "E", "F", "B")

#: zone -> list of (u0, u1, v0, v1) rectangles in chest-box coordinates
_RECTS: dict[str, list[tuple[float, float, float, float]]] = {
    "A": [(0.40, 0.60, 0.00, 0.30)],
    "C": [(0.33, 0.75, 0.45, 0.88)],
    "D": [(0.00, 1.00, 0.80, 1.00)],
    "E": [(0.00, 0.12, 0.05, 0.80), (0.88, 1.00, 0.05, 0.80)],
    "F": [(0.12, 0.88, 0.00, 0.80)],
}


@dataclass(frozen=True)
class ChestBox:
    """The chest's bounding box in image pixels."""

    x_min: float
    y_min: float
    x_max: float
    y_max: float


def default_chest_box(width: float, height: float) -> ChestBox:
    """The chest box assumed when none was recorded: the image inset by 8 % / 5 % / 10 %."""
    return ChestBox(0.08 * width, 0.05 * height, 0.92 * width, 0.90 * height)


def zones_of(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray, chest: ChestBox) -> list[str]:
    """The zone letter of each point (see the module table)."""
    xs = np.asarray(x, dtype=np.float64).reshape(-1)
    ys = np.asarray(y, dtype=np.float64).reshape(-1)
    w = max(chest.x_max - chest.x_min, 1e-9)
    h = max(chest.y_max - chest.y_min, 1e-9)
    u = (xs - chest.x_min) / w
    v = (ys - chest.y_min) / h
    out = np.full(xs.shape, "B", dtype="<U1")
    assigned = np.zeros(xs.shape, dtype=bool)
    for zone in ZONE_PRIORITY[:-1]:
        inside = np.zeros(xs.shape, dtype=bool)
        for u0, u1, v0, v1 in _RECTS[zone]:
            inside |= (u >= u0) & (u <= u1) & (v >= v0) & (v <= v1)
        hit = inside & ~assigned
        out[hit] = zone
        assigned |= hit
    return out.tolist()


def zone_of(x: float, y: float, chest: ChestBox) -> str:
    """The zone letter of one point."""
    return zones_of([x], [y], chest)[0]


@dataclass(frozen=True)
class ZoneVisit:
    """One stay in a zone: consecutive points in the same zone merged."""

    zone: str
    t_start: float
    t_end: float
    dwell: float


def zone_visits(
    x: Sequence[float] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    t_start: Sequence[float] | np.ndarray,
    t_end: Sequence[float] | np.ndarray,
    chest: ChestBox,
) -> list[ZoneVisit]:
    """Consecutive points in one zone merged into visits, in time order."""
    zs = zones_of(x, y, chest)
    ts = np.asarray(t_start, dtype=np.float64).reshape(-1)
    te = np.asarray(t_end, dtype=np.float64).reshape(-1)
    visits: list[ZoneVisit] = []
    for z, a, b in zip(zs, ts, te, strict=True):
        d = max(float(b - a), 0.0)
        if visits and visits[-1].zone == z:
            last = visits[-1]
            visits[-1] = ZoneVisit(z, last.t_start, float(b), last.dwell + d)
        else:
            visits.append(ZoneVisit(z, float(a), float(b), d))
    return visits


@dataclass
class ZoneCoverage:
    """Which zones were visited, in which order of first visit, and the dwell time per zone."""

    visited: set[str] = field(default_factory=set)
    #: zones in the order they were first entered
    order: list[str] = field(default_factory=list)
    dwell: dict[str, float] = field(default_factory=dict)
    #: every visit (repeated zones included), e.g. "FCFDE"
    sequence: str = ""

    @property
    def missed(self) -> list[str]:
        """Zones never visited, in ABCDEF order."""
        return [z for z in ZONES if z not in self.visited]


def zone_coverage(
    x: Sequence[float] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    t_start: Sequence[float] | np.ndarray,
    t_end: Sequence[float] | np.ndarray,
    chest: ChestBox,
) -> ZoneCoverage:
    """Coverage of the ABCDEF zones by a sequence of points."""
    visits = zone_visits(x, y, t_start, t_end, chest)
    cov = ZoneCoverage(dwell={z: 0.0 for z in ZONES})
    for v in visits:
        if v.zone not in cov.visited:
            cov.visited.add(v.zone)
            cov.order.append(v.zone)
        cov.dwell[v.zone] += v.dwell
    cov.sequence = "".join(v.zone for v in visits)
    return cov
