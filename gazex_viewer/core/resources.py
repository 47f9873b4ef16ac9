"""Where the shipped resources (JSON Schema, sample study, example reading, agreement baselines) are.

In a source checkout or an editable install they are the repository's top-level ``resources/`` folder; a
regular (wheel) install puts the same files under ``<prefix>/share/gazex-viewer/resources`` (``data_files``
in ``setup.cfg``). ``GAZEX_RESOURCES`` overrides both.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[2] / "resources"
_INSTALLED = Path(sys.prefix) / "share" / "gazex-viewer" / "resources"


def resources_dir() -> Path:
    """The folder that holds the shipped resources."""
    override = os.environ.get("GAZEX_RESOURCES")
    if override:
        return Path(override)
    if (_CHECKOUT / "reading.schema.json").is_file():
        return _CHECKOUT
    return _INSTALLED


def resource_path(*parts: str) -> Path:
    """A shipped resource, e.g. ``resource_path("reading.schema.json")``."""
    return resources_dir().joinpath(*parts)
