"""Which films hang together: the PA + lateral hanging of one study (the frontal film left, the lateral right).

Owns the two kinds of chest view read from ViewPosition (frontal: PA, AP; lateral: LL, RL, LATERAL) and
:func:`pa_lateral_order`, the rule that two films form a PA + lateral hanging: both carry the same
StudyInstanceUID, one is frontal and the other lateral. Pure Python (the UI's
:mod:`gazex_viewer.ui.film.hanging` lays the two films out).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

__all__ = ["FRONTAL_VIEWS", "LATERAL_VIEWS", "HangingOrder", "ViewKind", "pa_lateral_order", "view_kind"]

ViewKind = Literal["frontal", "lateral"]

#: ViewPosition values of a frontal chest film (GazeX reads these)
FRONTAL_VIEWS = frozenset({"PA", "AP"})
#: ViewPosition values of a lateral chest film
LATERAL_VIEWS = frozenset({"LL", "RL", "LATERAL", "LAT"})


class FilmHeader(Protocol):
    """What the rule reads of a film's metadata (:class:`~gazex_viewer.core.imaging.radiograph.RadiographMetadata`)."""

    view_position: str | None
    study_instance_uid: str | None


def view_kind(view_position: str | None) -> ViewKind | None:
    """``"frontal"`` (PA, AP), ``"lateral"`` (LL, RL, LATERAL) or None (unknown or another view)."""
    view = (view_position or "").strip().upper()
    if view in FRONTAL_VIEWS:
        return "frontal"
    if view in LATERAL_VIEWS:
        return "lateral"
    return None


@dataclass(frozen=True)
class HangingOrder:
    """Where two films go: ``frontal`` and ``lateral`` are indices (0 or 1) into the pair; ``refused`` says why
    they are not hung together ("" when they are)."""

    frontal: int = 0
    lateral: int = 1
    refused: str = ""

    @property
    def ok(self) -> bool:
        return not self.refused


def pa_lateral_order(first: FilmHeader, second: FilmHeader, names: tuple[str, str] = ("film 1", "film 2")) -> HangingOrder:
    """The PA + lateral order of two films, or why they do not hang together (one line, naming the films)."""
    films = (first, second)
    for name, film in zip(names, films):
        if not (film.study_instance_uid or "").strip():
            return HangingOrder(refused=f"not hung together: {name} has no StudyInstanceUID (not part of a DICOM study)")
    if first.study_instance_uid != second.study_instance_uid:
        return HangingOrder(
            refused=f"not hung together: {names[0]} and {names[1]} belong to different studies "
            f"({first.study_instance_uid} and {second.study_instance_uid})"
        )
    kinds = [view_kind(f.view_position) for f in films]
    if sorted(k or "" for k in kinds) != ["frontal", "lateral"]:
        shown = " and ".join(f"{n} {f.view_position or 'with no ViewPosition'}" for n, f in zip(names, films))
        return HangingOrder(
            refused="not hung together: a PA + lateral hanging needs one frontal (PA/AP) and one lateral "
            f"(LL/RL) film of the study; these are {shown}"
        )
    frontal = kinds.index("frontal")
    return HangingOrder(frontal=frontal, lateral=1 - frontal)
