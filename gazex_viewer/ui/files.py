"""Files the user opens from the window: a reading JSON, checked, with any failure told in one line.

Owns :func:`read_reading_file` (used by File > Open saved reading, compare's reading B and trainee mode's
reference): the same limits as the command line, never a traceback to the user.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from gazex_viewer.core.errors import GazeXError
from gazex_viewer.core.reading.document import Reading


def read_reading_file(
    path: str | os.PathLike[str], show_error: Callable[[str, str], None], title: str
) -> Reading | None:
    """Load and validate a reading JSON; on any failure show ``title`` with the file and the reason, return None.

    The same rules as ``validate`` and ``export`` (:func:`~gazex_viewer.core.reading.limits.load_reading_file`:
    regular files only, the size and field limits, Unicode text; the signature is checked when the review opens).
    """
    from gazex_viewer.core.reading.limits import load_reading_file

    try:
        return load_reading_file(Path(path))
    except GazeXError as err:
        show_error(title, str(err))
    except Exception as err:  # never a traceback to the user
        show_error(title, f"{path}: {err.__class__.__name__}: {err}")
    return None
