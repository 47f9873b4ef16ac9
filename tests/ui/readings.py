"""Readings built for UI tests over a real film (coordinates chosen for the 512 x 512 NIH image)."""

from __future__ import annotations

from typing import Any

from gazex_viewer.core.reading.document import (
    Box,
    Finding,
    Label,
    Producer,
    Reading,
    Sentence,
    TrajectoryPoint,
)


def demo_reading(radiograph: Any, *, warnings: list[str] | None = None) -> Reading:
    """Three sentences: cardiomegaly (2 clues), support devices, and a pertinent negative.

    Trajectory (1 s per key frame, GazeX style): f-cardio clue, clue, observation (0-3 s),
    f-device observation (3-4 s), f-ptx observation (4-5 s).
    """
    f1 = Finding(
        "f-cardio",
        "s-1",
        "enlarged cardiac silhouette",
        [Label("Cardiomegaly")],
        Box.from_corners(150, 250, 400, 420),
        [Box.from_corners(160, 262, 250, 400), Box.from_corners(300, 280, 390, 410)],
        warnings=["third clue box unreadable: '(12,'"],
    )
    f2 = Finding(
        "f-device",
        "s-2",
        "support apparatus",
        [Label("Support Devices")],
        Box.from_corners(220, 60, 300, 200),
    )
    f3 = Finding(
        "f-ptx",
        "s-3",
        "no pneumothorax",
        [Label("Pneumothorax", "negative")],
        Box.from_corners(40, 40, 200, 230),
    )
    traj: list[TrajectoryPoint] = []
    t = 0.0
    for f in (f1, f2, f3):
        for i, b in enumerate([*f.clues, f.observation]):
            assert b is not None
            kind = "clue" if i < len(f.clues) else "observation"
            traj.append(TrajectoryPoint(b.centroid_x, b.centroid_y, t, t + 1.0, f.id, kind))  # type: ignore[arg-type]
            t += 1.0
    return Reading(
        image=radiograph.image_ref(),
        producer=Producer("model", "tiny-gazex", backend="transformers", device="cpu"),
        sentences=[Sentence("s-1", f1.text), Sentence("s-2", f2.text), Sentence("s-3", f3.text)],
        findings=[f1, f2, f3],
        trajectory=traj,
        raw_report="enlarged cardiac silhouette . support apparatus . no pneumothorax .",
        warnings=list(warnings or []),
    )
