"""The reference scale for agreement figures: what real radiologists' gaze scores on each metric.

``resources/agreement_baselines.json`` is written by ``benchmarks/gazesearch_agreement.py --write-baselines``
from the GazeSearch agreement study (:func:`gazex_viewer.core.gaze.study.study_baselines`); it says how it
was made. Per metric it holds the distribution of two conditions that bracket a meaningful agreement:

- ``unrelated``: two radiologists' searches for *different* findings on the same film (gaze that is
  not about the same thing: a model scoring here agrees with an expert no better than chance on the film);
- ``jitter``: a scanpath against itself moved by about one degree (the same gaze: the best to expect).

:func:`load_baselines` reads it; :meth:`AgreementBaselines.median` gives one reference value.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gazex_viewer.core.errors import GazeXError
from gazex_viewer.core.resources import resource_path

__all__ = ["BASELINES_PATH", "REFERENCE_CONDITIONS", "AgreementBaselines", "load_baselines", "format_reference"]

BASELINES_PATH: Path = resource_path("agreement_baselines.json")
#: the conditions shown beside a metric, in order: (key, short name)
REFERENCE_CONDITIONS: tuple[tuple[str, str], ...] = (("unrelated", "unrelated gaze"), ("jitter", "same gaze ±1°"))


@dataclass(frozen=True)
class AgreementBaselines:
    """Reference distributions per metric and condition (``metrics[key][condition]["median"]`` ...)."""

    metrics: dict[str, dict[str, dict[str, float | None]]]
    about: str = ""
    source: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    def median(self, key: str, condition: str) -> float:
        """The condition's median of metric ``key``; nan when unknown or not computable."""
        v = self.metrics.get(key, {}).get(condition, {}).get("median")
        return math.nan if v is None else float(v)

    def provenance(self) -> str:
        """One line: how many scanpaths of which file, and the file's name."""
        src = self.source
        return (
            f"GazeSearch study, {src.get('scanpaths', '?')} scanpaths on {src.get('images', '?')} images "
            f"({self.path.name if self.path else 'agreement_baselines.json'})"
        )


def load_baselines(path: str | os.PathLike[str] | None = None) -> AgreementBaselines | None:
    """Read the reference scale (default :data:`BASELINES_PATH`); None when the default file is absent.

    Raises
    ------
    GazeXError
        The file is not the JSON the study writes (naming the file and the reason), or ``path`` was given
        and does not exist.
    """
    p = BASELINES_PATH if path is None else Path(path)
    if not p.is_file():
        if path is None:
            return None
        raise GazeXError(p, "file not found")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise GazeXError(p, f"not a JSON file: {err}") from err
    metrics = data.get("metrics") if isinstance(data, dict) else None
    if not isinstance(metrics, dict) or not all(isinstance(v, dict) for v in metrics.values()):
        raise GazeXError(p, "no 'metrics' object (metric -> condition -> statistics)")
    return AgreementBaselines(metrics=metrics, about=str(data.get("about", "")), source=dict(data.get("source") or {}), path=p)


def format_reference(baselines: AgreementBaselines | None, key: str, *, digits: int = 2) -> tuple[str, ...]:
    """The medians of :data:`REFERENCE_CONDITIONS` for ``key`` as short texts (``"n/a"`` when unknown)."""
    out = []
    for cond, _name in REFERENCE_CONDITIONS:
        v = math.nan if baselines is None else baselines.median(key, cond)
        out.append("n/a" if not math.isfinite(v) else f"{v:.{digits}f}")
    return tuple(out)
