"""Former grab-bag of the views, dissolved into its owners; these names are re-exported until every caller moved.

- finding colours and numbers (``PALETTE``, ``NEGATIVE_COLOUR``, ``FindingStyle``, ``finding_styles``):
  :mod:`gazex_viewer.ui.style`
- the shared selection (``SelectionModel``): :mod:`gazex_viewer.ui.selection`
- reading files opened from the window (``read_reading_file``): :mod:`gazex_viewer.ui.files`

Import from those modules; this one goes away once no module imports it.
"""

from __future__ import annotations

from gazex_viewer.ui.files import read_reading_file
from gazex_viewer.ui.selection import SelectionModel
from gazex_viewer.ui.style import NEGATIVE_COLOUR, PALETTE, FindingStyle, finding_styles

__all__ = ["NEGATIVE_COLOUR", "PALETTE", "FindingStyle", "SelectionModel", "finding_styles", "read_reading_file"]
